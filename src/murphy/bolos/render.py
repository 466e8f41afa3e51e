"""A BOLO as a one-page printable PDF (fpdf2, core fonts, Latin-1): the banner, the
photo, who or what, why, the caution, the sites and the dates."""

from __future__ import annotations

import io
from zoneinfo import ZoneInfo

from fpdf import FPDF

from murphy.bolos.schemas import BoloKind, BoloOut

_FONT = "Helvetica"
_RED = (179, 38, 30)
_DARK = (15, 23, 32)
_GREY = (70, 80, 92)
_MAP = {"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"', "\u2013": "-", "\u2014": "-",
        "\u2026": "...", "\u00a0": " ", "\u2192": "->", "\u20ac": "EUR"}  # fmt: skip


def latin1(text: object) -> str:
    """`text` for the PDF core fonts: quotes and dashes mapped, '?' for what Latin-1 lacks."""
    out = "".join(_MAP.get(ch, ch) for ch in str(text))
    return out.encode("latin-1", "replace").decode("latin-1")


def pdf(bolo: BoloOut, photo: bytes | None, *, printed_by: str) -> bytes:
    """The notice on one A4 page, whatever the length of its texts (they are cut short)."""
    doc = FPDF(orientation="P", format="A4")
    doc.set_auto_page_break(auto=False)
    doc.set_margins(14, 12, 14)
    doc.set_title(latin1(f"BOLO {bolo.id}: {bolo.label}"))
    doc.add_page()
    _banner(doc, bolo)
    top = doc.get_y() + 4
    _photo(doc, photo, top)
    _who(doc, bolo, top)
    doc.set_y(max(doc.get_y(), top + 105) + 4)
    rows = _rows(bolo)
    facts_top = doc.h - 18 - 7 * len(rows) - 4
    caution = 7 + 4 * 6.5 + 3 if bolo.caution else 0
    room = int((facts_top - doc.get_y() - 10 - caution) // 6.5)
    _block(doc, "REASON", bolo.reason, max(min(room, 9), 1), _DARK)
    if bolo.caution:
        _block(doc, "CAUTION", bolo.caution, 4, _RED, bold=True)
    doc.set_y(facts_top)
    _facts(doc, rows)
    _footer(doc, bolo, printed_by)
    return bytes(doc.output())


def _banner(doc: FPDF, bolo: BoloOut) -> None:
    doc.set_fill_color(*_RED)
    doc.set_text_color(255, 255, 255)
    doc.set_font(_FONT, "B", 30)
    doc.cell(0, 18, "BE ON THE LOOKOUT", align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
    doc.set_font(_FONT, "B", 13)
    kind = "PERSON" if bolo.kind is BoloKind.PERSON else "VEHICLE"
    state = "" if bolo.state.value == "active" else f"  -  {bolo.state.value.upper()}"
    line = f"{kind}  -  BOLO {bolo.id}{state}"
    doc.cell(0, 8, latin1(line), align="C", fill=True, new_x="LMARGIN", new_y="NEXT")
    doc.set_text_color(*_DARK)


def _photo(doc: FPDF, photo: bytes | None, top: float) -> None:
    x, w, h = doc.l_margin, 80.0, 105.0
    doc.set_draw_color(*_GREY)
    if photo is None:
        doc.rect(x, top, w, h)
        doc.set_xy(x, top + h / 2 - 4)
        doc.set_font(_FONT, "", 12)
        doc.set_text_color(*_GREY)
        doc.cell(w, 8, "No photo", align="C")
        doc.set_text_color(*_DARK)
        return
    doc.image(io.BytesIO(photo), x=x, y=top, w=w, h=h, keep_aspect_ratio=True)


def _who(doc: FPDF, bolo: BoloOut, top: float) -> None:
    x = doc.l_margin + 86
    width = doc.w - doc.r_margin - x
    doc.set_xy(x, top)
    doc.set_font(_FONT, "B", 24)
    _lines(doc, bolo.label, width, 11, 2)
    if bolo.kind is BoloKind.VEHICLE and bolo.name:
        doc.set_font(_FONT, "", 12)
        _lines(doc, bolo.name, width, 6, 2)
    doc.ln(2)
    doc.set_x(x)
    doc.set_font(_FONT, "B", 10)
    doc.set_text_color(*_GREY)
    doc.cell(width, 6, "DESCRIPTION", new_x="LEFT", new_y="NEXT")
    doc.set_text_color(*_DARK)
    doc.set_font(_FONT, "", 12)
    _lines(doc, bolo.description or "No description given.", width, 6, 12)


def _block(
    doc: FPDF,
    title: str,
    text: str,
    max_lines: int,
    colour: tuple[int, int, int],
    bold: bool = False,
) -> None:
    doc.set_x(doc.l_margin)
    doc.set_font(_FONT, "B", 11)
    doc.set_text_color(*colour)
    doc.cell(0, 7, title, new_x="LMARGIN", new_y="NEXT")
    doc.set_font(_FONT, "B" if bold else "", 14 if bold else 12)
    _lines(doc, text, doc.w - doc.l_margin - doc.r_margin, 6.5, max_lines)
    doc.set_text_color(*_DARK)
    doc.ln(3)


def _rows(bolo: BoloOut) -> list[tuple[str, str]]:
    tz = ZoneInfo(bolo.tz)
    rows = [
        ("Sites", ", ".join(bolo.sites) or "-"),
        ("Incident", bolo.incident or "-"),
        ("Issued", f"{bolo.issued_at.astimezone(tz):%Y-%m-%d %H:%M %Z} by {bolo.issued_by}"),
        ("Expires", f"{bolo.expires_at.astimezone(tz):%Y-%m-%d %H:%M %Z} ({bolo.expires_in})"),
    ]
    if bolo.cancelled_at:
        when = f"{bolo.cancelled_at.astimezone(tz):%Y-%m-%d %H:%M %Z}"
        rows.append(("Cancelled", f"{when} by {bolo.cancelled_by}: {_cut(bolo.cancel_reason, 80)}"))
    return rows


def _facts(doc: FPDF, rows: list[tuple[str, str]]) -> None:
    doc.set_draw_color(*_GREY)
    doc.line(doc.l_margin, doc.get_y(), doc.w - doc.r_margin, doc.get_y())
    doc.ln(2)
    for label, value in rows:
        doc.set_font(_FONT, "B", 11)
        doc.cell(30, 7, label)
        doc.set_font(_FONT, "", 11)
        doc.cell(0, 7, latin1(_cut(value, 95)), new_x="LMARGIN", new_y="NEXT")


def _footer(doc: FPDF, bolo: BoloOut, printed_by: str) -> None:
    doc.set_xy(doc.l_margin, doc.h - 14)
    doc.set_font(_FONT, "", 8)
    doc.set_text_color(*_GREY)
    line = f"Murphy - BOLO {bolo.id}, version {bolo.version} - printed by {printed_by}."
    line += " Report sightings to the control room; do not act on an expired notice."
    doc.cell(0, 5, latin1(line), align="C")


def _lines(doc: FPDF, text: str, width: float, height: float, max_lines: int) -> None:
    """`text` wrapped to `width`, at most `max_lines` lines (the last ends in '...')."""
    x = doc.get_x()
    found = doc.multi_cell(width, height, latin1(text), dry_run=True, output="LINES")
    lines = [str(line) for line in found] if isinstance(found, list) else []
    if len(lines) > max_lines:
        lines = [*lines[: max_lines - 1], lines[max_lines - 1].rstrip()[:-3] + "..."]
    for line in lines:
        doc.set_x(x)
        doc.cell(width, height, line, new_x="LEFT", new_y="NEXT")


def _cut(text: str, size: int) -> str:
    return text if len(text) <= size else text[: size - 3].rstrip() + "..."
