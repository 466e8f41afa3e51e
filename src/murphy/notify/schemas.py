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
    "problem.recurred",
    "incident.follow_up",
    "review.action_overdue",
)


class RecipientKind(StrEnum):
    """Who a message is for: everyone of a role (at the incident's site), one user, or
    an outside party."""

    ROLE = "role"
    USER = "user"
    EXTERNAL = "external"
    POLICY = "policy"  # a rule's recipient only: start paging by an escalation policy


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
    until `due_at`), `sent`, `dead` (gave up; an admin may send it again), `held` (the
    person's quiet hours or hourly limit: it goes in a digest at `due_at`), `digested`
    (it went out in a digest, itself a delivery)."""

    PENDING = "pending"
    SENDING = "sending"
    SENT = "sent"
    DEAD = "dead"
    HELD = "held"
    DIGESTED = "digested"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class RecipientIn(_In):
    """Exactly one of `role`, `user`, `external` (an email address, a phone number in
    international form such as +4930123456, or an http(s) webhook URL) or `policy` (an
    escalation policy: page its levels until someone acknowledges)."""

    role: str | None = Field(default=None, max_length=16)
    user: str | None = Field(default=None, max_length=64)
    external: str | None = Field(default=None, max_length=254)
    policy: str | None = Field(default=None, max_length=80)

    @model_validator(mode="after")
    def _exactly_one(self) -> RecipientIn:
        given = [v for v in (self.role, self.user, self.external, self.policy) if v]
        if len(given) != 1:
            raise ValueError("a recipient is exactly one of role, user, external or policy")
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


PAGED_EVENT = "incident.paged"  # the event of a page's messages (not a rule's trigger)
EXHAUSTED_EVENT = "incident.unacknowledged"  # nobody acknowledged a page: the supervisors


class PagingState(StrEnum):
    """Where a paging is: `active` (paging its levels), `acknowledged` (someone has it),
    `exhausted` (every level and repeat paged, nobody acknowledged), `stopped` (the
    incident ended first)."""

    ACTIVE = "active"
    ACKNOWLEDGED = "acknowledged"
    EXHAUSTED = "exhausted"
    STOPPED = "stopped"


class TargetIn(_In):
    """Who a level pages: exactly one of `user`, `schedule` (whoever is on call on it
    when the level is paged) or `role` (every member who may see the incident)."""

    user: str | None = Field(default=None, max_length=64)
    schedule: str | None = Field(default=None, max_length=120, description="Name or id")
    role: str | None = Field(default=None, max_length=16)

    @model_validator(mode="after")
    def _exactly_one(self) -> TargetIn:
        given = [v for v in (self.user, self.schedule, self.role) if v]
        if len(given) != 1:
            raise ValueError("a target is exactly one of user, schedule or role")
        return self


class LevelIn(_In):
    """One level of a policy: page `targets`, wait `timeout_minutes` for someone to
    acknowledge, then go on to the next level."""

    targets: list[TargetIn] = Field(min_length=1, max_length=10)
    timeout_minutes: int = Field(ge=1, le=1440)


class PolicyIn(_In):
    """An escalation policy: levels paged in order until someone acknowledges; after the
    last level, start again from the first `repeat` more times."""

    name: str = Field(min_length=1, max_length=80, pattern=r"^[^\s/][^/]*$")
    description: str = Field(default="", max_length=500)
    levels: list[LevelIn] = Field(min_length=1, max_length=10)
    repeat: int = Field(default=0, ge=0, le=9)


class TargetOut(BaseModel):
    """A level's target as stored: `kind` user | schedule | role, and its name (a
    schedule also keeps its id, so a renamed schedule is still found)."""

    kind: str
    name: str
    id: int | None = None


class LevelOut(BaseModel):
    """One level of a policy."""

    targets: list[TargetOut]
    timeout_minutes: int


class PolicyOut(BaseModel):
    """An escalation policy as stored; `version` is its ETag (If-Match on PUT)."""

    id: int
    name: str
    description: str
    levels: list[LevelOut]
    repeat: int
    version: int
    created_at: datetime
    updated_at: datetime


class PagingOut(BaseModel):
    """One paging of an incident by a policy (its levels copied when it started)."""

    id: int
    incident: str
    policy: str
    state: PagingState
    level: int = Field(description="The level paged last, from 1 (0: not paged yet)")
    round: int = Field(description="The pass over the levels, from 1")
    paged: list[str] = Field(description="Who the level paged last reached: users, role:NAME")
    levels: list[LevelOut]
    repeat: int
    started_at: datetime
    escalates_at: datetime | None
    ended_at: datetime | None
    acknowledged_by: str | None
    acknowledged_via: str | None


class AckLinkOut(BaseModel):
    """What an acknowledge link is about (shown before the click that acknowledges)."""

    incident: str
    headline: str
    recipient: str
    state: PagingState
    acknowledged_by: str | None
    acknowledged_at: datetime | None
    expires_at: datetime


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


DIGEST_EVENT = "digest"  # the event of a digest's message


class PersonalChannel(StrEnum):
    """How a person can be reached besides the app."""

    EMAIL = "email"
    SMS = "sms"
    VOICE = "voice"
    WEBHOOK = "webhook"


class ContactMethodIn(_In):
    """A way to reach me: an email address, a phone (international form, +4930123456)
    for SMS or voice, or a webhook URL (a pager app)."""

    channel: PersonalChannel
    address: str = Field(min_length=3, max_length=1000)
    label: str = Field(default="", max_length=80)


class ContactMethodOut(BaseModel):
    """A stored way to reach a person (`id` 0: their account's email)."""

    id: int
    channel: PersonalChannel
    address: str
    label: str


CLOCK = r"^([01]\d|2[0-3]):[0-5]\d$"


class PreferencesIn(_In):
    """How I want to be reached. `channels`: per priority ("1".."5"), the channels that
    may reach me (the app always does). `quiet_start`/`quiet_end` (local, in
    `timezone`): messages of priority `quiet_from` and lower wait until the end and
    come as one digest. At most `hourly_limit` messages per channel an hour; more wait
    for a digest. Pages and P1 always come at once."""

    channels: dict[int, list[PersonalChannel]] = Field(
        description='Per priority 1..5, e.g. {"1": ["email", "sms", "voice"], "4": []}'
    )
    quiet_start: str | None = Field(default=None, pattern=CLOCK, examples=["22:00"])
    quiet_end: str | None = Field(default=None, pattern=CLOCK, examples=["07:00"])
    timezone: str = Field(default="UTC", max_length=64, examples=["Europe/Berlin"])
    quiet_from: int = Field(default=3, ge=2, le=5)
    hourly_limit: int = Field(default=10, ge=1, le=100)

    @model_validator(mode="after")
    def _both_or_neither(self) -> PreferencesIn:
        if (self.quiet_start is None) != (self.quiet_end is None):
            raise ValueError("quiet hours need both quiet_start and quiet_end (or neither)")
        if any(p < 1 or p > 5 for p in self.channels):
            raise ValueError("channels are given per priority, 1 to 5")
        return self


class PreferencesOut(BaseModel):
    """How a person is reached, with the ways they can be (`methods`)."""

    channels: dict[int, list[str]]
    quiet_start: str | None
    quiet_end: str | None
    timezone: str
    quiet_from: int
    hourly_limit: int
    methods: list[ContactMethodOut]
