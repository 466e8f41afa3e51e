"""Retention rules set by the privacy officer, and the log of runs."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, String
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class RetentionRule(Base):
    """A record type's period and action, where it differs from the default."""

    __tablename__ = "retention_rules"

    record_type: Mapped[str] = mapped_column(String(24), primary_key=True)
    days: Mapped[int]
    action: Mapped[str] = mapped_column(String(12))  # anonymize | delete
    enabled: Mapped[bool] = mapped_column(default=True)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_by: Mapped[str] = mapped_column(String(64))


class RetentionRun(Base):
    """One run of the rules: when, by whom, and how many records of each type it changed."""

    __tablename__ = "retention_runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    started_by: Mapped[str] = mapped_column(String(64))  # a user name, or "schedule"
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
