"""`murphy oncall ...`: on-call schedules from the command line."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table

from murphy.cli.common import acting_principal, console, fail, migrated_database
from murphy.oncall import service as oncall_service
from murphy.oncall.schemas import OverrideIn, ScheduleIn

oncall_app = typer.Typer(
    help="On-call schedules: who is on call now or at a time, shifts, overrides.",
    no_args_is_help=True,
)

AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user [MURPHY_CLI_USER]")]
At = Annotated[
    str | None,
    typer.Option(help="An instant with its offset, e.g. 2026-11-28T09:00+01:00 (default: now)"),
]


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(oncall_app, name="oncall")


def _instant(text: str | None, what: str = "--at") -> datetime | None:
    if text is None:
        return None
    try:
        value = datetime.fromisoformat(text)
    except ValueError:
        fail(f"{what}: {text!r} is not a date and time such as 2026-11-28T09:00+01:00")
    if value.tzinfo is None:
        fail(f"{what}: give the offset or Z, e.g. {text}+01:00 or {text}Z (which time zone?)")
    return value


def _when(value: datetime | None) -> str:
    if value is None:
        return "-"
    return value.astimezone(UTC).strftime("%Y-%m-%d %H:%M UTC")


@oncall_app.command("now")
def oncall_now(
    schedule: Annotated[
        str | None, typer.Argument(help="A schedule's name or id (default: all)")
    ] = None,
    at: At = None,
    as_user: AsUser = None,
) -> None:
    """Who is on call now (or --at a time), on one schedule or all of them."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    when = _instant(at)
    with db.transaction(write=False) as session:
        if schedule is None:
            found = [
                s.on_call
                for s in oncall_service.list_schedules(session, principal=principal, at=when)
            ]
        else:
            found = [oncall_service.on_call(session, principal=principal, ref=schedule, at=when)]
    table = Table("schedule", "on call", "since", "until", "why")
    for o in found:
        who = f"{o.user.display_name} ({o.user.username})" if o.user else "[bold red]nobody[/]"
        table.add_row(o.schedule, who, _when(o.since), _when(o.until), o.source or "")
    console.print(table)
    if not found:
        console.print("no on-call schedules yet: add one with `murphy oncall set FILE`")


@oncall_app.command("list")
def oncall_list(as_user: AsUser = None) -> None:
    """List the schedules with their layers."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction(write=False) as session:
        found = oncall_service.list_schedules(session, principal=principal)
    table = Table("id", "name", "time zone", "layers", "on call now")
    for s in found:
        layers = "\n".join(
            f"{i + 1}. {', '.join(p.username for p in layer.participants)} · every {layer.length} "
            f"{layer.unit} at {layer.handoff}" + "".join(f" · {w.text}" for w in layer.restrictions)
            for i, layer in enumerate(s.layers)
        )
        who = s.on_call.user.username if s.on_call.user else "[bold red]nobody[/]"
        table.add_row(str(s.id), s.name, s.timezone, layers, who)
    console.print(table)


@oncall_app.command("shifts")
def oncall_shifts(
    schedule: Annotated[str, typer.Argument(help="A schedule's name or id")],
    days: Annotated[int, typer.Option(min=1, max=92, help="How many days from --start")] = 14,
    start: At = None,
    as_user: AsUser = None,
) -> None:
    """The schedule's shifts over the next days."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    begin = _instant(start, "--start") or datetime.now(UTC)
    with db.transaction(write=False) as session:
        found = oncall_service.shifts(
            session,
            principal=principal,
            ref=schedule,
            start=begin,
            end=begin + timedelta(days=days),
        )
    table = Table("from", "until", "on call", "why")
    for s in found:
        table.add_row(_when(s.start), _when(s.end), s.user.username, s.source)
    console.print(table)


@oncall_app.command("set")
def oncall_set(
    file: Annotated[Path, typer.Argument(help="A YAML or JSON file: name, timezone, layers")],
    as_user: AsUser = None,
) -> None:
    """Add a schedule, or replace the one of the same name, from a file (see docs/oncall.md)."""
    try:
        raw = yaml.safe_load(file.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        fail(f"cannot read {file}: {exc}")
    data = ScheduleIn.model_validate(raw)
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        names = {s.name for s in oncall_service.list_schedules(session, principal=principal)}
        if data.name in names:
            out = oncall_service.replace(session, principal=principal, ref=data.name, data=data)
            verb = "replaced"
        else:
            out = oncall_service.create(session, principal=principal, data=data)
            verb = "added"
    who = out.on_call.user.username if out.on_call.user else "nobody"
    console.print(f"schedule {out.id} {verb}: {out.name}; on call now: {who}")


@oncall_app.command("override")
def oncall_override(
    schedule: Annotated[str, typer.Argument(help="A schedule's name or id")],
    user: Annotated[str, typer.Argument(help="Who takes over")],
    start: Annotated[str, typer.Option(help="From, e.g. 2026-12-24T18:00+01:00")],
    end: Annotated[str, typer.Option(help="Until, e.g. 2026-12-27T08:00+01:00")],
    reason: Annotated[str, typer.Option(help="Why (shown to others)")] = "",
    as_user: AsUser = None,
) -> None:
    """Let someone take over a schedule for a while."""
    data = OverrideIn(
        user=user, start=_instant(start, "--start"), end=_instant(end, "--end"), reason=reason
    )
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        out = oncall_service.add_override(session, principal=principal, ref=schedule, data=data)
    console.print(f"override {out.id}: {user} on call {_when(out.start)} to {_when(out.end)}")


@oncall_app.command("calendar")
def oncall_calendar(
    user: Annotated[str, typer.Argument(help="Whose shifts")],
    output: Annotated[
        Path | None, typer.Option("--output", "-o", help="Write to this file")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """A person's shifts as an iCalendar file (a week back to 92 days ahead)."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction(write=False) as session:
        text = oncall_service.calendar(session, principal=principal, username=user)
    if output is None:
        typer.echo(text, nl=False)
    else:
        output.write_text(text, encoding="utf-8", newline="")
        console.print(f"wrote {text.count('BEGIN:VEVENT')} shift(s) to {output}")
