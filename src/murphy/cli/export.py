"""`murphy export incidents`: the incidents changed in a window, to a CSV or JSON file."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer
from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from murphy.cli.common import acting_principal, err_console, migrated_database
from murphy.core.clock import isoformat
from murphy.incidents import export

export_app = typer.Typer(help="Export records for other systems.", no_args_is_help=True)

AsUser = Annotated[
    str | None, typer.Option("--as", help="Act as this user (default: MURPHY_CLI_USER or admin)")
]


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(export_app, name="export")


@export_app.command("incidents")
def incidents(
    updated_since: Annotated[
        str, typer.Option(help="Inclusive, with an offset: 2026-11-28T00:00:00+00:00")
    ],
    out: Annotated[Path, typer.Option(help="The file to write")],
    format: Annotated[str, typer.Option(help="csv, json or ndjson")] = "csv",
    until: Annotated[str | None, typer.Option(help="Exclusive; default: 5 seconds ago")] = None,
    site: Annotated[str | None, typer.Option(help="Only this site (code)")] = None,
    as_user: AsUser = None,
) -> None:
    """Write the incidents changed since --updated-since (by updated_at, id) to --out."""
    db = migrated_database()
    principal = acting_principal(db, as_user)
    rows = 0
    with db.transaction(write=False) as session:
        window = export.window(
            session, principal=principal, since=updated_since, until=until, site=site, fmt=format
        )
        with (
            out.open("w", encoding="utf-8", newline="") as f,
            Progress(
                SpinnerColumn(),
                TextColumn("{task.description}"),
                TimeElapsedColumn(),
                console=err_console,
                transient=True,
            ) as progress,
        ):
            task = progress.add_task("exporting", total=None)
            f.write(export.head(window.format))
            after, first = None, True
            while found := export.batch(session, principal=principal, window=window, after=after):
                f.write(export.encode(window.format, found, first=first))
                after, first, rows = found[-1]["_key"], False, rows + len(found)
                progress.update(task, description=f"exporting: {rows} incidents")
            f.write(export.tail(window.format))
    err_console.print(f"{rows} incidents written to {out}")
    err_console.print(f"next --updated-since: {isoformat(window.until)}")
