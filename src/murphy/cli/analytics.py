"""`murphy analytics rebuild`: rewrite the dashboard's incident facts from the incidents."""

from __future__ import annotations

import time

import typer

from murphy.analytics import service as analytics_service
from murphy.cli.common import console, migrated_database

analytics_app = typer.Typer(help="The analytics dashboard's data.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(analytics_app, name="analytics")


@analytics_app.command("rebuild")
def rebuild() -> None:
    """Rewrite the fact row of every incident (after a bulk import, or to repair them).

    Murphy keeps them in step with every change by itself; this is for data written
    behind its back. One transaction: the dashboard shows the old figures until it ends.
    """
    db = migrated_database()
    started = time.perf_counter()
    with console.status("rewriting the incident facts..."), db.transaction() as session:
        count = analytics_service.rebuild_facts(session)
    seconds = time.perf_counter() - started
    console.print(f"rewrote the facts of {count:,} incidents in {seconds:.1f} s")
