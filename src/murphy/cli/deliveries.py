"""`murphy deliveries list|show|retry`: what was sent, what failed, and the dead letters."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from murphy.cli.common import acting_principal, console, migrated_database
from murphy.notify import deliveries as notify_deliveries
from murphy.notify.schemas import DeliveryQuery, DeliveryState

deliveries_app = typer.Typer(
    help="Deliveries of messages: sent, failing, dead letters (admins).", no_args_is_help=True
)

AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user [MURPHY_CLI_USER]")]
STATE_STYLE = {"sent": "green", "pending": "yellow", "sending": "cyan", "dead": "bold red"}


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(deliveries_app, name="deliveries")


@deliveries_app.command("list")
def deliveries_list(
    state: Annotated[
        DeliveryState | None, typer.Option(help="Only this state (dead: the dead letters)")
    ] = None,
    channel: Annotated[str | None, typer.Option(help="Only this channel, e.g. email")] = None,
    limit: Annotated[int, typer.Option(min=1, max=500, help="At most this many")] = 50,
    as_user: AsUser = None,
) -> None:
    """List recent deliveries, newest first."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    query = DeliveryQuery(state=state, channel=channel, limit=limit)
    with db.transaction(write=False) as session:
        found = notify_deliveries.list_deliveries(session, principal=principal, query=query)
    table = Table("id", "state", "channel", "to", "incident", "event", "tries", "last error")
    for d in found:
        style = STATE_STYLE.get(d.state.value, "")
        table.add_row(
            str(d.id),
            f"[{style}]{d.state.value}[/]" if style else d.state.value,
            d.channel,
            d.address,
            d.incident or "",
            d.event,
            str(d.attempts),
            d.last_error,
        )
    console.print(table)
    if not found:
        console.print("no deliveries" + (f" in state {state.value}" if state else ""))


@deliveries_app.command("show")
def deliveries_show(
    delivery_id: Annotated[int, typer.Argument(help="The delivery's id")],
    as_user: AsUser = None,
) -> None:
    """Show a delivery and every try at sending it."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction(write=False) as session:
        d = notify_deliveries.get_delivery(session, principal=principal, delivery_id=delivery_id)
    console.print(f"[bold]{d.headline}[/]")
    console.print(f"{d.channel} to {d.address}: {d.state.value}, key {d.dedup_key}")
    table = Table("try", "at", "ms", "outcome", "detail")
    for t in d.tries:
        table.add_row(
            str(t.number), t.started_at.isoformat(), str(t.duration_ms), t.outcome, t.detail
        )
    console.print(table)


@deliveries_app.command("retry")
def deliveries_retry(
    delivery_id: Annotated[int, typer.Argument(help="The dead delivery's id")],
    as_user: AsUser = None,
) -> None:
    """Send a dead delivery again (a running worker picks it up at once)."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        d = notify_deliveries.retry(session, principal=principal, delivery_id=delivery_id)
    console.print(f"delivery {d.id} ({d.channel} to {d.address}) will be sent again")
