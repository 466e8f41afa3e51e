"""Escalation rules, the outbox, and its delivery: deliveries, attempts, in-app notifications."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime


class EscalationRule(Base):
    """When an event matches (types, priorities, sites), tell these recipients."""

    __tablename__ = "escalation_rules"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(120), unique=True)
    events: Mapped[list[str]] = mapped_column(JSON)  # e.g. ["incident.reported", "sla.breached"]
    types: Mapped[list[str]] = mapped_column(JSON, default=list)  # type codes (and below)
    priorities: Mapped[list[int]] = mapped_column(JSON, default=list)
    sites: Mapped[list[str]] = mapped_column(JSON, default=list)
    # each {"role": ...} or {"user": ...} or {"external": ...}
    recipients: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class OutboxMessage(Base):
    """A notification request, committed with the change that caused it."""

    __tablename__ = "outbox"
    __table_args__ = (Index("ix_outbox_state_id", "state", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedup_key: Mapped[str] = mapped_column(String(160), unique=True)
    event: Mapped[str] = mapped_column(String(48))
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"), index=True)
    rule_id: Mapped[int | None] = mapped_column(ForeignKey("escalation_rules.id"))
    recipient_kind: Mapped[str] = mapped_column(String(12))  # role | user | external
    recipient: Mapped[str] = mapped_column(String(254))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(12), default="pending")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Delivery(Base):
    """One message on one channel to one address: what the delivery worker sends.

    An outbox row becomes one delivery per channel of each person it reaches (a role
    reaches each of its members). `state`: `pending` (due at `due_at`), `sending`
    (claimed by a worker until `due_at`: a worker that dies leaves it to be claimed
    again after that), `sent`, `dead` (gave up: the dead-letter list).
    """

    __tablename__ = "deliveries"
    __table_args__ = (Index("ix_deliveries_state_due_at", "state", "due_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    outbox_id: Mapped[int] = mapped_column(ForeignKey("outbox.id"), index=True)
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    channel: Mapped[str] = mapped_column(String(32))
    address: Mapped[str] = mapped_column(String(1000))
    user_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    state: Mapped[str] = mapped_column(String(12), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    due_at: Mapped[datetime] = mapped_column(UTCDateTime())
    last_error: Mapped[str] = mapped_column(String(500), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class DeliveryAttempt(Base):
    """One try at sending a delivery, and what came of it."""

    __tablename__ = "delivery_attempts"

    id: Mapped[int] = mapped_column(primary_key=True)
    delivery_id: Mapped[int] = mapped_column(
        ForeignKey("deliveries.id", ondelete="CASCADE"), index=True
    )
    number: Mapped[int] = mapped_column(Integer)  # 1 for the first try
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_ms: Mapped[int] = mapped_column(Integer)
    outcome: Mapped[str] = mapped_column(String(12))  # sent | retry | failed
    detail: Mapped[str] = mapped_column(String(500), default="")


class Notification(Base):
    """An in-app notification: what the web UI's bell shows one user."""

    __tablename__ = "notifications"
    __table_args__ = (Index("ix_notifications_user_read", "user_id", "read_at", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    dedup_key: Mapped[str] = mapped_column(String(255), unique=True)
    incident_id: Mapped[int | None] = mapped_column(ForeignKey("incidents.id"))
    priority: Mapped[int | None] = mapped_column(Integer)
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(String(2000), default="")
    path: Mapped[str] = mapped_column(String(300), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    read_at: Mapped[datetime | None] = mapped_column(UTCDateTime())


class EscalationPolicy(Base):
    """Who is paged, in which order, and how long each level has to acknowledge."""

    __tablename__ = "escalation_policies"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(80), unique=True)
    description: Mapped[str] = mapped_column(String(500), default="")
    # each {"targets": [{"kind": "user"|"schedule"|"role", "name": ..., "id"?: ...}],
    #       "timeout_minutes": n}
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)
    repeat: Mapped[int] = mapped_column(Integer, default=0)
    version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())


class Paging(Base):
    """One incident paged by one policy: the policy's levels are copied here when it
    starts, so editing the policy later does not change a paging already running."""

    __tablename__ = "pagings"

    id: Mapped[int] = mapped_column(primary_key=True)
    incident_id: Mapped[int] = mapped_column(ForeignKey("incidents.id"), index=True)
    policy_id: Mapped[int | None] = mapped_column(
        ForeignKey("escalation_policies.id", ondelete="SET NULL")
    )
    policy_name: Mapped[str] = mapped_column(String(80))
    levels: Mapped[list[dict[str, Any]]] = mapped_column(JSON)  # the copy
    repeat: Mapped[int] = mapped_column(Integer)
    event: Mapped[str] = mapped_column(String(48))  # what started it
    state: Mapped[str] = mapped_column(String(16))  # active|acknowledged|exhausted|stopped
    level: Mapped[int] = mapped_column(Integer, default=-1)  # paged last (0-based; -1 none yet)
    round: Mapped[int] = mapped_column(Integer, default=0)  # 0-based pass over the levels
    paged: Mapped[list[str]] = mapped_column(JSON, default=list)  # who the level reached
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    escalates_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    acked_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    acked_by: Mapped[str | None] = mapped_column(String(254))
    acked_via: Mapped[str | None] = mapped_column(String(16))  # link | api | web | incident


class ContactMethod(Base):
    """A way to reach one person besides the app and their account's email: another
    email address, a phone for SMS or voice, a personal webhook (a pager app)."""

    __tablename__ = "contact_methods"
    __table_args__ = (UniqueConstraint("user_id", "channel", "address"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"), index=True)
    channel: Mapped[str] = mapped_column(String(16))  # email | sms | voice | webhook
    address: Mapped[str] = mapped_column(String(1000))
    label: Mapped[str] = mapped_column(String(80), default="")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime())


class NotifyPreferences(Base):
    """How one person wants to be reached (no row: the defaults, rules.DEFAULT_PREFS)."""

    __tablename__ = "notify_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    channels: Mapped[dict[str, list[str]]] = mapped_column(JSON)  # {"1": ["email", ...]}
    quiet_start: Mapped[str | None] = mapped_column(String(5))  # local "HH:MM"
    quiet_end: Mapped[str | None] = mapped_column(String(5))
    timezone: Mapped[str] = mapped_column(String(64), default="UTC")
    quiet_from: Mapped[int] = mapped_column(Integer, default=3)
    hourly_limit: Mapped[int] = mapped_column(Integer, default=10)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime())
