"""Problems: the causes several incidents share, their links, and the incidents they group."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String, Text, false
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Problem(Base):
    """A cause several incidents share, tracked until it is fixed and stays fixed."""

    __tablename__ = "problems"
    __table_args__ = (Index("ix_problems_status_site", "status", "site_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    root_cause: Mapped[str] = mapped_column(Text, default="")
    workaround: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    # What it watches for once fixed: this kind of incident at this place.
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    type_id: Mapped[int | None] = mapped_column(ForeignKey("incident_types.id"))
    fixed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    fix_note: Mapped[str] = mapped_column(Text, default="")
    recurrences: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)


class ProblemIncident(Base):
    """An incident the problem groups; `recurrence` when it came back after the fix."""

    __tablename__ = "problem_incidents"
    __table_args__ = (Index("ix_problem_incidents_incident", "incident_id"),)

    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"), primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    linked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    linked_by: Mapped[str | None] = mapped_column(String(64))  # None: the system (recurrence)
    recurrence: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ProblemLink(Base):
    """A corrective action, change record or document the problem relies on."""

    __tablename__ = "problem_links"
    __table_args__ = (Index("ix_problem_links_problem", "problem_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    problem_id: Mapped[int] = mapped_column(ForeignKey("problems.id"))
    kind: Mapped[str] = mapped_column(String(16))
    ref: Mapped[str] = mapped_column(String(120))
    title: Mapped[str] = mapped_column(String(200), default="")
    url: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(64))
