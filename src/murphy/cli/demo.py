"""`murphy demo`: load the demo organization."""

from __future__ import annotations

from typing import Annotated

import typer
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn
from rich.table import Table

from murphy import demo as demo_data
from murphy.cli.common import console, fail, migrated_database
from murphy.core.db import Database


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.command("demo")(demo)


def demo(
    incidents: Annotated[int, typer.Option(min=0, max=200_000, help="Historical incidents")] = 2000,
    seed: Annotated[int, typer.Option(help="Random seed (same seed, same data)")] = 2026,
) -> None:
    """Load the demo organization (3 sites, ~30 users, ~2,000 incidents) into the database."""
    db = migrated_database()
    if not demo_data.is_empty(db):
        fail("the database already has sites or incidents; the demo loads into an empty one")
    _load(db, incidents, seed)
    print_logins()


def load_if_empty(db: Database) -> bool:
    """Load the demo on first start (for `make run`); True if the demo is there."""
    if demo_data.is_empty(db):
        _load(db, demo_data.DEFAULT_INCIDENTS, 2026)
    return demo_data.is_loaded(db)


def _load(db: Database, incidents: int, seed: int) -> None:
    with Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TimeElapsedColumn(),
        console=console,
    ) as progress:
        task = progress.add_task("loading the demo organization", total=incidents)
        demo_data.load(
            db, incidents=incidents, seed=seed, progress=lambda n: progress.advance(task, n)
        )


def print_logins() -> None:
    """The demo users to sign in as, one per role."""
    table = Table(title=f"Demo logins (password for all: {demo_data.PASSWORD})")
    table.add_column("user")
    table.add_column("role")
    table.add_column("sites")
    for login in demo_data.LOGINS:
        table.add_row(login.username, login.role, login.sites)
    console.print(table)
