"""Integration sources, the signals they send, and what makes a retry or a replay harmless."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class Source(Base):
    """An alarm panel, access control, camera analytics, a SIEM: one credential each."""

    __tablename__ = "signal_sources"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    name: Mapped[str] = mapped_column(String(120))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))  # if the payload has none
    auth: Mapped[str] = mapped_column(String(8))  # "token" | "hmac"
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)  # SHA-256 of the token
    hmac_secret: Mapped[str | None] = mapped_column(String(128))  # needed as is to check signatures
    mapping: Mapped[dict[str, Any]] = mapped_column(JSON)
    windows: Mapped[dict[str, Any]] = mapped_column(JSON)
    topics: Mapped[list[str]] = mapped_column(JSON, default=list)  # MQTT topic filters
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Signal(Base):
    """One signal (repeats within the de-duplication window are counted on it)."""

    __tablename__ = "signals"
    __table_args__ = (Index("ix_signals_source_fingerprint_id", "source_id", "fingerprint", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("signal_sources.id"))
    received_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_seen_at: Mapped[datetime] = mapped_column(UTCDateTime())
    count: Mapped[int] = mapped_column(default=1)
    fingerprint: Mapped[str] = mapped_column(String(64))
    title: Mapped[str] = mapped_column(String(200))
    type_code: Mapped[str | None] = mapped_column(String(64))
    priority: Mapped[int | None]
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id"))
    zone: Mapped[str | None] = mapped_column(String(24))
    place: Mapped[str] = mapped_column(String(240), default="")
    is_clear: Mapped[bool] = mapped_column(Boolean, default=False)
    flapping: Mapped[bool] = mapped_column(Boolean, default=False)
    decision: Mapped[str] = mapped_column(String(16))
    rule: Mapped[str] = mapped_column(String(300), default="")
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    payload: Mapped[Any] = mapped_column(JSON)


class Delivery(Base):
    """A request a source made with an `Idempotency-Key`: a retry gets the first answer."""

    __tablename__ = "signal_deliveries"
    __table_args__ = (UniqueConstraint("source_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("signal_sources.id"))
    key: Mapped[str] = mapped_column(String(128))
    signal_id: Mapped[int] = mapped_column(ForeignKey("signals.id"))
    answer: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Replay(Base):
    """A signed request already accepted: the same signature again is a replay."""

    __tablename__ = "signal_replays"
    __table_args__ = (UniqueConstraint("source_id", "signature"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    source_id: Mapped[int] = mapped_column(ForeignKey("signal_sources.id"))
    signature: Mapped[str] = mapped_column(String(64))
    seen_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
