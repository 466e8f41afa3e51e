"""A ban or trespass notice as a one-page PDF to hand over or post (fpdf2, core fonts)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF

from murphy.bans.schemas import KIND_LABELS, SERVED_LABELS, BanOut

_FONT = "Helvetica"
_WARNING = (
    "If you enter the premises named above during this period you will be treated as a"
    " trespasser: you will be asked to leave, may be removed, and the police may be called."
)


@dataclass(frozen=True)
class Notice:
    """What the printed notice shows besides the ban: birth date, site names, time zone."""

    ban: BanOut
    born: date | None
    sites: list[str]  # "HQ - Riverside HQ"
    timezone: str


def latin1(text: object) -> str:
    """`text` for the PDF core fonts: typographic quotes and dashes plain, '?' for the rest."""
    plain = str(text).translate(str.maketrans("‘’“”–—…", "''\"\"--."))
    return plain.encode("latin-1", "replace").decode("latin-1")


def pdf(notice: Notice) -> bytes:
    """One A4 page: to whom, which premises, from and until when, why, the conditions,
    how it was served, and lines to sign."""
    b, zone = notice.ban, ZoneInfo(notice.timezone)
    doc = FPDF(format="A4")
    doc.set_auto_page_break(auto=True, margin=22)  # one page unless the reason is very long
    doc.add_page()
    title = "TRESPASS NOTICE" if b.kind.value == "trespass" else "NOTICE OF BAN"
    doc.set_title(f"{title} {b.id}")
    doc.set_font(_FONT, "B", 22)
    doc.cell(0, 12, title, new_x="LMARGIN", new_y="NEXT")
    doc.set_font(_FONT, "", 9)
    doc.cell(
        0,
        5,
        latin1(f"Reference: ban {b.id}, incident {b.incident or '-'}"),
        new_x="LMARGIN",
        new_y="NEXT",
    )
    doc.ln(6)
    born = f" (born {notice.born:%d %B %Y})" if notice.born else ""
    _pair(doc, "To", f"{b.name}{born}")
    _pair(doc, "Premises", "; ".join(notice.sites))
    _pair(doc, "From", _when(b.starts_at, zone))
    _pair(doc, "Until", _when(b.ends_at, zone))
    _pair(doc, "Reason", b.reason)
    _pair(doc, "Conditions", b.conditions or "None")
    if b.served_how is not None and b.served_at is not None:
        _pair(
            doc,
            "Served",
            f"{SERVED_LABELS[b.served_how]} by {b.served_by}, {_when(b.served_at, zone)}",
        )
    _pair(doc, "Issued", f"{_when(b.issued_at, zone)} by {b.issued_by}")
    _warning_and_signatures(doc, b)
    return bytes(doc.output())


def _warning_and_signatures(doc: FPDF, b: BanOut) -> None:
    """The warning, lines for both signatures, and the reference at the foot."""
    doc.ln(4)
    doc.set_font(_FONT, "B", 11)
    doc.multi_cell(0, 6, latin1(_WARNING), new_x="LMARGIN", new_y="NEXT")
    doc.ln(16)
    doc.set_font(_FONT, "", 10)
    for who in ("Served by", f"Received by {b.name}"):
        doc.cell(
            0,
            6,
            latin1(f"{who}: ________________________________   Date: ____________"),
            new_x="LMARGIN",
            new_y="NEXT",
        )
        doc.ln(8)
    doc.set_auto_page_break(auto=False)
    doc.set_y(-20)
    doc.set_font(_FONT, "", 8)
    doc.cell(0, 6, latin1(f"{KIND_LABELS[b.kind]} {b.id} - Murphy"), align="C")


def _pair(doc: FPDF, label: str, value: str) -> None:
    doc.set_font(_FONT, "B", 11)
    doc.cell(32, 7, latin1(label))
    doc.set_font(_FONT, "", 11)
    doc.multi_cell(0, 7, latin1(value), new_x="LMARGIN", new_y="NEXT")
    doc.ln(1)


def _when(value: datetime, zone: ZoneInfo) -> str:
    return value.astimezone(zone).strftime("%a %d %B %Y, %H:%M %Z")
