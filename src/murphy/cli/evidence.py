"""`murphy evidence verify`: re-hash every stored evidence file against its timeline entry."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.progress import BarColumn, DownloadColumn, Progress, TextColumn, TransferSpeedColumn
from rich.table import Table

from murphy.cli.common import console, err_console, migrated_database, settings
from murphy.core.blobs import LocalBlobStore
from murphy.evidence import service as evidence_service

evidence_app = typer.Typer(help="Evidence files and their integrity.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(evidence_app, name="evidence")


@evidence_app.command("verify")
def verify() -> None:
    """Re-hash every stored evidence file (MURPHY_EVIDENCE_DIR) and compare it with the
    size and SHA-256 on the hash-chained timeline entry that added it.

    Exits 1 and lists every file that is missing or changed; run `murphy audit verify`
    too, which checks the timeline itself.
    """
    db = migrated_database()
    store = LocalBlobStore(Path(settings().evidence_dir))
    with db.transaction(write=False) as session:
        total = evidence_service.total_bytes(session)
        with Progress(
            TextColumn("re-hashing evidence"),
            BarColumn(),
            DownloadColumn(),
            TransferSpeedColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("verify", total=total or None)
            checked, problems = evidence_service.verify(
                session, store=store, advance=lambda n: bar.advance(task, n)
            )
    if not problems:
        console.print(f"[green]ok[/]: {checked} evidence files match their timeline entries")
        return
    table = Table(title=f"{len(problems)} of {checked} evidence files do not match")
    for column in ("Incident", "Evidence", "File", "Problem"):
        table.add_column(column)
    for p in problems:
        table.add_row(p.number, str(p.id), p.filename, p.problem)
    console.print(table)
    err_console.print("Restore them from a backup; the timeline keeps what they were.")
    raise typer.Exit(1)
