"""`murphy units list|add|duty`: the units, from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from murphy.cli.common import acting_principal, console, migrated_database
from murphy.units import service as units_service
from murphy.units.schemas import DutyIn, UnitIn, UnitKind

units_app = typer.Typer(
    help="Units: who can be dispatched, their status and shifts.", no_args_is_help=True
)

AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user [MURPHY_CLI_USER]")]


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(units_app, name="units")


@units_app.command("list")
def units_list(
    site: Annotated[str | None, typer.Option(help="Only this site's units")] = None,
    as_user: AsUser = None,
) -> None:
    """The unit board: status, since when, what each unit is on, where it is."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction(write=False) as session:
        units = units_service.board(session, principal=principal, site=site)
    table = Table("unit", "kind", "site", "duty", "status", "since (UTC)", "on", "where", "skills")
    for u in units:
        on = u.assignment.incident if u.assignment else ("restricted" if u.restricted else "")
        table.add_row(
            u.callsign,
            u.kind.value,
            u.site,
            "on" if u.on_duty else "off",
            units_service.STATUS_LABELS[u.status],
            u.status_at.strftime("%H:%M"),
            on,
            (u.position.label or u.position.source) if u.position else "",
            ", ".join(u.skills),
        )
    console.print(table if units else "no units: add one with `murphy units add`")


@units_app.command("add")
def units_add(
    callsign: Annotated[str, typer.Argument(help="What the radio calls it, e.g. A12")],
    site: Annotated[str, typer.Option(help="Home site code")],
    name: Annotated[str, typer.Option(help="A name, e.g. 'Patrol East'")] = "",
    kind: Annotated[UnitKind, typer.Option(help="What the unit is")] = UnitKind.OFFICER,
    skill: Annotated[
        list[str] | None, typer.Option(help="A skill, e.g. first_aid (repeat)")
    ] = None,
    member: Annotated[list[str] | None, typer.Option(help="A member's user name (repeat)")] = None,
    on_duty: Annotated[bool, typer.Option("--on-duty/--off-duty", help="Its shift")] = False,
    as_user: AsUser = None,
) -> None:
    """Add a unit: murphy units add A12 --site HQ --skill first_aid --member olu --on-duty."""
    data = UnitIn(
        callsign=callsign,
        name=name,
        kind=kind,
        site=site,
        skills=skill or [],
        members=member or [],
        on_duty=on_duty,
    )
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        made = units_service.create(session, principal=principal, data=data)
    console.print(
        f"unit {made.callsign} added at {made.site}" + (" (on duty)" if made.on_duty else "")
    )


@units_app.command("duty")
def units_duty(
    callsign: Annotated[str, typer.Argument(help="The unit")],
    on: Annotated[bool, typer.Option("--on/--off", help="Start or end its shift")],
    as_user: AsUser = None,
) -> None:
    """Start or end a unit's shift."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        out = units_service.set_duty(
            session, principal=principal, callsign=callsign, data=DutyIn(on_duty=on)
        )
    console.print(f"{out.callsign} is {'on' if out.on_duty else 'off'} duty")
