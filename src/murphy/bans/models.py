"""Bans and trespass notices, and the sites each covers."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Ban(Base):
    """A person kept off sites from `starts_at` to `ends_at` (or until lifted)."""

    __tablename__ = "bans"
    __table_args__ = (
        Index("ix_bans_subject", "subject_id"),
        Index("ix_bans_incident", "incident_id"),
        Index("ix_bans_ends_at", "ends_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    subject_id: Mapped[int] = mapped_column(ForeignKey("subjects.id"))
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"))
    kind: Mapped[str] = mapped_column(String(10))
    reason: Mapped[str] = mapped_column(Text)
    conditions: Mapped[str] = mapped_column(Text, default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    served_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    served_by: Mapped[str | None] = mapped_column(String(120))
    served_how: Mapped[str | None] = mapped_column(String(10))
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[str] = mapped_column(String(64))
    lifted_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    lifted_by: Mapped[str | None] = mapped_column(String(64))
    lift_reason: Mapped[str] = mapped_column(Text, default="")
    version: Mapped[int] = mapped_column(default=1)


class BanSite(Base):
    """A site a ban covers."""

    __tablename__ = "ban_sites"
    __table_args__ = (Index("ix_ban_sites_site", "site_id", "ban_id"),)

    ban_id: Mapped[int] = mapped_column(ForeignKey("bans.id", ondelete="CASCADE"), primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)
