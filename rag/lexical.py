"""BM25 over the catalog's three FTS5 tables: chunks, sections, and document openings.

Every query takes an optional set of document row ids it may return (a routed question, a
caller's permissions): the restriction is part of the SQL, never a filter applied afterwards,
so results are never silently cut short.
"""

from __future__ import annotations

import functools
import math
import re
import sqlite3
from collections.abc import Callable, Collection, Iterable, Mapping

from rag.catalog import IN_JSON, ids_json

# Function words carry no evidence for BM25 and only slow FTS5 down (every chunk has "the").
STOPWORDS = frozenset(
    """a about above after again against all am an and any are as at be because been before
    being below between both but by can could did do does doing down during each few for from
    further had has have having he her here hers herself him himself his how i if in into is it
    its itself just me more most my myself no nor not of off on once only or other our ours
    ourselves out over own same she should so some such than that the their theirs them
    themselves then there these they this those through to too under until up very was we were
    what when where which while who whom why will with would you your yours yourself
    yourselves""".split()  # noqa: SIM905
)
_WORD = re.compile(r"\w+", re.UNICODE)


def content_words(text: str) -> list[str]:
    return list(dict.fromkeys(w for w in _WORD.findall(text.lower()) if w not in STOPWORDS))


def porter_stems(text: str) -> set[str]:
    """Content words as the BM25 index stems them ("includes" and "include" alike)."""
    stem = stemmer()
    return {stem(w) for w in content_words(text)}


def fts_query(text: str, prefixes: Collection[str] = ()) -> str:
    """An FTS5 MATCH expression: the content words of `text`, OR-ed, each quoted; those in
    `prefixes` also match the words they begin ("GSV": "GSVINC")."""
    return " OR ".join(f'"{w}"' + "*" * (w in prefixes) for w in content_words(text))


# Words in more than this share of chunks are dropped from a query (unless nothing is left):
# their idf is near zero, yet ranking every chunk they appear in makes BM25 slow on big
# collections ("agreement" in a contract collection).
MAX_DF = 0.25


@functools.lru_cache(maxsize=1)
def stemmer() -> Callable[[str], str]:
    import Stemmer

    # Snowball's "porter" is the original algorithm, as FTS5's porter tokenizer implements it
    # (the same stems as nltk's ORIGINAL_ALGORITHM on the 11,174 words of the public corpora,
    # which took a second to import: the first search of every process paid it).
    return Stemmer.Stemmer("porter").stemWord  # type: ignore[no-any-return]


def frequencies(
    conn: sqlite3.Connection, terms: Iterable[str], known: dict[str, int] | None = None
) -> tuple[dict[str, int], int]:
    """How many chunks hold each stemmed term (term -> count), and how many chunks there are.
    `known` caches counts between calls on the same snapshot (a frequent term costs ~1 ms to
    count)."""
    df = {} if known is None else known
    # One equality lookup per term: with `term IN (...)` SQLite scans the vocabulary instead
    # (15 ms for 8 terms at 100,000 chunks, against under 1 ms a term).
    for term in set(terms) - df.keys():
        row = conn.execute("SELECT doc FROM chunks_vocab WHERE term = ?", (term,)).fetchone()
        df[term] = 0 if row is None else int(row[0])
    row = conn.execute("SELECT value FROM meta WHERE key = 'chunks'").fetchone()
    return df, 0 if row is None else int(row[0])


def idf(df: int, total: int) -> float:
    """BM25's inverse document frequency: near 0 for a word in every chunk, never below."""
    return math.log(1 + (total - df + 0.5) / (df + 0.5))


def weighted_overlap(claim: set[str], source: set[str], weight: Mapping[str, float]) -> float:
    """Share of the claim's stems (`porter_stems`: "prime" is in "Priming the pump") found in the
    source's (0..1), each counted by its `weight` (stem -> weight, 1 where absent;
    `Searcher.idf` gives one)."""
    total = sum(weight.get(w, 1.0) for w in claim)
    return sum(weight.get(w, 1.0) for w in claim & source) / total if total > 0 else 0.0


def match_expression(
    conn: sqlite3.Connection, text: str, known: dict[str, int] | None = None
) -> str:
    """`fts_query` without the words that occur in most chunks (`known`: as `frequencies`),
    with each word as the chunks spell it (`_spelled`, `hyphenated`)."""
    words = content_words(text)
    joined = [w for w in hyphenated(text) if w not in words]
    stem = {w: stemmer()(w) for w in [*words, *joined]}
    df, total = frequencies(conn, stem.values(), known)
    sift = len(words) > 1 and total > 0  # a lone word stays, however common
    kept = [w for w in words if not sift or df[stem[w]] <= MAX_DF * total]
    if not kept and words:
        kept = [min(words, key=lambda w: df[stem[w]])]
    terms = [_spelled(conn, w, df[stem[w]], known) for w in kept]
    terms += [f'"{w}"' for w in joined if 0 < df[stem[w]] <= MAX_DF * max(total, 1)]
    return " OR ".join(dict.fromkeys(terms))


_HYPHENATED = re.compile(r"[^\W_]+(?:-[^\W_]+)+")


def hyphenated(text: str) -> list[str]:
    """The hyphenated words of `text` written as one, lowercased: "e-mail" as "email", which
    another text may write instead ("Wi-Fi" and "wifi")."""
    return list(dict.fromkeys(m.replace("-", "") for m in _HYPHENATED.findall(text.lower())))


def _spelled(conn: sqlite3.Connection, word: str, df: int, known: dict[str, int] | None) -> str:
    """The FTS5 term for a query word: the word, quoted; a word no chunk holds ("wifi", "play
    store" run together) as the two words it joins, where chunks hold them side by side
    ("Wi-Fi", which the tokenizer reads as "wi" "fi"). A support agent types "wifi"; the
    manual says "Wi-Fi" throughout, and BM25 found none of it."""
    if df > 0 or len(word) < 4 or not word.isalpha():
        return f'"{word}"'
    splits = [(word[:i], word[i:]) for i in range(2, len(word) - 1)]
    parts = {p for pair in splits for p in pair}
    stem = {p: stemmer()(p) for p in parts}
    counts, _ = frequencies(conn, stem.values(), known)
    for a, b in splits:
        if counts[stem[a]] and counts[stem[b]]:
            phrase = f'"{a} {b}"'
            found = conn.execute(
                "SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ? LIMIT 1", (phrase,)
            ).fetchone()
            if found:
                return phrase
    return f'"{word}"'


def _restrict(column: str, documents: Collection[int] | None) -> tuple[str, list[str]]:
    if documents is None:
        return "", []
    return f" AND {column} IN {IN_JSON}", [ids_json(documents)]


def chunks(
    conn: sqlite3.Connection,
    text: str,
    limit: int,
    documents: Collection[int] | None = None,
    match: str | None = None,
) -> list[tuple[int, float]]:
    """(chunk row id, score) best first. FTS5's bm25() is lower-is-better, so it is negated.
    `match` is `match_expression(conn, text)` when the caller has it already."""
    match = match_expression(conn, text) if match is None else match
    if not match or (documents is not None and not documents):
        return []
    where, args = _restrict("rowid IN (SELECT id FROM chunks WHERE document", documents)
    where = where + ")" if where else ""
    rows = conn.execute(
        f"SELECT rowid, bm25(chunks_fts) AS s FROM chunks_fts WHERE chunks_fts MATCH ?{where} "
        "ORDER BY s LIMIT ?",
        (match, *args, limit),
    )
    return [(int(r[0]), -float(r[1])) for r in rows]


def sections(
    conn: sqlite3.Connection,
    text: str,
    limit: int,
    documents: Collection[int] | None = None,
    match: str | None = None,
) -> list[tuple[int, float]]:
    """(section id, score) best first."""
    match = match_expression(conn, text) if match is None else match
    if not match or (documents is not None and not documents):
        return []
    where, args = _restrict("rowid IN (SELECT id FROM sections WHERE document", documents)
    where = where + ")" if where else ""
    rows = conn.execute(
        f"SELECT rowid, bm25(sections_fts) AS s FROM sections_fts WHERE sections_fts MATCH ?"
        f"{where} ORDER BY s LIMIT ?",
        (match, *args, limit),
    )
    return [(int(r[0]), -float(r[1])) for r in rows]


def documents(
    conn: sqlite3.Connection,
    text: str,
    limit: int,
    documents: Collection[int] | None = None,
    prefixes: Collection[str] = (),
) -> list[tuple[int, float]]:
    """(document row id, score) best first, over titles (weighted up) and openings; words in
    `prefixes` match as in `mentions`."""
    match = fts_query(text, prefixes)
    if not match or (documents is not None and not documents):
        return []
    where, args = _restrict("rowid", documents)
    rows = conn.execute(
        "SELECT rowid, bm25(documents_fts, 5.0, 1.0) AS s FROM documents_fts "
        f"WHERE documents_fts MATCH ?{where} ORDER BY s LIMIT ?",
        (match, *args, limit),
    )
    return [(int(r[0]), -float(r[1])) for r in rows]


def mentions(conn: sqlite3.Connection, word: str, documents: Collection[int] | None = None) -> bool:
    """Whether a word, or a word it begins ("GSV" of "GSVINC"), is in any chunk or document
    title (among `documents`)."""
    match = f'"{word.replace(chr(34), "")}"*'
    if documents is not None and not documents:
        return False
    where, args = _restrict("rowid IN (SELECT id FROM chunks WHERE document", documents)
    where = where + ")" if where else ""
    if conn.execute(
        f"SELECT 1 FROM chunks_fts WHERE chunks_fts MATCH ?{where} LIMIT 1", (match, *args)
    ).fetchone():
        return True
    where, args = _restrict("rowid", documents)
    return bool(
        conn.execute(
            f"SELECT 1 FROM documents_fts WHERE documents_fts MATCH ?{where} LIMIT 1",
            (match, *args),
        ).fetchone()
    )


def document_head(conn: sqlite3.Connection, rowid: int) -> str:
    """The title and opening a document is routed by."""
    row = conn.execute("SELECT title, head FROM documents_fts WHERE rowid = ?", (rowid,)).fetchone()
    return "" if row is None else f"{row[0]} {row[1]}"


def chunks_of_sections(conn: sqlite3.Connection, ids: Iterable[int]) -> dict[int, list[int]]:
    ids = list(ids)
    if not ids:
        return {}
    out: dict[int, list[int]] = {i: [] for i in ids}
    rows = conn.execute(
        f"SELECT section, id FROM chunks WHERE section IN ({','.join('?' * len(ids))}) "
        "ORDER BY section, ordinal",
        ids,
    )
    for section, chunk in rows:
        out[int(section)].append(int(chunk))
    return out


def chunk_ids_of(conn: sqlite3.Connection, documents: Collection[int]) -> list[int]:
    if not documents:
        return []
    rows = conn.execute(f"SELECT id FROM chunks WHERE document IN {IN_JSON}", [ids_json(documents)])
    return [int(r[0]) for r in rows]
