"""Pydantic models for sites and places, in and out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field, model_validator


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class _Located(_In):
    """Optional WGS 84 coordinates: both or neither."""

    latitude: float | None = Field(default=None, ge=-90, le=90)
    longitude: float | None = Field(default=None, ge=-180, le=180)

    @model_validator(mode="after")
    def _both_or_neither(self) -> _Located:
        if (self.latitude is None) != (self.longitude is None):
            raise ValueError("give both latitude and longitude, or neither")
        return self


class SiteIn(_Located):
    """A new site."""

    code: str = Field(min_length=1, max_length=16, description="Short code, e.g. HQ")
    name: str = Field(min_length=1, max_length=120)
    timezone: str = Field(min_length=1, max_length=64, description="IANA name, e.g. Europe/Berlin")
    address: str = Field(default="", max_length=240)


class SiteOut(BaseModel):
    """A site as the API shows it."""

    code: str
    name: str
    timezone: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None


class BuildingIn(_Located):
    """A new building on a site."""

    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=120)


class FloorIn(_In):
    """A new floor of a building."""

    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=120)
    level: int = Field(default=0, ge=-20, le=300)


class ZoneIn(_Located):
    """A new zone, optionally inside a building and on a floor."""

    code: str = Field(min_length=1, max_length=24)
    name: str = Field(min_length=1, max_length=120)
    building: str | None = Field(default=None, max_length=16)
    floor: str | None = Field(default=None, max_length=16)


class PlaceIn(_In):
    """Where something happened, inside a site. Every part is optional."""

    building: str | None = Field(default=None, max_length=16, description="Building code")
    floor: str | None = Field(default=None, max_length=16, description="Floor code")
    zone: str | None = Field(default=None, max_length=24, description="Zone code")
    detail: str = Field(default="", max_length=240, description="Free text, e.g. 'by the lifts'")


class NamedRef(BaseModel):
    """A code with its human name."""

    code: str
    name: str


class LocatedRef(NamedRef):
    """A building or zone, with its coordinates when known."""

    latitude: float | None = None
    longitude: float | None = None


class PlaceOut(BaseModel):
    """A resolved place."""

    building: NamedRef | None = None
    floor: NamedRef | None = None
    zone: NamedRef | None = None
    detail: str = ""
    label: str = ""


class ZoneOut(LocatedRef):
    """A zone; on a floor with a plan, its outline drawn on the plan."""

    outline: list[tuple[float, float]] | None = Field(
        default=None, description="Corners [x, y] in the plan picture's pixels from its top-left"
    )


class PlanOut(BaseModel):
    """A floor's plan picture."""

    url: str = Field(description="Where to fetch the picture; changes when it is replaced")
    width: int = Field(description="Pixels")
    height: int = Field(description="Pixels")
    sha256: str


class FloorOut(NamedRef):
    """A floor with its zones, and its plan when one was uploaded."""

    level: int
    plan: PlanOut | None = None
    zones: list[ZoneOut] = []


class BuildingOut(LocatedRef):
    """A building with its floors, and the zones in it that are on no particular floor."""

    floors: list[FloorOut] = []
    zones: list[ZoneOut] = []


class SiteDetail(SiteOut):
    """A site with everything inside it."""

    buildings: list[BuildingOut] = []
    outdoor_zones: list[ZoneOut] = []


class OutlineIn(_In):
    """A zone's outline on its floor's plan."""

    points: list[tuple[float, float]] = Field(
        min_length=3,
        max_length=200,
        description="Corners [x, y] in the plan picture's pixels from its top-left corner",
    )
