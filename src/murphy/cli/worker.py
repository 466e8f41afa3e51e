"""`murphy worker`: a process that only fires durable timers (service-target breaches).

`murphy serve` fires them too; run workers beside it on PostgreSQL to take the timers
off the API processes (`MURPHY_SCHEDULER=false` there), or as many as you like: each
timer fires exactly once whichever process claims it.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated

import typer

from murphy import plugins
from murphy.cli.common import console, migrated_database
from murphy.core import timers
from murphy.core.db import Database, WalCheckpointer
from murphy.core.events import EventBus
from murphy.core.scheduler import Scheduler
from murphy.core.writer import Writer


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.command()(worker)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Fire what is due now, then exit (for cron or tests)")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Timers per transaction")] = 50,
) -> None:
    """Fire durable timers (service-target breaches) until stopped (Ctrl+C or SIGTERM)."""
    db = migrated_database()
    handlers = timers.collect(plugins.install(db).hook.timer_handlers())
    if not once:
        kinds = ", ".join(sorted(handlers)) or "none"
        console.print(f"Murphy worker: firing timers ({kinds}) on {db.dialect}; Ctrl+C stops it")
    fired = asyncio.run(_work(db, handlers, once=once, batch=batch))
    console.print(f"fired {fired} timer(s)")


async def _work(
    db: Database, handlers: dict[str, timers.Handler], *, once: bool, batch: int
) -> int:
    bus = EventBus()
    writer = Writer(db, bus)
    writer.start()
    checkpointer = WalCheckpointer(db)
    checkpointer.start()
    scheduler = Scheduler(db, writer, handlers, bus=bus, batch=batch)
    try:
        if once:
            await scheduler.drain()
        else:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            scheduler.start()
            await stop.wait()
    finally:
        await scheduler.stop()
        writer.stop()
        checkpointer.stop()
        db.dispose()
    return scheduler.fired
