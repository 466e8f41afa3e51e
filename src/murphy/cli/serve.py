"""`murphy serve` and `murphy db ...`."""

from __future__ import annotations

from typing import Annotated

import typer
import uvicorn
from rich.table import Table

from murphy import migrations
from murphy.cli.common import console, database, fail, settings
from murphy.cli.demo import load_if_empty, print_logins
from murphy.retention import service as retention_service
from murphy.users import service as users_service

db_app = typer.Typer(
    help="Database schema: upgrade, show the current revision.", no_args_is_help=True
)


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.command()(serve)
    app.add_typer(db_app, name="db")


def serve(
    host: Annotated[str | None, typer.Option(help="Address to listen on [MURPHY_HOST]")] = None,
    port: Annotated[int | None, typer.Option(help="Port to listen on [MURPHY_PORT]")] = None,
    workers: Annotated[int, typer.Option(min=1, max=64, help="Processes (PostgreSQL only)")] = 1,
    demo: Annotated[
        bool, typer.Option("--demo", help="Load the demo organization into an empty database")
    ] = False,
) -> None:
    """Apply migrations, create the first admin if there is none, and serve UI and API."""
    cfg = settings()
    cfg.check()
    host = host or cfg.host
    port = port or cfg.port
    db = database()
    if workers > 1 and db.is_sqlite:
        fail("several workers need PostgreSQL; SQLite runs in one process (omit --workers)")
    with console.status("applying database migrations..."):
        migrations.upgrade(db)
    if demo and load_if_empty(db):
        print_logins()
    else:
        if demo:
            console.print("[yellow]This database holds other data: the demo was not loaded.[/]")
        with db.transaction() as session:
            created = users_service.ensure_admin(session)
        if created:
            _print_admin(*created)
    with db.transaction() as session:
        retention_service.arm(session)  # the daily retention run, if not armed already
    console.print(f"Murphy is serving on [bold]http://{host}:{port}[/]  (Ctrl+C stops it)")
    db.dispose()
    uvicorn.run(
        "murphy.app:from_env",
        factory=True,
        host=host,
        port=port,
        workers=workers,
        log_level=cfg.log_level,
        proxy_headers=True,
        # Live streams never end by themselves: on Ctrl+C give requests 5 s, then close.
        timeout_graceful_shutdown=5,
    )


def _print_admin(username: str, password: str) -> None:
    console.print("First start: an administrator was created.")
    table = Table()
    table.add_column("user")
    table.add_column("password")
    table.add_row(username, password)
    console.print(table)
    console.print("[yellow]This password is shown once. Sign in and keep it safe.[/]")


@db_app.command("upgrade")
def db_upgrade(
    revision: Annotated[str, typer.Argument(help="Target revision")] = "head",
) -> None:
    """Apply migrations up to REVISION (default: the newest)."""
    db = database()
    before = migrations.current(db)
    migrations.upgrade(db, revision)
    after = migrations.current(db)
    if before == after:
        console.print(f"database already at {after}")
    else:
        console.print(f"database upgraded from {before or 'empty'} to {after}")


@db_app.command("check")
def db_check() -> None:
    """Fail if the database schema differs from what this version of Murphy expects."""
    db = database()
    have, want = migrations.current(db), migrations.head()
    if have != want:
        fail(f"schema at {have or 'nothing'}, expected {want}: run `murphy db upgrade`")
    differences = migrations.drift(db)
    if differences:
        for d in differences[:20]:
            console.print(f"  {d}")
        fail(f"{len(differences)} difference(s) between the database and the models")
    console.print(f"schema at {migrations.head()}, no drift")


@db_app.command("current")
def db_current() -> None:
    """Show the revision the database is at and the newest one available."""
    db = database()
    console.print(f"database: {migrations.current(db) or 'empty'}; newest: {migrations.head()}")
