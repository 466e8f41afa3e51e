"""Domain events, published to subscribers only after the transaction commits.

A service calls `emit(session, Event(...))`; nothing leaves the process until the
session commits, and a rollback discards what was emitted. The bus is owned by the
application (one per `create_app`), reached through `session.info`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

from murphy.core.clock import utcnow

log = logging.getLogger(__name__)

_PENDING = "murphy.pending_events"
_BUS = "murphy.bus"


@dataclass(frozen=True)
class Audience:
    """Who may see an event on a live screen: those who may see an incident of this
    site (and clearance, for a restricted type), or who reported it (`owner_id`)."""

    site_id: int | None = None
    clearance: str | None = None
    owner_id: int | None = None


@dataclass(frozen=True)
class Event:
    """Something that happened: a dotted name and a JSON-safe payload. An event with an
    audience is also for the live screens: written to `live_events` before its
    transaction commits, which gives it `id`."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)
    audience: Audience | None = None
    id: int | None = None


Subscriber = Callable[[Event], None]


class EventBus:
    """In-process publish/subscribe. Subscribers must be quick and must not raise."""

    def __init__(self) -> None:
        self._subscribers: list[Subscriber] = []

    def subscribe(self, subscriber: Subscriber) -> Callable[[], None]:
        """Add a subscriber; returns a function that removes it."""
        self._subscribers.append(subscriber)
        return lambda: self._subscribers.remove(subscriber)

    def publish(self, event: Event) -> None:
        """Hand `event` to every subscriber; a failing subscriber is logged, not fatal."""
        for subscriber in list(self._subscribers):
            try:
                subscriber(event)
            except Exception:
                log.exception("event subscriber failed on %s", event.name)


def attach(session: Session, bus: EventBus) -> None:
    """Route the events of `session` to `bus` after each commit."""
    session.info[_BUS] = bus


def emit(session: Session, event: Event) -> None:
    """Queue `event`; it is published only if the surrounding transaction commits."""
    session.info.setdefault(_PENDING, []).append(event)


def pending_count(session: Session) -> int:
    """How many events are queued on `session` (a mark to roll back to)."""
    return len(session.info.get(_PENDING, []))


def discard_after(session: Session, mark: int) -> None:
    """Drop the events queued after `mark` (their savepoint was rolled back)."""
    pending: list[Event] = session.info.get(_PENDING, [])
    del pending[mark:]


def _after_commit(session: Session) -> None:
    pending: list[Event] = session.info.pop(_PENDING, [])
    bus: EventBus | None = session.info.get(_BUS)
    if bus is not None:
        for item in pending:
            bus.publish(item)


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)


LIVE_CHANNEL = "murphy_live"  # PostgreSQL NOTIFY channel: new live events were committed
LIVE_LOCK = 0x6D75_6C69  # advisory lock: live events are numbered in commit order
LIVE_KEEP = 100_000  # live events kept for screens that reconnect (the newest ones)


def _before_commit(session: Session) -> None:
    """Write the live events of this transaction, numbered in commit order.

    On PostgreSQL the transaction first takes an advisory lock held until it commits, so
    that ids are handed out in the order transactions commit (a screen reading "after
    id N" never skips one committed later with a smaller id), and NOTIFY tells the other
    processes at commit."""
    pending: list[Event] = session.info.get(_PENDING, [])
    if not any(e.audience is not None and e.id is None for e in pending):
        return
    # Imported here: the models import core.db, which installs these hooks.
    from murphy.core.models import LiveEvent

    conn = session.connection()
    postgres = conn.dialect.name == "postgresql"
    if postgres:
        conn.execute(select(func.pg_advisory_xact_lock(LIVE_LOCK)))
    now, first, last = utcnow(), 0, 0
    for i, event in enumerate(pending):
        audience = event.audience
        if audience is None or event.id is not None:
            continue
        row = insert(LiveEvent).values(
            at=now,
            name=event.name,
            site_id=audience.site_id,
            clearance=audience.clearance,
            owner_id=audience.owner_id,
            payload=event.payload,
        )
        last = conn.execute(row.returning(LiveEvent.id)).scalar_one()
        first = first or last
        pending[i] = replace(event, id=last)
    if last // 1000 != (first - 1) // 1000:  # crossed a thousand: forget the oldest
        conn.execute(delete(LiveEvent).where(LiveEvent.id <= last - LIVE_KEEP))
    if postgres:
        conn.execute(select(func.pg_notify(LIVE_CHANNEL, str(last))))


def install(factory: sessionmaker[Session]) -> None:
    """Hook the commit and rollback of every session made by `factory`."""
    sa_event.listen(factory, "before_commit", _before_commit)
    sa_event.listen(factory, "after_commit", _after_commit)
    sa_event.listen(factory, "after_soft_rollback", _after_soft_rollback)


def _after_soft_rollback(session: Session, previous: Any) -> None:
    # A savepoint's rollback discards only its own events (see Writer); a real one, all.
    if not getattr(previous, "nested", False):
        _after_rollback(session)
