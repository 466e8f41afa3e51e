"""BOLOs: what goes in (a notice, a cancellation) and what comes out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field


class BoloKind(StrEnum):
    """Who or what to look out for."""

    PERSON = "person"
    VEHICLE = "vehicle"


class BoloState(StrEnum):
    """Where a notice stands, computed at the time of asking."""

    ACTIVE = "active"
    EXPIRED = "expired"
    CANCELLED = "cancelled"


class BoloIn(BaseModel):
    """A new notice. With `subject_id` the name, plate and description left blank are
    taken from that person or vehicle record."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: BoloKind
    subject_id: int | None = None
    incident: str | None = Field(default=None, max_length=32, description="incident number")
    name: str = Field(default="", max_length=200, description='a person\'s name, or "unknown"')
    plate: str = Field(default="", max_length=20, description="a vehicle's plate")
    description: str = Field(
        default="", max_length=2_000, description="appearance, clothing; make, model, colour"
    )
    reason: str = Field(min_length=1, max_length=2_000, description="why to look out")
    caution: str = Field(default="", max_length=500, description="e.g. do not approach")
    sites: list[str] = Field(max_length=50, description="codes of the sites it is for")
    expires_at: AwareDatetime


class CancelIn(BaseModel):
    """Take a notice down before it expires, saying why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=500)


class BoloOut(BaseModel):
    """A notice as the API and pages show it (never the photo's bytes)."""

    id: int
    kind: BoloKind
    label: str  # the name, or the plate
    subject_id: int | None
    incident: str | None  # its number, when the caller may see it
    name: str
    plate: str
    description: str
    reason: str
    caution: str
    sites: list[str]
    expires_at: datetime
    expires_in: str  # "expires in 3 days", "expired 2 h ago"
    issued_at: datetime
    issued_by: str
    state: BoloState
    cancelled_at: datetime | None = None
    cancelled_by: str | None = None
    cancel_reason: str = ""
    has_photo: bool
    photo_url: str | None
    photo_sha256: str | None
    tz: str  # the time zone of its first site, for pages and print
    version: int


class BoloForm(BaseModel):
    """What the "Issue a BOLO" form starts with (from a subject record or an incident)."""

    kind: BoloKind = BoloKind.PERSON
    subject_id: int | None = None
    incident: str = ""
    name: str = ""
    plate: str = ""
    description: str = ""
    sites: list[str] = []
