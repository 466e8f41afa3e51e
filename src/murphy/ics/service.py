"""Use cases for major incidents under NIMS/ICS: declaring, the roster, the periods.

Never commits: the caller owns the transaction. Every change is on the incident's
timeline: `ics_declared` and `ics_complexity` (written by `incidents.major`), `ics_role`
and `ics_period`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core.clock import as_utc, isoformat, utcnow, zone
from murphy.core.errors import Conflict, PermissionDenied, ValidationFailed
from murphy.ics import rules
from murphy.ics.models import OperationalPeriod, RoleAssignment
from murphy.ics.schemas import (
    TITLES,
    AssignIn,
    AssignmentOut,
    ComplexityIn,
    DeclareIn,
    IcsOut,
    IcsRole,
    PeriodIn,
    PeriodOut,
    PersonIn,
    RelieveIn,
)
from murphy.incidents import major
from murphy.incidents import service as incidents_service
from murphy.sites import service as sites_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal

ROLE_ORDER = {role: i for i, role in enumerate(IcsRole)}


@dataclass(frozen=True)
class _Person:
    user_id: int | None
    name: str
    record: dict[str, Any]  # as the timeline says it: {"user": ..., "name": ...}


def roster(session: Session, *, principal: Principal, number: str) -> IcsOut:
    """The command of an incident: who holds or held each ICS role, and its periods."""
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    incidents_service.require(principal, Permission.READ, "see the ICS roster")
    return _out(session, incident)


def declare(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: DeclareIn,
    now: datetime | None = None,
) -> IcsOut:
    """Declare an incident major with its commander and complexity type."""
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=True
    )
    _require(principal)
    person = _person(session, incident, data.commander)
    now = now or utcnow()
    major.declare(
        session,
        principal=principal,
        number=incident.number,
        complexity=data.complexity,
        commander=person.record,
        now=now,
    )
    _seat(session, incident.id, IcsRole.INCIDENT_COMMANDER, person, now)
    return _out(session, incident)


def assign(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: AssignIn,
    now: datetime | None = None,
) -> IcsOut:
    """Put someone in an ICS role; its holder, if any, is relieved at the same moment
    (a transfer of command for the incident commander)."""
    incident = _commandable(session, principal, number)
    person = _person(session, incident, data)
    holder = _holder(session, incident.id, data.role)
    if holder is not None and (holder.user_id, holder.name) == (person.user_id, person.name):
        return _out(session, incident)
    now = now or utcnow()
    if holder is not None:
        holder.relieved_at = now
    _seat(session, incident.id, data.role, person, now)
    entry = {
        "role": data.role.value,
        "title": TITLES[data.role],
        "assigned": person.record,
        "relieved": _record(session, holder) if holder is not None else None,
    }
    incidents_service.append_entry(
        session, incident_id=incident.id, kind="ics_role", data=entry, at=now, actor=principal
    )
    return _out(session, incident)


def relieve(
    session: Session,
    *,
    principal: Principal,
    number: str,
    role: IcsRole,
    data: RelieveIn,
    now: datetime | None = None,
) -> IcsOut:
    """Relieve the holder of a role, leaving it empty (never the incident commander:
    command is transferred by assigning the next one)."""
    incident = _commandable(session, principal, number)
    if role is IcsRole.INCIDENT_COMMANDER:
        raise Conflict(
            "command never lapses: assign the next incident commander instead, which "
            "relieves the current one"
        )
    holder = _holder(session, incident.id, role)
    if holder is None:
        raise Conflict(f"nobody holds the role {TITLES[role]} on {incident.number}")
    now = now or utcnow()
    holder.relieved_at = now
    entry: dict[str, Any] = {
        "role": role.value,
        "title": TITLES[role],
        "assigned": None,
        "relieved": _record(session, holder),
    }
    if data.reason:
        entry["reason"] = data.reason
    incidents_service.append_entry(
        session, incident_id=incident.id, kind="ics_role", data=entry, at=now, actor=principal
    )
    return _out(session, incident)


def set_complexity(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: ComplexityIn,
    now: datetime | None = None,
) -> IcsOut:
    """Change the complexity type of a major incident."""
    incident = major.set_complexity(
        session,
        principal=principal,
        number=number,
        complexity=data.complexity,
        reason=data.reason,
        now=now,
    )
    return _out(session, incident)


def add_period(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: PeriodIn,
    now: datetime | None = None,
) -> IcsOut:
    """Record the next operational period and its objectives."""
    incident = _commandable(session, principal, number)
    site = sites_service.get_by_ids(session, [incident.site_id])[incident.site_id]
    tz = zone(site.timezone)
    starts, ends = as_utc(data.starts_at, tz), as_utc(data.ends_at, tz)
    last = _last_period(session, incident.id)
    rules.check_period(starts, ends, last.ends_at if last else None)
    period = OperationalPeriod(
        incident_id=incident.id,
        number=(last.number + 1) if last else 1,
        starts_at=starts,
        ends_at=ends,
        objectives=data.objectives,
    )
    session.add(period)
    session.flush()
    entry = {
        "period": period.number,
        "starts_at": isoformat(starts),
        "ends_at": isoformat(ends),
        "objectives": data.objectives,
    }
    incidents_service.append_entry(
        session,
        incident_id=incident.id,
        kind="ics_period",
        data=entry,
        at=now or utcnow(),
        actor=principal,
    )
    return _out(session, incident)


# --- internals -----------------------------------------------------------------------


def _require(principal: Principal) -> None:
    if not principal.can(Permission.COMMAND):
        raise PermissionDenied(
            f"your role ({principal.role.value}) may not command major incidents: "
            "supervisors and admins may"
        )


def _commandable(session: Session, principal: Principal, number: str) -> Any:
    """The incident, locked, if it is major, not final, and the caller may command it."""
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=True
    )
    _require(principal)
    major.check_command(incident)
    return incident


def _person(session: Session, incident: Any, given: PersonIn) -> _Person:
    """A user who may see the incident, or a named outsider."""
    if not given.user:
        name = given.name or ""
        return _Person(user_id=None, name=name, record={"user": None, "name": name})
    user = users_service.get(session, username=given.user)
    if user is None or not user.is_active:
        raise ValidationFailed(
            f"no active user {given.user!r}: give `name` instead for someone without an account"
        )
    them = users_service.principal(session, user)
    cleared = incident.clearance is None or incident.clearance in them.clearances
    if not (them.can(Permission.READ) and them.sees_site(incident.site_id) and cleared):
        raise ValidationFailed(
            f"{user.username} may not see {incident.number}: choose someone who can, "
            "or give their role access first"
        )
    name = user.display_name or user.username
    return _Person(user_id=user.id, name=name, record={"user": user.username, "name": name})


def _last_period(session: Session, incident_id: int) -> OperationalPeriod | None:
    return session.scalar(
        select(OperationalPeriod)
        .where(OperationalPeriod.incident_id == incident_id)
        .order_by(OperationalPeriod.number.desc())
        .limit(1)
    )


def _seat(session: Session, incident_id: int, role: IcsRole, person: _Person, at: datetime) -> None:
    session.add(
        RoleAssignment(
            incident_id=incident_id,
            role=role.value,
            user_id=person.user_id,
            name=person.name,
            assigned_at=at,
        )
    )
    session.flush()


def _holder(session: Session, incident_id: int, role: IcsRole) -> RoleAssignment | None:
    return session.scalar(
        select(RoleAssignment).where(
            RoleAssignment.incident_id == incident_id,
            RoleAssignment.role == role.value,
            RoleAssignment.relieved_at.is_(None),
        )
    )


def _record(session: Session, seat: RoleAssignment) -> dict[str, Any]:
    users = users_service.refs(session, [seat.user_id] if seat.user_id else [])
    user = users.get(seat.user_id) if seat.user_id else None
    return {
        "user": user.username if user else None,
        "name": seat.name,
        "since": isoformat(seat.assigned_at),
    }


def _out(session: Session, incident: Any) -> IcsOut:
    seats = session.scalars(
        select(RoleAssignment).where(RoleAssignment.incident_id == incident.id)
    ).all()
    users = users_service.refs(session, [s.user_id for s in seats if s.user_id])
    roster = [
        AssignmentOut(
            role=IcsRole(s.role),
            title=TITLES[IcsRole(s.role)],
            user=users.get(s.user_id) if s.user_id else None,
            name=s.name,
            assigned_at=s.assigned_at,
            relieved_at=s.relieved_at,
            current=s.relieved_at is None,
        )
        for s in sorted(seats, key=lambda s: (ROLE_ORDER[IcsRole(s.role)], s.assigned_at, s.id))
    ]
    periods = session.scalars(
        select(OperationalPeriod)
        .where(OperationalPeriod.incident_id == incident.id)
        .order_by(OperationalPeriod.number)
    ).all()
    commander = [a for a in roster if a.current and a.role is IcsRole.INCIDENT_COMMANDER]
    return IcsOut(
        number=incident.number,
        major=incident.major,
        complexity=incident.complexity,
        commander=commander[0] if commander else None,
        roster=roster,
        periods=[
            PeriodOut(
                number=p.number, starts_at=p.starts_at, ends_at=p.ends_at, objectives=p.objectives
            )
            for p in periods
        ],
    )
