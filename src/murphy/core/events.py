"""Domain events, published to subscribers only after the transaction commits.

A service calls `emit(session, Event(...))`; nothing leaves the process until the
session commits, and a rollback discards what was emitted. The bus is owned by the
application (one per `create_app`), reached through `session.info`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import event as sa_event
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)

_PENDING = "murphy.pending_events"
_BUS = "murphy.bus"


@dataclass(frozen=True)
class Event:
    """Something that happened: a dotted name and a JSON-safe payload."""

    name: str
    payload: dict[str, Any] = field(default_factory=dict)


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


def install(factory: sessionmaker[Session]) -> None:
    """Hook the commit and rollback of every session made by `factory`."""
    sa_event.listen(factory, "after_commit", _after_commit)
    sa_event.listen(factory, "after_soft_rollback", _after_soft_rollback)


def _after_soft_rollback(session: Session, previous: Any) -> None:
    # A savepoint's rollback discards only its own events (see Writer); a real one, all.
    if not getattr(previous, "nested", False):
        _after_rollback(session)
