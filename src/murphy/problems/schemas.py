"""Problems and recurrence candidates: what goes in and comes out."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class ProblemStatus(StrEnum):
    """Where a problem is: found, understood, fixed and watched, or done with."""

    OPEN = "open"  # incidents share a cause; nobody knows it yet, or nothing is done
    KNOWN_ERROR = "known_error"  # the root cause is known (and perhaps a workaround)
    FIXED = "fixed"  # the fix is in: the system watches for the kind and place coming back
    CLOSED = "closed"  # no longer watched


class LinkKind(StrEnum):
    """What a problem links to besides its incidents."""

    ACTION = "action"  # a corrective action (of a post-incident review)
    CHANGE = "change"  # a change record (a work order, a CAB ticket, a firewall change)
    DOCUMENT = "document"


class ProblemIn(BaseModel):
    """A new problem: what it is, where to watch, and the incidents it groups."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str = Field(min_length=3, max_length=200)
    description: str = Field(default="", max_length=20_000)
    root_cause: str = Field(default="", max_length=20_000)
    owner: str | None = Field(default=None, description="user name of the owner")
    site: str | None = Field(default=None, description="site code to watch")
    place: str | None = Field(
        default=None, description="building or zone code on that site; none for the whole site"
    )
    type: str | None = Field(default=None, description="incident type code (and its subtypes)")
    incidents: list[str] = Field(default_factory=list, max_length=500)


class ProblemUpdate(BaseModel):
    """The fields a problem's owner or a reviewer may change."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    title: str | None = Field(default=None, min_length=3, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
    root_cause: str | None = Field(default=None, max_length=20_000)
    workaround: str | None = Field(default=None, max_length=20_000)
    owner: str | None = None


class StatusIn(BaseModel):
    """A move to another status, with what was done (required when marking fixed)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    status: ProblemStatus
    note: str = Field(default="", max_length=5_000)


class LinkIn(BaseModel):
    """A corrective action, change record or document the problem relies on."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: LinkKind
    ref: str = Field(min_length=1, max_length=120, description="its number or id")
    title: str = Field(default="", max_length=200)
    url: str = Field(default="", max_length=500)


class IncidentsIn(BaseModel):
    """Incident numbers to link to (or unlink from) a problem."""

    model_config = ConfigDict(extra="forbid")

    incidents: list[str] = Field(min_length=1, max_length=500)


class LinkOut(BaseModel):
    id: int
    kind: LinkKind
    ref: str
    title: str
    url: str
    created_at: datetime
    created_by: str | None


class LinkedIncident(BaseModel):
    number: str
    title: str
    status: str
    reported_at: datetime
    recurrence: bool  # linked because it came back after the fix


class ProblemOut(BaseModel):
    id: int
    ref: str  # PRB-12
    title: str
    description: str
    root_cause: str
    workaround: str
    status: ProblemStatus
    owner: str | None
    site: str | None
    place: str | None
    place_label: str | None
    type: str | None
    type_name: str | None
    fixed_at: datetime | None
    fix_note: str
    recurrences: int
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    version: int
    incidents: list[LinkedIncident] = []
    links: list[LinkOut] = []


class ProblemSummary(BaseModel):
    id: int
    ref: str
    title: str
    status: ProblemStatus
    owner: str | None
    site: str | None
    place_label: str | None
    type_name: str | None
    incidents: int
    recurrences: int
    updated_at: datetime
    created_at: datetime | None = None
    fixed_at: datetime | None = None


class Evidence(BaseModel):
    """Why a group of incidents looks like one problem."""

    count: int
    days: int
    per_week: float
    first: datetime
    last: datetime
    hours: list[int]  # 24 counts, local time
    weekdays: list[int]  # Monday first
    hour_window: str | None  # "22:00-02:00": most of them fall in these four hours
    hour_share: float
    weekday_pattern: str | None  # "weekends", "Saturdays"
    weekday_share: float
    words: list[str]  # words most of their titles share
    findings: list[str]  # the evidence in sentences


class Candidate(BaseModel):
    """A group of incidents that keeps coming back: a problem nobody has opened yet."""

    key: str  # site/place/type, to open a problem from it
    site: str
    place: str | None
    place_label: str
    type: str | None
    type_name: str
    score: float
    evidence: Evidence
    incidents: list[str]  # their numbers, newest first
