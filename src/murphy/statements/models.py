"""Statements of an incident: drafts while being taken, then fixed for good."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Statement(Base):
    """What one person said. Once submitted its text never changes (an amendment is a new
    statement that `amends` it) and its SHA-256 is on the incident's timeline."""

    __tablename__ = "statements"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    amends_id: Mapped[int | None] = mapped_column(ForeignKey("statements.id"), index=True)
    giver: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(120))
    contact: Mapped[str] = mapped_column(String(200), default="")
    method: Mapped[str] = mapped_column(String(12))
    place: Mapped[str] = mapped_column(String(200), default="")
    body: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[str] = mapped_column(String(12), default="draft")
    taken_by: Mapped[str] = mapped_column(String(64))
    taken_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    sign_off: Mapped[str | None] = mapped_column(String(12))
    signed_name: Mapped[str] = mapped_column(String(120), default="")
    sha256: Mapped[str | None] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(default=1)
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # by retention
