"""Incidents from other domains' inputs: what a device signal opens, adds to, resolves.

Public surface for other domains (like `major` and `similar`, see ADR 0003): it sits
above `service` and `triage`, so that a signal's classification and priority go through
the same use cases, checks and timeline entries as a dispatcher's.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError
from murphy.incidents import rules, service, triage
from murphy.incidents.models import Incident
from murphy.incidents.schemas import (
    Channel,
    ClassifyIn,
    IncidentCreate,
    PriorityIn,
    ResolutionCode,
    Status,
    TransitionIn,
)
from murphy.users.schemas import Principal


def open_incident(
    session: Session,
    *,
    principal: Principal,
    data: IncidentCreate,
    channel: Channel,
    type_code: str | None = None,
    priority: int | None = None,
    why: str = "",
    now: datetime | None = None,
) -> Incident:
    """Report an incident and, when the input says so, classify it and set its priority
    (an override with `why` as the reason). An unknown type leaves it unclassified and
    says so on the timeline instead of losing the report."""
    incident = service.report(session, principal=principal, data=data, channel=channel, now=now)
    stored = service.get(session, incident_id=incident.id)
    if type_code:
        try:
            with session.begin_nested():
                triage.classify(
                    session,
                    principal=principal,
                    number=stored.number,
                    data=ClassifyIn(type=type_code),
                    now=now,
                )
        except MurphyError as exc:
            why_not = f"Not classified: {exc.detail}"
            note(session, principal=principal, incident=stored, text=why_not)
            return stored
        if priority is not None and priority != stored.priority:
            triage.prioritize(
                session,
                principal=principal,
                number=stored.number,
                data=PriorityIn(priority=priority, reason=why or "set by the source"),
                now=now,
            )
    return stored


def record(
    session: Session,
    *,
    principal: Principal,
    incident_id: int,
    kind: str,
    data: dict[str, Any],
    now: datetime,
) -> None:
    """Write an entry on an incident's timeline for another domain (a signal's decision)."""
    service.append_entry(
        session, incident_id=incident_id, kind=kind, data=data, at=now, actor=principal
    )


_STATES = select(Incident.id, Incident.number, Incident.status).where(
    Incident.id.in_(bindparam("ids", expanding=True))
)
_STATE = select(Incident.id, Incident.number, Incident.status).where(Incident.id == bindparam("id"))


@dataclass(frozen=True)
class State:
    """An incident's number and whether it is open (new, triaged or responding)."""

    number: str
    open: bool


def states(session: Session, *, ids: Iterable[int]) -> dict[int, State]:
    """The number and openness of incidents by id, in one query; remembered for the
    transaction until any incident changes (a storm's batch asks for the same few)."""
    known: dict[int, State] = session.info.setdefault(service.STATES_SEEN, {})
    wanted = set(ids) - known.keys()
    if wanted:
        rows = (
            session.connection().execute(_STATE, {"id": next(iter(wanted))})
            if len(wanted) == 1  # the usual case: no expanding IN to compile each time
            else session.connection().execute(_STATES, {"ids": list(wanted)})
        )
        for r in rows:
            known[r.id] = State(r.number, Status(r.status) in rules.OPEN)
    return {i: known[i] for i in ids if i in known}


def resolve(
    session: Session, *, principal: Principal, incident_id: int, summary: str, now: datetime
) -> str | None:
    """Resolve an incident as its device asked (a restore); None when done, else why not.

    Only an incident someone is responding to is resolved: one still new or triaged
    stays as it is (resolving it would skip triage and the response, and their service
    targets), and so does one whose playbook or required fields are not done."""
    incident = service.get(session, incident_id=incident_id)
    if Status(incident.status) is not Status.RESPONDING:
        return (
            f"the device restored while the incident was {incident.status}, before anyone "
            "responded: left for the control room to decide"
        )
    return _attempt(
        session,
        lambda: service.transition(
            session,
            principal=principal,
            number=incident.number,
            data=TransitionIn(
                to=Status.RESOLVED, reason=summary, resolution_code=ResolutionCode.RESOLVED
            ),
            now=now,
        ),
    )


def withdraw(
    session: Session, *, principal: Principal, incident_id: int, reason: str, now: datetime
) -> str | None:
    """Cancel an incident its sender withdrew (a CAP Cancel); None when done, else why not.

    Only an incident nobody responds to yet (new or triaged) is cancelled: once someone
    is on it, the control room decides."""
    incident = service.get(session, incident_id=incident_id)
    if Status(incident.status) not in (Status.NEW, Status.TRIAGED):
        return f"the incident was {incident.status}: left for the control room to decide"
    return _attempt(
        session,
        lambda: service.transition(
            session,
            principal=principal,
            number=incident.number,
            data=TransitionIn(to=Status.CANCELLED, reason=reason),
            now=now,
        ),
    )


def reprioritize(
    session: Session,
    *,
    principal: Principal,
    incident_id: int,
    priority: int,
    why: str,
    now: datetime,
) -> str | None:
    """Set an open incident's priority as its sender's update says; None when done (or
    nothing to change), else why not."""
    incident = service.get(session, incident_id=incident_id)
    if incident.priority == priority:
        return None
    return _attempt(
        session,
        lambda: triage.prioritize(
            session,
            principal=principal,
            number=incident.number,
            data=PriorityIn(priority=priority, reason=why),
            now=now,
        ),
    )


def _attempt(session: Session, change: Callable[[], object]) -> str | None:
    """Make a change in a savepoint: None when done, else why not (and nothing of it
    is kept); the caller's own work stands either way."""
    try:
        with session.begin_nested():
            change()
    except MurphyError as exc:
        return exc.detail
    return None


def note(session: Session, *, principal: Principal, incident: Incident, text: str) -> None:
    """A system note on the timeline."""
    service.append_entry(
        session,
        incident_id=incident.id,
        kind="note",
        data={"body": text},
        at=incident.updated_at,
        actor=principal,
    )
