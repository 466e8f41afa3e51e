"""Pydantic models and enums for units and dispatch, in and out."""

from __future__ import annotations

import re
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator

from murphy.sites.schemas import PlanOut
from murphy.taxonomy.schemas import normalize_skills

_CALLSIGN = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_-]*$")


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class UnitStatus(StrEnum):
    """Where a unit is in its work. `dispatched`, `en_route` and `on_scene` belong to an
    assignment; the others are set by the unit or the dispatcher."""

    AVAILABLE = "available"
    DISPATCHED = "dispatched"
    EN_ROUTE = "en_route"
    ON_SCENE = "on_scene"
    BUSY = "busy"
    OUT_OF_SERVICE = "out_of_service"


class UnitKind(StrEnum):
    """What a unit is."""

    OFFICER = "officer"
    PATROL = "patrol"  # two or more officers together
    K9 = "k9"
    TEAM = "team"  # a specialist team: medical, cyber, maintenance
    AGENCY = "agency"  # an outside agency: police, fire, ambulance


class Role(StrEnum):
    """A unit's part on an incident."""

    PRIMARY = "primary"
    ASSISTING = "assisting"


class ResourceKind(StrEnum):
    """What kind of further resource is asked for."""

    EQUIPMENT = "equipment"
    AGENCY = "agency"
    PERSONNEL = "personnel"


class ResourceStatus(StrEnum):
    """Where a resource request is: asked, coming, there, or ended without it."""

    REQUESTED = "requested"
    ON_THE_WAY = "on_the_way"
    ARRIVED = "arrived"
    RELEASED = "released"
    CANCELLED = "cancelled"


class UnitIn(_In):
    """A new unit."""

    callsign: str = Field(
        min_length=1, max_length=24, description="What the radio calls it, e.g. A12"
    )
    name: str = Field(default="", max_length=120)
    kind: UnitKind = UnitKind.OFFICER
    site: str = Field(min_length=1, max_length=16, description="Home site code")
    skills: list[str] = Field(default_factory=list, max_length=32)
    members: list[str] = Field(default_factory=list, max_length=20, description="User names")
    on_duty: bool = False

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        return normalize_skills(value)

    @field_validator("callsign")
    @classmethod
    def _callsign(cls, value: str) -> str:
        if not _CALLSIGN.match(value):
            raise ValueError(
                "use letters, digits, '-' or '_', starting with a letter or a digit, e.g. A12"
            )
        return value.upper()


class UnitUpdate(_In):
    """Changes to a unit; only the fields sent change."""

    name: str | None = Field(default=None, max_length=120)
    kind: UnitKind | None = None
    site: str | None = Field(default=None, min_length=1, max_length=16)
    skills: list[str] | None = Field(default=None, max_length=32)
    members: list[str] | None = Field(default=None, max_length=20)
    active: bool | None = None

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else normalize_skills(value)


class StatusIn(_In):
    """A unit's new status (one tap on the phone), with an optional word why."""

    status: UnitStatus
    note: str = Field(default="", max_length=500)


class DutyIn(_In):
    """Start or end a shift."""

    on_duty: bool


class PositionIn(_In):
    """Where a unit is: GPS from the phone (with the person's consent), or a zone."""

    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)
    accuracy_m: float | None = Field(default=None, ge=0, le=100_000)
    site: str | None = Field(default=None, max_length=16, description="with `zone`")
    zone: str | None = Field(default=None, max_length=24, description="a zone or checkpoint")


class DispatchIn(_In):
    """Send a unit to an incident."""

    unit: str = Field(min_length=1, max_length=24, description="Callsign")
    role: Role | None = Field(default=None, description="default: primary if there is none")
    reassign: bool = Field(default=False, description="take the unit off the incident it is on now")


class ClearIn(_In):
    """Take a unit off an incident."""

    reason: str = Field(default="", max_length=120)


class ResourceIn(_In):
    """Ask for something more: equipment, an outside agency, more people."""

    kind: ResourceKind
    what: str = Field(min_length=1, max_length=200, description="e.g. 'Police', 'Ladder'")
    note: str = Field(default="", max_length=2000)


class ResourceUpdate(_In):
    """A resource request moves on."""

    status: ResourceStatus
    reference: str | None = Field(default=None, max_length=80, description="e.g. a log number")


class PositionOut(BaseModel):
    """A unit's last known position."""

    source: str  # gps | zone
    latitude: float | None = None
    longitude: float | None = None
    accuracy_m: float | None = None
    site: str | None = None
    zone: str | None = None
    label: str = ""
    at: datetime


class AssignmentOut(BaseModel):
    """A unit on an incident, with the time of each step."""

    id: int
    incident: str  # its number
    unit: str  # callsign
    role: Role
    reason: str = ""
    active: bool
    dispatched_at: datetime
    dispatched_by: str | None = None
    acknowledged_at: datetime | None = None
    en_route_at: datetime | None = None
    on_scene_at: datetime | None = None
    cleared_at: datetime | None = None
    cleared_reason: str = ""


class UnitOut(BaseModel):
    """A unit as the board shows it. `assignment` is hidden when the caller may not
    see its incident (`restricted` is then true)."""

    callsign: str
    name: str
    kind: UnitKind
    site: str
    skills: list[str]
    members: list[str]
    active: bool
    status: UnitStatus
    status_at: datetime
    on_duty: bool
    duty_at: datetime | None = None
    position: PositionOut | None = None
    assignment: AssignmentOut | None = None
    restricted: bool = False
    version: int


class Pick(BaseModel):
    """One unit in a recommendation, with the reason it is where it is in the list."""

    unit: str
    name: str
    status: UnitStatus
    on_duty: bool
    eligible: bool
    distance_m: float | None = Field(default=None, description="on coordinates, when known")
    proximity: str = Field(description="how near: 'same zone' .. 'another site', or metres")
    missing_skills: list[str] = Field(default_factory=list)
    reason: str


class Recommendation(BaseModel):
    """The units for an incident, best first: eligible ones (on duty, available, with the
    skills its type needs) by nearness, then the others with what keeps them out."""

    incident: str
    skills: list[str]
    picks: list[Pick]


class ResourceOut(BaseModel):
    """A resource request with its times."""

    id: int
    kind: ResourceKind
    what: str
    status: ResourceStatus
    reference: str = ""
    note: str = ""
    requested_at: datetime
    requested_by: str | None = None
    on_the_way_at: datetime | None = None
    arrived_at: datetime | None = None
    ended_at: datetime | None = None


class DispatchOut(BaseModel):
    """The units and resources of an incident."""

    incident: str
    assignments: list[AssignmentOut]
    resources: list[ResourceOut]


class MapPlace(BaseModel):
    """A building or zone with coordinates."""

    code: str
    name: str
    kind: str  # building | zone
    latitude: float
    longitude: float


class MapIncident(BaseModel):
    """An open incident on the map, at its place's coordinates (`precision` says whose:
    zone, building or site)."""

    number: str
    title: str
    priority: int | None = None
    status: str
    place: str
    latitude: float | None = None
    longitude: float | None = None
    precision: str | None = None
    x: float | None = None  # on a floor's plan: the centre of its zone's outline
    y: float | None = None


class MapUnit(BaseModel):
    """A unit on the map, where it was last: a fresh GPS fix, or its zone's coordinates."""

    callsign: str
    status: UnitStatus
    on_duty: bool
    latitude: float | None = None
    longitude: float | None = None
    source: str | None = None  # gps | zone
    label: str = ""
    incident: str | None = None
    x: float | None = None  # on a floor's plan: the centre of its zone's outline
    y: float | None = None


class MapFloor(BaseModel):
    """A floor with a plan, and how many open incidents and units are on it now."""

    building: str
    floor: str
    name: str  # "Main Tower · Floor 2"
    level: int
    incidents: int
    units: int


class MapZone(BaseModel):
    """A zone drawn on a floor's plan."""

    code: str
    name: str
    outline: list[tuple[float, float]]
    x: float
    y: float


class MapOut(BaseModel):
    """What the board's map draws for one site."""

    site: str
    name: str
    latitude: float | None = None
    longitude: float | None = None
    places: list[MapPlace]
    incidents: list[MapIncident]
    units: list[MapUnit]
    floors: list[MapFloor] = Field(description="The floors that have a plan to show")


class FloorMapOut(BaseModel):
    """What the board draws for one floor: its plan, its zones, and the open incidents
    and units on it (at their zone's centre when the zone is drawn; `x`/`y` null when
    not, so a list can still show them)."""

    site: str
    building: str
    floor: str
    name: str
    plan: PlanOut
    zones: list[MapZone]
    incidents: list[MapIncident]
    units: list[MapUnit]
    floors: list[MapFloor] = Field(description="Every floor of the site with a plan")
