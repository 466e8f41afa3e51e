"""Use cases for priority and service targets. Never commits: the caller owns the
transaction.

The clocks follow the incident through `track`, which the sla plugin calls from the
`incident_changed` hook; `pause`, `resume` and `breach` change them on request and
return what the caller writes on the incident's timeline.
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select
from sqlalchemy.orm import Session

from murphy.core import config, timers
from murphy.core.clock import utcnow
from murphy.core.errors import Conflict, ValidationFailed
from murphy.incidents.schemas import Change, IncidentFacts, Status
from murphy.sites import service as sites_service
from murphy.sla import changes, rules
from murphy.sla.changes import BREACH
from murphy.sla.models import Clock, ServiceTarget
from murphy.sla.rules import CLOCKS, TargetRow, Targets
from murphy.sla.schemas import ClockDue, ClockOut, MatrixOut, TargetIn, TargetOut, TargetsOut
from murphy.taxonomy import service as taxonomy_service

__all__ = ["BREACH"]

MATRIX_KEY = "priority_matrix"
OPEN = frozenset({Status.NEW, Status.TRIAGED, Status.RESPONDING})
_MET_BY = {"triage": "acknowledge", "respond": "respond", "resolve": "resolve"}
_STOPPED_BY = frozenset({"cancel", "merge", "close"})


def matrix(session: Session) -> MatrixOut:
    """The priority matrix in force (the organization's, or the default)."""
    stored = config.get(session, MATRIX_KEY)
    if stored is None:
        return MatrixOut(matrix=rules.default_matrix(), default=True)
    return MatrixOut(matrix=stored, default=False)


def set_matrix(
    session: Session, *, value: object, actor: str | None, now: datetime | None = None
) -> MatrixOut:
    """Replace the priority matrix; an invalid one is refused and nothing changes."""
    checked = rules.check_matrix(value)
    config.put(session, MATRIX_KEY, checked, actor=actor, now=now or utcnow())
    return MatrixOut(matrix=checked, default=False)


def priority_for(session: Session, *, impact: int, urgency: int) -> int:
    """The priority the matrix gives an impact and an urgency."""
    return rules.priority(matrix(session).matrix, impact, urgency)


# --- service targets ------------------------------------------------------------------


def targets(session: Session) -> TargetsOut:
    """The organization's service-target table and the built-in defaults."""
    rows = session.scalars(
        select(ServiceTarget).order_by(
            ServiceTarget.priority, ServiceTarget.type_id, ServiceTarget.site_id
        )
    ).all()
    types = taxonomy_service.codes(session, {r.type_id for r in rows if r.type_id})
    sites = sites_service.get_by_ids(session, {r.site_id for r in rows if r.site_id})
    out = [
        _target_out(
            r.priority,
            _targets(r),
            type=types.get(r.type_id) if r.type_id else None,
            site=sites[r.site_id].code if r.site_id else None,
        )
        for r in rows
    ]
    defaults = [_target_out(p, t) for p, t in rules.DEFAULT_TARGETS.items()]
    return TargetsOut(targets=out, defaults=defaults)


def set_targets(session: Session, *, data: Sequence[TargetIn]) -> TargetsOut:
    """Replace the whole service-target table; an invalid row refuses all of it."""
    _write(session, [_target_row(session, f"row {i}", d) for i, d in enumerate(data, 1)])
    return targets(session)


def set_target(session: Session, *, data: TargetIn) -> TargetsOut:
    """Add or replace one row of the table (same priority, type and site)."""
    new = _target_row(session, f"P{data.priority}", data)
    rules.check_targets(new.targets, f"P{data.priority}")
    _write(session, [*(r for r in _table(session) if _key(r) != _key(new)), new])
    return targets(session)


def unset_target(
    session: Session, *, priority: int, type: str | None = None, site: str | None = None
) -> bool:
    """Remove one row of the table; whether there was one."""
    gone = _key(
        _target_row(session, f"P{priority}", TargetIn(priority=priority, type=type, site=site))
    )
    table = _table(session)
    kept = [r for r in table if _key(r) != gone]
    _write(session, kept)
    return len(kept) < len(table)


def targets_for(
    session: Session, *, priority: int, type_id: int | None, site_id: int | None
) -> Targets:
    """The targets of an incident of this priority, type and site."""
    rows = [_row(r) for r in session.scalars(select(ServiceTarget).where(_of(priority)))]
    chain = _type_chain(session, type_id) if any(r.type_id for r in rows) else []
    return rules.pick_targets(rows, priority=priority, types=chain, site_id=site_id)


# --- clocks ---------------------------------------------------------------------------


def clocks(session: Session, *, incident_id: int) -> builtins.list[ClockOut]:
    """The service-target clocks of an incident (acknowledge, respond, resolve)."""
    rows = changes.load(session, incident_id)
    return [_clock_out(rows[k]) for k in CLOCKS if k in rows]


def next_due(session: Session, *, incident_ids: Iterable[int]) -> dict[int, ClockDue]:
    """For each incident, its running clock that is due first (one query for a page)."""
    ids = builtins.list(set(incident_ids))
    if not ids:
        return {}
    stmt = select(
        Clock.incident_id, Clock.kind, Clock.due_at, Clock.breached_at, Clock.target_minutes
    ).where(Clock.incident_id.in_(ids), Clock.met_at.is_(None), Clock.paused_at.is_(None))
    out: dict[int, ClockDue] = {}
    for r in session.execute(stmt):
        if r.incident_id not in out or r.due_at < out[r.incident_id].due_at:
            out[r.incident_id] = ClockDue(
                kind=r.kind,
                due_at=r.due_at,
                breached=r.breached_at is not None,
                target_minutes=r.target_minutes,
            )
    return out


def outcomes(ids: Any = None) -> Any:
    """A subquery (incident_id, acknowledge, respond, resolve): how each clock of the
    incidents (`ids`: a list or an expanding bound parameter; or all) came out, "met",
    "breached" or "open" (analytics keeps it)."""
    state = case(
        (Clock.breached_at.is_not(None), "breached"),
        (Clock.met_at.is_not(None), "met"),
        else_="open",
    )
    kinds = [func.max(case((Clock.kind == kind, state))).label(kind) for kind in CLOCKS]
    stmt = select(Clock.incident_id, *kinds).group_by(Clock.incident_id)
    if ids is not None:
        stmt = stmt.where(Clock.incident_id.in_(ids))
    return stmt.subquery("clock_outcomes")


def track(session: Session, *, change: Change) -> None:
    """Keep the incident's clocks in step with a change of it (the incident_changed hook)."""
    facts, kind = change.incident, change.kind
    if _retargets(change):
        _sync(session, facts, change.at)
    elif kind == "acknowledged":
        changes.meet(session, facts, "acknowledge", change.at)
    elif kind == "transition":
        action = change.data.get("action")
        if action in _MET_BY:
            changes.meet(session, facts, _MET_BY[action], change.at)
        elif action == "reopen" and facts.priority:
            resolve = _targets_of(session, facts).resolve
            changes.restart(session, facts, resolve, change.at)
        elif action in _STOPPED_BY:
            changes.stop(session, facts, change.at)


def pause(
    session: Session, *, incident: IncidentFacts, reason: str, now: datetime | None = None
) -> builtins.list[str]:
    """Pause every running clock of an open incident; the kinds paused. Refused (409) if
    none runs, e.g. because they are paused already."""
    if not reason.strip():
        raise ValidationFailed("a pause needs a reason: who or what are you waiting for?")
    now = now or utcnow()
    rows = _open_clocks(session, incident, "pause")
    running = [r for r in rows if changes.state(r).running]
    if not running:
        if any(changes.state(r).paused_at for r in rows):
            raise Conflict(f"the clocks of {incident.number} are paused already; resume first")
        raise Conflict(f"{incident.number} has no running clock to pause: all are met or late")
    for row in running:
        new = rules.pause(changes.state(row), now, reason.strip())
        changes.save(session, incident.id, row, new)
        changes.arm(session, incident.number, incident.id, new)
    return [r.kind for r in running]


def resume(
    session: Session, *, incident: IncidentFacts, now: datetime | None = None
) -> dict[str, Any]:
    """Resume the paused clocks; their due times move by the length of the pause.
    Returns the kinds and how many seconds the pause counted."""
    now = now or utcnow()
    rows = _open_clocks(session, incident, "resume")
    paused = [r for r in rows if r.paused_at is not None and r.met_at is None]
    if not paused:
        raise Conflict(f"the clocks of {incident.number} are not paused")
    seconds = 0
    for row in paused:
        old = changes.state(row)
        new = rules.resume(old, now)
        seconds = max(seconds, new.paused_seconds - old.paused_seconds)
        changes.save(session, incident.id, row, new)
        changes.arm(session, incident.number, incident.id, new)
    return {"clocks": [r.kind for r in paused], "paused_seconds": seconds}


def breach(session: Session, *, timer: timers.DueTimer) -> tuple[int, dict[str, Any]] | None:
    """Breach the clock of a due `sla.breach` timer if it still runs: the incident id and
    the data of its `sla_breached` entry; None if there is nothing to do."""
    data = changes.breach(session, timer)
    return (int(timer.payload["incident_id"]), data) if data is not None else None


# --- internals -------------------------------------------------------------------------


def _retargets(change: Change) -> bool:
    """Whether a change can alter the targets: priority, type or site."""
    if change.kind in ("classified", "prioritized"):
        return True
    if change.kind == "created":
        return bool(change.incident.priority)
    return change.kind == "updated" and "site" in change.data.get("changes", {})


def _sync(session: Session, facts: IncidentFacts, at: datetime) -> None:
    if facts.priority:
        changes.sync(session, facts, _targets_of(session, facts), at)


def _targets_of(session: Session, facts: IncidentFacts) -> Targets:
    priority = facts.priority or 5
    return targets_for(session, priority=priority, type_id=facts.type_id, site_id=facts.site_id)


def _open_clocks(session: Session, incident: IncidentFacts, what: str) -> builtins.list[Clock]:
    if incident.status not in OPEN:
        raise Conflict(
            f"cannot {what} the clocks of {incident.number}: it is {incident.status.value}"
        )
    loaded = changes.load(session, incident.id)
    rows = [loaded[k] for k in CLOCKS if k in loaded]
    if not rows:
        raise Conflict(f"{incident.number} has no service-target clocks yet: classify it first")
    return rows


def _of(priority: int) -> Any:
    return ServiceTarget.priority == priority


def _type_chain(session: Session, type_id: int | None) -> builtins.list[int]:
    """The type and its ancestors, the nearest first."""
    chain: builtins.list[int] = []
    current = type_id
    while current is not None and current not in chain and len(chain) < 8:
        chain.append(current)
        found = taxonomy_service.by_ids(session, [current]).get(current)
        current = found.parent_id if found is not None else None
    return chain


def _table(session: Session) -> builtins.list[TargetRow]:
    return [_row(r) for r in session.scalars(select(ServiceTarget))]


def _key(row: TargetRow) -> tuple[int, int | None, int | None]:
    return (row.priority, row.type_id, row.site_id)


def _write(session: Session, rows: builtins.list[TargetRow]) -> None:
    """Replace the table with `rows`, checked first: invalid, and nothing changes."""
    rules.check_table(rows)
    session.execute(delete(ServiceTarget))
    session.add_all(
        ServiceTarget(
            priority=r.priority,
            type_id=r.type_id,
            site_id=r.site_id,
            acknowledge_minutes=r.targets.acknowledge,
            respond_minutes=r.targets.respond,
            resolve_minutes=r.targets.resolve,
        )
        for r in rows
    )
    session.flush()


def _targets(row: ServiceTarget) -> Targets:
    return Targets(row.acknowledge_minutes, row.respond_minutes, row.resolve_minutes)


def _row(row: ServiceTarget) -> TargetRow:
    return TargetRow(row.priority, row.type_id, row.site_id, _targets(row))


def _target_row(session: Session, where: str, data: TargetIn) -> TargetRow:
    type_id = site_id = None
    if data.type:
        found = taxonomy_service.get(session, code=data.type)
        if found is None:
            raise ValidationFailed(f"{where}: unknown incident type {data.type!r}")
        type_id = found.id
    if data.site:
        site = sites_service.get(session, code=data.site)
        if site is None:
            raise ValidationFailed(f"{where}: unknown site {data.site!r}")
        site_id = site.id
    minutes = Targets(data.acknowledge_minutes, data.respond_minutes, data.resolve_minutes)
    return TargetRow(data.priority, type_id, site_id, minutes)


def _target_out(
    priority: int, t: Targets, *, type: str | None = None, site: str | None = None
) -> TargetOut:
    return TargetOut(
        priority=priority,
        type=type,
        site=site,
        acknowledge_minutes=t.acknowledge,
        respond_minutes=t.respond,
        resolve_minutes=t.resolve,
    )


def _clock_out(row: Clock) -> ClockOut:
    return ClockOut(
        kind=row.kind,
        target_minutes=row.target_minutes,
        started_at=row.started_at,
        due_at=row.due_at,
        met_at=row.met_at,
        breached_at=row.breached_at,
        paused=row.paused_at is not None,
        pause_reason=row.pause_reason or "",
    )
