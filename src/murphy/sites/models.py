"""Sites, buildings, floors and zones."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Float, ForeignKey, LargeBinary, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Site(Base):
    """A place the organization protects, with its own time zone."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    timezone: Mapped[str] = mapped_column(String(64))
    address: Mapped[str] = mapped_column(String(240), default="")
    latitude: Mapped[float | None] = mapped_column(Float)  # WGS 84 degrees
    longitude: Mapped[float | None] = mapped_column(Float)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Building(Base):
    """A building on a site."""

    __tablename__ = "buildings"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)


class Floor(Base):
    """A floor of a building; `level` orders floors (0 ground, negative below)."""

    __tablename__ = "floors"
    __table_args__ = (UniqueConstraint("building_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    building_id: Mapped[int] = mapped_column(ForeignKey("buildings.id", ondelete="CASCADE"))
    code: Mapped[str] = mapped_column(String(16))
    name: Mapped[str] = mapped_column(String(120))
    level: Mapped[int] = mapped_column(default=0)


class Zone(Base):
    """A named area: a ward, a lobby, a car park, a server hall. Codes are unique per site."""

    __tablename__ = "zones"
    __table_args__ = (UniqueConstraint("site_id", "code"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"))
    building_id: Mapped[int | None] = mapped_column(
        ForeignKey("buildings.id", ondelete="CASCADE"), index=True
    )
    floor_id: Mapped[int | None] = mapped_column(
        ForeignKey("floors.id", ondelete="CASCADE"), index=True
    )
    code: Mapped[str] = mapped_column(String(24))
    name: Mapped[str] = mapped_column(String(120))
    latitude: Mapped[float | None] = mapped_column(Float)
    longitude: Mapped[float | None] = mapped_column(Float)
    # Corners [[x, y], ...] on its floor's plan, in the plan picture's pixels from the
    # top-left corner; None until someone draws it.
    outline: Mapped[list[Any] | None] = mapped_column(JSON)


class FloorPlan(Base):
    """The picture of a floor (PNG, JPEG or WebP, metadata stripped) that zones are
    drawn on and the board shows as a map."""

    __tablename__ = "floor_plans"

    floor_id: Mapped[int] = mapped_column(
        ForeignKey("floors.id", ondelete="CASCADE"), primary_key=True
    )
    media_type: Mapped[str] = mapped_column(String(32))
    width: Mapped[int]
    height: Mapped[int]
    size: Mapped[int]
    sha256: Mapped[str] = mapped_column(String(64))
    data: Mapped[bytes] = mapped_column(LargeBinary)
    uploaded_by: Mapped[str] = mapped_column(String(64))
    uploaded_at: Mapped[datetime] = mapped_column(UTCDateTime())
