"""Pydantic models for priority and service targets."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field


class MatrixIn(BaseModel):
    """A priority matrix: rows by impact 1-5, columns by urgency 1-5."""

    model_config = ConfigDict(extra="forbid")

    matrix: list[list[int]] = Field(description="5 rows (impact 1-5) of 5 priorities")


class MatrixOut(BaseModel):
    """The priority matrix in force."""

    matrix: list[list[int]]
    default: bool


class ClockOut(BaseModel):
    """One service-target clock of an incident."""

    kind: str = Field(description="acknowledge | respond | resolve")
    target_minutes: int
    started_at: datetime
    due_at: datetime
    met_at: datetime | None = None
    breached_at: datetime | None = None
    paused: bool = False
    pause_reason: str = ""


class ClockDue(BaseModel):
    """The next clock of an incident still running (for the queue's countdown)."""

    kind: str
    due_at: datetime
    breached: bool
    target_minutes: int = Field(description="The target, for how much of it is left")


MINUTES = Field(default=None, ge=1, le=366 * 24 * 60, description="Minutes; null: no target")


class TargetIn(BaseModel):
    """Service targets for a priority, optionally only for a type (and its subtypes) or a
    site. Precedence: type and site > type > site > the priority alone > the default."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    priority: int = Field(ge=1, le=5)
    type: str | None = Field(default=None, max_length=64, description="Type code")
    site: str | None = Field(default=None, max_length=16, description="Site code")
    acknowledge_minutes: int | None = MINUTES
    respond_minutes: int | None = MINUTES
    resolve_minutes: int | None = MINUTES


class TargetOut(TargetIn):
    """One row of the service-target table (or a built-in default)."""


class TargetsIn(BaseModel):
    """The whole service-target table; it replaces the one in force."""

    model_config = ConfigDict(extra="forbid")

    targets: list[TargetIn] = Field(max_length=5_000)


class TargetsOut(BaseModel):
    """The organization's service-target table and the built-in defaults it overrides."""

    targets: list[TargetOut]
    defaults: list[TargetOut] = Field(description="Used for a priority with no row of its own")


class PauseIn(BaseModel):
    """Why the clocks stop (waiting on a third party: the police, a contractor, ...)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    reason: str = Field(min_length=1, max_length=2_000)
