"""How an incident's clocks follow its changes: started on a priority, retargeted,
met at their milestones, paused, stopped, breached; each with its durable timer.

Used by `service`; every function works inside the caller's transaction. A running
clock has exactly one pending timer (kind `sla.breach`, subject `NUMBER/CLOCK`) due
when the clock is; anything that moves or ends the clock moves or cancels the timer
in the same transaction.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import column, select, table
from sqlalchemy.orm import Session

from murphy.core import timers
from murphy.core.clock import isoformat
from murphy.incidents.schemas import IncidentFacts, Status
from murphy.sla import rules
from murphy.sla.models import Clock
from murphy.sla.rules import CLOCKS, ClockState, Targets

BREACH = "sla.breach"  # the timer kind whose handler breaches a clock
_PAST_RESPOND = frozenset({Status.RESPONDING, Status.RESOLVED, Status.CLOSED})
_PAST_RESOLVE = frozenset({Status.RESOLVED, Status.CLOSED})


def subject(number: str, kind: str) -> str:
    """The timer subject of a clock: `INC-2026-00042/acknowledge`."""
    return f"{number}/{kind}"


def load(session: Session, incident_id: int, *, fresh: bool = False) -> dict[str, Clock]:
    """The clock rows of an incident by kind (`fresh`: re-read, not from the session)."""
    stmt = select(Clock).where(Clock.incident_id == incident_id)
    if fresh:
        stmt = stmt.execution_options(populate_existing=True)
    return {row.kind: row for row in session.scalars(stmt)}


def state(row: Clock) -> ClockState:
    """A clock row as plain values."""
    return ClockState(
        kind=row.kind,
        started_at=row.started_at,
        target_minutes=row.target_minutes,
        paused_seconds=row.paused_seconds or 0,
        paused_at=row.paused_at,
        pause_reason=row.pause_reason or "",
        met_at=row.met_at,
        breached_at=row.breached_at,
    )


def save(session: Session, incident_id: int, row: Clock | None, new: ClockState) -> Clock:
    """Write `new` into `row` (a new row if None)."""
    if row is None:
        row = Clock(incident_id=incident_id, kind=new.kind)
        session.add(row)
    row.started_at, row.target_minutes = new.started_at, new.target_minutes
    row.due_at, row.paused_seconds = new.due_at, new.paused_seconds
    row.paused_at, row.pause_reason = new.paused_at, new.pause_reason
    row.met_at, row.breached_at = new.met_at, new.breached_at
    return row


def arm(session: Session, number: str, incident_id: int, clock: ClockState) -> None:
    """The clock's timer: due with it while it runs, cancelled otherwise."""
    name = subject(number, clock.kind)
    if clock.running:
        payload = {"incident_id": incident_id, "clock": clock.kind}
        timers.schedule(session, kind=BREACH, subject=name, due_at=clock.due_at, payload=payload)
    else:
        timers.cancel(session, kind=BREACH, subject=name)


def sync(session: Session, facts: IncidentFacts, targets: Targets, at: datetime) -> None:
    """Start the clocks a priority calls for, retarget the running ones, drop those whose
    target went away; met and breached clocks stay as they were."""
    rows = load(session, facts.id)
    for kind in CLOCKS:
        minutes, row = targets.minutes(kind), rows.get(kind)
        if row is None:
            if minutes is not None:
                new = _reached(rules.start(kind, facts.reported_at, minutes), facts, at)
                save(session, facts.id, None, new)
                arm(session, facts.number, facts.id, new)
            continue
        old = state(row)
        if old.settled:
            continue
        if minutes is None:
            session.delete(row)
            timers.cancel(session, kind=BREACH, subject=subject(facts.number, kind))
            continue
        new = rules.retarget(old, minutes)
        if new != old:
            save(session, facts.id, row, new)
            arm(session, facts.number, facts.id, new)
    session.flush()


def _reached(clock: ClockState, facts: IncidentFacts, at: datetime) -> ClockState:
    """A clock started late (the incident got its priority after a milestone): met when
    the milestone was, as far as the incident says."""
    if clock.kind == "acknowledge" and facts.acknowledged_at is not None:
        return rules.meet(clock, facts.acknowledged_at)
    if (clock.kind == "respond" and facts.status in _PAST_RESPOND) or (
        clock.kind == "resolve" and facts.status in _PAST_RESOLVE
    ):
        return rules.meet(clock, at)
    return clock


def meet(session: Session, facts: IncidentFacts, kind: str, at: datetime) -> None:
    """The milestone of clock `kind` was reached at `at`."""
    row = load(session, facts.id).get(kind)
    if row is None:
        return
    old = state(row)
    new = rules.meet(old, at)
    if new != old:
        save(session, facts.id, row, new)
        arm(session, facts.number, facts.id, new)


def restart(session: Session, facts: IncidentFacts, minutes: int | None, at: datetime) -> None:
    """The resolve clock starts again (the incident was reopened)."""
    row = load(session, facts.id).get("resolve")
    if minutes is None:
        if row is not None:
            session.delete(row)
        timers.cancel(session, kind=BREACH, subject=subject(facts.number, "resolve"))
        return
    new = rules.start("resolve", at, minutes)
    save(session, facts.id, row, new)
    arm(session, facts.number, facts.id, new)


def stop(session: Session, facts: IncidentFacts, at: datetime) -> None:
    """The incident ended (cancelled, merged, closed): every clock not met stops."""
    reason = f"stopped: incident {facts.status.value}"
    for row in load(session, facts.id).values():
        old = state(row)
        new = rules.stop(old, at, reason)
        if new != old:
            save(session, facts.id, row, new)
        if old.running:
            timers.cancel(session, kind=BREACH, subject=subject(facts.number, row.kind))


def breach(session: Session, timer: timers.DueTimer) -> dict[str, Any] | None:
    """The timeline data of a breach if the timer's clock is still running and due;
    otherwise nothing happens (re-armed if its due time moved later)."""
    incident_id, kind = int(timer.payload["incident_id"]), str(timer.payload["clock"])
    _lock_incident(session, incident_id)
    row = load(session, incident_id, fresh=True).get(kind)
    if row is None:
        return None
    old = state(row)
    if not old.running:
        return None
    new = rules.breach(old, timer.fired_at)
    if new is None:  # moved later while the timer was being fired
        timers.schedule(
            session, kind=BREACH, subject=timer.subject, due_at=old.due_at, payload=timer.payload
        )
        return None
    save(session, incident_id, row, new)
    return {
        "clock": kind,
        "due_at": isoformat(old.due_at),
        "target_minutes": old.target_minutes,
        "started_at": isoformat(old.started_at),
    }


# The incident row, by name: a breach takes the incident's lock before reading its clock,
# the order every change of an incident takes them in, so the two never deadlock.
# (To be replaced by a locking function of murphy.incidents.service.)
_INCIDENTS = table("incidents", column("id"))


def _lock_incident(session: Session, incident_id: int) -> None:
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            select(_INCIDENTS.c.id).where(_INCIDENTS.c.id == incident_id).with_for_update()
        )
