"""Service targets per priority (refined per type or site) and each incident's clocks."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class ServiceTarget(Base):
    """Minutes to acknowledge, to be on scene and to resolve, for a priority; a row with a
    type or a site refines the general one (type and site > type > site > priority)."""

    __tablename__ = "service_targets"
    __table_args__ = (UniqueConstraint("priority", "type_id", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    priority: Mapped[int]
    type_id: Mapped[int | None] = mapped_column(ForeignKey("incident_types.id"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    acknowledge_minutes: Mapped[int | None]
    respond_minutes: Mapped[int | None]
    resolve_minutes: Mapped[int | None]


class Clock(Base):
    """One service-target clock of one incident: acknowledge, respond or resolve."""

    __tablename__ = "incident_clocks"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(12), primary_key=True)
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    target_minutes: Mapped[int]
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())  # moves later while paused
    met_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    breached_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    pause_reason: Mapped[str] = mapped_column(Text, default="")
    paused_seconds: Mapped[int] = mapped_column(default=0)
