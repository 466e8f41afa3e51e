"""Pydantic models for incidents, in and out, and the lifecycle vocabulary."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

from murphy.sites.schemas import PlaceIn, PlaceOut, SiteOut
from murphy.sla.schemas import ClockDue, ClockOut
from murphy.taxonomy.schemas import TypeRef
from murphy.users.schemas import UserRef

# The two scales of the priority matrix, in the words the forms and the docs use.
IMPACTS = {
    1: "Extensive: many people, a whole site",
    2: "Significant: a building, a department",
    3: "Moderate: a group, one area",
    4: "Minor: one person, one item",
    5: "Minimal: no real harm",
}
URGENCIES = {
    1: "Critical: act now",
    2: "High: within minutes",
    3: "Medium: within the hour",
    4: "Low: this shift",
    5: "Planning: no time pressure",
}


class Status(StrEnum):
    """Where an incident is in its life."""

    NEW = "new"
    TRIAGED = "triaged"
    RESPONDING = "responding"
    RESOLVED = "resolved"
    CLOSED = "closed"
    CANCELLED = "cancelled"
    MERGED = "merged"


class Action(StrEnum):
    """A move between statuses, as the timeline names it."""

    TRIAGE = "triage"
    RESPOND = "respond"
    RESOLVE = "resolve"
    CLOSE = "close"
    REOPEN = "reopen"
    CANCEL = "cancel"
    MERGE = "merge"


class ResolutionCode(StrEnum):
    """How an incident ended."""

    RESOLVED = "resolved"
    FALSE_ALARM = "false_alarm"
    REFERRED_POLICE = "referred_police"
    REFERRED_EXTERNAL = "referred_external"
    NO_FURTHER_ACTION = "no_further_action"
    UNFOUNDED = "unfounded"


class Channel(StrEnum):
    """How a report reached Murphy."""

    WEB = "web"
    API = "api"
    CLI = "cli"
    PHONE = "phone"
    WALK_UP = "walk_up"  # someone came to the control room's desk
    PUBLIC = "public"  # the public report page or API, no account
    SIGNAL = "signal"  # a device or system: alarm panel, access control, a SIEM


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


TITLE = Field(min_length=1, max_length=200, description="One line: what happened")
DESCRIPTION = Field(default="", max_length=20_000, description="What was seen, heard, done")


_PHONE = re.compile(r"[0-9+() ./-]{3,40}")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")


class ContactIn(_In):
    """How to reach the person who reported it; every field optional."""

    name: str = Field(default="", max_length=120)
    phone: str = Field(default="", max_length=40)
    email: str = Field(default="", max_length=254)

    @field_validator("phone")
    @classmethod
    def _phone(cls, value: str) -> str:
        if value and not _PHONE.fullmatch(value):
            raise ValueError("use digits, spaces and + ( ) - . / only, e.g. +49 30 1234567")
        return value

    @field_validator("email")
    @classmethod
    def _email(cls, value: str) -> str:
        if value and not _EMAIL.fullmatch(value):
            raise ValueError("give an address like name@example.org")
        return value

    def given(self) -> bool:
        """Whether anything was filled in."""
        return bool(self.name or self.phone or self.email)


class ContactOut(BaseModel):
    """How to reach the reporter (staff only)."""

    name: str
    phone: str
    email: str


class AttachmentOut(BaseModel):
    """A photo attached to an incident (the bytes are at `url`)."""

    id: int
    filename: str
    media_type: str
    size: int
    sha256: str
    stripped: list[str] = Field(description="metadata removed on upload, e.g. EXIF")
    added_at: datetime
    url: str


class IncidentCreate(_In):
    """A new report."""

    title: str = TITLE
    description: str = DESCRIPTION
    site: str = Field(min_length=1, max_length=16, description="Site code")
    place: PlaceIn | None = None
    occurred_at: datetime | None = Field(
        default=None,
        description="When it happened; without an offset it is read in the site's time zone",
    )
    contact: ContactIn | None = Field(
        default=None, description="The caller's or reporter's details, for a call back"
    )
    exercise: bool = Field(
        default=False, description="A drill or exercise, not a real incident (shown as such)"
    )


class IncidentUpdate(_In):
    """A change to an incident's details. Only the fields sent are changed."""

    title: str | None = Field(default=None, min_length=1, max_length=200)
    description: str | None = Field(default=None, max_length=20_000)
    site: str | None = Field(default=None, min_length=1, max_length=16)
    place: PlaceIn | None = None
    occurred_at: datetime | None = None


class Effective(StrEnum):
    """Did the action fix it? (the effectiveness evaluation when resolving)"""

    YES = "yes"
    PARTLY = "partly"
    NO = "no"


class EffectivenessIn(_In):
    """Whether what was done fixed the problem, and when to check that it held."""

    effective: Effective
    note: str = Field(default="", max_length=5_000, description="How you know; what is left")
    follow_up_on: date | None = Field(
        default=None, description="A date (the site's) to check it held; a reminder fires then"
    )


class TransitionIn(_In):
    """A lifecycle move: the status to go to, and what that move needs."""

    to: Status
    reason: str | None = Field(
        default=None,
        max_length=5_000,
        description="Why: required to cancel and reopen; the summary when resolving",
    )
    target: str | None = Field(
        default=None, max_length=24, description="For merge: the number to merge into"
    )
    resolution_code: ResolutionCode | None = Field(default=None, description="Required to resolve")
    effectiveness: EffectivenessIn | None = Field(
        default=None,
        description="When resolving: did the action fix it? Required for types that ask for it",
    )


class ClassifyIn(_In):
    """What kind of incident this is; impact and urgency default to the type's."""

    type: str = Field(min_length=1, max_length=64, description="Type code, e.g. theft.vehicle")
    impact: int | None = Field(default=None, ge=1, le=5, description="1 (worst) .. 5")
    urgency: int | None = Field(default=None, ge=1, le=5, description="1 (worst) .. 5")


class PriorityIn(_In):
    """New impact and urgency (priority from the matrix), or a priority override with a reason."""

    impact: int | None = Field(default=None, ge=1, le=5)
    urgency: int | None = Field(default=None, ge=1, le=5)
    priority: int | None = Field(default=None, ge=1, le=5, description="Override the matrix")
    reason: str = Field(default="", max_length=2_000, description="Required with an override")


class AssessmentIn(_In):
    """The assessment record; only the fields sent change."""

    immediate_actions: str | None = Field(default=None, max_length=20_000)
    risks: str | None = Field(default=None, max_length=20_000)
    suspected_root_cause: str | None = Field(default=None, max_length=20_000)
    recommended_solution: str | None = Field(default=None, max_length=20_000)
    parties_informed: list[str] | None = Field(default=None, max_length=50)


class AssessmentOut(BaseModel):
    """The assessment record of an incident."""

    immediate_actions: str = ""
    risks: str = ""
    suspected_root_cause: str = ""
    recommended_solution: str = ""
    parties_informed: list[str] = []
    updated_at: datetime | None = None


class NoteIn(_In):
    """A note on the timeline."""

    body: str = Field(min_length=1, max_length=20_000)


class Sort(StrEnum):
    """How a list is ordered."""

    NEWEST = "newest"  # newest report first
    PRIORITY = "priority"  # the queue: unprioritized first, then P1..P5, oldest first


class IncidentQuery(_In):
    """Filters of the incident list. Unknown parameters are refused."""

    status: list[Status] = Field(default_factory=list)
    site: list[str] = Field(default_factory=list, description="Site codes")
    q: str | None = Field(
        default=None, max_length=200, description="Words in title or description, or a number"
    )
    reported_from: datetime | None = None
    reported_to: datetime | None = None
    type: list[str] = Field(default_factory=list, description="Type codes (and their subtypes)")
    priority: list[int] = Field(default_factory=list, description="Priorities 1-5")
    sort: Sort = Sort.NEWEST
    limit: int = Field(default=50, ge=1, le=200)
    cursor: str | None = Field(default=None, max_length=200)


class Milestone(BaseModel):
    """When a transition happened and who made it."""

    at: datetime
    by: UserRef | None = None


class TransitionOption(BaseModel):
    """A move the caller may make now."""

    to: Status
    action: Action
    needs_reason: bool = False
    needs_target: bool = False
    needs_resolution: bool = False


class IncidentSummary(BaseModel):
    """One row of the queue."""

    number: str
    title: str
    status: Status
    priority: int | None = None
    type: str | None = Field(default=None, description="Type name")
    due: ClockDue | None = Field(default=None, description="The next service target due")
    site: str
    place: str
    reported_at: datetime
    occurred_at: datetime | None
    reporter: str | None
    exercise: bool = False


class IncidentPage(BaseModel):
    """A page of incidents and the cursor for the next one."""

    items: list[IncidentSummary]
    next_cursor: str | None


class ChainHead(BaseModel):
    """How long an incident's timeline is and the hash of its last entry."""

    length: int
    head: str


class IncidentOut(BaseModel):
    """An incident with everything the API knows about it."""

    number: str
    title: str
    description: str
    status: Status
    site: SiteOut
    place: PlaceOut
    occurred_at: datetime | None
    reported_at: datetime
    reporter: UserRef | None
    channel: Channel
    triaged: Milestone | None = None
    responding: Milestone | None = None
    resolved: Milestone | None = None
    closed: Milestone | None = None
    cancelled: Milestone | None = None
    resolution_code: ResolutionCode | None = None
    resolution_summary: str = ""
    cancel_reason: str = ""
    merged_into: str | None = None
    type: TypeRef | None = None
    impact: int | None = None
    urgency: int | None = None
    priority: int | None = None
    priority_reason: str = ""
    acknowledged: Milestone | None = None
    major: bool = False
    exercise: bool = False
    complexity: int | None = None
    clocks: list[ClockOut] = []
    version: int
    updated_at: datetime
    allowed_transitions: list[TransitionOption]
    timeline: ChainHead


class TimelineEntryOut(BaseModel):
    """One append-only entry of an incident's timeline."""

    seq: int
    at: datetime
    actor: UserRef | None
    kind: str
    data: dict[str, Any]
    prev_hash: str
    hash: str
    seals: dict[str, dict[str, str]] | None = Field(
        default=None,
        description=(
            "Personal fields the hash covers through a salted digest: {field: {salt}} while"
            " the value is kept, {field: {digest}} once retention removed it"
        ),
    )


@dataclass(frozen=True)
class IncidentFacts:
    """What other domains are told about an incident when it changes (hooks, rules)."""

    id: int
    number: str
    status: Status
    site_id: int
    type_id: int | None
    priority: int | None
    reported_at: datetime
    acknowledged_at: datetime | None
    clearance: str | None
    major: bool


@dataclass(frozen=True)
class Change:
    """One change of an incident: the timeline entry it wrote, and who made it."""

    incident: IncidentFacts
    kind: str  # the timeline entry's kind: created, transition, classified, ...
    seq: int  # the entry's place on the timeline
    data: dict[str, Any]
    actor: str | None  # user name; None for the system (a timer)
    at: datetime
