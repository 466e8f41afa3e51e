"""`murphy sla show`, `murphy sla matrix set FILE`, `murphy sla target set|unset`."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import typer
import yaml
from rich.table import Table

from murphy.cli.common import console, migrated_database
from murphy.core.errors import ValidationFailed
from murphy.sla import service as sla_service
from murphy.sla.schemas import MatrixOut, TargetIn, TargetOut, TargetsOut

sla_app = typer.Typer(help="Priority matrix and service targets.", no_args_is_help=True)
matrix_app = typer.Typer(help="The priority matrix (impact x urgency).", no_args_is_help=True)
target_app = typer.Typer(help="Service targets per priority, type, site.", no_args_is_help=True)

Minutes = Annotated[str, typer.Option(help="Minutes, or 'none' for no target")]


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    sla_app.add_typer(matrix_app, name="matrix")
    sla_app.add_typer(target_app, name="target")
    app.add_typer(sla_app, name="sla")


@sla_app.command("show")
def show() -> None:
    """Show the priority matrix and the service targets in force."""
    with migrated_database().transaction(write=False) as session:
        matrix = sla_service.matrix(session)
        targets = sla_service.targets(session)
    console.print(_matrix_table(matrix))
    console.print(_targets_table(targets))


@matrix_app.command("set")
def matrix_set(
    file: Annotated[Path, typer.Argument(help="YAML or JSON: 5 rows (impact 1-5) of 5 priorities")],
) -> None:
    """Replace the priority matrix from FILE; an invalid matrix changes nothing."""
    try:
        loaded: Any = yaml.safe_load(file.read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"{file}: not YAML or JSON ({exc})") from None
    value = loaded.get("matrix") if isinstance(loaded, dict) else loaded
    with migrated_database().transaction() as session:
        out = sla_service.set_matrix(session, value=value, actor="cli")
    console.print("priority matrix replaced")
    console.print(_matrix_table(out))


@target_app.command("set")
def target_set(
    priority: Annotated[int, typer.Option(min=1, max=5, help="Priority 1-5")],
    acknowledge: Minutes,
    respond: Minutes,
    resolve: Minutes,
    type: Annotated[str | None, typer.Option(help="Only for this type (and its subtypes)")] = None,
    site: Annotated[str | None, typer.Option(help="Only for this site")] = None,
) -> None:
    """Set the targets of a priority, or of a priority for one type and/or site."""
    data = TargetIn(
        priority=priority,
        type=type,
        site=site,
        acknowledge_minutes=_minutes(acknowledge, "--acknowledge"),
        respond_minutes=_minutes(respond, "--respond"),
        resolve_minutes=_minutes(resolve, "--resolve"),
    )
    with migrated_database().transaction() as session:
        out = sla_service.set_target(session, data=data)
    console.print(f"targets for P{priority}{_scope(type, site)} set")
    console.print(_targets_table(out))


@target_app.command("unset")
def target_unset(
    priority: Annotated[int, typer.Option(min=1, max=5, help="Priority 1-5")],
    type: Annotated[str | None, typer.Option(help="Type code of the row")] = None,
    site: Annotated[str | None, typer.Option(help="Site code of the row")] = None,
) -> None:
    """Remove a row of the target table (the priority falls back to the next rule)."""
    with migrated_database().transaction() as session:
        removed = sla_service.unset_target(session, priority=priority, type=type, site=site)
    if not removed:
        raise ValidationFailed(f"there is no row for P{priority}{_scope(type, site)}")
    console.print(f"targets for P{priority}{_scope(type, site)} removed")


def _minutes(text: str, option: str) -> int | None:
    if text.strip().lower() in ("none", "-", ""):
        return None
    try:
        return int(text)
    except ValueError:
        raise ValidationFailed(f"{option}: {text!r} is not a number of minutes or 'none'") from None


def _scope(type: str | None, site: str | None) -> str:
    parts = [f"type {type}" if type else "", f"site {site}" if site else ""]
    return "".join(f", {p}" for p in parts if p)


def duration(minutes: int | None) -> str:
    """Minutes for people: '10 min', '4 h', '1 d 12 h'; '-' for no target."""
    if minutes is None:
        return "-"
    days, rest = divmod(minutes, 1440)
    hours, mins = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (mins, "min")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n)


def _matrix_table(out: MatrixOut) -> Table:
    title = "Priority matrix" + (" (default)" if out.default else "")
    table = Table("impact \\ urgency", *(str(u) for u in range(1, 6)), title=title)
    for impact, row in enumerate(out.matrix, start=1):
        table.add_row(str(impact), *(f"P{p}" for p in row))
    return table


def _targets_table(out: TargetsOut) -> Table:
    table = Table("priority", "type", "site", "acknowledge", "respond", "resolve", "source")
    table.title = "Service targets"
    own = {t.priority for t in out.targets if t.type is None and t.site is None}
    rows: list[tuple[TargetOut, str]] = [(t, "table") for t in out.targets]
    rows += [(d, "default") for d in out.defaults if d.priority not in own]
    for t, source in sorted(rows, key=lambda r: (r[0].priority, r[0].type or "", r[0].site or "")):
        table.add_row(
            f"P{t.priority}",
            t.type or "any",
            t.site or "any",
            duration(t.acknowledge_minutes),
            duration(t.respond_minutes),
            duration(t.resolve_minutes),
            source,
        )
    return table
