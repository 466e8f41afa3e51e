"""The writer: one thread that runs the writes of this process, group-committing under load.

Handlers hand a unit of work (`fn(session) -> result`) to `Writer.run` and await the
result. The writer thread takes every unit waiting in its queue (up to `max_batch`),
runs them in one transaction, commits once, and only then answers each caller. If a
unit raises, the transaction is rolled back, that unit's caller gets the exception,
and the others run again, each inside a savepoint this time (so another failure costs
only its own work). If the commit itself fails, every caller in the batch gets the
error: nothing is acknowledged that was not stored.

This is Datasette's `execute_write_fn` with group commit (ADR 0005): SQLite has one
writer anyway, and doing all writes on one thread removes lock hand-offs between
threads, amortizes the commit, and keeps the event loop free.
"""

from __future__ import annotations

import asyncio
import logging
import queue
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from murphy.core import events
from murphy.core.db import Database
from murphy.core.errors import ServiceUnavailable

log = logging.getLogger(__name__)

T = TypeVar("T")


@dataclass
class _Unit:
    fn: Callable[[Session], Any]
    future: asyncio.Future[Any]
    loop: asyncio.AbstractEventLoop
    result: Any = None
    error: BaseException | None = None


_STOP = object()


class Writer:
    """Runs units of work on one thread, in batches that commit together."""

    def __init__(
        self,
        db: Database,
        bus: events.EventBus,
        *,
        max_batch: int = 128,
        max_queue: int = 20_000,
    ) -> None:
        self.db = db
        self.bus = bus
        self.max_batch = max_batch
        self._queue: queue.Queue[_Unit | object] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self.batches = 0
        self.units = 0

    def start(self) -> None:
        """Start the writer thread (idempotent)."""
        if self._thread is None or not self._thread.is_alive():
            self._thread = threading.Thread(target=self._serve, name="murphy-writer", daemon=True)
            self._thread.start()

    def stop(self, timeout: float = 30.0) -> None:
        """Finish what is queued, then stop the thread."""
        if self._thread is not None and self._thread.is_alive():
            self._queue.put(_STOP)
            self._thread.join(timeout)
        self._thread = None

    async def run(self, fn: Callable[[Session], T]) -> T:
        """Run `fn` in a write transaction and return its result once committed."""
        if self._thread is None:
            self.start()
        loop = asyncio.get_running_loop()
        unit = _Unit(fn=fn, future=loop.create_future(), loop=loop)
        try:
            self._queue.put_nowait(unit)
        except queue.Full:
            raise ServiceUnavailable(
                "too many writes are waiting; try again in a moment", retry_after=1
            ) from None
        result: T = await unit.future
        return result

    def _serve(self) -> None:
        while True:
            first = self._queue.get()
            if first is _STOP:
                return
            batch: list[_Unit] = [first]  # type: ignore[list-item]
            stop = False
            while len(batch) < self.max_batch:
                try:
                    item = self._queue.get_nowait()
                except queue.Empty:
                    break
                if item is _STOP:
                    stop = True
                    break
                batch.append(item)  # type: ignore[arg-type]
            self._commit(batch)
            if stop:
                return

    def _commit(self, batch: list[_Unit]) -> None:
        """Run a batch: first optimistically in one transaction; if a unit fails, roll
        back, set its error, and run the others again each inside a savepoint."""
        failed = self._attempt(batch, isolated=False)
        if failed is not None:
            rest = [u for u in batch if u is not failed]
            for unit in rest:
                unit.result = None
            if rest:
                self._attempt(rest, isolated=True)
        self.batches += 1
        self.units += len(batch)
        for unit in batch:
            unit.loop.call_soon_threadsafe(_settle, unit)

    def _attempt(self, units: list[_Unit], *, isolated: bool) -> _Unit | None:
        """One transaction over `units`; returns the unit that failed (optimistic mode)."""
        failed: _Unit | None = None
        try:
            with self.db.transaction(write=True) as session:
                events.attach(session, self.bus)
                for unit in units:
                    if isolated:
                        self._run_isolated(session, unit)
                        continue
                    failed = unit
                    unit.result = unit.fn(session)
                    failed = None
        except Exception as exc:
            if failed is not None:
                failed.error = exc
                return failed
            for unit in units:  # the commit itself failed: nobody's work is stored
                if unit.error is None:
                    unit.error = exc
        return None

    @staticmethod
    def _run_isolated(session: Session, unit: _Unit) -> None:
        mark = events.pending_count(session)
        savepoint = session.begin_nested()
        try:
            unit.result = unit.fn(session)
            savepoint.commit()
        except Exception as exc:
            savepoint.rollback()
            events.discard_after(session, mark)
            unit.error = exc


def _settle(unit: _Unit) -> None:
    if unit.future.done():  # the caller went away (cancelled)
        return
    if unit.error is not None:
        unit.future.set_exception(unit.error)
    else:
        unit.future.set_result(unit.result)
