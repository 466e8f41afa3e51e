"""What units may do, and which unit to send: pure rules, no session, no I/O.

A unit's status follows its work:

    available ──dispatch──▶ dispatched ──▶ en_route ──▶ on_scene ──clear──▶ available
    available ◀──▶ busy ◀──▶ out_of_service   (and any of them, off or on duty)

`dispatched`, `en_route` and `on_scene` need an assignment; becoming `available`,
`busy` or `out_of_service` ends the assignment the unit has (the unit is cleared).

The recommendation ranks every unit for an incident: first those on duty, available
and holding every skill the incident's type needs, nearest first; then the rest, each
with the reason it was passed over. Nearness is the distance on coordinates when both
places have them, else how much of the place they share (zone, floor, building, site),
counted as a nominal distance so that both kinds of nearness sort together.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from murphy.core.errors import Conflict, ValidationFailed
from murphy.units.schemas import Pick, ResourceStatus, UnitKind, UnitStatus

U = UnitStatus
ON_ASSIGNMENT = frozenset({U.DISPATCHED, U.EN_ROUTE, U.ON_SCENE})
FREE = frozenset({U.AVAILABLE, U.BUSY, U.OUT_OF_SERVICE})

LABELS: dict[UnitStatus, str] = {
    U.AVAILABLE: "Available",
    U.DISPATCHED: "Dispatched",
    U.EN_ROUTE: "En route",
    U.ON_SCENE: "On scene",
    U.BUSY: "Busy",
    U.OUT_OF_SERVICE: "Out of service",
}

K = UnitKind
KIND_LABELS: dict[UnitKind, str] = {
    K.OFFICER: "Officer",
    K.PATROL: "Patrol",
    K.K9: "K9",
    K.TEAM: "Team",
    K.AGENCY: "Agency",
}
# The same, said in full where one is chosen.
KIND_CHOICES: dict[UnitKind, str] = {
    K.OFFICER: "Officer",
    K.PATROL: "Patrol (two or more officers)",
    K.K9: "K9 team",
    K.TEAM: "Specialist team (medical, cyber, maintenance)",
    K.AGENCY: "Outside agency (police, fire, ambulance)",
}

R = ResourceStatus
RESOURCE_LABELS: dict[ResourceStatus, str] = {
    R.REQUESTED: "Requested",
    R.ON_THE_WAY: "On the way",
    R.ARRIVED: "Arrived",
    R.RELEASED: "Released",
    R.CANCELLED: "Cancelled",
}
RESOURCE_ACTIONS: dict[ResourceStatus, str] = {  # the button that moves a request there
    R.ON_THE_WAY: "On the way",
    R.ARRIVED: "Arrived",
    R.RELEASED: "Release",
    R.CANCELLED: "Cancel",
}
RESOURCE_MOVES: dict[ResourceStatus, frozenset[ResourceStatus]] = {
    R.REQUESTED: frozenset({R.ON_THE_WAY, R.ARRIVED, R.CANCELLED}),
    R.ON_THE_WAY: frozenset({R.ARRIVED, R.CANCELLED}),
    R.ARRIVED: frozenset({R.RELEASED}),
    R.RELEASED: frozenset(),
    R.CANCELLED: frozenset(),
}

GPS_FRESH_SECONDS = 15 * 60  # an older GPS fix no longer says where a unit is
EARTH_RADIUS_M = 6_371_008.8

# Nominal metres for nearness known only from the place both share.
SAME_ZONE_M = 0.0
SAME_FLOOR_M = 60.0
SAME_BUILDING_M = 120.0
PER_FLOOR_M = 30.0
SAME_SITE_M = 500.0
ELSEWHERE_M = 1_000_000.0


@dataclass(frozen=True)
class Spot:
    """Where something is: its place ids (any may be unknown) and coordinates."""

    site_id: int | None = None
    building_id: int | None = None
    floor_id: int | None = None
    zone_id: int | None = None
    level: int | None = None  # the floor's level, for floors apart
    latitude: float | None = None
    longitude: float | None = None
    how: str = "place"  # gps | zone | home | place
    precise: bool = False  # coordinates of the spot itself (GPS, a zone), not of its building

    @property
    def has_coordinates(self) -> bool:
        return self.latitude is not None and self.longitude is not None


@dataclass(frozen=True)
class Candidate:
    """A unit as the recommendation sees it."""

    callsign: str
    name: str
    status: UnitStatus
    on_duty: bool
    active: bool
    skills: frozenset[str]
    spot: Spot
    busy_with: str | None = None  # the incident it is on, as the caller may name it


def check_status(callsign: str, current: UnitStatus, to: UnitStatus, *, assigned: bool) -> None:
    """May a unit set `to` itself (or its dispatcher for it)? `dispatched` comes only
    from a dispatch; `en_route` and `on_scene` only with an assignment, in order."""
    if to is U.DISPATCHED:
        raise ValidationFailed(
            f"{callsign} becomes 'dispatched' by being dispatched to an incident: "
            "dispatch it from the incident instead"
        )
    if to in (U.EN_ROUTE, U.ON_SCENE) and not assigned:
        raise Conflict(
            f"{callsign} has no assignment, so it cannot be {LABELS[to].lower()}: "
            "dispatch it to an incident first"
        )
    if to is U.EN_ROUTE and current is U.ON_SCENE:
        raise Conflict(f"{callsign} is already on scene")


def step(en_route_at: datetime | None, on_scene_at: datetime | None) -> UnitStatus:
    """Where a unit on an incident is, from its assignment's times."""
    if on_scene_at is not None:
        return U.ON_SCENE
    return U.EN_ROUTE if en_route_at is not None else U.DISPATCHED


def check_dispatchable(callsign: str, *, active: bool, on_duty: bool, status: UnitStatus) -> None:
    """A unit can be sent if it is in service, on duty and not out of service."""
    if not active:
        raise Conflict(f"{callsign} is deactivated")
    if not on_duty:
        raise Conflict(f"{callsign} is off duty: start its shift first")
    if status is U.OUT_OF_SERVICE:
        raise Conflict(f"{callsign} is out of service")


def check_resource_move(what: str, current: ResourceStatus, to: ResourceStatus) -> None:
    """Requested → on the way → arrived → released; cancelled from before arrival."""
    allowed = RESOURCE_MOVES[current]
    if to not in allowed:
        options = ", ".join(sorted(s.value for s in allowed)) or "none: it has ended"
        raise Conflict(f"{what} is {current.value}; it can go to {options}")


def distance_m(a: Spot, b: Spot) -> float | None:
    """Great-circle distance in metres (haversine) when both have coordinates."""
    if not (a.has_coordinates and b.has_coordinates):
        return None
    lat1, lon1 = math.radians(a.latitude or 0.0), math.radians(a.longitude or 0.0)
    lat2, lon2 = math.radians(b.latitude or 0.0), math.radians(b.longitude or 0.0)
    h = (
        math.sin((lat2 - lat1) / 2) ** 2
        + math.cos(lat1) * math.cos(lat2) * math.sin((lon2 - lon1) / 2) ** 2
    )
    return 2 * EARTH_RADIUS_M * math.asin(min(1.0, math.sqrt(h)))


def nearness(unit: Spot, incident: Spot) -> tuple[float, str, float | None]:
    """(sort metres, words, metres on coordinates or None) for a unit and an incident.
    The same zone wins; then coordinates, unless both are in one building and one of them
    has only the building's coordinates (then floors tell more); then the place shared."""
    if unit.zone_id is not None and unit.zone_id == incident.zone_id:
        return SAME_ZONE_M, "in the same zone", None
    same_building = unit.building_id is not None and unit.building_id == incident.building_id
    metres = distance_m(unit, incident)
    if metres is not None and not (same_building and not (unit.precise and incident.precise)):
        return metres, f"{_metres(metres)} away", metres
    if unit.floor_id is not None and unit.floor_id == incident.floor_id:
        return SAME_FLOOR_M, "on the same floor", None
    if unit.building_id is not None and unit.building_id == incident.building_id:
        apart = (
            abs(unit.level - incident.level)
            if unit.level is not None and incident.level is not None
            else 1
        )
        words = "in the same building" + (
            f", {apart} floor{'s' if apart != 1 else ''} apart"
            if unit.level is not None and incident.level is not None and apart
            else ""
        )
        return SAME_BUILDING_M + PER_FLOOR_M * apart, words, None
    if unit.site_id is not None and unit.site_id == incident.site_id:
        return SAME_SITE_M, "on site" if unit.how != "home" else "on site, position unknown", None
    return ELSEWHERE_M, "at another site", None


def recommend(candidates: Iterable[Candidate], incident: Spot, skills: Sequence[str]) -> list[Pick]:
    """Every candidate ranked: eligible ones nearest first, then those available but
    lacking a skill, then the rest (on another incident, busy, off duty)."""
    needed = frozenset(skills)
    ranked: list[tuple[tuple[int, float, str], Pick]] = []
    for c in candidates:
        if not c.active:
            continue
        metres, words, exact = nearness(c.spot, incident)
        missing = sorted(needed - c.skills)
        free = c.on_duty and c.status is U.AVAILABLE
        eligible = free and not missing
        if eligible:
            group = 0
            held = f"has {', '.join(sorted(needed))} · " if needed else ""
            reason = f"Available · {held}{words}"
        elif free:
            group = 1
            reason = f"Lacks {', '.join(missing)} · {words}"
        else:
            group = 2
            reason = f"{_why_not(c)} · {words}"
        pick = Pick(
            unit=c.callsign,
            name=c.name,
            status=c.status,
            on_duty=c.on_duty,
            eligible=eligible,
            distance_m=round(exact, 1) if exact is not None else None,
            proximity=words,
            missing_skills=missing,
            reason=reason,
        )
        ranked.append(((group, metres, c.callsign), pick))
    ranked.sort(key=lambda pair: pair[0])
    return [pick for _, pick in ranked]


def gps_is_fresh(at: datetime | None, now: datetime) -> bool:
    """Whether a GPS fix taken at `at` still says where the unit is."""
    return at is not None and (now - at).total_seconds() <= GPS_FRESH_SECONDS


def _why_not(c: Candidate) -> str:
    if not c.on_duty:
        return "Off duty"
    if c.status in ON_ASSIGNMENT:
        on = f" to {c.busy_with}" if c.busy_with else ""
        return f"{LABELS[c.status]}{on}"
    return LABELS[c.status]


def _metres(m: float) -> str:
    if m < 1000:
        return f"{round(m / 10) * 10:.0f} m"
    return f"{m / 1000:.1f} km"
