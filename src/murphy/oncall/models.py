"""On-call schedules as stored: the definition (time zone and layers) and overrides."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class OnCallSchedule(Base):
    """A schedule: its time zone and its layers (rotations with restriction windows).

    `layers` is a list of `{"name", "participants": [usernames], "start_date":
    "YYYY-MM-DD", "handoff": "HH:MM", "length", "unit": "days"|"hours",
    "restrictions": [{"days": [0..6], "start": "HH:MM", "end": "HH:MM"}]}`, base first.
    """

    __tablename__ = "oncall_schedules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    timezone: Mapped[str] = mapped_column(String(64))
    layers: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OnCallOverride(Base):
    """Someone takes over a schedule for a while (a swap, sickness, a holiday)."""

    __tablename__ = "oncall_overrides"

    id: Mapped[int] = mapped_column(primary_key=True)
    schedule_id: Mapped[int] = mapped_column(
        ForeignKey("oncall_schedules.id", ondelete="CASCADE"), index=True
    )
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reason: Mapped[str] = mapped_column(String(300), default="")
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CalendarFeed(Base):
    """A person's secret calendar URL (one each): only the SHA-256 of its token is
    stored; a new one replaces the old, which then stops working."""

    __tablename__ = "calendar_feeds"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    prefix: Mapped[str] = mapped_column(String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
