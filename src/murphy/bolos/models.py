"""BOLOs: the notice, the sites it is for, and its photo (a row of its own)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Index, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Bolo(Base):
    """A be-on-the-lookout notice: who or what, why, until when; cancelled with a reason."""

    __tablename__ = "bolos"
    __table_args__ = (Index("ix_bolos_expires_at", "expires_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(8))  # person | vehicle
    subject_id: Mapped[int | None] = mapped_column(
        ForeignKey("subjects.id", ondelete="SET NULL"), index=True
    )
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    name: Mapped[str] = mapped_column(String(200), default="")
    plate: Mapped[str] = mapped_column(String(20), default="")
    description: Mapped[str] = mapped_column(Text, default="")
    reason: Mapped[str] = mapped_column(Text)
    caution: Mapped[str] = mapped_column(String(500), default="")
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime())
    issued_by: Mapped[str] = mapped_column(String(64))
    cancelled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    cancelled_by: Mapped[str | None] = mapped_column(String(64))
    cancel_reason: Mapped[str] = mapped_column(String(500), default="")
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
    version: Mapped[int] = mapped_column(default=1)


class BoloSite(Base):
    """A site whose officers and board show the notice."""

    __tablename__ = "bolo_sites"
    __table_args__ = (Index("ix_bolo_sites_site", "site_id", "bolo_id"),)

    bolo_id: Mapped[int] = mapped_column(
        ForeignKey("bolos.id", ondelete="CASCADE"), primary_key=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), primary_key=True)


class BoloPhoto(Base):
    """The notice's photo: checked, metadata stripped, kept with its digest."""

    __tablename__ = "bolo_photos"

    bolo_id: Mapped[int] = mapped_column(
        ForeignKey("bolos.id", ondelete="CASCADE"), primary_key=True
    )
    media_type: Mapped[str] = mapped_column(String(32))
    size: Mapped[int] = mapped_column()
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    created_by: Mapped[str] = mapped_column(String(64))
