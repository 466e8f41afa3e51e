"""`murphy report daily|handover|monthly|ics201|ics214`: a report as PDF, HTML or a summary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table
from sqlalchemy.orm import Session

from murphy.cli.common import acting_principal, console, migrated_database
from murphy.cli.incidents import AsUser
from murphy.cli.incidents import report_app as incident_report_app
from murphy.reports import ics_forms, monthly, render, service
from murphy.reports.schemas import Report
from murphy.users.schemas import Principal

# `murphy report` alone reports an incident (cli/incidents.py); its subcommands make reports.
report_app = incident_report_app

Pdf = Annotated[Path | None, typer.Option("--pdf", help="Write the report as PDF to this file")]
Html = Annotated[Path | None, typer.Option("--html", help="Write the report as HTML to this file")]
Site = Annotated[str, typer.Option("--site", help="Site code, e.g. HQ")]


def register(app: typer.Typer) -> None:
    """The commands join `murphy report` (registered by cli/incidents.py) on import."""
    del app


@report_app.command("daily")
def daily(
    site: Site,
    date: Annotated[str, typer.Option("--date", help="Local date of the site, YYYY-MM-DD")],
    pdf: Pdf = None,
    html: Html = None,
    as_user: AsUser = None,
) -> None:
    """The daily activity report of a site for one date."""
    _run(lambda s, p: service.daily(s, principal=p, site=site, day=date), pdf, html, as_user)


@report_app.command("handover")
def handover(
    site: Site,
    start: Annotated[str, typer.Option(help="Shift start, YYYY-MM-DDTHH:MM site time")] = "",
    end: Annotated[str, typer.Option(help="Shift end, YYYY-MM-DDTHH:MM site time")] = "",
    pdf: Pdf = None,
    html: Html = None,
    as_user: AsUser = None,
) -> None:
    """The shift handover; without --start/--end, the shift (07-19 / 19-07) that just ended."""

    def build(s: Session, p: Principal) -> Report:
        return service.handover(s, principal=p, site=site, start=start, end=end)

    _run(build, pdf, html, as_user)


@report_app.command("monthly")
def month(
    month: Annotated[str, typer.Option("--month", help="YYYY-MM")],
    site: Annotated[str, typer.Option("--site", help="Site code, or 'all'")] = "all",
    pdf: Pdf = None,
    html: Html = None,
    as_user: AsUser = None,
) -> None:
    """The monthly management report of a site (or all sites)."""
    _run(lambda s, p: monthly.monthly(s, principal=p, site=site, month=month), pdf, html, as_user)


@report_app.command("ics201")
def ics201(
    number: Annotated[str, typer.Argument(help="Incident number, e.g. 2026-000123")],
    pdf: Pdf = None,
    html: Html = None,
    as_user: AsUser = None,
) -> None:
    """The ICS-201 briefing of a major incident."""
    _run(lambda s, p: ics_forms.ics201(s, principal=p, number=number), pdf, html, as_user)


@report_app.command("ics214")
def ics214(
    number: Annotated[str, typer.Argument(help="Incident number, e.g. 2026-000123")],
    period: Annotated[int, typer.Option("--period", help="Operational period number")],
    pdf: Pdf = None,
    html: Html = None,
    as_user: AsUser = None,
) -> None:
    """The ICS-214 activity log of a major incident for one operational period."""

    def build(s: Session, p: Principal) -> Report:
        return ics_forms.ics214(s, principal=p, number=number, period=period)

    _run(build, pdf, html, as_user)


def _run(
    build: Callable[[Session, Principal], Report],
    pdf: Path | None,
    html: Path | None,
    as_user: str | None,
) -> None:
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction(write=False) as session:
        report = build(session, principal)
    if pdf:
        pdf.write_bytes(render.pdf(report))
        console.print(f"wrote {pdf}")
    if html:
        html.write_text(render.html(report), encoding="utf-8")
        console.print(f"wrote {html}")
    if not pdf and not html:
        _summary(report)


def _summary(report: Report) -> None:
    console.print(f"[bold]{report.title}[/] {report.site} {report.period}", markup=True)
    for section in report.sections:
        table = Table(title=section.heading, title_justify="left")
        if section.columns:
            for column in section.columns:
                table.add_column(column)
            for row in section.rows:
                table.add_row(*row)
        else:
            table.add_column("")
            table.add_column("")
            for key, value in section.pairs:
                table.add_row(key, value)
            for text in [*section.paragraphs, *section.flags]:
                table.add_row("", text)
        console.print(table if table.row_count else f"{section.heading}: {section.empty or '-'}")
