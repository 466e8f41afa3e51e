"""A post-incident review per incident, and its corrective actions."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Review(Base):
    """The post-incident review of one incident: draft, submitted, approved."""

    __tablename__ = "reviews"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), unique=True
    )
    status: Mapped[str] = mapped_column(String(16), default="draft")
    required: Mapped[bool] = mapped_column(default=False)
    summary: Mapped[str] = mapped_column(Text, default="")
    root_causes: Mapped[list[str]] = mapped_column(JSON, default=list)
    contributing_factors: Mapped[list[str]] = mapped_column(JSON, default=list)
    went_well: Mapped[str] = mapped_column(Text, default="")
    went_badly: Mapped[str] = mapped_column(Text, default="")
    lessons: Mapped[str] = mapped_column(Text, default="")
    authors: Mapped[list[str]] = mapped_column(JSON, default=list)  # usernames who wrote it
    return_reason: Mapped[str] = mapped_column(Text, default="")
    opened_by: Mapped[str | None] = mapped_column(String(254))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime())
    submitted_by: Mapped[str | None] = mapped_column(String(254))
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_by: Mapped[str | None] = mapped_column(String(254))
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class CorrectiveAction(Base):
    """Something to change so the incident does not happen again: an owner, a due date."""

    __tablename__ = "review_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    review_id: Mapped[int] = mapped_column(ForeignKey("reviews.id", ondelete="CASCADE"), index=True)
    title: Mapped[str] = mapped_column(String(200))
    owner_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    due_on: Mapped[date] = mapped_column(Date)
    status: Mapped[str] = mapped_column(String(16), default="open")
    note: Mapped[str] = mapped_column(Text, default="")  # the done note or the cancel reason
    overdue_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # when flagged, once
    created_by: Mapped[str | None] = mapped_column(String(254))
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
