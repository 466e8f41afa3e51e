"""Pure rules of escalation: which events a change is, which rules match, who is told,
the dedup key and the payload. No session, no I/O."""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from murphy.core.errors import Gone, NotFound, ValidationFailed
from murphy.notify.schemas import (
    EVENTS,
    PAYLOAD_SCHEMA,
    ExternalChannel,
    RecipientIn,
    RecipientKind,
)

_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^\+[1-9]\d{6,14}$")
_URL = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)
BUILTIN_SUPERVISORS = (RecipientKind.ROLE, "supervisor")


@dataclass(frozen=True)
class RuleView:
    """A rule as matching needs it: plain values, safe to keep for a transaction."""

    id: int
    name: str
    events: frozenset[str]
    types: tuple[str, ...]
    priorities: frozenset[int]
    sites: frozenset[str]
    recipients: tuple[tuple[RecipientKind, str], ...]


def events_for(kind: str, data: Mapping[str, Any]) -> list[str]:
    """The events a timeline entry is, for the rules (none for most kinds)."""
    if kind == "created":
        return ["incident.reported"]
    if kind == "classified":
        return ["incident.classified"] + (["incident.prioritized"] if _reprioritized(data) else [])
    if kind == "prioritized":
        return ["incident.prioritized"] if _reprioritized(data) else []
    if kind == "transition" and data.get("action"):
        return [f"incident.{data['action']}"]
    simple = {"sla_breached": "sla.breached", "task_skipped": "task.skipped"}
    simple["ics_declared"] = "ics.declared"
    simple["problem_recurred"] = "problem.recurred"
    simple["follow_up_due"] = "incident.follow_up"
    simple["review_action_overdue"] = "review.action_overdue"
    return [simple[kind]] if kind in simple else []


def _reprioritized(data: Mapping[str, Any]) -> bool:
    before = data.get("before") or {}
    return data.get("priority") is not None and data.get("priority") != before.get("priority")


def builtin_recipients(event: str, data: Mapping[str, Any]) -> list[tuple[RecipientKind, str]]:
    """Who is told whatever the rules say: the supervisors, of a skipped mandatory step."""
    if event == "task.skipped" and data.get("mandatory"):
        return [BUILTIN_SUPERVISORS]
    if event == "incident.follow_up":  # whoever resolved it, or the supervisors
        return (
            [(RecipientKind.USER, data["resolved_by"])]
            if data.get("resolved_by")
            else [BUILTIN_SUPERVISORS]
        )
    if event == "review.action_overdue":  # its owner and the supervisors
        return [(RecipientKind.USER, data["owner"]), BUILTIN_SUPERVISORS]
    if event == "problem.recurred":  # its owner, or the supervisors when it has none
        return [(RecipientKind.USER, data["owner"])] if data.get("owner") else [BUILTIN_SUPERVISORS]
    return []


def matches(rule: RuleView, *, priority: int | None, site: str) -> bool:
    """Whether `rule` applies to an incident's priority and site (an empty list matches
    anything). The event and the type (with its subtypes) are checked by the caller."""
    if rule.priorities and priority not in rule.priorities:
        return False
    return not rule.sites or site in rule.sites


def recipients_of(
    matched: Iterable[RuleView], builtin: Iterable[tuple[RecipientKind, str]]
) -> dict[tuple[RecipientKind, str], list[RuleView]]:
    """Each recipient once, with the rules that named it (in rule order)."""
    out: dict[tuple[RecipientKind, str], list[RuleView]] = {}
    for rule in matched:
        for recipient in rule.recipients:
            out.setdefault(recipient, []).append(rule)
    for recipient in builtin:
        out.setdefault(recipient, [])
    return out


def dedup_key(event: str, number: str, seq: int, kind: RecipientKind, value: str) -> str:
    """`{event}:{number}:{seq}:{kind}:{who}`: the same change told to the same recipient
    always has the same key. `who` is the role or user name; for an outside party the
    first 16 hex digits of the SHA-256 of its address (addresses can be long)."""
    who = value
    if kind is RecipientKind.EXTERNAL:
        who = hashlib.sha256(value.encode()).hexdigest()[:16]
    return f"{event}:{number}:{seq}:{kind.value}:{who}"


def channel_of(address: str) -> ExternalChannel:
    """How to reach an outside party, from its address; a clear error for anything else."""
    if _EMAIL.match(address):
        return ExternalChannel.EMAIL
    if _PHONE.match(address):
        return ExternalChannel.SMS
    if _URL.match(address):
        return ExternalChannel.WEBHOOK
    raise ValidationFailed(
        f"external recipient {address!r} is neither an email address, a phone number in "
        "international form (+4930123456) nor an http(s) URL"
    )


def check_events(events: Iterable[str]) -> list[str]:
    """Known event names, each once, in the order given."""
    out: list[str] = []
    for event in events:
        name = event.strip().lower()
        if name not in EVENTS:
            raise ValidationFailed(f"unknown event {event!r}: choose from {', '.join(EVENTS)}")
        if name not in out:
            out.append(name)
    return out


def check_priorities(priorities: Iterable[int]) -> list[int]:
    """Priorities 1..5, each once, sorted."""
    values = sorted(set(priorities))
    if any(p < 1 or p > 5 for p in values):
        raise ValidationFailed("priorities are 1 (P1) to 5 (P5)")
    return values


def stored_recipient(recipient: RecipientIn) -> tuple[RecipientKind, str]:
    """A recipient as a (kind, value) pair; external addresses are checked here."""
    if recipient.role:
        return RecipientKind.ROLE, recipient.role.lower()
    if recipient.user:
        return RecipientKind.USER, recipient.user.lower()
    if recipient.policy:
        return RecipientKind.POLICY, recipient.policy
    address = recipient.external or ""
    channel_of(address)
    return RecipientKind.EXTERNAL, address


def recipient_out(kind: RecipientKind, value: str) -> dict[str, str]:
    """A recipient as the API and the rule table show it."""
    if kind is RecipientKind.EXTERNAL:
        return {"external": value, "channel": channel_of(value).value}
    return {kind.value: value}


def sees(
    *, can_read: bool, site_ok: bool, clearance: str | None, clearances: frozenset[str]
) -> bool:
    """Whether a user may see an incident: reads, in scope, cleared for a restricted type."""
    return can_read and site_ok and (clearance is None or clearance in clearances)


def payload(
    *,
    event: str,
    key: str,
    occurred_at: str,
    incident: dict[str, Any],
    change: dict[str, Any],
    recipient: dict[str, Any],
    rules: Iterable[RuleView],
    page: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The message body delivery works from (docs/outbox.md, schema 1); a page's
    messages also carry `page` (which paging, level and deadline)."""
    extra = {"page": page} if page is not None else {}
    return {
        **extra,
        "schema": PAYLOAD_SCHEMA,
        "event": event,
        "dedup_key": key,
        "occurred_at": occurred_at,
        "incident": incident,
        "change": change,
        "recipient": recipient,
        "rules": [{"id": r.id, "name": r.name} for r in rules],
    }


def restricted_view(
    incident: dict[str, Any], change: dict[str, Any]
) -> tuple[dict[str, Any], dict[str, Any]]:
    """What a message about a restricted incident may say: that something happened, to
    which number, at which site and priority; never its title, type, place or details."""
    minimal = {**incident, "title": None, "type": None, "place": None}
    return minimal, {**change, "actor": None, "data": {}}


def pair(stored: dict[str, str]) -> tuple[RecipientKind, str]:
    """A stored recipient ({"role": ...}) as a (kind, value) pair."""
    ((kind, value),) = stored.items()
    return RecipientKind(kind), value


# --- paging ----------------------------------------------------------------------------


def next_step(level: int, round_: int, *, levels: int, repeat: int) -> tuple[int, int] | None:
    """The (level, round) to page after (`level`, `round_`), both 0-based: the first
    level when nothing was paged yet (level -1), the next level, the first level again
    while repeats remain, or None when every level of every round was paged."""
    if level < 0:
        return 0, 0
    if level + 1 < levels:
        return level + 1, round_
    if round_ < repeat:
        return 0, round_ + 1
    return None


def ack_token(key: bytes, delivery_id: int, expires: datetime) -> str:
    """The acknowledge link's token for one delivery: `{id}.{expiry}.{signature}`, the
    signature an HMAC-SHA256 (first 128 bits, base64url) over the id and expiry."""
    exp = int(expires.timestamp())
    return f"{delivery_id}.{exp}.{_ack_signature(key, delivery_id, exp)}"


def read_ack_token(key: bytes, token: str, *, now: datetime) -> int:
    """The delivery id a token was made for; NotFound when it is not one of ours (no
    hint why), Gone when it expired."""
    parts = token.split(".")
    if len(parts) != 3 or not parts[0].isdigit() or not parts[1].isdigit():
        raise NotFound("this acknowledge link is not valid")
    delivery_id, exp = int(parts[0]), int(parts[1])
    if not hmac.compare_digest(parts[2], _ack_signature(key, delivery_id, exp)):
        raise NotFound("this acknowledge link is not valid")
    if now.timestamp() >= exp:
        raise Gone(
            "this acknowledge link has expired: open the incident in Murphy to acknowledge it"
        )
    return delivery_id


def ack_expiry(token: str) -> datetime:
    """When a well-formed token expires (read after `read_ack_token` accepted it)."""
    return datetime.fromtimestamp(int(token.split(".")[1]), tz=UTC)


def _ack_signature(key: bytes, delivery_id: int, exp: int) -> str:
    mac = hmac.new(key, f"murphy-ack:{delivery_id}:{exp}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:16]).decode().rstrip("=")


# --- each person's preferences -------------------------------------------------------------

PERSONAL_CHANNELS = ("email", "sms", "voice", "webhook")
DEFAULT_CHANNELS: dict[int, tuple[str, ...]] = {
    1: PERSONAL_CHANNELS,
    2: PERSONAL_CHANNELS,
    3: ("email",),
    4: ("email",),
    5: ("email",),
}
UNPRIORITIZED = 3  # an incident without a priority yet counts as P3


@dataclass(frozen=True)
class Prefs:
    """How one person wants to be reached: the channels per priority, quiet hours (local
    "HH:MM" to "HH:MM" in `timezone`, none when `quiet` is None) that hold messages of
    `quiet_from` priority and lower back for a digest, and at most `hourly_limit`
    messages per channel an hour (more wait for a digest). Pages and P1 always go now."""

    channels: Mapping[int, tuple[str, ...]]
    quiet: tuple[str, str] | None = None
    timezone: str = "UTC"
    quiet_from: int = 3
    hourly_limit: int = 10


DEFAULT_PREFS = Prefs(channels=DEFAULT_CHANNELS)


def check_address(channel: str, address: str) -> str:
    """A contact method's address, checked for its channel (phones in international
    form, webhooks http(s) URLs)."""
    value = address.strip()
    if channel not in PERSONAL_CHANNELS:
        raise ValidationFailed(
            f"unknown channel {channel!r}: choose one of {', '.join(PERSONAL_CHANNELS)}"
        )
    if channel == "email" and not _EMAIL.match(value):
        raise ValidationFailed(f"{address!r} is not an email address")
    if channel in ("sms", "voice") and not _PHONE.match(value):
        raise ValidationFailed(
            f"{address!r} is not a phone number in international form, e.g. +4930123456"
        )
    if channel == "webhook" and not _URL.match(value):
        raise ValidationFailed(f"{address!r} is not an http(s) URL")
    return value


def channels_for(prefs: Prefs, *, priority: int | None, page: bool) -> tuple[str, ...]:
    """The channels a person wants a message on besides the app: those of its priority
    (an incident without one counts as P3); a page, those of a P1."""
    return prefs.channels.get(1 if page else priority or UNPRIORITIZED, ())


def hold_until(
    prefs: Prefs,
    *,
    priority: int | None,
    page: bool,
    now: datetime,
    sent_last_hour: int,
    oldest_in_hour: datetime | None,
) -> datetime | None:
    """When a message to this person on one channel may go: None for now, or the time
    it is held until (the end of their quiet hours, or when their hourly limit frees
    up), to go out then in a digest. Pages and P1 are never held."""
    p = priority or UNPRIORITIZED
    if page or p == 1:
        return None
    release: datetime | None = None
    if prefs.quiet is not None and p >= prefs.quiet_from:
        release = quiet_end(prefs.quiet, prefs.timezone, now)
    if sent_last_hour >= prefs.hourly_limit and oldest_in_hour is not None:
        freed = oldest_in_hour + timedelta(hours=1)
        release = max(release, freed) if release is not None else freed
    return release


def quiet_end(window: tuple[str, str], timezone: str, now: datetime) -> datetime | None:
    """The end of the quiet window `now` is in (an aware UTC time), or None when `now`
    is outside it. A window whose end is not after its start runs past midnight."""
    zone = ZoneInfo(timezone)
    local = now.astimezone(zone)
    start, end = (_minutes(t) for t in window)
    at = local.hour * 60 + local.minute
    if start == end:
        return None
    overnight = end <= start
    inside = (start <= at or at < end) if overnight else (start <= at < end)
    if not inside:
        return None
    day = local.date() + timedelta(days=1 if overnight and at >= start else 0)
    ends = datetime.combine(day, time(end // 60, end % 60), tzinfo=zone)
    return ends.astimezone(UTC)


def _minutes(clock: str) -> int:
    hours, minutes = clock.split(":")
    return int(hours) * 60 + int(minutes)
