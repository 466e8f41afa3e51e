"""The scheduler: fires durable timers (`core.timers`) when they come due.

It runs in every `murphy serve` process (started and stopped by the application's
lifespan, like the writer) and on its own as `murphy worker`. A task on the event loop:

1. asks the database when the first pending timer is due (one index lookup, on a
   worker thread with a read-only connection);
2. if that is now or past, hands a unit of work to the writer (`Writer.run`) that
   claims due timers, marks them fired and runs their handlers in the same
   transaction, then goes back to 1 at once. API writes queued meanwhile go in between
   two such units, and a unit takes about `budget` seconds at most (as many timers as
   the last units' cost per timer allows, up to `batch`), so a breach storm never holds
   the writer for long;
3. otherwise sleeps until that time, but at most `poll` seconds (timers made by other
   processes are seen within `poll`), and wakes early when this process commits a
   timer due sooner (the `timer.scheduled` event on the bus).

Idle, that is one cheap query every `poll` seconds. Exactly-once and restart safety
come from the claim (see `core.timers`), not from anything held in memory here: a
process that dies loses nothing but the batch it had not committed, which is still
pending for the next scheduler.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable, Mapping
from datetime import datetime
from functools import partial

from sqlalchemy.orm import Session

from murphy.core import timers
from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.core.events import Event, EventBus
from murphy.core.rounds import Rounds
from murphy.core.writer import Writer

log = logging.getLogger(__name__)

BUSY_RETRY = 0.05  # due timers that another process is firing: look again this soon


class Scheduler(Rounds):
    """Fires the due timers of `handlers`' kinds through `writer`."""

    def __init__(
        self,
        db: Database,
        writer: Writer,
        handlers: Mapping[str, timers.Handler],
        *,
        bus: EventBus | None = None,
        batch: int = 100,
        budget: float = 0.05,
        poll: float = 0.5,
        clock: Callable[[], datetime] = utcnow,
    ) -> None:
        super().__init__(name="murphy-scheduler", bus=bus)
        self.db = db
        self.writer = writer
        self.handlers = dict(handlers)
        self.kinds = sorted(self.handlers)
        self.batch = batch
        self.budget = budget
        self.poll = poll
        self.clock = clock
        self.fired = 0  # timers this scheduler claimed and ran
        self.rounds = 0  # units of work it handed to the writer
        self._per_timer = budget / 10  # seconds a timer costs, learnt from the last units
        self._sleeping_until = 0.0  # epoch seconds; read from the writer's thread

    def start(self) -> None:
        """Start firing timers on the running event loop (idempotent; not without kinds)."""
        if self.kinds:
            super().start()

    async def drain(self) -> int:
        """Fire everything due now, batch after batch; returns how many (for `--once`)."""
        total = 0
        while self.kinds:
            limit = self.limit
            count = await self.writer.run(partial(self._fire, limit=limit))
            self.fired += count
            total += count
            if count < limit:
                return total
        return total

    @property
    def limit(self) -> int:
        """How many timers the next unit of work may claim: what fits in `budget`."""
        return max(1, min(self.batch, int(self.budget / self._per_timer)))

    # --- the loop ------------------------------------------------------------------------

    async def _round(self) -> float:
        """One look at the table, and one batch fired if something is due: the delay
        before the next look."""
        self._sleeping_until = float("inf")  # a timer committed from now on wakes the next sleep
        due = await asyncio.to_thread(self._peek)
        now = self.clock()
        if due is None:
            return self.poll
        if due > now:
            return min(self.poll, (due - now).total_seconds())
        limit = self.limit
        count = await self.writer.run(partial(self._fire, limit=limit))
        self.fired += count
        self.rounds += 1
        return 0.0 if count else BUSY_RETRY

    def _peek(self) -> datetime | None:
        with self.db.engine.connect() as conn:
            return timers.next_due(conn, self.kinds)

    def _fire(self, session: Session, limit: int) -> int:
        started = time.perf_counter()
        count = timers.fire_due(session, self.handlers, now=self.clock(), limit=limit)
        if count:
            cost = (time.perf_counter() - started) / count
            self._per_timer = 0.7 * self._per_timer + 0.3 * max(cost, 1e-5)
        return count

    async def _sleep(self, seconds: float) -> None:
        self._sleeping_until = self.clock().timestamp() + seconds
        await super()._sleep(seconds)

    def _on_event(self, event: Event) -> None:
        """A timer was committed in this process: wake up if it is due before we would."""
        if event.name != timers.SCHEDULED_EVENT:
            return
        if float(event.payload.get("due", 0.0)) < self._sleeping_until:
            self.wake()
