"""Subjects: people and vehicles, their search keys, links to incidents, and who viewed them."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Index, LargeBinary, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Subject(Base):
    """A person or a vehicle involved in one or more incidents."""

    __tablename__ = "subjects"
    __table_args__ = (
        Index("ix_subjects_name_key", "name_key"),
        Index("ix_subjects_plate_key", "plate_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))
    name: Mapped[str | None] = mapped_column(String(200))  # a person's, as written
    name_key: Mapped[str | None] = mapped_column(String(200))  # folded words, sorted
    birth_date: Mapped[date | None] = mapped_column(Date)
    description: Mapped[str] = mapped_column(Text, default="")
    plate: Mapped[str | None] = mapped_column(String(20))  # a vehicle's, as written
    plate_key: Mapped[str | None] = mapped_column(String(20))  # upper-case letters, digits
    make: Mapped[str] = mapped_column(String(60), default="")
    model: Mapped[str] = mapped_column(String(60), default="")
    colour: Mapped[str] = mapped_column(String(60), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(64))
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)
    # Not indexed: an index on it (mostly NULL) would tempt SQLite away from the key indexes.
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("subjects.id"))
    anonymized_at: Mapped[datetime | None] = mapped_column(UTCDateTime())  # by retention


class SubjectToken(Base):
    """One word of a person's name: a prefix range over `token` finds the person."""

    __tablename__ = "subject_tokens"
    __table_args__ = (Index("ix_subject_tokens_token", "token", "subject_id"),)

    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    token: Mapped[str] = mapped_column(String(64), primary_key=True)


class SubjectIdentifier(Base):
    """A document or number identifying a person (staff number, ID card, passport...)."""

    __tablename__ = "subject_identifiers"
    __table_args__ = (Index("ix_subject_identifiers_key", "value_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), index=True)
    kind: Mapped[str] = mapped_column(String(20))
    value: Mapped[str] = mapped_column(String(80))
    value_key: Mapped[str] = mapped_column(String(80))


class SubjectLink(Base):
    """A subject's part in an incident: its role and a note."""

    __tablename__ = "subject_links"
    __table_args__ = (
        UniqueConstraint("subject_id", "incident_id", name="uq_subject_links_subject_incident"),
        Index("ix_subject_links_incident", "incident_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    role: Mapped[str] = mapped_column(String(20))
    note: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str | None] = mapped_column(String(64))


class SubjectView(Base):
    """Someone looked at a subject's record (privacy: every view is kept)."""

    __tablename__ = "subject_views"
    __table_args__ = (Index("ix_subject_views_subject", "subject_id", "at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    at: Mapped[datetime] = mapped_column(UTCDateTime())
    how: Mapped[str] = mapped_column(String(8))  # api or page


class SubjectPhoto(Base):
    """A record's photo: checked, metadata stripped, kept with its digest."""

    __tablename__ = "subject_photos"

    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"), primary_key=True)
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
