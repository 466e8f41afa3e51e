"""Use cases for units and dispatch. Never commits: the caller owns the transaction.

A unit's every status and duty change is in `unit_log`, timestamped. Whatever a unit
does on an incident is also on the incident's hash-chained timeline: `unit_dispatched`,
`unit_acknowledged`, `unit_status` (en route, on scene) and `unit_cleared` (with the
unit's times), `resource_requested` and `resource_updated`. Each change of a unit is a
live event (`unit.status`, `unit.position`) for the boards of its site.
"""

from __future__ import annotations

import builtins
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import delete, func, select
from sqlalchemy.orm import Session

from murphy.core.clock import isoformat, utcnow
from murphy.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from murphy.core.events import Audience, Event, emit
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import Status, TransitionIn
from murphy.sites import service as sites_service
from murphy.sites.schemas import PlaceIn
from murphy.taxonomy import service as taxonomy_service
from murphy.units import rules
from murphy.units.models import Assignment, ResourceRequest, Unit, UnitLog, UnitMember
from murphy.units.schemas import (
    AssignmentOut,
    ClearIn,
    DispatchIn,
    DispatchOut,
    DutyIn,
    FloorMapOut,
    MapFloor,
    MapIncident,
    MapOut,
    MapPlace,
    MapUnit,
    MapZone,
    PositionIn,
    PositionOut,
    Recommendation,
    ResourceIn,
    ResourceOut,
    ResourceStatus,
    ResourceUpdate,
    Role,
    StatusIn,
    UnitIn,
    UnitKind,
    UnitOut,
    UnitStatus,
    UnitUpdate,
)
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal

U = UnitStatus
MapIncidentOrUnit = TypeVar("MapIncidentOrUnit", MapIncident, MapUnit)
# For other domains' pages: a unit's status and a resource request's in words, and
# where a request can go next.
STATUS_LABELS = rules.LABELS
RESOURCE_LABELS = rules.RESOURCE_LABELS
RESOURCE_ACTIONS = rules.RESOURCE_ACTIONS
RESOURCE_MOVES = rules.RESOURCE_MOVES
DISPATCHABLE = frozenset({Status.TRIAGED, Status.RESPONDING})  # takes units
ENDS_ASSIGNMENTS = frozenset({Status.RESOLVED, Status.CANCELLED, Status.MERGED})


# --- units ------------------------------------------------------------------------------


def create(
    session: Session, *, principal: Principal, data: UnitIn, now: datetime | None = None
) -> UnitOut:
    """Add a unit at its home site, with its members and skills."""
    incidents_service.require(principal, Permission.MANAGE_UNITS, "add units")
    site = sites_service.get_visible_or_raise(session, principal=principal, code=data.site)
    if session.scalar(select(Unit.id).where(Unit.callsign == data.callsign)) is not None:
        raise Conflict(f"unit {data.callsign} already exists")
    now = now or utcnow()
    unit = Unit(
        callsign=data.callsign,
        name=data.name,
        kind=data.kind.value,
        site_id=site.id,
        skills=data.skills,
        active=True,
        status=U.AVAILABLE.value,
        status_at=now,
        on_duty=data.on_duty,
        duty_at=now if data.on_duty else None,
        created_at=now,
        version=1,
    )
    session.add(unit)
    session.flush()
    _set_members(session, unit, data.members)
    _log(session, unit, now, principal.username, note="added")
    _announce(session, unit, "status")
    return _outs(session, principal, [unit], now)[0]


def update(
    session: Session,
    *,
    principal: Principal,
    callsign: str,
    data: UnitUpdate,
    now: datetime | None = None,
) -> UnitOut:
    """Change a unit's name, kind, home site, skills, members, or deactivate it. What
    changed is written to the unit's log; a change that changes nothing is not one."""
    incidents_service.require(principal, Permission.MANAGE_UNITS, "change units")
    unit = _unit(session, principal, callsign, for_update=True)
    now = now or utcnow()
    changes = _settings_changed(session, principal, unit, data)
    if data.members is not None:
        before = _members(session, unit.id)
        if sorted(set(data.members)) != before:
            for other in _set_members(session, unit, data.members):
                _announce(session, other, "status")  # a member moved off it
            changes.append(
                f"members {', '.join(before) or 'none'} → {', '.join(data.members) or 'none'}"
            )
    if data.active is not None and data.active != unit.active:
        if not data.active and _active(session, unit.id) is not None:
            raise Conflict(f"{unit.callsign} is on an incident: clear it before deactivating")
        unit.active = data.active
        changes.append("reactivated" if data.active else "deactivated")
        if not data.active:
            unit.on_duty = False
    if changes:
        unit.version += 1
        _log(session, unit, now, principal.username, note="; ".join(changes))
        _announce(session, unit, "status")
    return _outs(session, principal, [unit], now)[0]


def _settings_changed(
    session: Session, principal: Principal, unit: Unit, data: UnitUpdate
) -> builtins.list[str]:
    """Apply a change of name, kind, home site or skills; say what changed."""
    changes = []
    if data.name is not None and data.name != unit.name:
        changes.append(f"name {unit.name!r} → {data.name!r}")
        unit.name = data.name
    if data.kind is not None and data.kind.value != unit.kind:
        changes.append(f"kind {unit.kind} → {data.kind.value}")
        unit.kind = data.kind.value
    if data.site is not None:
        site = sites_service.get_visible_or_raise(session, principal=principal, code=data.site)
        if site.id != unit.site_id:
            changes.append(f"home site → {site.code}")
            unit.site_id = site.id
    if data.skills is not None and list(data.skills) != list(unit.skills):
        was, now = ", ".join(unit.skills) or "none", ", ".join(data.skills) or "none"
        changes.append(f"skills {was} → {now}")
        unit.skills = data.skills
    return changes


def board(
    session: Session,
    *,
    principal: Principal,
    site: str | None = None,
    include_inactive: bool = False,
    now: datetime | None = None,
) -> builtins.list[UnitOut]:
    """The units of the caller's sites (or one site), by callsign, with what they are on."""
    stmt = select(Unit).order_by(Unit.callsign)
    if site:
        stmt = stmt.where(
            Unit.site_id
            == sites_service.get_visible_or_raise(session, principal=principal, code=site).id
        )
    elif principal.site_ids is not None:
        stmt = stmt.where(Unit.site_id.in_(principal.site_ids))
    if not include_inactive:
        stmt = stmt.where(Unit.active.is_(True))
    return _outs(session, principal, session.scalars(stmt).all(), now or utcnow())


def get(
    session: Session, *, principal: Principal, callsign: str, now: datetime | None = None
) -> UnitOut:
    """One unit, if the caller may see it (its site, or their own unit)."""
    return _outs(session, principal, [_unit(session, principal, callsign)], now or utcnow())[0]


def mine(session: Session, *, principal: Principal, now: datetime | None = None) -> UnitOut | None:
    """The unit the caller is a member of, if any."""
    unit = _own_unit(session, principal)
    return _outs(session, principal, [unit], now or utcnow())[0] if unit else None


def set_status(
    session: Session,
    *,
    principal: Principal,
    callsign: str,
    data: StatusIn,
    now: datetime | None = None,
) -> UnitOut:
    """A new status, from the unit itself (one tap) or a dispatcher. En route and on scene
    are timed on the unit's assignment; available, busy and out of service clear it."""
    unit = _unit(session, principal, callsign, for_update=True)
    _may_act(session, principal, unit)
    now = now or utcnow()
    current = U(unit.status)
    assignment = _active(session, unit.id)
    rules.check_status(unit.callsign, current, data.status, assigned=assignment is not None)
    if data.status is current and not data.note:
        return _outs(session, principal, [unit], now)[0]  # a second tap changes nothing
    if assignment is not None and data.status in (U.EN_ROUTE, U.ON_SCENE):
        _step(session, principal, unit, assignment, data.status, now)
    elif assignment is not None and data.status in rules.FREE:
        reason = "cleared" if data.status is U.AVAILABLE else rules.LABELS[data.status].lower()
        _clear(session, principal, unit, assignment, reason + _with(data.note), now)
    unit.status = data.status.value
    unit.status_at = now
    unit.version += 1
    _log(session, unit, now, principal.username, assignment=assignment, note=data.note)
    _announce(session, unit, "status")
    return _outs(session, principal, [unit], now)[0]


def set_duty(
    session: Session,
    *,
    principal: Principal,
    callsign: str,
    data: DutyIn,
    now: datetime | None = None,
) -> UnitOut:
    """Start or end a unit's shift; a unit on an incident is cleared first."""
    unit = _unit(session, principal, callsign, for_update=True)
    _may_act(session, principal, unit)
    now = now or utcnow()
    if data.on_duty == unit.on_duty:
        return _outs(session, principal, [unit], now)[0]
    if not unit.active:
        raise Conflict(f"{unit.callsign} is deactivated")
    if not data.on_duty and _active(session, unit.id) is not None:
        raise Conflict(f"{unit.callsign} is on an incident: clear it before ending the shift")
    unit.on_duty = data.on_duty
    unit.duty_at = now
    if data.on_duty and U(unit.status) in rules.ON_ASSIGNMENT:
        unit.status = U.AVAILABLE.value  # cannot happen through the API; repairs old data
    unit.version += 1
    _log(
        session,
        unit,
        now,
        principal.username,
        note="shift started" if data.on_duty else "shift ended",
    )
    _announce(session, unit, "status")
    return _outs(session, principal, [unit], now)[0]


def report_position(
    session: Session,
    *,
    principal: Principal,
    callsign: str,
    data: PositionIn,
    now: datetime | None = None,
) -> UnitOut:
    """Where the unit is: a GPS fix from the phone, or a zone or checkpoint."""
    unit = _unit(session, principal, callsign, for_update=True)
    _may_act(session, principal, unit)
    now = now or utcnow()
    gps = data.latitude is not None or data.longitude is not None
    if gps and (data.latitude is None or data.longitude is None):
        raise ValidationFailed("a GPS position needs both latitude and longitude")
    if not gps and not data.zone:
        raise ValidationFailed("give latitude and longitude (GPS), or a zone")
    site = (
        sites_service.get_visible_or_raise(session, principal=principal, code=data.site)
        if data.site
        else None
    )
    site_id = site.id if site else unit.site_id
    zone_id = None
    if data.zone:
        row = site or sites_service.get_by_ids(session, [site_id]).get(site_id)
        if row is None:
            raise ValidationFailed("the unit's site is unknown: give the site with the zone")
        zone_id = sites_service.resolve_place(
            session, site=row, place=PlaceIn(zone=data.zone)
        ).zone_id
    unit.position_source = "gps" if gps else "zone"
    unit.latitude = data.latitude if gps else None
    unit.longitude = data.longitude if gps else None
    unit.accuracy_m = data.accuracy_m if gps else None
    unit.position_site_id = site_id
    unit.position_zone_id = zone_id
    unit.position_at = now
    unit.version += 1
    _announce(session, unit, "position")
    return _outs(session, principal, [unit], now)[0]


def map_view(
    session: Session, *, principal: Principal, site: str, now: datetime | None = None
) -> MapOut:
    """A site's map: its buildings and zones with coordinates, its open incidents at their
    places, and the units of the site (on duty) where they were last."""
    row = sites_service.get_visible_or_raise(session, principal=principal, code=site)
    now = now or utcnow()
    detail = sites_service.detail(session, site=row)
    places = [
        MapPlace(
            code=b.code, name=b.name, kind="building", latitude=b.latitude, longitude=b.longitude
        )
        for b in detail.buildings
        if b.latitude is not None and b.longitude is not None
    ]
    zones = [*detail.outdoor_zones]
    for b in detail.buildings:
        zones += b.zones + [z for f in b.floors for z in f.zones]
    places += [
        MapPlace(code=z.code, name=z.name, kind="zone", latitude=z.latitude, longitude=z.longitude)
        for z in zones
        if z.latitude is not None and z.longitude is not None
    ]
    now_on = _on_site_now(session, principal, row, now)
    return MapOut(
        site=row.code,
        name=row.name,
        latitude=row.latitude,
        longitude=row.longitude,
        places=places,
        incidents=[i for i, _ in now_on.incidents],
        units=[u for u, _ in now_on.units],
        floors=now_on.floors,
    )


def floor_map(
    session: Session,
    *,
    principal: Principal,
    site: str,
    building: str,
    floor: str,
    now: datetime | None = None,
) -> FloorMapOut:
    """One floor for the board: its plan, the zones drawn on it, and the open incidents
    and on-duty units on the floor, each at its zone's centre."""
    row = sites_service.get_visible_or_raise(session, principal=principal, code=site)
    b, f = sites_service.floor_at(session, site=row, building_code=building, floor_code=floor)
    plan = sites_service.plan_of(site=row, building=b, floor=f)
    if plan is None:
        raise NotFound(f"floor {b.code}/{f.code} has no plan")
    zones = [
        MapZone(code=z.code, name=z.name, outline=list(z.outline), x=x, y=y)
        for z in sites_service.zones_on(session, f.id)
        if z.outline
        for x, y in [sites_service.outline_centre(z.outline)]
    ]
    now_on = _on_site_now(session, principal, row, now or utcnow())
    return FloorMapOut(
        site=row.code,
        building=b.code,
        floor=f.code,
        name=f"{b.name} · {f.name}",
        plan=plan,
        zones=zones,
        incidents=[_on_plan(i, loc) for i, loc in now_on.incidents if loc.floor_id == f.id],
        units=[
            _on_plan(u, loc) for u, loc in now_on.units if loc is not None and loc.floor_id == f.id
        ],
        floors=now_on.floors,
    )


@dataclass(frozen=True)
class _OnSite:
    """A site's open incidents and on-duty units, each with where it is."""

    incidents: builtins.list[tuple[MapIncident, sites_service.Located]]
    units: builtins.list[tuple[MapUnit, sites_service.Located | None]]
    floors: builtins.list[MapFloor]


def _on_site_now(
    session: Session, principal: Principal, row: sites_service.SiteRow, now: datetime
) -> _OnSite:
    found = incidents_service.open_on_site(session, principal=principal, site_id=row.id)
    located = sites_service.locate(session, [p for _, p in found])
    incidents = [
        (
            MapIncident(
                number=summary.number,
                title=summary.title,
                priority=summary.priority,
                status=summary.status.value,
                place=summary.place,
                latitude=loc.latitude,
                longitude=loc.longitude,
                precision=loc.precision,
            ),
            loc,
        )
        for (summary, _), loc in zip(found, located, strict=True)
    ]
    units = session.scalars(
        select(Unit).where(Unit.site_id == row.id, Unit.active.is_(True), Unit.on_duty.is_(True))
    ).all()
    zones = _unit_zones(session, units)
    spots = _unit_spots(session, units, now, precise_only=False, zones=zones)
    outs = {u.callsign: u for u in _outs(session, principal, units, now)}
    # Where a unit is in a building: its zone, unless a fresh GPS fix is newer.
    placed = [
        (
            _map_unit(u, spots[u.id], outs[u.callsign]),
            zones.get(u.id) if spots[u.id].how == "zone" else None,
        )
        for u in units
    ]
    incident_floors = Counter(loc.floor_id for _, loc in incidents)
    unit_floors = Counter(loc.floor_id for _, loc in placed if loc is not None)
    floors = [
        MapFloor(
            building=b.code,
            floor=f.code,
            name=f"{b.name} · {f.name}",
            level=f.level,
            incidents=incident_floors[f.id],
            units=unit_floors[f.id],
        )
        for b, f in sites_service.planned_floors(session, site=row)
    ]
    return _OnSite(incidents, placed, floors)


def _on_plan(item: MapIncidentOrUnit, loc: sites_service.Located) -> MapIncidentOrUnit:
    return item.model_copy(update={"x": loc.plan_x, "y": loc.plan_y})


def _map_unit(unit: Unit, spot: rules.Spot, out: UnitOut) -> MapUnit:
    where = spot.latitude is not None
    return MapUnit(
        callsign=unit.callsign,
        status=U(unit.status),
        on_duty=unit.on_duty,
        latitude=spot.latitude,
        longitude=spot.longitude,
        source=unit.position_source if where else None,
        label=out.position.label if out.position else "",
        incident=out.assignment.incident if out.assignment else None,
    )


# --- dispatch ---------------------------------------------------------------------------


def first_on_scene(ids: Any = None) -> Any:
    """A subquery (incident_id, on_scene_at): when the first unit got to each incident
    (`ids`: a list or an expanding bound parameter; or all; analytics keeps it)."""
    stmt = (
        select(Assignment.incident_id, func.min(Assignment.on_scene_at).label("on_scene_at"))
        .where(Assignment.on_scene_at.is_not(None))
        .group_by(Assignment.incident_id)
    )
    if ids is not None:
        stmt = stmt.where(Assignment.incident_id.in_(ids))
    return stmt.subquery("first_on_scene")


def step_of(assignment: AssignmentOut) -> UnitStatus:
    """Where a unit on an incident is: dispatched, en route or on scene."""
    return rules.step(assignment.en_route_at, assignment.on_scene_at)


def of_incident(session: Session, *, principal: Principal, number: str) -> DispatchOut:
    """The units (active and cleared, with their times) and resources of an incident."""
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    return _dispatch_out(session, incident.id, incident.number)


def recommend(
    session: Session,
    *,
    principal: Principal,
    number: str,
    limit: int | None = None,
    now: datetime | None = None,
) -> Recommendation:
    """Every unit the caller can see, ranked for this incident, each with its reason."""
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    now = now or utcnow()
    skills = taxonomy_service.skills_needed(session, incident.type_id)
    stmt = select(Unit).where(Unit.active.is_(True))
    if principal.site_ids is not None:
        stmt = stmt.where(Unit.site_id.in_(principal.site_ids))
    units = session.scalars(stmt).all()
    picks = rules.recommend(
        _candidates(session, principal, units, now), _incident_spot(session, incident), skills
    )
    return Recommendation(
        incident=incident.number, skills=skills, picks=picks[:limit] if limit else picks
    )


def dispatch(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: DispatchIn,
    now: datetime | None = None,
) -> DispatchOut:
    """Send a unit to an incident, as primary or assisting, with the reason it was chosen.
    A triaged incident starts its response; a unit on another incident moves only with
    `reassign`."""
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=True
    )
    incidents_service.require(principal, Permission.DISPATCH, "dispatch units")
    status = Status(incident.status)
    if status is Status.NEW:
        raise Conflict(f"triage {incident.number} before dispatching: give it a priority first")
    if status not in DISPATCHABLE:
        raise Conflict(f"{incident.number} is {status.value}: units go to open incidents only")
    unit = _unit(session, principal, data.unit, for_update=True)
    rules.check_dispatchable(
        unit.callsign, active=unit.active, on_duty=unit.on_duty, status=U(unit.status)
    )
    now = now or utcnow()
    current = _active(session, unit.id)
    if current is not None:
        if current.incident_id == incident.id:
            raise Conflict(f"{unit.callsign} is already on {incident.number}")
        if not data.reassign:
            on = incidents_service.visible_numbers(
                session, principal=principal, ids=[current.incident_id]
            ).get(current.incident_id, "a restricted incident")
            raise Conflict(
                f"{unit.callsign} is {rules.LABELS[U(unit.status)].lower()} to {on}: "
                "reassign it to take it off that incident"
            )
        _clear(session, principal, unit, current, f"reassigned to {incident.number}", now)
        unit.status = U.AVAILABLE.value  # for the moment between two assignments
    on_incident = _assignments(session, incident.id, active_only=True)
    primary = next((a for a in on_incident if a.role == Role.PRIMARY.value), None)
    role = data.role or (Role.ASSISTING if primary else Role.PRIMARY)
    reason = _reason(session, principal, incident, unit, now)
    entry: dict[str, Any] = {"unit": unit.callsign, "role": role.value, "reason": reason}
    if role is Role.PRIMARY and primary is not None:
        primary.role = Role.ASSISTING.value
        entry["primary_before"] = _callsign(session, primary.unit_id)
    assignment = Assignment(
        incident_id=incident.id,
        unit_id=unit.id,
        role=role.value,
        reason=reason,
        dispatched_at=now,
        dispatched_by=principal.username,
        cleared_reason="",
    )
    session.add(assignment)
    unit.status = U.DISPATCHED.value
    unit.status_at = now
    unit.version += 1
    session.flush()
    _log(session, unit, now, principal.username, assignment=assignment)
    incidents_service.append_entry(
        session,
        incident_id=incident.id,
        kind="unit_dispatched",
        data=entry,
        at=now,
        actor=principal,
    )
    if status is Status.TRIAGED:
        incidents_service.transition(
            session,
            principal=principal,
            number=incident.number,
            data=TransitionIn(to=Status.RESPONDING),
            now=now,
        )
    _announce(session, unit, "status")
    return _dispatch_out(session, incident.id, incident.number)


def acknowledge(
    session: Session,
    *,
    principal: Principal,
    number: str,
    callsign: str,
    now: datetime | None = None,
) -> DispatchOut:
    """The unit has seen its assignment. A second acknowledgement changes nothing."""
    incident, unit, assignment = _on_incident(session, principal, number, callsign)
    if assignment.acknowledged_at is None:
        now = now or utcnow()
        assignment.acknowledged_at = now
        incidents_service.append_entry(
            session,
            incident_id=incident.id,
            kind="unit_acknowledged",
            data={"unit": unit.callsign},
            at=now,
            actor=principal,
        )
        unit.version += 1
        _announce(session, unit, "status")
    return _dispatch_out(session, incident.id, incident.number)


def clear(
    session: Session,
    *,
    principal: Principal,
    number: str,
    callsign: str,
    data: ClearIn,
    now: datetime | None = None,
) -> DispatchOut:
    """Take a unit off an incident; it becomes available."""
    incident, unit, assignment = _on_incident(session, principal, number, callsign)
    _free(session, principal, unit, assignment, data.reason or "cleared", now or utcnow())
    return _dispatch_out(session, incident.id, incident.number)


def release_all(session: Session, *, incident_id: int, status: Status, at: datetime) -> int:
    """The incident ended (resolved, cancelled, merged): clear every unit still on it."""
    count = 0
    for assignment in _assignments(session, incident_id, active_only=True):
        unit = session.scalar(select(Unit).where(Unit.id == assignment.unit_id).with_for_update())
        if unit is None:
            continue
        _free(session, None, unit, assignment, f"incident {status.value}", at)
        count += 1
    return count


def history(
    session: Session, *, principal: Principal, limit: int = 10
) -> builtins.list[AssignmentOut]:
    """The caller's unit's latest assignments (their recent incidents), newest first."""
    unit = _own_unit(session, principal)
    if unit is None:
        return []
    rows = session.scalars(
        select(Assignment)
        .where(Assignment.unit_id == unit.id)
        .order_by(Assignment.id.desc())
        .limit(limit)
    ).all()
    numbers = incidents_service.visible_numbers(
        session, principal=principal, ids=[a.incident_id for a in rows]
    )
    return [
        _assignment_out(a, numbers[a.incident_id], unit.callsign)
        for a in rows
        if a.incident_id in numbers
    ]


# --- resources --------------------------------------------------------------------------


def request_resource(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: ResourceIn,
    now: datetime | None = None,
) -> DispatchOut:
    """Ask for equipment, an outside agency or more people for an incident."""
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=True
    )
    incidents_service.require(principal, Permission.RESPOND, "request resources")
    if Status(incident.status) not in incidents_service.OPEN:
        raise Conflict(f"{incident.number} is {incident.status}: it needs nothing more")
    now = now or utcnow()
    row = ResourceRequest(
        incident_id=incident.id,
        kind=data.kind.value,
        what=data.what,
        status=ResourceStatus.REQUESTED.value,
        reference="",
        note=data.note,
        requested_at=now,
        requested_by=principal.username,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    entry = {"id": row.id, "kind": row.kind, "what": row.what}
    if data.note:
        entry["note"] = data.note
    incidents_service.append_entry(
        session,
        incident_id=incident.id,
        kind="resource_requested",
        data=entry,
        at=now,
        actor=principal,
    )
    return _dispatch_out(session, incident.id, incident.number)


def update_resource(
    session: Session,
    *,
    principal: Principal,
    number: str,
    resource_id: int,
    data: ResourceUpdate,
    now: datetime | None = None,
) -> DispatchOut:
    """A requested resource is on the way, has arrived, is released or cancelled."""
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=True
    )
    incidents_service.require(principal, Permission.RESPOND, "update resources")
    row = session.scalar(
        select(ResourceRequest).where(
            ResourceRequest.id == resource_id, ResourceRequest.incident_id == incident.id
        )
    )
    if row is None:
        raise NotFound(f"{incident.number} has no resource request {resource_id}")
    rules.check_resource_move(row.what, ResourceStatus(row.status), data.status)
    now = now or utcnow()
    row.status = data.status.value
    row.updated_at = now
    if data.reference is not None:
        row.reference = data.reference
    if data.status is ResourceStatus.ON_THE_WAY:
        row.on_the_way_at = now
    elif data.status is ResourceStatus.ARRIVED:
        row.arrived_at = now
    else:
        row.ended_at = now
    entry = {"id": row.id, "what": row.what, "status": row.status}
    if row.reference:
        entry["reference"] = row.reference
    incidents_service.append_entry(
        session,
        incident_id=incident.id,
        kind="resource_updated",
        data=entry,
        at=now,
        actor=principal,
    )
    return _dispatch_out(session, incident.id, incident.number)


# --- inside -----------------------------------------------------------------------------


def _unit(
    session: Session, principal: Principal, callsign: str, *, for_update: bool = False
) -> Unit:
    stmt = select(Unit).where(Unit.callsign == callsign.strip().upper())
    if for_update:
        stmt = stmt.with_for_update()
    unit = session.scalar(stmt)
    if unit is None or not (
        principal.sees_site(unit.site_id) or _is_member(session, principal, unit)
    ):
        raise NotFound(f"no unit {callsign.strip().upper()}")
    return unit


def _own_unit(session: Session, principal: Principal) -> Unit | None:
    return session.scalar(
        select(Unit)
        .join(UnitMember, UnitMember.unit_id == Unit.id)
        .where(UnitMember.user_id == principal.id)
    )


def _is_member(session: Session, principal: Principal, unit: Unit) -> bool:
    return (
        session.scalar(
            select(UnitMember.user_id).where(
                UnitMember.user_id == principal.id, UnitMember.unit_id == unit.id
            )
        )
        is not None
    )


def _may_act(session: Session, principal: Principal, unit: Unit) -> None:
    """The unit's own members act for it; so does a dispatcher of its site."""
    if principal.can(Permission.DISPATCH) and principal.sees_site(unit.site_id):
        return
    if principal.can(Permission.RESPOND) and _is_member(session, principal, unit):
        return
    raise PermissionDenied(
        f"only {unit.callsign}'s members or a dispatcher may change {unit.callsign}"
    )


def _set_members(session: Session, unit: Unit, usernames: Sequence[str]) -> builtins.list[Unit]:
    """The unit's members are exactly these users; each leaves any other unit. Returns
    the other units someone left."""
    ids = [users_service.get_or_raise(session, username=name).id for name in usernames]
    session.execute(delete(UnitMember).where(UnitMember.unit_id == unit.id))
    left: builtins.list[Unit] = []
    if ids:
        left = builtins.list(
            session.scalars(
                select(Unit).where(
                    Unit.id != unit.id,
                    Unit.id.in_(select(UnitMember.unit_id).where(UnitMember.user_id.in_(ids))),
                )
            )
        )
        session.execute(delete(UnitMember).where(UnitMember.user_id.in_(ids)))
    session.add_all(UnitMember(user_id=i, unit_id=unit.id) for i in dict.fromkeys(ids))
    session.flush()
    return left


def _members(session: Session, unit_id: int) -> builtins.list[str]:
    """The user names of a unit's members, sorted."""
    ids = set(session.scalars(select(UnitMember.user_id).where(UnitMember.unit_id == unit_id)))
    return sorted(ref.username for ref in users_service.refs(session, ids).values())


def _active(session: Session, unit_id: int) -> Assignment | None:
    return session.scalar(
        select(Assignment).where(Assignment.unit_id == unit_id, Assignment.cleared_at.is_(None))
    )


def _assignments(session: Session, incident_id: int, *, active_only: bool) -> Sequence[Assignment]:
    stmt = select(Assignment).where(Assignment.incident_id == incident_id).order_by(Assignment.id)
    if active_only:
        stmt = stmt.where(Assignment.cleared_at.is_(None))
    return session.scalars(stmt).all()


def _on_incident(
    session: Session, principal: Principal, number: str, callsign: str
) -> tuple[Any, Unit, Assignment]:
    """The incident (locked), the unit (locked, the caller may act for it) and the unit's
    assignment to that incident, or a clear 409."""
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=True
    )
    unit = _unit(session, principal, callsign, for_update=True)
    _may_act(session, principal, unit)
    assignment = _active(session, unit.id)
    if assignment is None or assignment.incident_id != incident.id:
        raise Conflict(f"{unit.callsign} is not on {incident.number}")
    return incident, unit, assignment


def _free(
    session: Session,
    principal: Principal | None,
    unit: Unit,
    assignment: Assignment,
    reason: str,
    now: datetime,
) -> None:
    """Clear the unit off its incident and make it available, logged and announced."""
    _clear(session, principal, unit, assignment, reason, now)
    unit.status = U.AVAILABLE.value
    unit.status_at = now
    unit.version += 1
    _log(
        session,
        unit,
        now,
        principal.username if principal else None,
        assignment=assignment,
        note=reason,
    )
    _announce(session, unit, "status")


def _callsign(session: Session, unit_id: int) -> str:
    return session.scalar(select(Unit.callsign).where(Unit.id == unit_id)) or "?"


def _step(
    session: Session,
    principal: Principal,
    unit: Unit,
    assignment: Assignment,
    to: UnitStatus,
    now: datetime,
) -> None:
    """En route or on scene: timed once on the assignment, and on the timeline."""
    if assignment.acknowledged_at is None:
        assignment.acknowledged_at = now  # moving is acknowledging
    if to is U.EN_ROUTE and assignment.en_route_at is None:
        assignment.en_route_at = now
    if to is U.ON_SCENE and assignment.on_scene_at is None:
        assignment.on_scene_at = now
    incidents_service.append_entry(
        session,
        incident_id=assignment.incident_id,
        kind="unit_status",
        data={"unit": unit.callsign, "status": to.value},
        at=now,
        actor=principal,
    )


def _clear(
    session: Session,
    principal: Principal | None,
    unit: Unit,
    assignment: Assignment,
    reason: str,
    now: datetime,
) -> None:
    """End an assignment; its times go on the incident's timeline."""
    assignment.cleared_at = now
    assignment.cleared_reason = reason[:120]
    times = {
        name: isoformat(value)
        for name, value in (
            ("dispatched", assignment.dispatched_at),
            ("acknowledged", assignment.acknowledged_at),
            ("en_route", assignment.en_route_at),
            ("on_scene", assignment.on_scene_at),
            ("cleared", now),
        )
        if value is not None
    }
    incidents_service.append_entry(
        session,
        incident_id=assignment.incident_id,
        kind="unit_cleared",
        data={"unit": unit.callsign, "role": assignment.role, "reason": reason, "times": times},
        at=now,
        actor=principal,
    )


def _with(note: str) -> str:
    return f": {note}" if note else ""


def _log(
    session: Session,
    unit: Unit,
    at: datetime,
    actor: str | None,
    *,
    assignment: Assignment | None = None,
    note: str = "",
) -> None:
    session.add(
        UnitLog(
            unit_id=unit.id,
            at=at,
            status=unit.status,
            on_duty=unit.on_duty,
            incident_id=assignment.incident_id if assignment else None,
            actor=actor,
            note=note,
        )
    )


def _announce(session: Session, unit: Unit, what: str) -> None:
    """A live event for the boards of the unit's site (no incident in it: the boards
    fetch what the viewer may see)."""
    emit(
        session,
        Event(
            f"unit.{what}",
            {
                "unit": unit.callsign,
                "site_id": unit.site_id,
                "status": unit.status,
                "on_duty": unit.on_duty,
                "version": unit.version,
            },
            audience=Audience(site_id=unit.site_id),
        ),
    )


def _incident_spot(session: Session, incident: Any) -> rules.Spot:
    located = sites_service.locate(
        session,
        [
            sites_service.PlaceIds(
                incident.site_id, incident.building_id, incident.floor_id, incident.zone_id
            )
        ],
    )[0]
    return _spot_of(located, how="place")


def _spot_of(located: sites_service.Located, *, how: str, precise_only: bool = True) -> rules.Spot:
    """Coordinates count only when they are of a building or zone: a site's centre says
    nothing about where inside the site something is (the map may still draw it there,
    `precise_only=False`)."""
    precise = located.precision in ("zone", "building") or not precise_only
    return rules.Spot(
        site_id=located.site_id,
        building_id=located.building_id,
        floor_id=located.floor_id,
        zone_id=located.zone_id,
        level=located.level,
        latitude=located.latitude if precise else None,
        longitude=located.longitude if precise else None,
        how=how,
        precise=located.precision == "zone",
    )


def _unit_zones(session: Session, units: Sequence[Unit]) -> dict[int, sites_service.Located]:
    """Where the units that last reported a zone are, by unit id."""
    by_zone = [u for u in units if u.position_zone_id is not None]
    located = sites_service.locate(
        session,
        [
            sites_service.PlaceIds(u.position_site_id or u.site_id, zone_id=u.position_zone_id)
            for u in by_zone
        ],
    )
    return {u.id: loc for u, loc in zip(by_zone, located, strict=True)}


def _unit_spots(
    session: Session,
    units: Sequence[Unit],
    now: datetime,
    *,
    precise_only: bool = True,
    zones: dict[int, sites_service.Located] | None = None,
) -> dict[int, rules.Spot]:
    zones = _unit_zones(session, units) if zones is None else zones
    zone_spot = {
        unit_id: _spot_of(loc, how="zone", precise_only=precise_only)
        for unit_id, loc in zones.items()
    }
    spots = {}
    for u in units:
        fresh = rules.gps_is_fresh(u.position_at, now)
        if (
            u.position_source == "gps"
            and fresh
            and u.latitude is not None
            and u.longitude is not None
        ):
            spots[u.id] = rules.Spot(
                site_id=u.position_site_id or u.site_id,
                latitude=u.latitude,
                longitude=u.longitude,
                how="gps",
                precise=True,
            )
        elif u.id in zone_spot:
            spots[u.id] = zone_spot[u.id]
        else:
            spots[u.id] = rules.Spot(site_id=u.site_id, how="home")
    return spots


def _candidates(
    session: Session, principal: Principal, units: Sequence[Unit], now: datetime
) -> builtins.list[rules.Candidate]:
    spots = _unit_spots(session, units, now)
    active = _active_by_unit(session, [u.id for u in units])
    numbers = incidents_service.visible_numbers(
        session, principal=principal, ids=[a.incident_id for a in active.values()]
    )
    out = []
    for u in units:
        a = active.get(u.id)
        busy_with = (numbers.get(a.incident_id) or "a restricted incident") if a else None
        out.append(
            rules.Candidate(
                callsign=u.callsign,
                name=u.name,
                status=U(u.status),
                on_duty=u.on_duty,
                active=u.active,
                skills=frozenset(u.skills or []),
                spot=spots[u.id],
                busy_with=busy_with,
            )
        )
    return out


def _reason(
    session: Session, principal: Principal, incident: Any, unit: Unit, now: datetime
) -> str:
    """Why this unit, in the recommendation's words, as the dispatcher saw it."""
    skills = taxonomy_service.skills_needed(session, incident.type_id)
    pick = rules.recommend(
        _candidates(session, principal, [unit], now), _incident_spot(session, incident), skills
    )
    return pick[0].reason if pick else ""


def _active_by_unit(session: Session, unit_ids: Iterable[int]) -> dict[int, Assignment]:
    ids = builtins.list(unit_ids)
    if not ids:
        return {}
    rows = session.scalars(
        select(Assignment).where(Assignment.unit_id.in_(ids), Assignment.cleared_at.is_(None))
    )
    return {a.unit_id: a for a in rows}


def _outs(
    session: Session, principal: Principal, units: Sequence[Unit], now: datetime
) -> builtins.list[UnitOut]:
    if not units:
        return []
    ids = [u.id for u in units]
    active = _active_by_unit(session, ids)
    numbers = incidents_service.visible_numbers(
        session, principal=principal, ids=[a.incident_id for a in active.values()]
    )
    members: dict[int, builtins.list[str]] = {}
    rows = session.execute(
        select(UnitMember.unit_id, UnitMember.user_id).where(UnitMember.unit_id.in_(ids))
    ).all()
    refs = users_service.refs(session, {user_id for _, user_id in rows})
    for unit_id, user_id in rows:
        members.setdefault(unit_id, []).append(refs[user_id].username)
    sites = sites_service.get_by_ids(
        session,
        {u.site_id for u in units} | {u.position_site_id for u in units if u.position_site_id},
    )
    zoned = [u for u in units if u.position_zone_id]
    labels = dict(
        zip(
            [u.id for u in zoned],
            sites_service.labels(
                session,
                [
                    sites_service.PlaceIds(
                        u.position_site_id or u.site_id, zone_id=u.position_zone_id
                    )
                    for u in zoned
                ],
            ),
            strict=True,
        )
    )
    out = []
    for u in units:
        a = active.get(u.id)
        number = numbers.get(a.incident_id) if a else None
        position = None
        if u.position_source and u.position_at is not None:
            where = sites.get(u.position_site_id or u.site_id)
            position = PositionOut(
                source=u.position_source,
                latitude=u.latitude,
                longitude=u.longitude,
                accuracy_m=u.accuracy_m,
                site=where.code if where else None,
                zone=labels.get(u.id),
                label=labels.get(u.id) or ("GPS" if u.position_source == "gps" else ""),
                at=u.position_at,
            )
        out.append(
            UnitOut(
                callsign=u.callsign,
                name=u.name,
                kind=UnitKind(u.kind),
                site=sites[u.site_id].code,
                skills=u.skills or [],
                members=sorted(members.get(u.id, [])),
                active=u.active,
                status=U(u.status),
                status_at=u.status_at,
                on_duty=u.on_duty,
                duty_at=u.duty_at,
                position=position,
                assignment=_assignment_out(a, number, u.callsign) if a and number else None,
                restricted=a is not None and number is None,
                version=u.version,
            )
        )
    return out


def _assignment_out(a: Assignment, number: str, callsign: str) -> AssignmentOut:
    return AssignmentOut(
        id=a.id,
        incident=number,
        unit=callsign,
        role=Role(a.role),
        reason=a.reason,
        active=a.cleared_at is None,
        dispatched_at=a.dispatched_at,
        dispatched_by=a.dispatched_by,
        acknowledged_at=a.acknowledged_at,
        en_route_at=a.en_route_at,
        on_scene_at=a.on_scene_at,
        cleared_at=a.cleared_at,
        cleared_reason=a.cleared_reason,
    )


def _dispatch_out(session: Session, incident_id: int, number: str) -> DispatchOut:
    rows = _assignments(session, incident_id, active_only=False)
    callsigns = (
        dict(
            session.execute(
                select(Unit.id, Unit.callsign).where(Unit.id.in_({a.unit_id for a in rows}))
            ).all()
        )
        if rows
        else {}
    )
    resources = session.scalars(
        select(ResourceRequest)
        .where(ResourceRequest.incident_id == incident_id)
        .order_by(ResourceRequest.id)
    ).all()
    return DispatchOut(
        incident=number,
        assignments=[_assignment_out(a, number, callsigns[a.unit_id]) for a in rows],
        resources=[
            ResourceOut(
                id=r.id,
                kind=r.kind,
                what=r.what,
                status=ResourceStatus(r.status),
                reference=r.reference,
                note=r.note,
                requested_at=r.requested_at,
                requested_by=r.requested_by,
                on_the_way_at=r.on_the_way_at,
                arrived_at=r.arrived_at,
                ended_at=r.ended_at,
            )
            for r in resources
        ],
    )
