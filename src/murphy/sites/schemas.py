"""Pydantic models for sites and places, in and out."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class SiteIn(_In):
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


class BuildingIn(_In):
    """A new building on a site."""

    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=120)


class FloorIn(_In):
    """A new floor of a building."""

    code: str = Field(min_length=1, max_length=16)
    name: str = Field(min_length=1, max_length=120)
    level: int = Field(default=0, ge=-20, le=300)


class ZoneIn(_In):
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


class PlaceOut(BaseModel):
    """A resolved place."""

    building: NamedRef | None = None
    floor: NamedRef | None = None
    zone: NamedRef | None = None
    detail: str = ""
    label: str = ""


class FloorOut(NamedRef):
    """A floor with its zones."""

    level: int
    zones: list[NamedRef] = []


class BuildingOut(NamedRef):
    """A building with its floors, and the zones in it that are on no particular floor."""

    floors: list[FloorOut] = []
    zones: list[NamedRef] = []


class SiteDetail(SiteOut):
    """A site with everything inside it."""

    buildings: list[BuildingOut] = []
    outdoor_zones: list[NamedRef] = []
