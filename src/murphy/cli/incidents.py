"""`murphy report`, `murphy incidents list|show`, `murphy audit verify`."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn
from rich.table import Table

from murphy.cli.common import acting_principal, console, err_console, migrated_database
from murphy.core.clock import isoformat
from murphy.incidents import audit as incidents_audit
from murphy.incidents import service as incidents_service
from murphy.incidents import views
from murphy.incidents.schemas import Channel, IncidentCreate, IncidentQuery, Status
from murphy.sites.schemas import PlaceIn

report_app = typer.Typer(
    help="Report an incident from the command line.", invoke_without_command=True
)
incidents_app = typer.Typer(help="List and show incidents.", no_args_is_help=True)
audit_app = typer.Typer(help="Prove the record was not altered.", no_args_is_help=True)

AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user [MURPHY_CLI_USER]")]


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(report_app, name="report")
    app.add_typer(incidents_app, name="incidents")
    app.add_typer(audit_app, name="audit")


@report_app.callback()
def report(
    ctx: typer.Context,
    site: Annotated[str | None, typer.Option(help="Site code")] = None,
    title: Annotated[str | None, typer.Option(help="One line: what happened")] = None,
    description: Annotated[str, typer.Option(help="What was seen, heard, done")] = "",
    zone: Annotated[str | None, typer.Option(help="Zone code")] = None,
    building: Annotated[str | None, typer.Option(help="Building code")] = None,
    floor: Annotated[str | None, typer.Option(help="Floor code")] = None,
    occurred_at: Annotated[
        datetime | None, typer.Option(help="When it happened (site local time if no offset)")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Report an incident: murphy report --site HQ --title "Door forced at loading bay"."""
    if ctx.invoked_subcommand is not None:
        return
    if not site or not title:
        raise typer.BadParameter("--site and --title are required", param_hint="--site/--title")
    db = migrated_database()
    principal = acting_principal(db, as_user)
    place = None
    if zone or building or floor:
        place = PlaceIn(zone=zone, building=building, floor=floor)
    data = IncidentCreate(
        title=title, description=description, site=site, place=place, occurred_at=occurred_at
    )
    with db.transaction() as session:
        incident = incidents_service.report(
            session, principal=principal, data=data, channel=Channel.CLI
        )
        number = incident.number
    console.print(f"reported {number}")


@incidents_app.command("list")
def incidents_list(
    status: Annotated[
        list[Status] | None, typer.Option(help="Only these statuses (repeat)")
    ] = None,
    site: Annotated[list[str] | None, typer.Option(help="Only these sites (repeat)")] = None,
    q: Annotated[str | None, typer.Option("--q", "--search", help="Words or a number")] = None,
    limit: Annotated[int, typer.Option(min=1, max=200)] = 25,
    as_user: AsUser = None,
) -> None:
    """List incidents, newest first."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    query = IncidentQuery(status=status or [], site=site or [], q=q, limit=limit)
    with db.transaction(write=False) as session:
        page = incidents_service.list(session, principal=principal, query=query)
    table = Table("number", "status", "site", "reported (UTC)", "title", "place")
    for item in page.items:
        table.add_row(
            item.number,
            item.status.value,
            item.site,
            f"{item.reported_at:%Y-%m-%d %H:%M}",
            item.title,
            item.place,
        )
    console.print(table)
    if not page.items:
        console.print("no incidents match")


@incidents_app.command("show")
def incidents_show(
    number: Annotated[str, typer.Argument(help="e.g. INC-2026-00042")],
    as_user: AsUser = None,
) -> None:
    """Show an incident and its timeline."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction(write=False) as session:
        incident = incidents_service.get_or_raise(session, principal=principal, number=number)
        out = views.incident_out(session, principal=principal, incident=incident)
        entries = views.timeline_out(
            session, incidents_service.timeline(session, principal=principal, number=number)
        )
    console.print(f"[bold]{out.number}[/]  {out.title}", markup=True)
    console.print(
        f"status {out.status.value} · site {out.site.code} · {out.place.label or 'no place'}"
    )
    console.print(
        f"reported {isoformat(out.reported_at)} by {out.reporter.username if out.reporter else '-'}"
    )
    if out.description:
        console.print(out.description)
    table = Table("#", "at (UTC)", "who", "what", "details")
    for e in entries:
        table.add_row(
            str(e.seq),
            f"{e.at:%Y-%m-%d %H:%M:%S}",
            e.actor.username if e.actor else "system",
            e.kind,
            _summary(e.kind, e.data),
        )
    console.print(table)
    console.print(f"chain head {out.timeline.head} ({out.timeline.length} entries)")


def _summary(kind: str, data: dict[str, object]) -> str:
    if kind == "transition":
        extra = f": {data['reason']}" if data.get("reason") else ""
        return f"{data.get('from')} → {data.get('to')}{extra}"
    if kind == "note":
        return str(data.get("body", ""))
    if kind == "updated":
        changes = data.get("changes", {})
        return ", ".join(changes) if isinstance(changes, dict) else ""
    if kind == "created":
        return str(data.get("title", ""))
    return ", ".join(f"{k}={v}" for k, v in data.items())


@audit_app.command("verify")
def audit_verify() -> None:
    """Check every incident timeline's hash chain and that each record matches it."""
    db = migrated_database()
    with db.transaction(write=False) as session:
        total = incidents_audit.count(session)
        with Progress(
            "[progress.description]{task.description}",
            BarColumn(),
            MofNCompleteColumn(),
            TimeRemainingColumn(),
            console=err_console,
            transient=True,
        ) as progress:
            task = progress.add_task("verifying timelines", total=total)
            report = incidents_audit.verify(session, progress=lambda n: progress.advance(task, n))
    if report.ok:
        console.print(
            f"[green]OK[/]: {report.incidents} incident timelines, {report.entries} entries; "
            "every hash chain is intact and every record matches its timeline",
            markup=True,
        )
        return
    first = report.problems[0]
    table = Table("incident", "entry", "problem", title=f"{len(report.problems)} problem(s) found")
    for p in report.problems[:50]:
        table.add_row(p.number, str(p.seq), p.reason)
    console.print(table)
    err_console.print(
        f"[bold red]FAILED[/]: first broken: {first.number} entry {first.seq}: {first.reason}",
        markup=True,
    )
    raise typer.Exit(1)
