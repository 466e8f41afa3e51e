"""`murphy worker`: a process that fires durable timers (service-target breaches) and
delivers the outbox's messages (email, webhooks, SMS, voice).

`murphy serve` does both too; run workers beside it on PostgreSQL to take this work off
the API processes (`MURPHY_SCHEDULER=false`, `MURPHY_DELIVERY=false` there), or as many
as you like: each timer fires exactly once and no message is sent by two workers at
once, whichever process claims it.
"""

from __future__ import annotations

import asyncio
import signal
from typing import Annotated, Any

import typer

from murphy import plugins
from murphy.cli.common import console, migrated_database
from murphy.core import timers
from murphy.core.db import Database, WalCheckpointer
from murphy.core.events import EventBus
from murphy.core.scheduler import Scheduler
from murphy.core.writer import Writer
from murphy.notify import worker as delivery
from murphy.settings import Settings


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.command()(worker)


def worker(
    once: Annotated[
        bool, typer.Option("--once", help="Do what is due now, then exit (for cron or tests)")
    ] = False,
    batch: Annotated[int, typer.Option(min=1, max=1000, help="Timers per transaction")] = 50,
    timers_only: Annotated[
        bool, typer.Option("--timers-only", help="Fire timers but deliver no messages")
    ] = False,
) -> None:
    """Fire durable timers and deliver messages until stopped (Ctrl+C or SIGTERM)."""
    settings = Settings()
    db = migrated_database()
    manager = plugins.install(db)
    handlers = timers.collect(manager.hook.timer_handlers())
    fired, sent, failed = asyncio.run(
        _work(db, manager, settings, handlers, once=once, batch=batch, deliver=not timers_only)
    )
    console.print(f"fired {fired} timer(s); sent {sent} message(s), {failed} failed")


async def _work(
    db: Database,
    manager: Any,
    settings: Settings,
    handlers: dict[str, timers.Handler],
    *,
    once: bool,
    batch: int,
    deliver: bool,
) -> tuple[int, int, int]:
    bus = EventBus()
    writer = Writer(db, bus)
    writer.start()
    checkpointer = WalCheckpointer(db)
    checkpointer.start()
    scheduler = Scheduler(db, writer, handlers, bus=bus, batch=batch)
    deliverer = delivery.from_settings(db, writer, manager, settings, bus=bus) if deliver else None
    if not once:
        _announce(db, handlers, deliverer)
    try:
        if once:
            await scheduler.drain()
            if deliverer is not None:
                await deliverer.drain()
        else:
            stop = asyncio.Event()
            loop = asyncio.get_running_loop()
            for sig in (signal.SIGINT, signal.SIGTERM):
                loop.add_signal_handler(sig, stop.set)
            scheduler.start()
            if deliverer is not None:
                deliverer.start()
            await stop.wait()
    finally:
        await scheduler.stop()
        if deliverer is not None:
            await deliverer.stop()
        writer.stop()
        checkpointer.stop()
        db.dispose()
    if deliverer is None:
        return scheduler.fired, 0, 0
    return scheduler.fired, deliverer.sent, deliverer.failed


def _announce(
    db: Database, handlers: dict[str, timers.Handler], deliverer: delivery.Deliverer | None
) -> None:
    kinds = ", ".join(sorted(handlers)) or "none"
    console.print(f"Murphy worker on {db.dialect}: firing timers ({kinds})")
    if deliverer is None:
        console.print("  delivering no messages (--timers-only)")
        return
    for name, channel in sorted(deliverer.channels.items()):
        state = "[green]ready[/]" if channel.problem is None else f"[yellow]{channel.problem}[/]"
        console.print(f"  {name}: {state}")
    console.print("Ctrl+C stops it")
