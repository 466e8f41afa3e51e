"""`murphy source list|add|mapping|rotate|off|on`: integration sources of signals."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
import yaml
from rich.table import Table

from murphy.cli.common import acting_principal, console, migrated_database
from murphy.core.errors import ValidationFailed
from murphy.signals import service
from murphy.signals.mapping import Mapping
from murphy.signals.schemas import Credential, SourceIn, SourceUpdate

source_app = typer.Typer(
    help="Integration sources of signals: alarm panels, access control, a SIEM (admins).",
    no_args_is_help=True,
)

AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user [MURPHY_CLI_USER]")]
MappingFile = Annotated[
    Path,
    typer.Option(
        "--mapping", exists=True, dir_okay=False, help="YAML (or JSON) file of the mapping"
    ),
]


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(source_app, name="source")


@source_app.command("list")
def source_list(as_user: AsUser = None) -> None:
    """List the sources."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction(write=False) as session:
        table = Table("code", "name", "site", "auth", "signals", "active")
        for s in service.sources(session, principal=principal):
            table.add_row(
                s.code, s.name, s.site or "-", s.auth, f"{s.signals:,}", "yes" if s.active else "no"
            )
        console.print(table)


@source_app.command("add")
def source_add(
    code: Annotated[str, typer.Argument(help="A short code, e.g. hq-alarm-panel")],
    name: Annotated[str, typer.Option(help="What it is, e.g. 'HQ alarm panel'")],
    mapping: MappingFile,
    site: Annotated[str | None, typer.Option(help="Site when the payload names none")] = None,
    auth: Annotated[str, typer.Option(help="token or hmac")] = "token",
    topic: Annotated[
        list[str] | None, typer.Option(help="MQTT topic filter it sends on (repeat)")
    ] = None,
    as_user: AsUser = None,
) -> None:
    """Add a source and print its credential (shown only once)."""
    if auth not in ("token", "hmac"):
        raise typer.BadParameter("token or hmac", param_hint="--auth")
    data = SourceIn.model_validate(
        {
            "code": code,
            "name": name,
            "site": site,
            "auth": auth,
            "mapping": _mapping(mapping),
            "topics": topic or [],
        }
    )
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        credential = service.create_source(session, principal=principal, data=data)
    _show(credential)


@source_app.command("mapping")
def source_mapping(
    code: Annotated[str, typer.Argument(help="The source")],
    mapping: MappingFile,
    as_user: AsUser = None,
) -> None:
    """Replace a source's mapping with the one in a YAML file."""
    data = SourceUpdate(mapping=_mapping(mapping))
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        service.update_source(session, principal=principal, code=code, data=data)
    console.print(f"Mapping of {code} replaced; it applies to the next signal.")


@source_app.command("rotate")
def source_rotate(code: Annotated[str, typer.Argument()], as_user: AsUser = None) -> None:
    """A new credential; the old one stops working at once."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        credential = service.rotate(session, principal=principal, code=code)
    _show(credential)


@source_app.command("off")
def source_off(code: Annotated[str, typer.Argument()], as_user: AsUser = None) -> None:
    """Refuse a source's signals (401) until switched on again."""
    _switch(code, False, as_user)


@source_app.command("on")
def source_on(code: Annotated[str, typer.Argument()], as_user: AsUser = None) -> None:
    """Accept a source's signals again."""
    _switch(code, True, as_user)


def _switch(code: str, active: bool, as_user: str | None) -> None:
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        service.update_source(
            session, principal=principal, code=code, data=SourceUpdate(active=active)
        )
    console.print(f"Source {code} is {'on' if active else 'off'}.")


def _mapping(path: Path) -> Mapping:
    try:
        loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise ValidationFailed(f"{path} is not valid YAML: {exc}") from None
    if not isinstance(loaded, dict):
        raise ValidationFailed(f"{path}: a mapping is a YAML object with title, type, ...")
    return Mapping.model_validate(loaded)


def _show(credential: Credential) -> None:
    if credential.token:
        console.print(f"Token for {credential.source} (shown once): [bold]{credential.token}[/]")
        console.print("Send it as 'Authorization: Bearer TOKEN' to POST /api/v1/signals.")
    else:
        secret = credential.secret
        console.print(f"HMAC secret for {credential.source} (shown once): [bold]{secret}[/]")
        console.print(
            "Sign each request: X-Murphy-Source, X-Murphy-Timestamp (Unix seconds) and "
            "X-Murphy-Signature: sha256=HEX of HMAC-SHA256(secret, 'TIMESTAMP.BODY')."
        )
