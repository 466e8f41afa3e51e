"""Pydantic shapes of the analytics dashboard: the filter and every figure."""

from __future__ import annotations

from datetime import date

from pydantic import BaseModel, Field

PRIORITIES = (1, 2, 3, 4, 5)
KINDS = ("acknowledge", "respond", "resolve")


class Filters(BaseModel):
    """What the dashboard covers: a site, a type (with its subtypes), local dates."""

    site: str | None = Field(default=None, description="Site code; all visible sites if left out")
    type: str | None = Field(default=None, description="Incident type code; includes subtypes")
    start: date | None = Field(default=None, description="First local day; 30 days ago if left out")
    end: date | None = Field(
        default=None, description="Last local day (included); today if left out"
    )
    exercises: bool = Field(default=False, description="Count exercise incidents too")


class Period(BaseModel):
    """The resolved period: local dates, their time zone and length in days."""

    start: date
    end: date
    timezone: str
    days: int


class Count(BaseModel):
    """A labelled count."""

    key: str
    label: str
    count: int


class Bucket(BaseModel):
    """Incidents in one day, week or month (local time): `start` is its first day."""

    start: date
    count: int


class Volume(BaseModel):
    """How many incidents, by type (top ones, then other), by site, over time, by hour."""

    total: int
    by_type: list[Count]
    by_site: list[Count]
    step: str = Field(description="day, week or month")
    over_time: list[Bucket]
    hour_of_week: list[list[int]] = Field(
        description="7 rows (Monday first) of 24 counts, by the local hour of the report"
    )


class Durations(BaseModel):
    """Durations in seconds of one measure for one priority (or all)."""

    priority: int | None
    count: int
    median: float | None
    p90: float | None
    mean: float | None


class Measure(BaseModel):
    """One response-time measure, by priority P1..P5 and overall."""

    key: str
    label: str
    overall: Durations
    by_priority: list[Durations]


class Compliance(BaseModel):
    """Service-target clocks of one kind and priority: met, breached, still running."""

    kind: str
    priority: int | None
    met: int
    breached: int
    open: int

    @property
    def rate(self) -> float | None:
        """The share met of those decided, or None when none is."""
        decided = self.met + self.breached
        return self.met / decided if decided else None


class Place(BaseModel):
    """A recurring place: its label, count and the types seen there."""

    site: str
    label: str
    count: int
    types: list[Count]


class HotSpot(BaseModel):
    """A place with coordinates (a zone, else its building) and the incidents there."""

    label: str
    latitude: float
    longitude: float
    count: int


class HotZone(BaseModel):
    """A zone drawn on a floor plan and the incidents in it."""

    label: str
    count: int
    outline: list[tuple[float, float]] = Field(description="Corners in the plan's pixels")
    centre: tuple[float, float]


class HotPlan(BaseModel):
    """A floor plan (its picture's address and size) with its zones' counts."""

    name: str
    url: str
    width: int
    height: int
    zones: list[HotZone]


class HotSpots(BaseModel):
    """Where one site's incidents were: points for its map, and its busiest floor plans."""

    spots: list[HotSpot]
    plans: list[HotPlan]


class Comparison(BaseModel):
    """One figure now and in the previous period of the same length."""

    key: str
    label: str
    current: float | None
    previous: float | None
    delta: float | None
    better: bool | None = Field(description="Whether the change is an improvement")


class DashboardOut(BaseModel):
    """Every figure of the analytics dashboard for one filter."""

    filters: Filters
    period: Period
    previous: Period
    volume: Volume
    times: list[Measure]
    compliance: list[Compliance]
    places: list[Place]
    details: list[Place]
    comparison: list[Comparison]
    effectiveness: list[Count] = Field(
        default=[], description="Resolved incidents by the answer to 'did it fix it?'"
    )
    hot_spots: HotSpots | None = Field(
        default=None, description="With one site chosen, if it has coordinates or floor plans"
    )
