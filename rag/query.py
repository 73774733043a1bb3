"""A question as retrieval reads it: the document it names, if any, split off the rest.

"Consider the Supply Agreement between X and Y; what law governs it?", "In the Sykes agreement,
how long does it last?" and "When does the Sykes outsourcing agreement expire?" name a document
(the `reference`); the retrievers search the question without it ("what law governs the
agreement?"), and `rag.routing` looks the reference up among the collection's documents.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from rag.text import content_words, stems
from rag.wording import dates

# "Consider the <agreement> between <A> ("Licensor"); <B> ("Licensee"); <question>"
# (LegalBench-RAG's wording: the reference runs to the last semicolon), and the everyday
# "In the <X agreement>, <question>".
_REFERENCE = re.compile(
    r"^\s*(?:consider|regarding|re:|in|under|per|according to)\s+"
    r"(?:(?P<ref>.{8,});\s*(?P<q>[^;]+)"
    r"|(?P<ref2>[^;,]{8,}?),\s*(?P<q2>(?:what|which|who|when|where|how|is|are|does|do|can|may"
    r"|shall|will)\b.+))$",
    re.IGNORECASE | re.DOTALL,
)

# "Which law governs the Sykes outsourcing agreement?", "When does the Acme lease expire?",
# "Is the Sykes agreement governed by New York law?": a document named inside the question, by
# a few qualifiers and a document kind that ends a noun phrase (a verb, a preposition, the
# clause's end or a last word asked of it follows: "the Software License fee" names a fee, "Are
# the licenses granted under the Morgan Stanley license agreement non-transferable?" a
# document). A name with a capitalised word may stand anywhere; one without, only among the
# question's last three words ("the software license" in "Can the software license be moved to
# a new laptop later on?" is not a document's name).
# Routed like the forms above; if no document stands out, the question is searched whole (the
# name's words may still help).
_CONTRACT_KINDS = r"agreement|contract|lease|licen[cs]e|amendment|addendum"
KINDS = rf"{_CONTRACT_KINDS}|manual|guide|handbook|policy"
LINKS = r"the|a|an|this|that|of|under|in|on|for|to|with|by|from|and|or|between|about"
_FOLLOWS = (
    r"is|are|was|were|be|been|has|have|had|do|does|did|can|could|will|would|shall|should|may"
    r"|might|must|say|says|state|states|allow|allows|permit|permits|require|requires|provide"
    r"|provides|contain|contains|include|includes|cover|covers|govern|governs|governed|expire"
    r"|expires|end|ends|last|lasts|renew|renews|renewed|terminate|terminates|terminated|grant"
    r"|grants|mention|mentions|specify|specifies|limit|limits|apply|applies|signed|dated"
    r"|executed|assigned|between|with|without|for|in|on|of|to|by|under|from|regarding|about|as"
    r"|and|or|that|which|when|if|unless|upon|after|before|within|during|at"
)
_EMBEDDED = re.compile(
    rf"\b(?:the|this|that|my|our|your)\s+(?:(?!(?:{LINKS})\b)[\w&.'-]+\s+){{1,5}}"
    rf"(?:{KINDS})\b(?=\s*(?:[?.!,;:]|$)|\s+(?:{_FOLLOWS})\b|\s+[\w-]+\s*[?.!]?\s*$)",
    re.IGNORECASE,
)


# Who the parties are, and when the agreement was made, signed or took effect: a contract says
# so in its opening (title, preamble), whose words a question about them rarely shares: "Who are
# the parties to the agreement?" ranks every clause that says "Party" above the preamble that
# names them. None of the 461 public CUAD, S10 and TV questions reads so ("What is the
# expiration date of this contract?" does not).
_PARTIES = (
    r"who\s+(?:are|were|is|was)\s+(?:the\s+)?(?:parties|party|signator(?:y|ies)|contracting)"
    r"|(?:what|which)\s+(?:are|were)\s+the\s+(?:names\s+of\s+the\s+)?parties(?!')\b"
    r"(?!\s+(?!to\b|of\b|in\b|involved\b|named\b)\w)"
    r"|(?:name|list|identify)\s+the\s+parties"
    r"|between\s+whom\b"
)
_DATED = (
    r"when\s+(?:was|were|is|did)\b[^?]*\b(?:signed|sign|dated|executed|execute|entered\s+into"
    r"|enter\s+into|made|concluded)\b"
    r"|(?:what|which)\s+is\s+the\s+(?:effective\s+|execution\s+|signing\s+)?date\s+of\s+"
    r"(?:the|this)\b"
    r"|what\s+is\s+the\s+(?:agreement|contract)(?:'s)?\s+(?:effective\s+)?date"
    r"|when\s+(?:does|did)\b[^?]*\b(?:take|took|become|became|come|came)\s+(?:into\s+)?effect"
)
ABOUT_THE_DOCUMENT = re.compile(
    rf"\b(?:{_PARTIES}|who\s+(?:signed|executed|entered\s+into|made)\b|{_DATED})", re.IGNORECASE
)


# Of those, the questions that ask who the parties are, and the sentence that names them: "This
# Agreement is made by and between X, a Delaware corporation, and Y", "SERVICING AGREEMENT
# between X, as Owner and Y, as Servicer", "Parties (1) X ... (2) Y" ("as between the parties"
# names nobody); and those that ask when it was made or took effect, and the sentence that
# dates it: "made and entered into as of May 31, 1999", "Dated as of April 8, 2020" (not
# "commencing as of May 31, 1999 and concluding May 31, 2000").
_ASKS_PARTIES = re.compile(rf"\b(?:{_PARTIES})", re.IGNORECASE)
_ASKS_DATE = re.compile(rf"\b(?:{_DATED})", re.IGNORECASE)
_NAMES_THE_PARTIES = re.compile(
    r"\b(?:between|among)\b(?!\s+(?:the|its|their)\s+parties\b)|\bparties\W*\(1\)",
    re.IGNORECASE,
)
_DATES_IT = re.compile(
    r"\b(?:(?:made|entered\s+into|executed|signed|dated|effective)\s+(?:as\s+)?(?:of|on)"
    r"|dated)\b",
    re.IGNORECASE,
)


# Questions that ask how long the agreement runs ("What is the expiration date of this
# contract?", "How long does the Sykes agreement last?", "What is the term of the agreement?"),
# not what happens when it ends, nor a renewal's or a warranty's term; and the sentence that
# sets the term: one that speaks of the agreement's term or of the agreement commencing,
# continuing, remaining in effect or expiring, with a length, a date or "perpetual" ("This
# Agreement shall commence on the Effective Date and shall continue for an initial term of three
# (3) years", "the initial term of this Agreement shall expire on 31 December 2024", "The term of
# this Agreement commences on the Effective Date and continues in perpetuity", "the period of
# time commencing as of May 31, 1999 and concluding May 31, 2000"). It shares only
# "term" or "expire" with the question, and BM25 and the embedder rank every clause that says
# "Effective Date", "the term of this Agreement" or "upon expiration" beside it: of the 37 public
# CUAD expiration questions, the gold clause was the first hit for 5 (recall@1 0.14).
_ASKS_TERM = re.compile(
    r"\bexpir(?:e|es|y|ation)\b"
    r"|\bhow\s+long\b[^?]*\b(?:last|run|remain|continue|valid|in\s+(?:force|effect))"
    r"|\b(?:term|duration|length)\s+of\s+(?:the|this|that)\s+(?:agreement|contract)\b"
    r"|\bwhen\s+(?:does|will|did)\b[^?]*\b(?:end|lapse)\b",
    re.IGNORECASE,
)
_NOT_THE_TERM = re.compile(
    r"\b(?:renew\w*|warrant\w*|upon|after|following|surviv\w*|notice)\b", re.IGNORECASE
)
_RUNS = (
    r"(?:commence|begin|continue|remain|expire|terminate|end|run"
    r"|be\s+(?:in\s+(?:full\s+)?(?:force|effect)|effective))"
)
_SETS_TERM = re.compile(
    r"\b(?:term|duration)(?:\s+of\s+(?:this|the)\s+(?:agreement|contract))?\s*(?:\([^)]{0,40}\)\s*)?"
    r"(?:shall|will|is|commences|begins|continues|expires|ends|runs)\b"
    # (The agreement is the subject: no list item with a subject of its own between, as in
    # "during the Contract Period, (d) Company shall continue to pay".)
    rf"|\b(?:agreement|contract)\b(?:(?!\(\w{{1,3}}\)\s+(?-i:[A-Z]))[^.;]){{0,80}}?\b(?:shall|will)\s+"
    rf"(?:\w+,?\s+){{0,3}}?{_RUNS}\b"
    r"|\b(?:agreement|contract)\s+(?:commences|begins|continues|remains|expires|terminates|ends|runs)\b"
    r"|\bexpir(?:e|es|ed|ation)\s+(?:on|upon|in|at)\b"
    r"|\bin\s+(?:full\s+)?(?:force|effect)(?:\s+and\s+effect)?\s+(?:until|for)\b"
    r"|\bfor\s+(?:a|an|the)\s+(?:initial\s+)?term\s+of\b"
    r"|\((?:the\s+)?(?:initial\s+)?[\"“]?(?:[A-Z][\w-]*\s+)?Term[\"”]?\)"
    r"|[\"“]Term[\"”]\s+(?:means|shall\s+mean)\b"
    r"|\bcommencing\b[^.;]{0,60}?\b(?:concluding|ending|expiring|terminating)\b",
    re.IGNORECASE,
)
_LENGTH = re.compile(
    r"\b(?:\w+\s+\(\d+\)|\d+|one|two|three|four|five|six|seven|eight|nine|ten|eleven|twelve"
    r"|fifteen|twenty|thirty|fifty|ninety)[\s-]+(?:years?|months?|weeks?|days?)\b"
    r"|\bperpetu|\bindefinite|\buntil\b|\banniversary\b"
    r"|\b(?:term|period)\s+of\s+[\[*]",  # a length redacted: "an initial period of [***]"
    re.IGNORECASE,
)


def asks_term(question: str) -> bool:
    """The question asks how long the agreement runs, or when it ends."""
    return _ASKS_TERM.search(question) is not None and not _NOT_THE_TERM.search(question)


def sets_term(sentence: str) -> bool:
    """The sentence sets the agreement's term: how long it runs, or until when."""
    return _SETS_TERM.search(sentence) is not None and (
        _LENGTH.search(sentence) is not None or bool(dates(sentence))
    )


# Two more a lawyer asks of every contract, each answered by a clause of a recognisable shape
# that shares a word or two with the question: how far a party's liability is capped ("Is there
# a cap on liability?": "In no event shall either party be liable for ... damages", "the
# liability of a party ... shall not exceed fifteen million dollars"), and whether a party may
# leave without cause ("Can this contract be terminated for convenience?": "Sparkling may
# terminate this Agreement at any time upon ninety (90) calendar days written notice", not the
# termination for breach). Of the public CUAD questions, 15 of 20 cap clauses and 10 of 11
# convenience clauses hold a sentence of the shape, 3.5 and 1.5 such sentences per contract.
_ASKS_CAP = re.compile(
    r"\b(?:(?:un)?capped\s+liability|cap\s+on\s+(?:\w+\s+)?liability"
    r"|limit\w*\s+(?:of|on)\s+(?:\w+\s+){0,2}liability|liability\s+(?:is\s+|be\s+)?(?:capped|limited)"
    r"|maximum\s+liability|how\s+much\b[^?]*\bliable)",
    re.IGNORECASE,
)
_LIABLE = re.compile(r"\bliab(?:le|ility|ilities)\b", re.IGNORECASE)
_CAPS = re.compile(
    r"\b(?:in\s+no\s+event|under\s+no\s+circumstances?|(?:not|never)\s+(?:to\s+)?exceed"
    r"|exceed(?:s|ing)?|in\s+excess\s+of|limited\s+to|(?:aggregate|cumulative|maximum|total"
    r"|entire)\s+liability|not\s+be\s+liable|(?:neither|no)\s+party\s+(?:shall|will)\s+be\s+liable"
    r"|limit(?:ation)?s?\s+(?:of|on)\s+liability)\b",
    re.IGNORECASE,
)
_INSURANCE = re.compile(r"\binsur\w*", re.IGNORECASE)
# A clause says something; a title ("Indemnification; Limitations of Liability.", which a
# verdict on "Is there uncapped liability?" quoted) names it.
_SAYS = re.compile(r"\b(?:shall|will|may|must|is|are|be|been|exceed\w*)\b", re.IGNORECASE)
_ASKS_CONVENIENCE = re.compile(
    r"\bterminat\w*\b[^?]*\b(?:for\s+convenience|without\s+(?:any\s+)?cause|at\s+will"
    r"|for\s+any\s+reason|at\s+any\s+time)\b|\bearly\s+termination\b",
    re.IGNORECASE,
)
_MAY_TERMINATE = re.compile(
    r"\b(?:may|can|(?:has|have|reserves?|shall\s+have)\s+the\s+right\s+to|(?:is|are|be)\s+"
    r"entitled\s+to)\s+(?:\w+\s+){0,2}?terminate\b|\bmay\s+be\s+terminated\b",
    re.IGNORECASE,
)
_AT_WILL = re.compile(
    r"\b(?:for\s+convenience|with(?:\s+or)?(?:out)?\s+(?:or\s+without\s+)?cause|for\s+any\s+"
    r"(?:or\s+no\s+)?reason|at\s+any\s+time|notice)\b",
    re.IGNORECASE,
)
# A cause to terminate: a fault of the other party's, or force majeure.
_CAUSE = re.compile(
    r"\b(?:breach|default|insolv|bankrupt|fail|violat|cure|receiver|force\s+majeure"
    r"|for\s+cause)\w*",
    re.IGNORECASE,
)


def caps_liability(sentence: str) -> bool:
    """The sentence limits a party's liability (not an insurer's: "liability insurance with
    limits in excess of those required by statute"; not a title)."""
    return (
        _LIABLE.search(sentence) is not None
        and _CAPS.search(sentence) is not None
        and _INSURANCE.search(sentence) is None
        and _SAYS.search(sentence) is not None
    )


def ends_at_will(sentence: str) -> bool:
    """The sentence lets a party terminate without a fault of the other's."""
    return (
        _MAY_TERMINATE.search(sentence) is not None
        and _AT_WILL.search(sentence) is not None
        and _CAUSE.search(sentence) is None
    )


# And one more: whether the agreement may be assigned ("Is there an anti-assignment clause in
# this contract?", "Can the agreement be assigned without consent?"), answered by the clause that
# forbids it or makes it wait for the other party's consent ("Neither party may assign this
# Agreement without the prior written consent of the other", "Any assignment in violation of this
# Section shall be void"), not by "binding upon the parties and their successors and assigns".
# The model answers the question with "No, there is no anti-assignment clause [1]" beside it. Of
# the 28 public CUAD anti-assignment clauses 26 hold a sentence of the shape (the others: a
# redacted one, an automatic termination on assignment); 1.6 such sentences per contract.
_ASKS_ASSIGNMENT = re.compile(
    r"\banti-?assign\w*|\bassign(?:ment|ability)\s+(?:clause|provision|restriction)"
    r"|\b(?:agreement|contract)\b[^?]{0,40}\b(?:assigned|assignable)\b"
    r"|\bassign\s+(?:this|the)\s+(?:agreement|contract)\b",
    re.IGNORECASE,
)
# Within the sentence, across a section number ("Section 13.2").
_IN = r"(?:[^.;]|\.\d)"
_ASSIGN = r"\bassign(?:ed|ing|ment|ments|able|ability)?\b"
_RESTRICTS_ASSIGNMENT = re.compile(
    rf"\b(?:not|neither|nor|no)\b{_IN}{{0,80}}?{_ASSIGN}"
    rf"|{_ASSIGN}{_IN}{{0,150}}?\b(?:without|except\s+with|unless|subject\s+to|requires?)\b"
    rf"{_IN}{{0,80}}?\b(?:consent|approv\w*|permission|agreed?\b)"
    rf"|{_ASSIGN}{_IN}{{0,100}}?\b(?:void|null|invalid|ineffective)\b"
    rf"|\b(?:consent|approv\w*)\b{_IN}{{0,60}}?{_ASSIGN}",
    re.IGNORECASE,
)
# Not an assignment: "successors and assigns", or a deed of assignment naming itself.
_ASSIGNS = re.compile(
    r"\bsuccessors\s+(?:and|or)\s+(?:permitted\s+)?assigns\b|\bthis\s+Assignment\b"
)


def restricts_assignment(sentence: str) -> bool:
    """The sentence forbids assigning the agreement, or makes it wait for consent."""
    return _RESTRICTS_ASSIGNMENT.search(_ASSIGNS.sub(" ", sentence)) is not None


# What audit rights a party has ("What are the audit rights under this contract?", "Can we
# inspect the supplier's records?"): the clause that lets a party audit, inspect or examine the
# other's records, books or facilities ("SHPS shall have the right, upon reasonable prior written
# notice, to examine, copy and audit such records"), which shares "audit" with the question at
# most, beside clauses on audited financial statements and quality audits. Of the 17 public CUAD
# audit clauses 15 hold a sentence of the shape; 1.0 such sentences per contract.
_ASKS_AUDIT = re.compile(
    r"\baudit(?:s|ing)?\b|\b(?:inspect|examine)\b[^?]*\b(?:records|books|accounts|facilit\w+)",
    re.IGNORECASE,
)
_RECORDS = r"\b(?:records?|books?|accounts?|facilit\w+|premises|plants?|sites?|operations)\b"
_AUDITS = re.compile(
    rf"\b(?:audit\w*|inspect\w*|examin\w*)\b{_IN}{{0,120}}?{_RECORDS}"
    rf"|{_RECORDS}{_IN}{{0,120}}?\b(?:audit\w*|inspect\w*|examin\w*)\b",
    re.IGNORECASE,
)
# A right to it, not a duty to keep the records or a report of an inspection.
_MAY = re.compile(
    r"\b(?:may|right|permit\w*|allow\w*|available|entitled|access\w*|open\s+to|submit)\b",
    re.IGNORECASE,
)


def grants_audit(sentence: str) -> bool:
    """The sentence lets a party audit, inspect or examine the other's records or facilities."""
    return _AUDITS.search(sentence) is not None and _MAY.search(sentence) is not None


# And whether a party is given exclusivity ("Does this contract include an exclusivity
# agreement?", "Is the distributor exclusive?"): the clause that makes a party the exclusive
# provider, seller or licensee ("hereby appoints SHPS as the exclusive provider of", "shall have
# the exclusive right to sell", "a worldwide, exclusive, royalty free, perpetual license"), not a
# non-exclusive licence, the courts' exclusive jurisdiction, an exclusive remedy or property held
# exclusively, which BM25 and the embedder rank beside it: of the 13 public CUAD exclusivity
# questions, the gold clause was the first hit for 4. Of their gold clauses, 10 hold a sentence
# of the shape; 2.4 such sentences per contract. (Written from the gold clauses of half the
# contracts, every other one by name; on the other half's 5 questions recall@1 0.00 -> 0.20.)
_EXCLUSIVE = re.compile(r"(?<!non-)(?<!non )\bexclusiv\w*", re.IGNORECASE)
# Asked of a party's position, not any "exclusively" ("determined exclusively by genetic factors").
_ASKS_EXCLUSIVITY = re.compile(
    r"\bexclusivity\b|(?<!non-)(?<!non )\bexclusive(?:ly)?\s+(?:\w+\s+)?(?:rights?|licen[cs]e[sd]?"
    r"|distribut\w+|provider|supplier|seller|reseller|agent|agreement|arrangement|dealing|basis"
    r"|territory|relationship|partner)\b|\b(?:is|are|be)\s+(?:\w+\s+){0,3}?exclusive\b(?!\s+of)",
    re.IGNORECASE,
)
_NOT_EXCLUSIVITY = re.compile(
    r"\bexclusiv\w*\s+(?:of|jurisdiction|venue|forum|remed\w+|property|owner\w*|responsib\w*"
    r"|control|discretion|benefit)\b"
    r"|\b(?:remed(?:y|ies)|jurisdiction|venue|courts?|governed|construed|interpreted|property)\b"
    r"[^.;]{0,40}\bexclusiv\w*"
    r"|\bexclusiv\w*\b[^.;]{0,40}\b(?:jurisdiction|venue|courts?|governed|remed(?:y|ies))\b",
    re.IGNORECASE,
)
# It says so (not a title, "3.2 Exclusivity."): a verb, or a grant's own words.
_BINDS = re.compile(
    r"\b(?:shall|will|may|must|is|are|be|been|has|have|agrees?|hereby|means)\b", re.IGNORECASE
)


def grants_exclusivity(sentence: str) -> bool:
    """The sentence makes a party exclusive: its right, supply, licence or appointment."""
    return (
        _EXCLUSIVE.search(_NOT_EXCLUSIVITY.sub(" ", sentence)) is not None
        and _BINDS.search(sentence) is not None
    )


# And whether a party shares its revenue or profit ("Does this contract include any revenue or
# profit-sharing arrangements?", "What royalty is paid?"): the clause that pays a share of sales,
# revenue or profit ("HPS will pay to SHPS an amount equal to eighty percent (80%) of Care
# Management Revenues", "a royalty equal to [***] of the Adjusted Net Sales", "Each Party shall
# receive 50% of all Net Revenue"), which shares no word with the question but "revenue" or
# "profit": of the 11 public CUAD questions, the gold clause was the first hit for 2 (5 with the
# shape). Of their gold clauses, 8 hold a sentence of the shape; 0.7 such sentences per
# contract. (Written from half the contracts, as above; on the other half's 4 questions
# recall@1 0.15 -> 0.15, recall@4 0.50 -> 0.60.)
_ASKS_REVENUE_SHARE = re.compile(
    r"\b(?:revenue|profit|income|sales)s?[\s-]+shar\w*"
    r"|\bshar\w+\s+(?:of\s+)?(?:the\s+)?(?:revenues?|profits?|income)\b"
    r"|\broyalt(?:y|ies)\b|\bcommission\s+(?:rate|percentage)|\bcommissions\b",
    re.IGNORECASE,
)
_SHARES_REVENUE = re.compile(
    r"(?:\d+(?:\.\d+)?\s*%|\bpercent\w*|\[\*+\]\s*%?|\broyalt(?:y|ies))[^.;]{0,80}?"
    r"\b(?:of|on|from|in)\b[^.;]{0,40}?\b(?:net|gross|adjusted|aggregate|total)?\s*"
    r"(?:revenues?|profits?|income|sales|receipts|proceeds|earnings)\b"
    r"|\b(?:revenue|profit)s?[\s-]+shar\w*",
    re.IGNORECASE,
)


def shares_revenue(sentence: str) -> bool:
    """The sentence pays a party a share of sales, revenue or profit (a percentage, a royalty)."""
    return _SHARES_REVENUE.search(sentence) is not None and _BINDS.search(sentence) is not None


# And which licences the agreement grants ("What licenses are granted under this contract?",
# "Are the licenses granted non-transferable?", "... irrevocable or perpetual?"): the clause
# that grants one ("Licensor hereby grants to Licensee a non-exclusive ... license", "Each Party
# grants to the other Party ... the non-exclusive right, in the Territory, to use the Trade
# Marks"), not the many that name "the License" or the licensed goods, nor a denial ("No other
# licenses or rights are granted", "nothing in this Agreement shall grant"): of the 17 public
# CUAD licence-grant questions, the gold clause was the first hit for 7. (Written from the gold
# clauses of half the contracts, as above; on the other half's 10 questions recall@1 0.49 ->
# 0.75, and on its 3 irrevocable-or-perpetual questions 0.67 -> 1.00.) Asked of a grant, not of
# any licence: "Does the licensee's affiliates have any licensing rights?" asks of affiliates,
# whom the grant to the licensee does not name (the shape below).
_ASKS_LICENSE_GRANT = re.compile(
    r"\blicen[cs]es?\s+(?:\w+\s+){0,2}?granted\b|\bgrant\w*\s+(?:\w+\s+){0,3}?licen[cs]"
    r"|\blicen[cs]e\s+grant",
    re.IGNORECASE,
)
_GRANTS_LICENSE = re.compile(
    r"(?:\b(?:grants|provides|conveys)|\bhereby\s+(?:grant|provide|convey)s?|\bshall\s+grant"
    r"|\bgranted\s+to|\b(?:is|are)\s+(?:hereby\s+)?granted)\b[^.;]{0,300}?"
    r"\b(?:(?:sub)?licen[cs]es?\b|right\b[^.;]{0,40}?\bto\s+(?:use|make|sell|distribute|reproduce"
    r"|exploit|market)\b)"
    r"|\blicen[cs]es?\b[^.;]{0,60}?\b(?:is|are|be|been)\s+(?:hereby\s+)?granted\b",
    re.IGNORECASE,
)
# Said of the grant, just before it or in it; a "shall not" earlier in a long clause is another
# matter ("[***] shall not ... file any Patent ...; provided, further, that ... [***] hereby
# grants [***] a perpetual, irrevocable ... license").
_DENIES = re.compile(r"\b(?:no|nothing|neither|nor|not)\b", re.IGNORECASE)


def grants_license(sentence: str) -> bool:
    """The sentence grants a licence (or a right to use, make or sell), not denies one."""
    m = _GRANTS_LICENSE.search(sentence)
    return m is not None and _DENIES.search(sentence, max(0, m.start() - 30), m.end()) is None


# And whether the licensee's (or licensor's) affiliates have licensing rights ("Does the
# licensee's affiliates have any licensing rights under this contract?"): the clause that
# licenses them or lets a party sublicense to them ("... shall have the right to sublicense ...
# to any of its Affiliates", "Arizona may sublicense the licenses granted herein to its
# Affiliates ... its Subsidiaries"), not the grant to the licensee alone. Asked of a licence, not
# of the licensee: "Who are the licensee's affiliates?" is not. (Written from the gold
# clauses of half the contracts, as above: recall@1 on its 2 questions 0.00 -> 1.00; on the
# other half's 2, 0.00 -> 0.50, "Licensee may sublicense its rights ... solely to a current or
# future wholly owned subsidiary of Licensee"; the licensor-affiliate questions unchanged.)
_ASKS_AFFILIATE_LICENSE = re.compile(
    r"\baffiliates?\b[^?.]{0,60}?\b(?:sub)?licen[cs](?:es?|ed|ing)\b"
    r"|\b(?:sub)?licen[cs](?:es?|ed|ing)\b[^?.]{0,60}?\baffiliates?\b",
    re.IGNORECASE,
)
_MAY_SUBLICENSE = re.compile(
    r"\b(?:may|right\s+to|entitled\s+to|permitted\s+to)\s+(?:\w+\s+){0,3}?sublicen[cs]\w*",
    re.IGNORECASE,
)
_AFFILIATES = re.compile(r"\b(?:affiliates?|subsidiar(?:y|ies))\b", re.IGNORECASE)


def licenses_affiliates(sentence: str) -> bool:
    """The sentence grants a licence, or a right to sublicense, and names affiliates in it."""
    granted = grants_license(sentence) or _MAY_SUBLICENSE.search(sentence) is not None
    return granted and _AFFILIATES.search(sentence) is not None


# And which law governs the agreement ("What is the governing law for this contract?"): the
# clause that names it ("This Agreement shall be construed in accordance with the laws of the
# State of Kansas", "... governed by and construed in accordance with the laws of England"),
# which BM25 and the embedder rank below the many clauses that say "law" or "governed by" (the
# duties to comply with applicable laws, the agreement governing an escrow): of the 35 public
# CUAD governing-law questions the gold clause was the first hit for 26. (Written from the gold
# clauses of half the contracts, as above: recall@1 on its 17 questions 0.52 -> 0.84; on the
# other half's 18, 0.94 -> 0.94, its one miss being a joint venture formed "in accordance with
# the laws of the State of Florida".) Asked of the law that governs, not of any law: "What laws
# must the distributor comply with?" is not.
_ASKS_GOVERNING_LAW = re.compile(
    r"\bgoverning\s+laws?\b|\bgoverned\s+by\s+(?:the\s+)?laws?\b"
    r"|\b(?:which|what)\s+(?:state|country|jurisdiction)(?:'s)?\s+laws?\b"
    r"|\b(?:which|what)\s+laws?\s+(?:govern|appl)\w*|\bchoice\s+of\s+laws?\b",
    re.IGNORECASE,
)
# A verb of governing, then the laws of a named place: "the laws of the State of", "of England",
# "the applicable regulations of the Republic of Colombia" (a capital, or a kind of place).
_NAMES_THE_LAW = re.compile(
    r"(?i:\b(?:govern\w*|constru\w*|interpret\w*|enforc\w*|subject\s+to)\b[^.;]{0,80}?"
    r"\b(?:laws?|regulations)\s+of\s+(?:the\s+)?)"
    r"(?:[A-Z]|(?i:state|commonwealth|province|republic|kingdom))"
)


def names_the_law(sentence: str) -> bool:
    """The sentence names the law the agreement is governed or construed by."""
    return _NAMES_THE_LAW.search(sentence) is not None


def asks_date(question: str) -> bool:
    """The question asks when the document was made or took effect."""
    return _ASKS_DATE.search(question) is not None


# "How do I open the camera?", "How can I open internet on my device?": a manual answers with
# the step that opens it ("From Apps, tap Camera."), which shares a word or two with the
# question and ranks below every sentence that says "camera" more often ("Quick launch: Press
# the Power key twice in quick succession to open the camera."). Both such questions of the 50
# public S10 ones cited a section about something else ("Compose and send email messages").
_OPENS = re.compile(
    r"^\W*how\s+(?:do|can|could|should|would|may|to)\s+(?:(?:i|you|we|one)\s+)?"
    r"(?:open|launch|start|run|access|get\s+(?:in)?to|go\s+to)\s+(?:(?:the|my|an?)\s+)?"
    r"(?P<thing>[^?.!]+?)\s*(?:\b(?:on|in|from|with)\b[^?.!]*)?[?.!]*\s*$",
    re.IGNORECASE,
)
# The step that opens a named thing: "From Apps, tap Internet", "tap Samsung folder > Samsung
# Health" (the name is capitalised, as a manual prints what is on the screen).
_TAPS = re.compile(
    r"\b(?:tap|touch|select|press|open)\s+(?:[\w ]+?\s+folder\s*>\s*)?"
    r"(?P<name>[A-Z][\w+'-]*(?:\s+[A-Z][\w+'-]*){0,3})"
)
# What a thing opened is, not its name: "the internet browser" is opened by tapping "Internet".
_KIND = {"app", "apps", "application", "applications", "browser", "program"}


def _opens(thing: str) -> Callable[[str], bool]:
    asked = stems(thing) - _KIND

    def opens_it(sentence: str) -> bool:
        # The name tapped is the thing asked for, or holds it ("Notes" opens by "Samsung
        # Notes"); not a part of it ("How do I access the notification panel?" is not answered
        # by "To customize notifications, tap Notification settings").
        return any(asked <= stems(m.group("name")) - _KIND for m in _TAPS.finditer(sentence))

    return opens_it


def _asks_exclusivity(question: str) -> bool:
    return bool(_ASKS_EXCLUSIVITY.search(question)) and not _NOT_EXCLUSIVITY.search(question)


# The contract clauses of a known shape, and the questions that ask for each, first match first.
_CLAUSES: tuple[tuple[Callable[[str], object], Callable[[str], bool]], ...] = (
    (asks_term, sets_term),
    (_ASKS_CAP.search, caps_liability),
    (_ASKS_CONVENIENCE.search, ends_at_will),
    (_ASKS_ASSIGNMENT.search, restricts_assignment),
    (_ASKS_AUDIT.search, grants_audit),
    (_asks_exclusivity, grants_exclusivity),
    (_ASKS_REVENUE_SHARE.search, shares_revenue),
    (_ASKS_AFFILIATE_LICENSE.search, licenses_affiliates),
    (_ASKS_LICENSE_GRANT.search, grants_license),
    (_ASKS_GOVERNING_LAW.search, names_the_law),
)


def answer_shape(question: str) -> Callable[[str], bool] | None:
    """For a question of a few kinds, whether a sentence is the kind that answers it, though it
    shares few words with the question: the one of a contract's opening that names its parties
    or dates it, the clause that sets its term, caps liability, lets a party leave at will,
    restricts assignment, grants an audit, makes a party exclusive, shares revenue, licenses
    affiliates, grants a licence or names the governing law, or the step of a manual that opens
    what the question asks to open. None for any other question."""
    if _ASKS_PARTIES.search(question):
        return lambda sentence: _NAMES_THE_PARTIES.search(sentence) is not None
    if asks_date(question):
        return lambda sentence: _DATES_IT.search(sentence) is not None and bool(dates(sentence))
    for asks, shape in _CLAUSES:
        if asks(question):
            return shape
    if (m := _OPENS.search(question)) and (stems(m.group("thing")) - _KIND):
        return _opens(m.group("thing"))
    return None


def _embedded(text: str) -> re.Match[str] | None:
    for e in _EMBEDDED.finditer(text):
        near_end = len(re.findall(r"[\w'-]+", text[e.end() :])) <= 3
        if near_end or re.search(r"\s[A-Z]", e.group(0)):
            return e
    return None


@dataclass(frozen=True, slots=True)
class Query:
    text: str
    # What retrievers search for: the text without its document reference.
    question: str
    reference: str | None = None
    vector: np.ndarray | None = None
    # Document row ids the search may return; None means all.
    documents: frozenset[int] | None = None
    # The FTS5 expression BM25 retrievers search (computed once per search).
    match: str | None = None
    # The reference sits inside the question (not before it).
    embedded: bool = False


def analyze(text: str) -> Query:
    m = _REFERENCE.match(text)
    if m is None:
        e = _embedded(text)
        # "the Sykes outsourcing agreement" names one; "the license" or "the guide" does not.
        if e is None or len(content_words(e.group(0))) < 2:
            return Query(text, text)
        # The name gives way to its kind, so the question still reads as one: "How long does the
        # Sykes outsourcing agreement last?" is searched (and put to the model) as "How long
        # does the agreement last?", not "How long does last?", which found no term clause.
        kind = e.group(0).split()[-1].lower()
        question = " ".join(f"{text[: e.start()]}the {kind}{text[e.end() :]}".split())
        return Query(text, question, e.group(0), embedded=True)
    reference, question = m.group("ref") or m.group("ref2"), m.group("q") or m.group("q2")
    return Query(text, _resolve_it(question.strip(), reference.strip()), reference.strip())


# "it" standing for the document, in a question split off its reference: not the dummy subject
# of "is it possible", not "IT", and not after "the manual": there "it" is the product.
_IT = re.compile(
    r"\b(?P<it>[Ii]ts?)\b(?!\s+(?:possible|allowed|permitted|necessary|required|true|legal|ok|okay"
    r"|likely|clear|mandatory)\b)"
)
_CONTRACT_KIND = re.compile(rf"\b({_CONTRACT_KINDS})\b\W*$", re.IGNORECASE)


def _resolve_it(question: str, reference: str) -> str:
    """The question with its first "it" read as the contract named before it.

    "In the Sykes agreement, how long does it last?" is searched, and put to the model, as "how
    long does the agreement last?": "how long does it last?" alone found no term clause."""
    kind = _CONTRACT_KIND.search(reference)
    m = _IT.search(question)
    if kind is None or m is None:
        return question
    the = f"the {kind.group(1).lower()}" + ("'s" if m.group("it").lower() == "its" else "")
    return f"{question[: m.start()]}{the}{question[m.end() :]}"
