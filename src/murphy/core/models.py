"""The kernel's own tables: organization-wide configuration and durable timers."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class ConfigEntry(Base):
    """One organization-wide setting kept in the database (e.g. the priority matrix)."""

    __tablename__ = "config"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str | None] = mapped_column(String(64))


class Timer(Base):
    """Something that must happen at a time, kept in the database so that a restart
    loses nothing and, with several processes, only one fires it."""

    __tablename__ = "timers"
    __table_args__ = (
        UniqueConstraint("kind", "subject"),
        Index("ix_timers_state_due_at", "state", "due_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(48))  # who handles it, e.g. "sla.breach"
    subject: Mapped[str] = mapped_column(String(96))  # what it is about, e.g. "INC-2026-00042/ack"
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    state: Mapped[str] = mapped_column(String(12), default="pending")  # pending|fired|cancelled
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    fired_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class LiveEvent(Base):
    """A change the live screens must see, in commit order (`core.live`). Written in the
    transaction that made the change; kept for a while so that a screen that lost its
    connection gets what it missed."""

    __tablename__ = "live_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    name: Mapped[str] = mapped_column(String(64))  # e.g. "incident.created"
    # Who may see it (the kernel knows no domain: plain values, no foreign keys).
    site_id: Mapped[int | None]
    clearance: Mapped[str | None] = mapped_column(String(32))
    owner_id: Mapped[int | None]  # the reporter, for those who see only their own reports
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
