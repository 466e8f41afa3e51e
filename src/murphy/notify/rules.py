"""Pure rules of escalation: which events a change is, which rules match, who is told,
the dedup key and the payload. No session, no I/O."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

from murphy.core.errors import ValidationFailed
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
    return [simple[kind]] if kind in simple else []


def _reprioritized(data: Mapping[str, Any]) -> bool:
    before = data.get("before") or {}
    return data.get("priority") is not None and data.get("priority") != before.get("priority")


def builtin_recipients(event: str, data: Mapping[str, Any]) -> list[tuple[RecipientKind, str]]:
    """Who is told whatever the rules say: the supervisors, of a skipped mandatory step."""
    if event == "task.skipped" and data.get("mandatory"):
        return [BUILTIN_SUPERVISORS]
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
) -> dict[str, Any]:
    """The message body delivery works from (docs/outbox.md, schema 1)."""
    return {
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
