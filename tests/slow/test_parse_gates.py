"""PDF text quality gate: the 40 public CUAD PDFs parsed against CUAD's .txt of each. Figures
when this gate was set, from bench/pdf_text.py (PARSER_VERSION 14 before it): coverage 0.984
(0.959: the parser's header and footer labels dropped preambles and headings), noise 0.0099
(0.0190: words run together on a page whose running line came first), sentences whole 0.896
(0.833: sentences split where the font changes); on PARSER_VERSION 16, sentences whole 0.907
(0.896: cross-references and defined terms split across lines, capitals after an article)."""

from __future__ import annotations

from evals import pdf_text
from tests.slow.conftest import SHARED


def test_pdf_text_is_read_whole() -> None:
    figures = pdf_text.means(pdf_text.measure_all(SHARED / "cuad"))
    assert figures["coverage"] >= 0.98, figures
    assert figures["noise"] <= 0.011, figures
    assert figures["sentences_whole"] >= 0.90, figures
