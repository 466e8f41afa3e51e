"""The live stream: what changed, in commit order, to every screen that is watching.

An event with an audience (`events.Audience`) is written to `live_events` in the
transaction that made it, numbered in commit order (`events._before_commit`). One `Hub`
per process tails that table: woken after a commit in this process (the event bus), by
a PostgreSQL NOTIFY from another process, or once a second anyway (a CLI or `murphy
mqtt` process on SQLite), it reads the new rows once and hands each to every
subscriber's queue. So every process sees every change, with the same ids.

A screen that reconnects sends the id it saw last (SSE `Last-Event-ID`) and gets what
it missed, from the hub's memory or, further back, from the table; one further behind
than the table keeps, or too slow to keep up (its queue full), is told to reload.
Who may see which event is the caller's business (`Subscription.accepts`).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from murphy.core.db import Database
from murphy.core.events import LIVE_CHANNEL
from murphy.core.models import LiveEvent

log = logging.getLogger(__name__)

MEMORY = 5_000  # newest events kept in memory for reconnecting screens
QUEUE = 1_000  # events waiting for one slow screen before it is told to reload
BATCH = 2_000  # rows read at once
SAFETY_POLL = 1.0  # seconds: a change committed by another process without a NOTIFY
KEEPALIVE = 15.0  # seconds: an idle subscription is handed PING this often


@dataclass(frozen=True)
class Item:
    """One live event as the hub hands it out."""

    id: int
    name: str
    site_id: int | None
    clearance: str | None
    owner_id: int | None
    payload: dict[str, Any]


PING = Item(id=0, name="ping", site_id=None, clearance=None, owner_id=None, payload={})
"""Handed to an idle subscription every KEEPALIVE seconds: one timer for all streams,
not a timeout per stream and event (`asyncio.wait_for` makes a task each time)."""


class Behind(Exception):
    """The screen is further behind than what is kept: it must reload."""


class Subscription:
    """One screen's queue of events; `accepts` decides which it may see."""

    def __init__(self, accepts: Callable[[Item], bool]) -> None:
        self.accepts = accepts
        self.queue: asyncio.Queue[Item | None] = asyncio.Queue(QUEUE)
        self.overflowed = False
        self.held: list[Item] | None = None  # live events while its backlog is read

    def offer(self, item: Item) -> None:
        if self.held is not None:
            self.held.append(item)
            return
        if self.overflowed or not self.accepts(item):
            return
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            self.overflowed = True  # too slow: tell it to reload rather than skip
            with contextlib.suppress(asyncio.QueueEmpty):
                self.queue.get_nowait()
            self.queue.put_nowait(None)

    def ping(self) -> None:
        """Wake an idle stream so that it writes a keep-alive line."""
        if self.held is None and not self.overflowed and self.queue.empty():
            self.queue.put_nowait(PING)


class Hub:
    """Tails `live_events` and fans each new row out to the subscriptions."""

    def __init__(self, db: Database) -> None:
        self.db = db
        self.memory: deque[Item] = deque(maxlen=MEMORY)
        self.last_id = 0
        self.subscriptions: set[Subscription] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._wake: asyncio.Event | None = None
        self._task: asyncio.Task[None] | None = None
        self._listener: threading.Thread | None = None
        self._stop = threading.Event()

    # --- lifecycle ------------------------------------------------------------------

    async def start(self) -> None:
        """Start tailing from the newest event (and, on PostgreSQL, listening)."""
        self._loop = asyncio.get_running_loop()
        self._wake = asyncio.Event()
        self.last_id = await asyncio.to_thread(self._newest)
        self._task = asyncio.create_task(self._run(), name="murphy-live")
        if self.db.dialect == "postgresql":
            self._listener = threading.Thread(target=self._listen, name="murphy-live-listen")
            self._listener.daemon = True
            self._listener.start()

    async def stop(self) -> None:
        """Stop tailing; every open stream ends.

        A flag and a wake-up, not only a cancel: before Python 3.12, `wait_for` can
        swallow a cancellation that arrives as its wait ends (a poke at that moment)."""
        self._stop.set()
        if self._task is not None:
            if self._wake is not None:
                self._wake.set()
            done, _ = await asyncio.wait({self._task}, timeout=5)
            if not done:
                self._task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._task
        for sub in list(self.subscriptions):
            with contextlib.suppress(asyncio.QueueFull):
                sub.queue.put_nowait(None)

    def poke(self) -> None:
        """Something was committed: read the new events soon. Any thread may call it."""
        loop, wake = self._loop, self._wake
        if loop is not None and wake is not None and not loop.is_closed():
            loop.call_soon_threadsafe(wake.set)

    # --- subscribers ------------------------------------------------------------------

    async def subscribe(self, accepts: Callable[[Item], bool], after: int | None) -> Subscription:
        """A new subscription, first filled with what came after `after` (the id the
        screen saw last; None: only what comes from now on). Behind if that is gone.

        It joins at once, holding what arrives while its backlog is read, then takes
        the backlog and the held events in id order, each once."""
        sub = Subscription(accepts)
        upto = self.last_id
        if after is None or after >= upto:
            self.subscriptions.add(sub)
            return sub
        sub.held = []
        self.subscriptions.add(sub)
        try:
            if self.memory and self.memory[0].id <= after + 1:
                backlog = [i for i in self.memory if after < i.id <= upto]
            else:
                backlog = await asyncio.to_thread(self._since, after, upto)
        except BaseException:
            self.subscriptions.discard(sub)
            raise
        held, sub.held = sub.held, None
        for item in backlog + [i for i in held if i.id > upto]:
            sub.offer(item)
        return sub

    def unsubscribe(self, sub: Subscription) -> None:
        self.subscriptions.discard(sub)

    def _since(self, after: int, upto: int) -> list[Item]:
        with self.db.transaction(write=False) as session:
            oldest = session.scalar(select(func.min(LiveEvent.id)))
            if oldest is None or oldest > after + 1:
                raise Behind(f"events after {after} are no longer kept")
            return _rows(session, after, upto=upto)

    # --- tailing ----------------------------------------------------------------------

    async def _run(self) -> None:
        assert self._wake is not None  # noqa: S101 (set in start)
        assert self._loop is not None  # noqa: S101 (set in start)
        next_ping = self._loop.time() + KEEPALIVE
        while not self._stop.is_set():
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SAFETY_POLL)
            self._wake.clear()
            if self._stop.is_set():
                return
            if self._loop.time() >= next_ping:
                next_ping = self._loop.time() + KEEPALIVE
                for sub in list(self.subscriptions):
                    sub.ping()
            try:
                items = await asyncio.to_thread(self._read, self.last_id)
            except Exception:
                log.exception("reading live events failed; trying again")
                await asyncio.sleep(SAFETY_POLL)
                continue
            for item in items:
                self.memory.append(item)
                self.last_id = item.id
                for sub in list(self.subscriptions):
                    sub.offer(item)
            if len(items) == BATCH:
                self._wake.set()  # more to read

    def _newest(self) -> int:
        with self.db.transaction(write=False) as session:
            return int(session.scalar(select(func.max(LiveEvent.id))) or 0)

    def _read(self, after: int) -> list[Item]:
        with self.db.transaction(write=False) as session:
            return _rows(session, after, limit=BATCH)

    def _listen(self) -> None:
        """PostgreSQL: wake the hub on each NOTIFY of another process (or this one)."""
        import psycopg  # only on PostgreSQL

        url = self.db.engine.url.set(drivername="postgresql")
        while not self._stop.is_set():
            try:
                with psycopg.connect(
                    url.render_as_string(hide_password=False), autocommit=True
                ) as conn:
                    conn.execute(f"LISTEN {LIVE_CHANNEL}")
                    self.poke()  # whatever was committed while not listening
                    while not self._stop.is_set():
                        for _ in conn.notifies(timeout=1.0, stop_after=1):
                            self.poke()
            except Exception:
                log.exception("listening for live events failed; again in 2 s")
                self._stop.wait(2)


def _rows(
    session: Session, after: int, *, upto: int | None = None, limit: int | None = None
) -> list[Item]:
    """The events after id `after` (up to `upto`), oldest first."""
    stmt = select(LiveEvent).where(LiveEvent.id > after).order_by(LiveEvent.id).limit(limit)
    if upto is not None:
        stmt = stmt.where(LiveEvent.id <= upto)
    return [_item(r) for r in session.scalars(stmt)]


def _item(row: LiveEvent) -> Item:
    return Item(
        id=row.id,
        name=row.name,
        site_id=row.site_id,
        clearance=row.clearance,
        owner_id=row.owner_id,
        payload=dict(row.payload),
    )
