"""Pydantic models of on-call schedules: what the API and the CLI take and give."""

from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from murphy.users.schemas import UserRef

CLOCK = r"^([01]?\d|2[0-3]):[0-5]\d$"
MAX_RANGE_DAYS = 92  # the longest stretch of shifts one request may ask for


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class WindowIn(_In):
    """On these days of the week (0 = Monday .. 6 = Sunday), from `start` to `end`
    (local times; an `end` not after `start` ends the next day: 18:00-08:00)."""

    days: list[int] = Field(min_length=1, max_length=7)
    start: str = Field(pattern=CLOCK, examples=["18:00"])
    end: str = Field(pattern=CLOCK, examples=["08:00"])


class LayerIn(_In):
    """A rotation: `participants` take turns, each for `length` days or hours, the
    first from `start_date` at `handoff` (local time); on call only within the
    `restrictions` windows, if any."""

    name: str = Field(default="", max_length=80)
    participants: list[str] = Field(min_length=1, max_length=100, description="User names")
    start_date: dt.date
    handoff: str = Field(default="08:00", pattern=CLOCK)
    length: int = Field(default=7, ge=1, le=8760)
    unit: Literal["days", "hours"] = "days"
    restrictions: list[WindowIn] = Field(default_factory=list, max_length=14)


class ScheduleIn(_In):
    """A schedule: a time zone and its layers, the base first; a later layer wins where
    it has someone on call."""

    name: str = Field(min_length=1, max_length=120)
    description: str = Field(default="", max_length=500)
    timezone: str = Field(min_length=1, max_length=64, examples=["Europe/Berlin"])
    layers: list[LayerIn] = Field(min_length=1, max_length=10)


class OverrideIn(_In):
    """`user` takes over the schedule from `start` until `end`."""

    user: str = Field(min_length=1, max_length=64)
    start: AwareDatetime
    end: AwareDatetime
    reason: str = Field(default="", max_length=300)


class WindowOut(BaseModel):
    """A restriction window, with its description for people."""

    days: list[int]
    start: str
    end: str
    text: str


class LayerOut(BaseModel):
    """A layer as stored."""

    name: str
    participants: list[UserRef]
    start_date: dt.date
    handoff: str
    length: int
    unit: str
    restrictions: list[WindowOut]


class OverrideOut(BaseModel):
    """An override."""

    id: int
    user: UserRef
    start: dt.datetime
    end: dt.datetime
    reason: str
    created_by: str


class OnCallOut(BaseModel):
    """Who is on call for a schedule at an instant, and since and until when."""

    schedule: str
    schedule_id: int
    at: dt.datetime
    user: UserRef | None
    since: dt.datetime | None
    until: dt.datetime | None
    source: str | None  # "layer 1", "layer 2", ... or "override"


class ShiftOut(BaseModel):
    """A stretch of time one person is on call."""

    schedule: str
    user: UserRef
    start: dt.datetime
    end: dt.datetime
    source: str


class ScheduleOut(BaseModel):
    """A schedule, its upcoming overrides, and who is on call now."""

    id: int
    name: str
    description: str
    timezone: str
    layers: list[LayerOut]
    overrides: list[OverrideOut]
    on_call: OnCallOut
    version: int


class FeedOut(BaseModel):
    """A person's secret calendar link as stored: how its token starts and when it was
    made (the token itself is shown only once, when it is made)."""

    prefix: str
    created_at: dt.datetime


class NewFeedOut(FeedOut):
    """A calendar link just made: the URL to subscribe to, shown this once."""

    url: str
