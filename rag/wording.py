"""What a sentence says, read word by word: the figures it states, the names it holds, whether
it affirms or denies, and what a question asks about. The verifier (`rag.verify`) and extract
mode (`rag.answer`) judge answers by these; no model is involved."""

from __future__ import annotations

import re

from rag.lexical import porter_stems
from rag.text import stems

# A question a bare restatement answers: "Is there a cap on liability?" -> "There is a cap on
# liability." is a verdict; "How can I encrypt the SD card?" -> "Encrypt SD card." is not.
YES_NO = re.compile(
    r"\s*(?:is|are|am|was|were|do|does|did|can|could|will|would|shall|should|may|might|must"
    r"|has|have|had)\b",
    re.IGNORECASE,
)


# "Is there a cap on liability?", "Are there any audit rights?", "Does this contract include
# an exclusivity clause?", "Does the licensee's affiliates have any licensing rights?": whether
# the document has something (the `thing`). ("Is there any way to stop the recording?" asks how.)
_EXISTS = re.compile(
    r"\s*(?:(?:is|are)\s+there|(?:does|do|will|shall)\s+(?:the|this|that|it)\b(?:\s+[\w'’]+){0,2}"
    r"\s+(?:include|contain|have|provide\s+for|grant|impose))\s+(?!(?:an?\s+|any\s+)?way\s+to\b)"
    r"(?:an?\s+|any\s+)?(?P<thing>[^?]+)",
    re.IGNORECASE,
)
_WHERE = re.compile(
    r"\s+(?:in|under|of|within)\s+(?:the|this|that)\s+"
    r"(?:agreement|contract|lease|license|document)\b.*",
    re.IGNORECASE,
)
_GENERIC = "clause clauses provision provisions agreement agreements contract contracts"


def asked_about(asked: str) -> set[str]:
    """What an existence question asks about, stemmed: {"limitation", "liability"} of "Is there
    a limitation of liability in this agreement?"; empty for any other question."""
    m = _EXISTS.match(asked)
    return set() if m is None else stems(_WHERE.sub("", m.group("thing"))) - stems(_GENERIC)


def matter(asked: str) -> set[str]:
    """What a question asks, as BM25 stems it (`porter_stems`: "laws" is "law"), without a
    verdict's words or generic ones ("Can Sykes terminate the agreement without cause?":
    "syke", "termin", "caus"), nor "another", which `STOPWORDS` lacks: "Can the agreement be
    assigned to another party?" asks "assign" and "party", and "Each party ... is acting on
    its own behalf and not for the benefit of another person" holds only the one. Nor "allow"
    or "permit", a "can" in other words: "Does the license allow sublicensing?" asks
    "sublicens", which "a non-exclusive ... non-sublicensable license" holds."""
    generic = porter_stems(f"{VERDICT} {_GENERIC} another allow allowed permit permitted")
    return {w for w in porter_stems(asked) if len(w) > 1} - generic


def sought(thing: set[str]) -> set[str]:
    """The words of what an existence question asks about (`asked_about`) that say what it
    is ("non-compete": "compete", "noncompete"; not "non"; "audit right": "audit", as every
    contract grants rights: "Garman is the owner of all intellectual property rights" is no
    audit right)."""
    return {w for w in thing if len(w) > 3 and w not in {"right", "rights"}} or thing


VERDICT = "yes cannot possible able"  # words of a verdict, which no passage need hold
# Not the digits of a name: "Galaxy S10", "PS4", "MP3".
_FIGURE = re.compile(r"(?<!\w)\d+(?:[.,:/]\d+)*")
# What numbers a list item or a clause at the start of a line ("1. ", "12.8. Counterparts",
# "4.12 GOVERNING LAW", "Section 21. Third-Party"): no figure the passage states. The model took
# "12.8" from a heading for "the royalty rate is 12.8", and that heading's passage "held" it.
_ENUMERATOR = re.compile(
    r"^[ \t]*(?:(?i:section|article|clause)[ \t]+)?\d+(?:\.\d+)*(?:[.)](?!\d)|(?=[ \t]+[A-Z]))",
    re.MULTILINE,
)


_UNITS = ["two", "three", "four", "five", "six", "seven", "eight", "nine"]
_TEENS = [
    "ten",
    "eleven",
    "twelve",
    "thirteen",
    "fourteen",
    "fifteen",
    "sixteen",
    "seventeen",
    "eighteen",
    "nineteen",
]
_TENS = ["twenty", "thirty", "forty", "fifty", "sixty", "seventy", "eighty", "ninety"]
# Numbers in words, as contracts write them ("five (5) years", "thirty-five days"); "one" only
# in a compound: alone it is more often a pronoun ("no one", "the one you want") than a figure.
_SPELLED = (
    dict(zip(_UNITS, range(2, 10), strict=True))
    | dict(zip(_TEENS, range(10, 20), strict=True))
    | dict(zip(_TENS, range(20, 100, 10), strict=True))
)
_NUMBER_WORD = re.compile(
    rf"\b(?:({'|'.join(_TENS)})[- ](one|{'|'.join(_UNITS)})|({'|'.join(_SPELLED)}))\b",
    re.IGNORECASE,
)


# A sum of money or a percentage: "$25,000", "USD 25,000", "25,000 dollars", "5%", "5 percent".
_MONEY = re.compile(
    r"(?:[$€£]|\b(?:USD|US\$|EUR|GBP)\s?)\s*(\d+(?:[.,]\d+)*)"
    r"|(\d+(?:[.,]\d+)*)\s*(?:dollars|euros|pounds|USD|EUR|GBP)\b",
    re.IGNORECASE,
)
_PERCENT = re.compile(r"(\d+(?:[.,]\d+)*)\s*(?:%|percent\b|per cent\b)", re.IGNORECASE)


_MONTHS = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
# "January", "Jan", "Jan.", "Sept."; capitalised only ("may" is a verb).
_MONTH = (
    r"(?P<month>"
    + "|".join([*_MONTHS, r"Sept\.?", *(rf"{m[:3]}\.?" for m in _MONTHS if len(m) > 3)])
    + r")"
)
_DAY = r"(?P<day>[1-9]|[12]\d|3[01])(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:1[89]|20)\d\d)"
# "October 1, 1998", "October 1", "1 October 1998", "the 31st day of December, 1999",
# "October 1998".
_DATES = [
    re.compile(rf"\b{_MONTH}\s+{_DAY}\b(?:,?\s+{_YEAR}\b)?"),
    re.compile(rf"\b{_DAY}\s+(?:day\s+)?(?:of\s+)?{_MONTH}(?:,?\s+{_YEAR}\b)?"),
    re.compile(rf"\b{_MONTH},?\s+{_YEAR}\b"),
]


def figures(text: str) -> set[str]:
    """The numbers a text states ("2.5", "16:9", "1,000" as "1000", "five" as "5",
    "thirty-five" as "35"), a list's "1. " aside; a sum of money or a percentage also as
    what it is ("$25000", "5%"), so that "$25,000" is not "25,000 shares"; a date also as
    one ("1998-10-01", "10-01", "1998-10"), so that "October 1, 1998" is not "October 1 of
    any year" beside "December 31, 1998"."""
    # Numbers in words become digits first: "five percent" is "5%", as "5 percent" is.
    text = _NUMBER_WORD.sub(_digits, _ENUMERATOR.sub("", text))
    out = {f.replace(",", "") for f in _FIGURE.findall(text)}
    out |= {"$" + (a or b).replace(",", "") for a, b in _MONEY.findall(text)}
    out |= {f.replace(",", "") + "%" for f in _PERCENT.findall(text)}
    return out | dates(text)


def dates(text: str) -> set[str]:
    """The dates a text states, each as precisely as it states it: "October 1, 1998" as
    "1998-10-01", and as "10-01" and "1998-10" (what a shorter mention of it says)."""
    out = set()
    for pattern in _DATES:
        for m in pattern.finditer(text):
            month = next(i for i, name in enumerate(_MONTHS, 1) if m["month"][:3] == name[:3])
            day, year = m.groupdict().get("day"), m["year"]
            if day is not None:
                out.add(f"{month:02d}-{int(day):02d}")
            if year is not None:
                out.add(f"{year}-{month:02d}")
            if day is not None and year is not None:
                out.add(f"{year}-{month:02d}-{int(day):02d}")
    return out


def _digits(m: re.Match[str]) -> str:
    tens, unit, word = (g.lower() if g else g for g in m.groups())
    return str(_SPELLED[tens] + _SPELLED.get(unit, 1) if tens else _SPELLED[word])


# Two fields of a signature block: "By: ____ Name: Title:".
SIGNATURE = re.compile(r"\b(?:By|Name|Title|Its|Date)\s*:.{0,80}?\b(?:Name|Title|Its|Date)\s*:")
_NAME = re.compile(r"(?<=[\w,;:()\"'] )[A-Z][\w'-]*")  # capitalised, not a sentence's first word
# An answer that something is not there: "No services ...", "There is no cap ...", "The
# agreement does not include ...", "The affiliates have no licensing rights" (not any sentence
# with a "not": "X shall not compete").
ABSENCE = re.compile(
    r"^\W*no\b|\bthere\s+(?:is|are|was|were)\s+no\b|\bno\s+such\b|\b(?:has|have|had)\s+no\b"
    r"|\b(?:does|do|did)\s*(?:not|n't)\s+(?:include|contain|have|provide|grant|impose)\b",
    re.IGNORECASE,
)
DENIAL = re.compile(r"\b(?:no|not|never|cannot|none|neither|nor)\b|n't\b", re.IGNORECASE)


# "non-sublicensable", "non-exclusive", "non transferable": what a thing is not. (Not a
# clause's name: a "non-solicitation" clause prevents solicitation.)
_NON = re.compile(r"\bnon[-\s]+(\w+(?:able|ible|ive))\b", re.IGNORECASE)


# "The Distributor shall not assign, transfer, mortgage, charge, ... this agreement ... without
# the prior written consent of the Supplier": what a "not" denies runs to the end of its clause,
# to the exception that follows it, or to the next clause's verb ("Sparkling shall not be
# required to pay any further fees to Garman hereunder, and Garman shall immediately return
# all fees"), up to 30 words.
_SHALL_NOT = r"\b(?:(?:shall|will|may|must|can|could|should|would|does|do|did)\s+not|cannot)"
_NOT = re.compile(
    rf"{_SHALL_NOT}\s+"
    r"(?P<scope>(?:(?!(?:unless|except|provided|without|until|but|other|shall|will|may|must)\b)"
    r"[\w'-]+[\s,]*){1,30})",
    re.IGNORECASE,
)


def negated(text: str) -> set[str]:
    """The words (as BM25 stems them) that `text` holds only negated: by a "non" ("exclus"
    and "sublicens" of "a non-exclusive, non-sublicensable license"; not "solicit" of
    "Non-Solicitation"), or after a "shall not" ("assign" and "transfer" of "The Distributor
    shall not assign, transfer, mortgage ... this agreement"; not "agreement", nor "party", nor
    a name)."""
    # Not the names in it ("... to Garman hereunder, and Garman shall ..."): what is denied
    # is an act.
    denied = [w for m in _NOT.finditer(text) for w in m.group("scope").split() if w.islower()]
    non = porter_stems(" ".join(_NON.findall(text)))
    non |= porter_stems(" ".join(denied)) - porter_stems(f"{_GENERIC} party parties")
    return non - porter_stems(_NOT.sub(" ", _NON.sub(" ", text)))


# What follows a "shall not ..." as its exception, in the same clause: "... without the prior
# written consent of the Supplier". (U+037E, the Greek question mark, is how some PDFs give a
# semicolon.)
_EXCEPT = re.compile(
    rf"{_SHALL_NOT}\b[^;\u037e.]*?\b(?:unless|except|provided|without|until|other\s+than)\b"
    r"(?P<exception>[^;\u037e.]*)",
    re.IGNORECASE,
)


def excepted(text: str) -> set[str]:
    """The words of the exceptions to what `text` denies: "consent" and "supplier" of "The
    Distributor shall not assign ... without the prior written consent of the Supplier"."""
    return porter_stems(" ".join(m.group("exception") for m in _EXCEPT.finditer(text)))


def names(text: str) -> set[str]:
    """The capitalised words of a text that do not open a sentence ("New", "York", "Florida"),
    lowercased; "I" aside."""
    return {word(m) for m in _NAME.findall(text) if len(m) > 1}


def akin(words: set[str], other: set[str]) -> set[str]:
    """The `words` that `other` holds, or holds a word of the same root: one that starts with
    the same six letters ("indemnification": "indemnify", "Indemnity"; "exclusivity":
    "exclusive"). Shorter words only whole."""
    roots = {w[:6] for w in other if len(w) >= 6}
    return {w for w in words if w in other or (len(w) >= 6 and w[:6] in roots)}


def words(text: str) -> set[str]:
    return {word(w) for w in re.findall(r"[\w'-]+", text)}


def word(w: str) -> str:
    """Lowercased, without a possessive: "Samsung's" is "samsung"."""
    return re.sub(r"'s?$", "", w.lower())


def short(text: str) -> bool:
    """A word or two: a label, a menu item, a bare name ("Settings", "Galaxy S10e")."""
    return 0 < len(text.split()) <= 2


# A sentence that announces what follows it ("The parties may terminate this Agreement during
# the Term as follows: (a)", "Therefore, the parties agree as follows: 1.", the model's "To
# factory reset your Galaxy S10, you can follow these steps:", "Tap the following items to
# configure an alarm:"): said alone, it holds none of what it announces.
_LEAD_IN = re.compile(
    r"\b(?:as\s+follows|the\s+following(?:\s+\w+){0,6}|these\s+(?:steps|instructions))\s*:"
    r"\s*(?:\(?[A-Za-z0-9]{1,4}[.)]*|\.)?\s*$",
    re.IGNORECASE,
)


def lead_in(text: str) -> bool:
    return _LEAD_IN.search(text) is not None


# A pointer whose target is lost: "Visit to learn more.", "To open email on your device, see."
# (a PDF's link text is often not in its text layer, and the model copies or imitates what is
# left). It says where to look, and not even that.
_DANGLING = re.compile(
    r"(?:^|[,;:]|\bTIP|\bplease)\s*(?:see|visit|refer\s+to|go\s+to)\s*"
    r"(?:to\s+learn\s+more|for\s+(?:more\s+)?(?:details|information)|for\s+more)?\W*$",
    re.IGNORECASE,
)


def dangling(text: str) -> bool:
    """The sentence ends on a pointer to nothing (not "This is what you see.")."""
    return _DANGLING.search(text) is not None
