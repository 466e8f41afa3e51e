"""`murphy rules list|add|remove`: the escalation rules, from the command line."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.table import Table

from murphy.cli.common import acting_principal, console, migrated_database
from murphy.notify import service as notify_service
from murphy.notify.schemas import RecipientIn, RuleIn

rules_app = typer.Typer(
    help="Escalation rules: who is told about what (admins).", no_args_is_help=True
)

AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user [MURPHY_CLI_USER]")]


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(rules_app, name="rules")


def _who(recipient: dict[str, str]) -> str:
    kind = next(k for k in ("role", "user", "external", "policy") if k in recipient)
    return f"{kind}:{recipient[kind]}"


@rules_app.command("list")
def rules_list(as_user: AsUser = None) -> None:
    """List the escalation rules."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction(write=False) as session:
        table = Table("id", "name", "events", "types", "priorities", "sites", "tell", "active")
        for r in notify_service.list_rules(session, principal=principal):
            table.add_row(
                str(r.id),
                r.name,
                ", ".join(r.events),
                ", ".join(r.types) or "any",
                ", ".join(f"P{p}" for p in r.priorities) or "any",
                ", ".join(r.sites) or "any",
                ", ".join(_who(x) for x in r.recipients),
                "yes" if r.active else "no",
            )
        console.print(table)


@rules_app.command("add")
def rules_add(
    name: Annotated[str, typer.Argument(help="A unique name for the rule")],
    event: Annotated[list[str], typer.Option(help="Event, e.g. incident.reported (repeat)")],
    type_: Annotated[
        list[str] | None, typer.Option("--type", help="Type code, subtypes included (repeat)")
    ] = None,
    priority: Annotated[list[int] | None, typer.Option(help="Priority 1-5 (repeat)")] = None,
    site: Annotated[list[str] | None, typer.Option(help="Site code (repeat)")] = None,
    role: Annotated[list[str] | None, typer.Option(help="Tell this role (repeat)")] = None,
    user: Annotated[list[str] | None, typer.Option(help="Tell this user (repeat)")] = None,
    external: Annotated[
        list[str] | None,
        typer.Option(help="Tell an email address, +phone number or webhook URL (repeat)"),
    ] = None,
    policy: Annotated[
        list[str] | None,
        typer.Option(help="Page by this escalation policy until someone acknowledges (repeat)"),
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Add a rule: murphy rules add "P1 to supervisors" --event incident.classified
    --priority 1 --role supervisor."""
    recipients = [RecipientIn(role=r) for r in role or []]
    recipients += [RecipientIn(user=u) for u in user or []]
    recipients += [RecipientIn(external=x) for x in external or []]
    recipients += [RecipientIn(policy=p) for p in policy or []]
    if not recipients:
        raise typer.BadParameter(
            "tell someone: --role, --user, --external or --policy", param_hint="--role"
        )
    data = RuleIn(
        name=name,
        events=event,
        types=type_ or [],
        priorities=priority or [],
        sites=site or [],
        recipients=recipients,
    )
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        made = notify_service.create_rule(session, principal=principal, data=data)
    console.print(f"rule {made.id} added: {made.name}")


@rules_app.command("remove")
def rules_remove(
    rule_id: Annotated[int, typer.Argument(help="The rule's id (see `murphy rules list`)")],
    as_user: AsUser = None,
) -> None:
    """Remove a rule; the messages it already wrote stay in the outbox."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        notify_service.delete_rule(session, principal=principal, rule_id=rule_id)
    console.print(f"rule {rule_id} removed")
