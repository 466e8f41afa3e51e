"""Units (one officer, a patrol pair, a K9 team, an outside agency), who is in them,
their status history, their assignments to incidents and the resources requested."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, Boolean, Float, ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Unit(Base):
    """A unit that can be dispatched, with its live status and last known position."""

    __tablename__ = "units"

    id: Mapped[int] = mapped_column(primary_key=True)
    callsign: Mapped[str] = mapped_column(String(24), unique=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    kind: Mapped[str] = mapped_column(String(16))
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)  # home site
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)
    active: Mapped[bool] = mapped_column(Boolean, default=True)

    status: Mapped[str] = mapped_column(String(16))
    status_at: Mapped[datetime] = mapped_column(UTCDateTime())
    on_duty: Mapped[bool] = mapped_column(Boolean, default=False)
    duty_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    position_source: Mapped[str | None] = mapped_column(String(12))  # gps | zone
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    accuracy_m: Mapped[float | None] = mapped_column(Float)
    position_site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    position_zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    position_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)


class UnitMember(Base):
    """A person in a unit; a person is in one unit at a time."""

    __tablename__ = "unit_members"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"), index=True)


class UnitLog(Base):
    """One change of a unit's status or duty, timestamped: the shift record."""

    __tablename__ = "unit_log"
    __table_args__ = (Index("ix_unit_log_unit_at", "unit_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    status: Mapped[str] = mapped_column(String(16))
    on_duty: Mapped[bool] = mapped_column(Boolean)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    actor: Mapped[str | None] = mapped_column(String(64))
    note: Mapped[str] = mapped_column(Text, default="")


class Assignment(Base):
    """A unit on an incident, with the time of each step; active until `cleared_at`."""

    __tablename__ = "unit_assignments"
    __table_args__ = (
        Index("ix_unit_assignments_unit_cleared", "unit_id", "cleared_at"),
        Index("ix_unit_assignments_incident", "incident_id", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    unit_id: Mapped[int] = mapped_column(ForeignKey("units.id"))
    role: Mapped[str] = mapped_column(String(12))  # primary | assisting
    reason: Mapped[str] = mapped_column(Text, default="")  # why this unit (the recommendation)
    dispatched_at: Mapped[datetime] = mapped_column(UTCDateTime())
    dispatched_by: Mapped[str | None] = mapped_column(String(64))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    en_route_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    on_scene_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cleared_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cleared_reason: Mapped[str] = mapped_column(String(120), default="")


class ResourceRequest(Base):
    """Something more an incident needs (equipment, an outside agency), tracked to the end."""

    __tablename__ = "resource_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # equipment | agency | personnel
    what: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16))  # requested | on_the_way | arrived | ...
    reference: Mapped[str] = mapped_column(String(80), default="")  # e.g. a police log number
    note: Mapped[str] = mapped_column(Text, default="")
    requested_at: Mapped[datetime] = mapped_column(UTCDateTime())
    requested_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    on_the_way_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    arrived_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
