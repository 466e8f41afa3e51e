"""What the reviews API takes and gives."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class ReviewStatus(StrEnum):
    """Where a review is: written, waiting for approval, approved."""

    DRAFT = "draft"
    SUBMITTED = "submitted"
    APPROVED = "approved"


class ActionStatus(StrEnum):
    """Where a corrective action is."""

    OPEN = "open"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    CANCELLED = "cancelled"


class PolicyIn(BaseModel):
    """Which incidents need a review (major incidents always do)."""

    model_config = ConfigDict(extra="forbid")

    priorities: list[int] = Field(default=[1, 2], description="priorities that need a review")
    types: list[str] = Field(default_factory=list, description="type codes (and their subtypes)")
    gap_minutes: int = Field(
        default=30, ge=5, le=24 * 60, description="a silence this long is a gap"
    )

    @field_validator("priorities")
    @classmethod
    def _priorities(cls, value: list[int]) -> list[int]:
        if any(p < 1 or p > 5 for p in value):
            raise ValueError("priorities are 1 to 5")
        return sorted(set(value))

    @field_validator("types")
    @classmethod
    def _types(cls, value: list[str]) -> list[str]:
        return sorted({v.strip().lower() for v in value if v.strip()})


class PolicyOut(PolicyIn):
    """The review policy and its version (its ETag)."""

    version: int = 0


def _lines(value: list[str]) -> list[str]:
    return [v.strip() for v in value if v.strip()]


class ReviewIn(BaseModel):
    """The sections of a review (a PUT replaces them all)."""

    model_config = ConfigDict(extra="forbid")

    summary: str = Field(default="", max_length=20000)
    root_causes: list[str] = Field(default_factory=list, max_length=50)
    contributing_factors: list[str] = Field(default_factory=list, max_length=50)
    went_well: str = Field(default="", max_length=20000)
    went_badly: str = Field(default="", max_length=20000)
    lessons: str = Field(default="", max_length=20000)

    @field_validator("root_causes", "contributing_factors")
    @classmethod
    def _clean(cls, value: list[str]) -> list[str]:
        if any(len(v) > 1000 for v in value):
            raise ValueError("each item is at most 1000 characters")
        return _lines(value)


class ReturnIn(BaseModel):
    """Why the approver sends a review back to draft."""

    model_config = ConfigDict(extra="forbid")

    reason: str = Field(min_length=1, max_length=2000)

    @field_validator("reason")
    @classmethod
    def _reason(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("say why the review goes back")
        return value.strip()


class ActionIn(BaseModel):
    """A new corrective action."""

    model_config = ConfigDict(extra="forbid")

    title: str = Field(min_length=1, max_length=200)
    owner: str = Field(min_length=1, max_length=64, description="the owner's username")
    due_on: date

    @field_validator("title")
    @classmethod
    def _title(cls, value: str) -> str:
        if not value.strip():
            raise ValueError("give the action a title")
        return value.strip()


class ActionPatch(BaseModel):
    """A change of a corrective action's status (and its note or reason)."""

    model_config = ConfigDict(extra="forbid")

    status: ActionStatus | None = None
    note: str = Field(default="", max_length=2000, description="done note, or why cancelled")
    due_on: date | None = None
    owner: str | None = Field(default=None, max_length=64)


class ActionOut(BaseModel):
    """A corrective action as shown."""

    id: int
    number: str
    title: str
    owner: str
    due_on: date
    status: ActionStatus
    note: str
    overdue: bool
    version: int
    created_at: datetime
    updated_at: datetime


class Milestone(BaseModel):
    """One milestone of the response and how long after the report it came."""

    name: str
    at: datetime | None
    after_minutes: int | None


class Gap(BaseModel):
    """A silence on the timeline while the incident was open."""

    start: datetime
    end: datetime
    minutes: int


class Step(BaseModel):
    """Who did what when, one line of the rebuilt timeline."""

    at: datetime
    actor: str | None
    what: str


class Reconstruction(BaseModel):
    """The incident's response rebuilt from its log, its units and its clocks."""

    milestones: list[Milestone]
    gaps: list[Gap]
    steps: list[Step]
    clocks: list[dict[str, object]]
    gap_minutes: int


class ReviewOut(BaseModel):
    """A review with its sections, who moved it, and its actions."""

    number: str
    title: str
    status: ReviewStatus
    required: bool
    summary: str
    root_causes: list[str]
    contributing_factors: list[str]
    went_well: str
    went_badly: str
    lessons: str
    authors: list[str]
    return_reason: str
    opened_by: str | None
    opened_at: datetime
    submitted_by: str | None
    submitted_at: datetime | None
    approved_by: str | None
    approved_at: datetime | None
    version: int
    actions: list[ActionOut]


class ReviewRow(BaseModel):
    """A review in a list."""

    number: str
    title: str
    status: ReviewStatus
    required: bool
    updated_at: datetime
    open_actions: int
    overdue_actions: int
    opened_at: datetime | None = None
    approved_at: datetime | None = None
