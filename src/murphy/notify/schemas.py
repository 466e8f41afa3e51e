"""Pydantic models for escalation rules and the outbox, and the event vocabulary.

The outbox payload is a contract with delivery (docs/outbox.md): `PAYLOAD_SCHEMA`
changes only when a field is removed or changes meaning.
"""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

PAYLOAD_SCHEMA = 1

TRANSITION_EVENTS = tuple(
    f"incident.{a}" for a in ("triage", "respond", "resolve", "close", "reopen", "cancel", "merge")
)
EVENTS: tuple[str, ...] = (
    "incident.reported",
    "incident.classified",
    "incident.prioritized",
    *TRANSITION_EVENTS,
    "sla.breached",
    "task.skipped",
    "ics.declared",
)


class RecipientKind(StrEnum):
    """Who a message is for: everyone of a role (at the incident's site), one user, or
    an outside party."""

    ROLE = "role"
    USER = "user"
    EXTERNAL = "external"


class ExternalChannel(StrEnum):
    """How an outside party is reached, from the form of its address."""

    EMAIL = "email"
    SMS = "sms"
    WEBHOOK = "webhook"


class OutboxState(StrEnum):
    """Where an outbox message is. Delivery picks `pending` (and adds its own states);
    `withheld` messages are never delivered: the recipient may not see the incident."""

    PENDING = "pending"
    WITHHELD = "withheld"
    ROUTED = "routed"  # delivery made its deliveries (one per person and channel)
    UNROUTED = "unrouted"  # it reached nobody: a role with no member who may see it


class DeliveryState(StrEnum):
    """Where a delivery is: `pending` (due at `due_at`), `sending` (a worker owns it
    until `due_at`), `sent`, or `dead` (gave up; an admin may send it again)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RecipientIn(_In):
    """Exactly one of `role`, `user` or `external` (an email address, a phone number in
    international form such as +4930123456, or an http(s) webhook URL)."""

    role: str | None = Field(default=None, max_length=16)
    user: str | None = Field(default=None, max_length=64)
    external: str | None = Field(default=None, max_length=254)

    @model_validator(mode="after")
    def _exactly_one(self) -> RecipientIn:
        given = [v for v in (self.role, self.user, self.external) if v]
        if len(given) != 1:
            raise ValueError("a recipient is exactly one of role, user or external")
        return self


class RuleIn(_In):
    """An escalation rule: when one of `events` happens to an incident that matches
    `types` (and their subtypes), `priorities` and `sites` (empty: any), tell `recipients`."""

    name: str = Field(min_length=1, max_length=120)
    events: list[str] = Field(min_length=1, max_length=len(EVENTS))
    types: list[str] = Field(default_factory=list, max_length=200, description="Type codes")
    priorities: list[int] = Field(default_factory=list, max_length=5)
    sites: list[str] = Field(default_factory=list, max_length=200, description="Site codes")
    recipients: list[RecipientIn] = Field(min_length=1, max_length=50)
    active: bool = True


class RulePatch(_In):
    """A change to a rule; only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    events: list[str] | None = Field(default=None, min_length=1, max_length=len(EVENTS))
    types: list[str] | None = Field(default=None, max_length=200)
    priorities: list[int] | None = Field(default=None, max_length=5)
    sites: list[str] | None = Field(default=None, max_length=200)
    recipients: list[RecipientIn] | None = Field(default=None, min_length=1, max_length=50)
    active: bool | None = None


class RuleOut(BaseModel):
    """An escalation rule as stored."""

    id: int
    name: str
    events: list[str]
    types: list[str]
    priorities: list[int]
    sites: list[str]
    recipients: list[dict[str, str]] = Field(
        description='Each {"role": ...}, {"user": ...} or {"external": ...}'
    )
    active: bool
    created_at: datetime


class OutboxQuery(_In):
    """Filters of the outbox listing."""

    state: str | None = Field(default=None, max_length=12)
    incident: str | None = Field(default=None, max_length=24, description="Incident number")
    limit: int = Field(default=100, ge=1, le=500)


class OutboxOut(BaseModel):
    """A notification request in the outbox."""

    id: int
    dedup_key: str
    event: str
    incident: str | None
    rule_id: int | None
    recipient_kind: RecipientKind
    recipient: str
    state: str
    created_at: datetime
    payload: dict[str, Any]


class DeliveryQuery(_In):
    """Filters of the delivery listing."""

    state: DeliveryState | None = None
    failing: bool = Field(default=False, description="Only pending ones that failed at least once")
    channel: str | None = Field(default=None, max_length=32)
    limit: int = Field(default=100, ge=1, le=500)


class AttemptOut(BaseModel):
    """One try at sending: `sent`, `retry` (failed, will try again), `failed` (gave up),
    or `lost` (the worker stopped before it recorded a result)."""

    number: int
    started_at: datetime
    duration_ms: int
    outcome: str
    detail: str


class DeliveryOut(BaseModel):
    """One message on one channel to one address."""

    id: int
    dedup_key: str
    event: str
    incident: str | None
    headline: str
    channel: str
    address: str
    state: DeliveryState
    attempts: int
    due_at: datetime
    last_error: str
    created_at: datetime
    sent_at: datetime | None
    tries: list[AttemptOut] = Field(default_factory=list)

    @property
    def failing(self) -> bool:
        """Pending again after a failed try: it will be tried again."""
        return self.state is DeliveryState.PENDING and self.attempts > 0


class NotificationOut(BaseModel):
    """An in-app notification."""

    id: int
    title: str
    body: str
    path: str
    priority: int | None
    created_at: datetime
    read_at: datetime | None


class NotificationsOut(BaseModel):
    """A page of notifications and how many are unread."""

    unread: int
    items: list[NotificationOut]


class ReadIn(_In):
    """Which notifications to mark read; none named: all of them."""

    ids: list[int] | None = Field(default=None, max_length=500)
