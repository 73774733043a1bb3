"""Rebuild the Galaxy S10 manual HTML pages in sample_docs/manuals/ from the E-Manual QA data.

Usage (from anywhere):
    .venv/bin/python sample_docs/build_manuals.py [path/to/s10_manual_raw.json]

A relative path is resolved against the repository root (the parent of sample_docs/);
the default is ../shared/data/emanual/s10_manual_raw.json. Writes one page per top-level
chapter: manuals/galaxy-s10-NN-<slug>.html, then checks each page with BeautifulSoup.
"""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path
from urllib.parse import urljoin

from bs4 import BeautifulSoup

HERE = Path(__file__).resolve().parent
REPO_ROOT = HERE.parent
DEFAULT_SOURCE = "../shared/data/emanual/s10_manual_raw.json"
OUT_DIR = HERE / "manuals"
HEADING = re.compile(r"^h[1-6]$")
# A UTF-8 multi-byte sequence that was decoded as latin-1: lead byte + continuation bytes.
MOJIBAKE_RUN = re.compile(r"[\xc2-\xf4][\x80-\xbf]+")


def repair_mojibake(s: str) -> str:
    r"""Undo UTF-8-read-as-latin-1 ("friendâ\x80\x99s" -> "friend’s") in one fragment."""
    try:
        return s.encode("latin-1").decode("utf-8")
    except UnicodeError:
        pass

    # Some fragments mix mojibake with characters that were decoded correctly ("microSD™"),
    # so the whole-string round trip fails: repair each mojibake run on its own instead.
    def fix(m: re.Match[str]) -> str:
        try:
            return m.group().encode("latin-1").decode("utf-8")
        except UnicodeError:
            return m.group()

    s = MOJIBAKE_RUN.sub(fix, s)
    # A lone "Â" is what is left of "Â\xa0" (a no-break space) after the scraper stripped the
    # \xa0 as whitespace; put the no-break space back.
    return s.replace("\u00c2", "\u00a0")


def slugify(title: str) -> str:
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")


def section_html(sid: str, sec: dict, depth: int, child_heading_ids: set[str]) -> str:
    """One section's fragments, cleaned, in <section id=...> with its heading re-levelled."""
    # The BOM (\ufeff, mojibake "ï»¿") appears inside a few fragments; it is not text.
    fragments = [repair_mojibake(f).replace("\ufeff", "") for f in sec["html"]]
    soup = BeautifulSoup("".join(fragments), "html.parser")
    # The "Features" chapter repeats its children's content (heading ids included) in its own
    # html; drop those copies so each section's text appears once on the page.
    for h in soup.find_all(HEADING):
        if h.get("id") in child_heading_ids and h.parent is not None:
            block = h.find_parent("table") or h
            block.decompose()
    for img in soup.find_all("img"):  # icons whose image files we do not have
        img.decompose()
    for tag in soup.find_all("grouped"):  # not an HTML element; keep its content
        tag.unwrap()
    for a in soup.find_all("a", href=True):  # links pointed at sibling pages of the original site
        a["href"] = urljoin(sec["section_url"], a["href"])
    for i, h in enumerate(soup.find_all(HEADING)):
        h.name = f"h{min(depth if i == 0 else depth + 1, 6)}"
    return f'<section id="{sid}">\n{soup.decode().strip()}\n</section>\n'


def page_html(chapter: str, body: str) -> str:
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Galaxy S10 manual — {chapter}</title>\n</head>\n<body>\n{body}</body>\n</html>\n"
    )


def alnum_count(s: str) -> int:
    # The dataset's plain "text" lines drop non-ASCII characters and move link text around,
    # so compare pages with it by counting ASCII letters and digits only.
    return len(re.findall(r"[A-Za-z0-9]", s))


def build(source: Path) -> list[Path]:
    sections: dict[str, dict] = json.loads(source.read_text(encoding="utf-8"))
    # First heading id of each section, so a parent can recognise copies of its children.
    first_heading_id: dict[str, str | None] = {}
    for sid, sec in sections.items():
        h = BeautifulSoup("".join(sec["html"]), "html.parser").find(HEADING)
        first_heading_id[sid] = h.get("id") if h else None

    chapters: dict[str, list[str]] = {}  # top-level id -> its sections, in document order
    for sid, sec in sections.items():
        chapters.setdefault(sec["section_hierarchy"].split(">")[0], []).append(sid)

    OUT_DIR.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for n, (top, sids) in enumerate(chapters.items(), start=1):
        chapter = sections[top]["title"]
        parts, expected = [], 0
        for sid in sids:
            sec = sections[sid]
            path = sec["section_hierarchy"].split(">")
            children = [s for s in sids if sid in sections[s]["section_hierarchy"].split(">")[:-1]]
            copied = [
                c
                for c in children
                if first_heading_id[c] and f'id="{first_heading_id[c]}"' in "".join(sec["html"])
            ]
            parts.append(section_html(sid, sec, len(path), {first_heading_id[c] for c in copied}))
            # The parent's "text" holds the same copies, so leave them out of the expectation.
            expected += alnum_count(" ".join(sec["text"]))
            expected -= sum(alnum_count(" ".join(sections[c]["text"])) for c in copied)
        out = OUT_DIR / f"galaxy-s10-{n:02d}-{slugify(chapter)}.html"
        out.write_text(page_html(chapter, "".join(parts)), encoding="utf-8")
        check_page(out, chapter, len(sids), expected)
        written.append(out)
    return written


def check_page(path: Path, chapter: str, n_sections: int, expected_alnum: int) -> None:
    """The page parses, has its title and one <section> per source section, and no text was lost."""
    soup = BeautifulSoup(path.read_text(encoding="utf-8"), "html.parser")
    assert soup.title is not None and soup.title.string.endswith(chapter), path
    assert len(soup.find_all("section")) == n_sections, path
    assert soup.body is not None and soup.body.find("h1") is not None, path
    text = " ".join(soup.body.get_text(" ").split())
    got = alnum_count(text)
    assert abs(got - expected_alnum) <= 0.02 * expected_alnum, (path, got, expected_alnum)
    assert "\u00e2\x80" not in text and "\u00c2" not in text, f"mojibake left in {path}"
    print(
        f"{path.name}: {n_sections} sections, {len(text)} chars; "
        f"{got} letters/digits vs {expected_alnum} in the source text"
    )


if __name__ == "__main__":
    arg = sys.argv[1] if len(sys.argv) > 1 else DEFAULT_SOURCE
    source = Path(arg) if Path(arg).is_absolute() else (REPO_ROOT / arg).resolve()
    build(source)
