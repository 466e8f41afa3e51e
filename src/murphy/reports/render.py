"""A report (sections) as stand-alone HTML or as PDF (fpdf2, core fonts, Latin-1)."""

from __future__ import annotations

import io
import logging
from collections.abc import Sequence
from pathlib import Path

from fpdf import FPDF
from jinja2 import Environment, FileSystemLoader, select_autoescape

from murphy.reports.schemas import Report, Section

WEB = Path(__file__).parent.parent / "web"
_ENV = Environment(
    loader=FileSystemLoader(WEB / "templates"), autoescape=select_autoescape(["html"])
)
_FONT = "Helvetica"
logging.getLogger("fpdf.svg").setLevel(logging.ERROR)  # <title>/<desc> are skipped, fine
_LATIN1 = {
    "\u2192": "->", "\u2190": "<-", "\u2194": "<->", "\u21d2": "=>",
    "\u2018": "'", "\u2019": "'", "\u201a": ",", "\u201c": '"', "\u201d": '"', "\u201e": '"',
    "\u2013": "-", "\u2014": "-", "\u2212": "-", "\u2026": "...", "\u2022": "*", "\u00a0": " ",
    "\u2264": "<=", "\u2265": ">=", "\u2713": "v", "\u2717": "x", "\u20ac": "EUR",
}  # fmt: skip


def latin1(text: object) -> str:
    """`text` in Latin-1 for the PDF core fonts: arrows, quotes, dashes mapped, '?' for the rest."""
    out = "".join(_LATIN1.get(ch, ch) for ch in str(text))
    return out.encode("latin-1", "replace").decode("latin-1")


def html(report: Report) -> str:
    """A self-contained HTML document (inline CSS) that prints cleanly."""
    css = "\n".join(
        (WEB / "static" / name).read_text(encoding="utf-8")
        for name in ("analytics.css", "reports.css")
    )
    return _ENV.get_template("report_document.html").render(report=report, css=css)


class _Pdf(FPDF):
    """An A4 page with the report's header and 'page X of Y' footer."""

    def __init__(self, report: Report) -> None:
        orientation = "L" if any(len(s.columns) > 5 for s in report.sections) else "P"
        super().__init__(orientation=orientation, format="A4")
        self.report = report
        self.alias_nb_pages()
        self.set_auto_page_break(auto=True, margin=15)
        self.set_title(latin1(report.title))

    def header(self) -> None:
        """Report name, site, period, generated at and by whom."""
        r = self.report
        self.set_font(_FONT, "B", 14)
        self.cell(0, 7, latin1(r.title), new_x="LMARGIN", new_y="NEXT")
        self.set_font(_FONT, "", 9)
        line = (
            f"Site: {r.site}   Period: {r.period}   Generated: {r.generated_at} by {r.generated_by}"
        )
        self.cell(0, 5, latin1(line), new_x="LMARGIN", new_y="NEXT")
        self.line(self.l_margin, self.get_y() + 1, self.w - self.r_margin, self.get_y() + 1)
        self.ln(4)

    def footer(self) -> None:
        """Page X of Y."""
        self.set_y(-12)
        self.set_font(_FONT, "", 8)
        self.cell(0, 6, f"Murphy - page {self.page_no()} of {{nb}}", align="C")


def pdf(report: Report) -> bytes:
    """The report as PDF bytes: every section as headings, pairs, flags, tables, text."""
    doc = _Pdf(report)
    doc.add_page()
    for section in report.sections:
        _section(doc, section)
    return bytes(doc.output())


def _section(doc: FPDF, s: Section) -> None:
    doc.set_font(_FONT, "B", 12)
    doc.cell(0, 8, latin1(s.heading), new_x="LMARGIN", new_y="NEXT")
    doc.set_font(_FONT, "", 9)
    for text in s.paragraphs:
        doc.multi_cell(0, 5, latin1(text), new_x="LMARGIN", new_y="NEXT")
    for key, value in s.pairs:
        doc.set_font(_FONT, "B", 9)
        doc.cell(55, 5, latin1(key))
        doc.set_font(_FONT, "", 9)
        doc.multi_cell(0, 5, latin1(value), new_x="LMARGIN", new_y="NEXT")
    for chart in s.charts:
        doc.image(io.BytesIO(chart.encode("utf-8")), w=min(150, doc.epw))
    for flag in s.flags:
        doc.set_text_color(150, 60, 0)
        doc.multi_cell(0, 5, latin1(f"! {flag}"), new_x="LMARGIN", new_y="NEXT")
        doc.set_text_color(0, 0, 0)
    if s.columns and s.rows:
        _table(doc, s)
    elif s.empty and not (s.paragraphs or s.pairs or s.flags):
        doc.set_font(_FONT, "I", 9)
        doc.cell(0, 5, latin1(s.empty), new_x="LMARGIN", new_y="NEXT")
    doc.ln(3)


ROW_HEIGHT = 4.5  # mm: one line of 8 pt text


def _table(doc: FPDF, s: Section) -> None:
    """A table of one-line cells, cut to fit with "...", its heading row repeated on each
    page: plain cells (fpdf2's own tables wrap every cell and take seconds for a few
    thousand rows)."""
    widths = _widths(doc, s)
    _row(doc, s.columns, widths, heading=True)
    doc.set_font(_FONT, "", 8)
    for values in s.rows:
        if doc.will_page_break(ROW_HEIGHT):
            doc.add_page()
            _row(doc, s.columns, widths, heading=True)
        _row(doc, values, widths)


def _widths(doc: FPDF, s: Section) -> list[float]:
    """Column widths from the longest value of each (at most 45 characters), filling the page."""
    chars = [
        min(max(len(str(v)) for v in [c, *(r[i] for r in s.rows if i < len(r))]), 45) + 3
        for i, c in enumerate(s.columns)
    ]
    return [doc.epw * c / sum(chars) for c in chars]


def _row(
    doc: FPDF, values: Sequence[object], widths: Sequence[float], heading: bool = False
) -> None:
    if heading:
        doc.set_font(_FONT, "B", 8)
        doc.set_fill_color(230, 230, 230)
    for width, value in zip(widths, values, strict=False):
        doc.cell(width, ROW_HEIGHT, _fit(doc, latin1(value), width - 2), border=1, fill=heading)
    doc.ln(ROW_HEIGHT)
    if heading:
        doc.set_font(_FONT, "", 8)


def _fit(doc: FPDF, text: str, width: float) -> str:
    """`text` cut (with "...") to fit `width` mm in the current font."""
    if doc.get_string_width(text) <= width:
        return text
    while text and doc.get_string_width(text + "...") > width:
        text = text[: max(0, int(len(text) * 0.9) - 1)]
    return text + "..." if text else ""
