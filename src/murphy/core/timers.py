"""Durable timers: something that must happen at a time, kept in the `timers` table.

A domain schedules a timer in the transaction of the change that calls for it
(`schedule`, `cancel`), so a timer exists exactly when its cause was committed. The
`Scheduler` (`core.scheduler`) claims the timers that are due and runs the handler
registered for their kind in the same transaction that marks them fired: a crash
before that commit leaves them pending (nothing lost), and after it they are fired
together with their effects (nothing fired twice).

Exactly once with several processes: on PostgreSQL the claim is `SELECT ... FOR UPDATE
SKIP LOCKED`, so two schedulers never take the same timer; on SQLite the one writer
(`BEGIN IMMEDIATE`) serializes claims anyway.

What a handler must do (the contract): re-check its subject and do nothing if the
reason for the timer went away; re-arm (`schedule`) if the subject's time moved. On
PostgreSQL, `schedule` and `cancel` never wait for a timer that a scheduler is firing
right now (that would deadlock against the handler, which takes the subject's locks
after the timer's); they leave it to that handler's re-check instead.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from murphy.core import events
from murphy.core.clock import utcnow
from murphy.core.models import Timer

log = logging.getLogger(__name__)

PENDING, FIRED, CANCELLED, FAILED = "pending", "fired", "cancelled", "failed"
SCHEDULED_EVENT = "timer.scheduled"  # published after commit: wakes this process's scheduler
MAX_ATTEMPTS = 5  # a handler that raises is retried this many times, then the timer fails
RETRY_SECONDS = 30  # first retry after this long, doubling each time


@dataclass(frozen=True)
class DueTimer:
    """A claimed timer as its handler sees it."""

    id: int
    kind: str
    subject: str
    due_at: datetime
    payload: dict[str, Any]
    fired_at: datetime


Handler = Callable[[Session, DueTimer], None]

_T = cast(Table, Timer.__table__)  # Core statements: no ORM bookkeeping on the hot path


def schedule(
    session: Session,
    *,
    kind: str,
    subject: str,
    due_at: datetime,
    payload: Mapping[str, Any] | None = None,
    now: datetime | None = None,
) -> None:
    """Make (`kind`, `subject`) due at `due_at`: a new timer, or the existing one moved
    (and armed again if it had fired or was cancelled)."""
    values = {"due_at": due_at, "state": PENDING, "payload": dict(payload or {}), "fired_at": None}
    if _postgres(session):
        found = session.execute(_unlocked(kind, subject)).scalar()
        if found is not None:
            session.execute(update(_T).where(_T.c.id == found).values(**values))
        else:  # absent, or being fired right now: never wait for it (see the module doc)
            new = pg_insert(Timer).values(kind=kind, subject=subject, created_at=now or utcnow())
            session.execute(new.values(**values).on_conflict_do_nothing())
    else:
        stmt = sqlite_insert(Timer).values(
            kind=kind, subject=subject, created_at=now or utcnow(), **values
        )
        session.execute(
            stmt.on_conflict_do_update(index_elements=[Timer.kind, Timer.subject], set_=values)
        )
    events.emit(session, events.Event(SCHEDULED_EVENT, {"kind": kind, "due": due_at.timestamp()}))


def cancel(session: Session, *, kind: str, subject: str) -> None:
    """Cancel the pending timer (`kind`, `subject`), if there is one."""
    if _postgres(session):
        found = session.execute(_unlocked(kind, subject, PENDING)).scalar()
        if found is not None:
            session.execute(update(_T).where(_T.c.id == found).values(state=CANCELLED))
        return
    session.execute(
        update(_T)
        .where(_T.c.kind == kind, _T.c.subject == subject, _T.c.state == PENDING)
        .values(state=CANCELLED)
    )


def pending(session: Session, *, kind: str, subject: str) -> bool:
    """Whether (`kind`, `subject`) is armed and waiting."""
    stmt = select(_T.c.id).where(_T.c.kind == kind, _T.c.subject == subject, _T.c.state == PENDING)
    return session.execute(stmt).first() is not None


def next_due(session: Session | Connection, kinds: Iterable[str]) -> datetime | None:
    """When the first pending timer of these kinds is due (one index lookup)."""
    stmt = (
        select(Timer.due_at)
        .where(Timer.state == PENDING, Timer.kind.in_(list(kinds)))
        .order_by(Timer.due_at)
        .limit(1)
    )
    found: datetime | None = session.execute(stmt).scalar()
    return found


def fire_due(
    session: Session, handlers: Mapping[str, Handler], *, now: datetime, limit: int
) -> int:
    """Claim up to `limit` timers due at `now` (oldest first), mark them fired and run
    their handlers, all in the caller's transaction; returns how many were claimed.

    Handlers run in subject order, so that schedulers in two processes take the locks
    of their subjects in the same order. They run together inside one savepoint; if one
    raises, that savepoint is rolled back and each runs again in a savepoint of its own,
    and the timer whose handler fails is retried later (`MAX_ATTEMPTS`, then `failed`).
    """
    claimed = _claim(session, list(handlers), now, limit)
    if not claimed:
        return 0
    session.execute(
        update(_T).where(_T.c.id.in_([t.id for t in claimed])).values(state=FIRED, fired_at=now)
    )
    ordered = sorted(claimed, key=lambda t: (t.subject, t.id))
    mark = events.pending_count(session)
    savepoint = session.begin_nested()
    try:
        for timer in ordered:
            handlers[timer.kind](session, timer)
        savepoint.commit()
    except Exception:
        savepoint.rollback()
        events.discard_after(session, mark)
        for timer in ordered:
            _run(session, handlers[timer.kind], timer)
    return len(claimed)


def collect(results: Iterable[Mapping[str, Handler] | None]) -> dict[str, Handler]:
    """Merge the `timer_handlers` hook's answers; a kind claimed twice is an error."""
    merged: dict[str, Handler] = {}
    for result in results:
        for kind, handler in (result or {}).items():
            if kind in merged and merged[kind] is not handler:
                raise ValueError(f"two handlers for timers of kind {kind!r}")
            merged[kind] = handler
    return merged


# --- internals -----------------------------------------------------------------------


def _postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


def _unlocked(kind: str, subject: str, state: str | None = None) -> Any:
    """The timer's id, locked, unless another transaction holds it (PostgreSQL)."""
    stmt = select(Timer.id).where(Timer.kind == kind, Timer.subject == subject)
    if state is not None:
        stmt = stmt.where(Timer.state == state)
    return stmt.with_for_update(skip_locked=True)


def _claim(session: Session, kinds: list[str], now: datetime, limit: int) -> list[DueTimer]:
    stmt = (
        select(Timer.id, Timer.kind, Timer.subject, Timer.due_at, Timer.payload)
        .where(Timer.state == PENDING, Timer.due_at <= now, Timer.kind.in_(kinds))
        .order_by(Timer.due_at, Timer.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # nothing on SQLite: its one writer serializes
    )
    rows = session.execute(stmt).all()
    return [DueTimer(r.id, r.kind, r.subject, r.due_at, dict(r.payload or {}), now) for r in rows]


def _run(session: Session, handler: Handler, timer: DueTimer) -> None:
    mark = events.pending_count(session)
    savepoint = session.begin_nested()
    try:
        handler(session, timer)
        savepoint.commit()
    except Exception as exc:
        savepoint.rollback()
        events.discard_after(session, mark)
        _retry_later(session, timer, exc)


def _retry_later(session: Session, timer: DueTimer, exc: Exception) -> None:
    attempts = int(timer.payload.get("_attempts", 0)) + 1
    payload = {**timer.payload, "_attempts": attempts, "_error": str(exc)[:500]}
    values: dict[str, Any] = {"payload": payload}
    if attempts >= MAX_ATTEMPTS:
        values["state"] = FAILED
    else:
        values["state"] = PENDING
        values["due_at"] = timer.fired_at + timedelta(seconds=RETRY_SECONDS * 2 ** (attempts - 1))
        values["fired_at"] = None
    session.execute(update(_T).where(_T.c.id == timer.id).values(**values))
    log.exception(
        "timer %s %s failed (attempt %d of %d)", timer.kind, timer.subject, attempts, MAX_ATTEMPTS
    )
