"""Incident types (a tree of category → type → subtype) and their versioned playbooks."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class IncidentType(Base):
    """A node of the taxonomy. Codes never change; everything else may, without
    rewriting the incidents already classified (they keep the type, and their
    timeline keeps the name it had)."""

    __tablename__ = "incident_types"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(160))
    description: Mapped[str] = mapped_column(Text, default="")
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("incident_types.id"), index=True)
    level: Mapped[str] = mapped_column(String(12))  # category | type | subtype
    default_impact: Mapped[int] = mapped_column(default=3)
    default_urgency: Mapped[int] = mapped_column(default=3)
    required_fields: Mapped[list[str]] = mapped_column(JSON, default=list)
    clearance: Mapped[str | None] = mapped_column(String(32))  # restricted to the cleared
    keywords: Mapped[list[str]] = mapped_column(JSON, default=list)
    skills: Mapped[list[str]] = mapped_column(JSON, default=list)  # a responder must have
    pack: Mapped[str] = mapped_column(String(32), default="")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Playbook(Base):
    """One version of a type's standard operating procedure: an ordered checklist."""

    __tablename__ = "playbooks"
    __table_args__ = (UniqueConstraint("type_id", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    type_id: Mapped[int] = mapped_column(ForeignKey("incident_types.id"))
    version: Mapped[int]
    steps: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(64))
