"""`murphy report ...` run as an operator would: a PDF whose text is read back, HTML, the
summary table, and one-line errors that say what to do next."""

from __future__ import annotations

import io
from datetime import UTC, datetime
from pathlib import Path

import pypdf

from murphy import plugins
from murphy.core.db import Database
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentCreate, NoteIn
from murphy.users import service as users_service
from tests.integration.test_cli import org_cli, org_template  # noqa: F401 (fixtures)

AT = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def _incident(url: str) -> str:
    db = Database(url, pool_size=1)
    plugins.install(db)
    try:
        with db.transaction() as s:
            admin = users_service.get(s, username="admin")
            assert admin is not None
            p = users_service.principal(s, admin)
            data = IncidentCreate(title="Door forced at the dock", site="HQ")
            number = incidents_service.report(s, principal=p, data=data, now=AT).number
            note = NoteIn(body="NTR")
            incidents_service.add_note(s, principal=p, number=number, data=note, now=AT)
        return number
    finally:
        db.dispose()


def test_daily_report_as_pdf_html_and_table(org_cli, tmp_path: Path) -> None:  # noqa: F811
    number = _incident(org_cli.url)
    pdf, html = tmp_path / "daily.pdf", tmp_path / "daily.html"
    code, out, err = org_cli(
        "report",
        "daily",
        "--site",
        "HQ",
        "--date",
        "2026-11-20",
        "--pdf",
        str(pdf),
        "--html",
        str(html),
    )
    assert code == 0, err
    reader = pypdf.PdfReader(io.BytesIO(pdf.read_bytes()))
    text = "\n".join(page.extract_text() for page in reader.pages)
    assert "Daily activity report 2026-11-20" in text and number in text
    assert number in html.read_text(encoding="utf-8") and "@media print" in html.read_text()
    code, out, err = org_cli("report", "daily", "--site", "HQ", "--date", "2026-11-20")
    assert code == 0 and number in out and "Incidents reported" in out


def test_handover_flags_and_errors(org_cli, tmp_path: Path) -> None:  # noqa: F811
    number = _incident(org_cli.url)
    pdf = tmp_path / "handover.pdf"
    args = ["--start", "2026-11-20T07:00", "--end", "2026-11-20T19:00", "--pdf", str(pdf)]
    code, _out, err = org_cli("report", "handover", "--site", "HQ", *args)
    assert code == 0, err
    text = "\n".join(p.extract_text() for p in pypdf.PdfReader(io.BytesIO(pdf.read_bytes())).pages)
    assert "Shift handover" in text and "NTR" in text and number in text
    code, _out, err = org_cli("report", "daily", "--site", "HQ", "--date", "yesterday")
    assert code != 0 and "YYYY-MM-DD" in err and "Traceback" not in err
    code, _out, err = org_cli("report", "ics201", number)
    assert code != 0 and "declare it major" in err
