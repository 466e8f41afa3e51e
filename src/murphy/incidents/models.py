"""Incidents, their yearly number counters and their hash-chained timelines."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    ForeignKey,
    Index,
    LargeBinary,
    String,
    Text,
    UniqueConstraint,
    false,
)
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Incident(Base):
    """The current state of an incident: a projection of its timeline."""

    __tablename__ = "incidents"
    __table_args__ = (
        UniqueConstraint("year", "seq"),
        Index("ix_incidents_status_id", "status", "id"),
        Index("ix_incidents_site_id_id", "site_id", "id"),
        Index("ix_incidents_reporter_id_id", "reporter_id", "id"),
        Index("ix_incidents_status_priority_id", "status", "priority", "id"),
        Index("ix_incidents_site_id_reported_at", "site_id", "reported_at"),
        Index("ix_incidents_updated_at_id", "updated_at", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(24), unique=True)
    year: Mapped[int]
    seq: Mapped[int]
    title: Mapped[str] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(16))
    channel: Mapped[str] = mapped_column(String(16))

    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    building_id: Mapped[int | None] = mapped_column(ForeignKey("buildings.id"))
    floor_id: Mapped[int | None] = mapped_column(ForeignKey("floors.id"))
    zone_id: Mapped[int | None] = mapped_column(ForeignKey("zones.id"))
    location_detail: Mapped[str] = mapped_column(String(240), default="")

    occurred_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    reporter_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())

    triaged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    triaged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    responding_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    responding_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    resolved_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    resolution_code: Mapped[str | None] = mapped_column(String(32))
    resolution_summary: Mapped[str] = mapped_column(Text, default="")
    cancel_reason: Mapped[str] = mapped_column(Text, default="")
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))

    type_id: Mapped[int | None] = mapped_column(ForeignKey("incident_types.id"), index=True)
    impact: Mapped[int | None]
    urgency: Mapped[int | None]
    priority: Mapped[int | None]
    priority_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    clearance: Mapped[str | None] = mapped_column(String(32))  # from the type: who may see it
    playbook_id: Mapped[int | None] = mapped_column(ForeignKey("playbooks.id"))
    acknowledged_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acknowledged_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    major: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    exercise: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    complexity: Mapped[int | None]  # ICS complexity type 5 (simplest) .. 1
    # The effectiveness evaluation given when resolving: did the action fix it?
    effective: Mapped[str | None] = mapped_column(String(8))
    effectiveness_note: Mapped[str] = mapped_column(Text, default="", server_default="")
    follow_up_on: Mapped[date | None] = mapped_column(Date)

    version: Mapped[int] = mapped_column(default=1)
    timeline_length: Mapped[int] = mapped_column(default=0)
    timeline_head: Mapped[str] = mapped_column(String(64))


class IncidentCounter(Base):
    """The last number handed out in a year."""

    __tablename__ = "incident_counters"

    year: Mapped[int] = mapped_column(primary_key=True, autoincrement=False)
    last: Mapped[int]


class TimelineEntry(Base):
    """One append-only entry; `hash` covers the entry and the previous entry's hash."""

    __tablename__ = "timeline_entries"
    __table_args__ = (UniqueConstraint("incident_id", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    seq: Mapped[int]
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    actor: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(32))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    prev_hash: Mapped[str] = mapped_column(String(64))
    hash: Mapped[str] = mapped_column(String(64))
    # Personal fields of `data` the hash covers through a salted digest (core.audit.Seals),
    # so that retention can remove their values without breaking the chain.
    seals: Mapped[dict[str, dict[str, str]] | None] = mapped_column(JSON(none_as_null=True))


class Assessment(Base):
    """What the responders judged: actions taken, risks, suspected cause, recommendation."""

    __tablename__ = "incident_assessments"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    immediate_actions: Mapped[str] = mapped_column(Text, default="")
    risks: Mapped[str] = mapped_column(Text, default="")
    suspected_root_cause: Mapped[str] = mapped_column(Text, default="")
    recommended_solution: Mapped[str] = mapped_column(Text, default="")
    parties_informed: Mapped[list[str]] = mapped_column(JSON, default=list)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Contact(Base):
    """How to reach whoever reported an incident (a caller, a member of the public).

    Kept beside the incident, not on its hash-chained timeline: the timeline records
    only that contact details were given, so they can be erased when no longer needed.
    """

    __tablename__ = "incident_contacts"

    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), default="")
    phone: Mapped[str] = mapped_column(String(40), default="")
    email: Mapped[str] = mapped_column(String(254), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Attachment(Base):
    """A photo attached to an incident; its SHA-256 is on the timeline entry that added it."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    entry_seq: Mapped[int]  # the timeline entry that added it
    filename: Mapped[str] = mapped_column(String(160))
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    stripped: Mapped[str] = mapped_column(String(120), default="")  # metadata removed, e.g. "EXIF"
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
