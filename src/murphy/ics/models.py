"""Who holds which ICS role on a major incident, and its operational periods."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class RoleAssignment(Base):
    """A person in an ICS role on an incident, from `assigned_at` until relieved."""

    __tablename__ = "ics_assignments"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    role: Mapped[str] = mapped_column(String(32))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    name: Mapped[str] = mapped_column(String(120))  # the person (an outsider has no account)
    assigned_at: Mapped[datetime] = mapped_column(UTCDateTime())
    relieved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class OperationalPeriod(Base):
    """A planning period of a major incident, with its objectives."""

    __tablename__ = "ics_periods"
    __table_args__ = (UniqueConstraint("incident_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    number: Mapped[int]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    objectives: Mapped[str] = mapped_column(Text, default="")
