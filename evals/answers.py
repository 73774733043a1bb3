"""Answer quality: token F1 / ROUGE-L (E-Manual), normalised match (CUAD), citation precision,
abstention precision and recall on unanswerable questions, format errors, latency."""

from __future__ import annotations

import re
import statistics
import string
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from evals import cuad, emanual
from rag.answer import Answer, Answerer
from rag.lexical import porter_stems


@dataclass(frozen=True)
class Item:
    question: str
    gold: str
    # Is a citation right? Gets the citation's (source, start, end).
    cited_ok: Callable[[str, int, int], bool]


def emanual_items(path: Path) -> list[Item]:
    qs, _ = emanual.load_questions(path)

    def in_gold(q: emanual.Question) -> Callable[[str, int, int], bool]:
        return lambda src, s, e: src[len(emanual.PREFIX) :] in q.gold

    return [Item(q.question, q.answer, in_gold(q)) for q in qs]


def cuad_items(path: Path, names: set[str] | None = None) -> list[Item]:
    def overlaps(q: cuad.Question) -> Callable[[str, int, int], bool]:
        return lambda src, s, e: (
            Path(src).name == q.file and any(s < b and a < e for a, b in q.gold)
        )

    return [
        Item(q.query, a, overlaps(q))
        for q, a in cuad.load_tests(path)
        if names is None or q.file in names
    ]


def load_any(path: Path) -> list[Item]:
    """Unanswerable questions may come in either layout."""
    return cuad_items(path) if path.suffix == ".json" else emanual_items(path)


def every(items: list[Item], limit: int | None) -> list[Item]:
    """A spread-out, repeatable subset (every n-th), not just the first few."""
    if limit is None or limit >= len(items):
        return items
    step = len(items) / limit
    return [items[int(i * step)] for i in range(limit)]


# -- scoring ------------------------------------------------------------------------------
def _tokens(text: str) -> list[str]:
    text = text.lower().translate(str.maketrans("", "", string.punctuation))
    return [t for t in text.split() if t not in ("a", "an", "the")]


def token_f1(pred: str, gold: str) -> float:
    p, g = _tokens(pred), _tokens(gold)
    common = sum((Counter(p) & Counter(g)).values())
    if not p or not g or common == 0:
        return 0.0
    precision, recall = common / len(p), common / len(g)
    return 2 * precision * recall / (precision + recall)


def rouge_l(pred: str, gold: str) -> float:
    p, g = _tokens(pred), _tokens(gold)
    if not p or not g:
        return 0.0
    prev = [0] * (len(g) + 1)
    for x in p:
        cur = [0]
        for j, y in enumerate(g, start=1):
            cur.append(prev[j - 1] + 1 if x == y else max(prev[j], cur[-1]))
        prev = cur
    lcs = prev[-1]
    if lcs == 0:
        return 0.0
    precision, recall = lcs / len(p), lcs / len(g)
    return 2 * precision * recall / (precision + recall)


_DATE = re.compile(r"(\d{1,2})/(\d{1,2})/(\d{2,4})")
_MONTHS = [
    "january",
    "february",
    "march",
    "april",
    "may",
    "june",
    "july",
    "august",
    "september",
    "october",
    "november",
    "december",
]


# Number words a contract spells a term in ("one (1) year"), as CUAD's answers write them.
_NUMBERS = "zero one two three four five six seven eight nine ten eleven twelve"
_NUMBER_WORDS = {w: str(n) for n, w in enumerate(_NUMBERS.split())}


def _terms(text: str) -> set[str]:
    """The stemmed content words and numbers of a short answer ("perpetuity": "perpetual"), as
    BM25 stems them, number words read as digits."""
    return porter_stems(re.sub(r"\w+", lambda m: _NUMBER_WORDS.get(m[0].lower(), m[0]), text))


def normalized_match(pred: str, gold: str) -> bool:
    """CUAD's short answers: Yes/No, a date (m/d/yy), or a place or term ("New York",
    "perpetual", "successive 1 year"), whose words the answer must hold, stemmed, with numbers
    spelled either way; a term with alternatives ("180 days / 6 months") matches either."""
    p, g = " ".join(_tokens(pred)), " ".join(_tokens(gold))
    if not g:
        return False
    if g in ("yes", "no"):
        first = p.split()[:3]
        return g in first or (g == "yes" and bool(p) and "no" not in first and "not" not in first)
    m = _DATE.fullmatch(gold.strip())
    if m is not None:
        month, day, year = int(m.group(1)), int(m.group(2)), m.group(3)
        year = year if len(year) == 4 else ("20" if int(year) < 50 else "19") + year
        spelled = f"{_MONTHS[month - 1]} {day} {year}" if 1 <= month <= 12 else ""
        return (bool(spelled) and spelled in p) or f"{month} {day} {year}" in p
    said = _terms(pred)
    return any(_terms(alt) <= said for alt in gold.split(" / ") if _terms(alt))


def evaluate(
    answerer: Answerer, items: Sequence[Item], unanswerable: Sequence[Item], kind: str, mode: str
) -> dict[str, object]:
    rows = [(it, answerer.answer(it.question, mode)) for it in items]
    refusals = [answerer.answer(it.question, mode) for it in unanswerable]
    answered = [(it, a) for it, a in rows if not a.abstained]
    metrics: dict[str, float] = {}
    if kind == "emanual":
        metrics["token_f1"] = statistics.fmean(token_f1(a.text, it.gold) for it, a in rows)
        metrics["rougeL"] = statistics.fmean(rouge_l(a.text, it.gold) for it, a in rows)
    else:
        metrics["match"] = statistics.fmean(normalized_match(a.text, it.gold) for it, a in rows)
    cites = [
        it.cited_ok(c.source, c.start, c.end)
        for it, a in answered
        for s in a.sentences
        for c in s.citations
    ]
    metrics["citation_precision"] = statistics.fmean(cites) if cites else 0.0
    generated = [a for _, a in answered if a.mode == "generate"]
    metrics["format_error_rate"] = (
        statistics.fmean(a.format_errors > 0 for a in generated) if generated else 0.0
    )
    metrics["answered_rate"] = len(answered) / len(rows) if rows else 0.0
    if unanswerable:
        abstained_bad = sum(a.abstained for a in refusals)
        abstained_all = abstained_bad + sum(a.abstained for _, a in rows)
        metrics["abstain_recall"] = abstained_bad / len(refusals)
        metrics["abstain_precision"] = abstained_bad / abstained_all if abstained_all else 0.0
    metrics.update(_latency([a for _, a in rows] + refusals))
    questions = [_record(it, a, kind, True) for it, a in rows]
    questions += [_record(it, a, kind, False) for it, a in zip(unanswerable, refusals, strict=True)]
    return {"metrics": metrics, "n_unanswerable": len(unanswerable), "questions": questions}


def _record(it: Item, a: Answer, kind: str, answerable: bool) -> dict[str, object]:
    """One question as asked: what came back, and how it scored (`--details`)."""
    score: dict[str, object] = {}
    if answerable and kind == "emanual":
        score = {"token_f1": token_f1(a.text, it.gold), "rougeL": rouge_l(a.text, it.gold)}
    elif answerable:
        score = {"match": normalized_match(a.text, it.gold)}
    return {
        "question": it.question,
        "answerable": answerable,
        "gold": it.gold if answerable else None,
        "answer": a.text,
        "abstained": a.abstained,
        "reason": a.reason,
        "raw": a.raw,
        **score,
        # Whether each citation, and each given source, overlaps the gold evidence.
        "citations": [
            {
                "n": c.n,
                "source": c.source,
                "quote": c.quote,
                "correct": it.cited_ok(c.source, c.start, c.end),
            }
            for s in a.sentences
            for c in s.citations
        ],
        "sources": [
            {
                "n": s.n,
                "source": s.hit.source,
                "relevance": round(s.relevance, 3),
                "gold": it.cited_ok(s.hit.source, s.start, s.end),
            }
            for s in a.sources
        ],
        "format_errors": a.format_errors,
        "seconds": round(a.timings.get("total_s", 0.0), 3),
    }


def _latency(answers: Sequence[Answer]) -> dict[str, float]:
    def p(values: list[float], q: float) -> float:
        values = sorted(values)
        return values[min(len(values) - 1, int(q * len(values)))] if values else 0.0

    total = [a.timings.get("total_s", 0.0) for a in answers]
    ttft = [a.timings["ttft_s"] for a in answers if "ttft_s" in a.timings]
    prompt = [float(a.prompt_tokens) for a in answers if a.prompt_tokens]
    speed = [
        a.prompt_tokens / a.timings["ttft_s"]
        for a in answers
        if a.prompt_tokens and "ttft_s" in a.timings
    ]
    return {
        "latency_p50_s": p(total, 0.5),
        "latency_p95_s": p(total, 0.95),
        "ttft_p50_s": p(ttft, 0.5),
        "prompt_tokens_p50": p(prompt, 0.5),
        "prompt_tokens_per_s_p50": p(speed, 0.5),
    }
