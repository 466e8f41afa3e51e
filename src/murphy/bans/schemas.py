"""Bans and trespass notices: what goes in and comes out."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class BanKind(StrEnum):
    """A ban, or a trespass notice (formally served on the person)."""

    BAN = "ban"
    TRESPASS = "trespass"


class ServedHow(StrEnum):
    """How a trespass notice reached the person."""

    IN_PERSON = "in_person"
    POST = "post"
    EMAIL = "email"


class BanStatus(StrEnum):
    """Where a ban stands now (derived from its times, never stored)."""

    UPCOMING = "upcoming"
    ACTIVE = "active"
    EXPIRED = "expired"
    LIFTED = "lifted"


class Verdict(StrEnum):
    """The front desk's answer for one person at one site."""

    BANNED_HERE = "banned_here"
    BANNED_ELSEWHERE = "banned_elsewhere"
    UPCOMING = "upcoming"
    ENDED = "ended"


KIND_LABELS = {BanKind.BAN: "Ban", BanKind.TRESPASS: "Trespass notice"}
SERVED_LABELS = {
    ServedHow.IN_PERSON: "In person",
    ServedHow.POST: "By post",
    ServedHow.EMAIL: "By email",
}


class BanIn(BaseModel):
    """A new ban: who, because of which incident, where, until when and why."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject_id: int
    incident: str = Field(min_length=1, max_length=40, description="the incident's number")
    kind: BanKind = BanKind.BAN
    reason: str = Field(min_length=1, max_length=2_000)
    conditions: str = Field(default="", max_length=1_000, description="may attend A&E")
    sites: list[str] = Field(default_factory=list, max_length=100, description="site codes")
    starts_at: datetime | None = Field(default=None, description="default: now")
    ends_at: datetime
    served_at: datetime | None = Field(default=None, description="trespass: default now")
    served_by: str = Field(default="", max_length=120, description="trespass: default you")
    served_how: ServedHow | None = Field(default=None, description="trespass notices only")


class LiftIn(BaseModel):
    """Lift a ban before its end."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=1_000)


class BanOut(BaseModel):
    """A ban as the API shows it."""

    id: int
    kind: BanKind
    status: BanStatus
    subject_id: int
    name: str
    incident: str | None  # its number, when the caller may see it
    reason: str
    conditions: str
    sites: list[str]
    starts_at: datetime
    ends_at: datetime
    served_at: datetime | None = None
    served_by: str | None = None
    served_how: ServedHow | None = None
    issued_at: datetime
    issued_by: str
    lifted_at: datetime | None = None
    lifted_by: str | None = None
    lift_reason: str = ""
    version: int


class CheckBan(BaseModel):
    """One ban in a front desk answer (only the sites the caller may see)."""

    id: int
    kind: BanKind
    status: BanStatus
    sites: list[str]
    starts_at: datetime
    ends_at: datetime
    lifted_at: datetime | None = None
    reason: str
    conditions: str


class CheckPerson(BaseModel):
    """One person the front desk's search found with a ban: the verdict for the site."""

    subject_id: int
    name: str
    birth_date: date | None = None
    verdict: Verdict
    here: CheckBan | None = None  # the ban that keeps them off this site
    bans: list[CheckBan]


class CheckOut(BaseModel):
    """The answer to "is this person banned here?"."""

    q: str
    site: str | None
    people: list[CheckPerson]
