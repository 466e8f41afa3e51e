"""`murphy retention rules|set|run|runs|export-person`: how long personal data is kept."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from murphy.cli.common import acting_principal, console, err_console, migrated_database, settings
from murphy.core.blobs import LocalBlobStore
from murphy.evidence import service as evidence_service
from murphy.retention import rules, service
from murphy.retention.schemas import Action, RuleIn, RunOut

retention_app = typer.Typer(
    help="Retention of personal data: rules, runs, a person's export (privacy officers).",
    no_args_is_help=True,
)

AsUser = Annotated[str | None, typer.Option("--as", help="Act as this user [MURPHY_CLI_USER]")]


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(retention_app, name="retention")


@retention_app.command("rules")
def show_rules(as_user: AsUser = None) -> None:
    """Show each record type's period and what happens at its end."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction(write=False) as session:
        found = service.rules_in_force(session, principal=principal)
    table = Table("record type", "kept for", "counted from", "then", "runs", "changed by")
    for r in found:
        table.add_row(
            r.record_type.value,
            f"{r.days} days",
            r.counted_from,
            r.action.value,
            "[green]yes[/]" if r.enabled else "[yellow]off[/]",
            r.updated_by or "(default)",
        )
    console.print(table)
    console.print(
        f"The daily run is at {rules.RUN_HOUR:02d}:00 UTC; `murphy retention run` runs now."
    )


@retention_app.command("set")
def set_rule(
    record_type: Annotated[str, typer.Argument(help="e.g. people, statements, evidence_files")],
    days: Annotated[
        int | None, typer.Option(min=1, max=36500, help="Keep for this many days")
    ] = None,
    action: Annotated[Action | None, typer.Option(help="anonymize or delete")] = None,
    enabled: Annotated[bool | None, typer.Option("--on/--off", help="Run this rule or not")] = None,
    as_user: AsUser = None,
) -> None:
    """Change one record type's rule."""
    kind = rules.parse_type(record_type)
    db = migrated_database()
    principal = acting_principal(db, as_user)
    data = RuleIn(days=days, action=action, enabled=enabled)
    with db.transaction() as session:
        out = service.set_rule(session, principal=principal, record_type=kind, data=data)
    state = "runs" if out.enabled else "is off"
    console.print(f"{out.label}: kept {out.days} days, then {out.action.value}; the rule {state}.")


@retention_app.command("run")
def run_now(
    dry_run: Annotated[bool, typer.Option("--dry-run", help="Count only; change nothing")] = False,
    as_user: AsUser = None,
) -> None:
    """Apply the rules now (what the daily run does); --dry-run says what would change."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with console.status("applying the retention rules" + (" (dry run)" if dry_run else "")):
        with db.transaction() as session:
            out = service.run(session, principal=principal, dry_run=dry_run)
        removed = 0
        if not dry_run:
            store = LocalBlobStore(Path(settings().evidence_dir))
            with db.transaction() as session:
                removed = evidence_service.remove_deleted(session, store=store)
    _print_run(out)
    if removed:
        console.print(f"{removed} evidence files removed from {settings().evidence_dir}")


@retention_app.command("runs")
def list_runs(as_user: AsUser = None) -> None:
    """The latest runs, newest first."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction(write=False) as session:
        found = service.runs(session, principal=principal)
    table = Table("run", "started", "by", "changed", "of which")
    for r in found:
        detail = ", ".join(f"{k} {v}" for k, v in r.counts.items() if v) or "-"
        table.add_row(
            str(r.id), r.started_at.strftime("%Y-%m-%d %H:%M"), r.started_by, str(r.total), detail
        )
    console.print(table)
    if not found:
        console.print("no runs yet")


@retention_app.command("export-person")
def export_person(
    subject_id: Annotated[int, typer.Argument(help="The person (or vehicle) record's number")],
    out: Annotated[Path | None, typer.Option("--out", help="Write the JSON here")] = None,
    as_user: AsUser = None,
) -> None:
    """Everything held about one person, as JSON (a subject access request). Logged."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        data = service.export_person(session, principal=principal, subject_id=subject_id)
    text = json.dumps(data.model_dump(mode="json"), indent=2, ensure_ascii=False)
    if out is None:
        print(text)
        return
    out.write_text(text + "\n", encoding="utf-8")
    err_console.print(
        f"written to {out} ({len(data.incidents)} incidents, {len(data.statements)} statements)"
    )


def _print_run(out: RunOut) -> None:
    verb = "would change" if out.dry_run else "changed"
    table = Table("record type", verb)
    for name, count in out.counts.items():
        table.add_row(name, str(count))
    console.print(table)
    console.print(f"{out.total} records {verb}" + ("" if out.dry_run else f" (run {out.id})"))
