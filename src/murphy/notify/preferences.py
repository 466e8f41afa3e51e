"""Use cases of each person's ways to be reached and their preferences: contact
methods (email, a phone for SMS or voice, a personal webhook), the channels per
priority, quiet hours and an hourly limit. Never commits: the caller owns the
transaction. Routing (`deliveries.route`) reads them through `reach`.
"""

from __future__ import annotations

import builtins
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import Conflict, NotFound, ValidationFailed
from murphy.notify import rules
from murphy.notify.models import ContactMethod, NotifyPreferences
from murphy.notify.schemas import (
    ContactMethodIn,
    ContactMethodOut,
    PersonalChannel,
    PreferencesIn,
    PreferencesOut,
)
from murphy.users import service as users_service
from murphy.users.schemas import Principal

ACCOUNT_EMAIL = 0  # the id a person's account email has among their contact methods


@dataclass(frozen=True)
class Method:
    """One way to reach a person (`id` ACCOUNT_EMAIL: their account's email)."""

    id: int
    channel: str
    address: str
    label: str


@dataclass(frozen=True)
class Reach:
    """Everything routing needs about one person: where, and how they want it."""

    methods: tuple[Method, ...]
    prefs: rules.Prefs


def get(session: Session, *, principal: Principal) -> PreferencesOut:
    """My preferences (the defaults until I change them) and my contact methods."""
    return _out(session, principal.id)


def put(
    session: Session, *, principal: Principal, data: PreferencesIn, now: datetime | None = None
) -> PreferencesOut:
    """Replace my preferences; a priority left out of `channels` keeps its default."""
    try:
        ZoneInfo(data.timezone)
    except (ZoneInfoNotFoundError, ValueError):
        raise ValidationFailed(
            f"unknown time zone {data.timezone!r}: use an IANA name such as Europe/Berlin"
        ) from None
    channels = {
        str(p): sorted({str(c) for c in data.channels.get(p, defaults)})
        for p, defaults in rules.DEFAULT_CHANNELS.items()
    }
    row = session.get(NotifyPreferences, principal.id)
    if row is None:
        row = NotifyPreferences(user_id=principal.id)
        session.add(row)
    row.channels, row.timezone = channels, data.timezone
    row.quiet_start, row.quiet_end = data.quiet_start, data.quiet_end
    row.quiet_from, row.hourly_limit = data.quiet_from, data.hourly_limit
    row.updated_at = now or utcnow()
    session.flush()
    return _out(session, principal.id)


def add_method(
    session: Session, *, principal: Principal, data: ContactMethodIn, now: datetime | None = None
) -> ContactMethodOut:
    """Add a way to reach me; the same channel and address twice is refused."""
    address = rules.check_address(data.channel.value, data.address)
    taken = session.scalar(
        select(ContactMethod.id).where(
            ContactMethod.user_id == principal.id,
            ContactMethod.channel == data.channel.value,
            ContactMethod.address == address,
        )
    )
    if taken is not None:
        raise Conflict(f"you already have {data.channel.value} {address}")
    row = ContactMethod(
        user_id=principal.id,
        channel=data.channel.value,
        address=address,
        label=data.label,
        created_at=now or utcnow(),
    )
    session.add(row)
    session.flush()
    return ContactMethodOut(id=row.id, channel=data.channel, address=address, label=row.label)


def remove_method(session: Session, *, principal: Principal, method_id: int) -> None:
    """Remove one of my contact methods (another person's is not found either)."""
    row = session.get(ContactMethod, method_id)
    if row is None or row.user_id != principal.id:
        raise NotFound(f"you have no contact method {method_id}")
    session.delete(row)
    session.flush()


def reach(session: Session, emails: dict[int, str]) -> dict[int, Reach]:
    """How to reach each of these users (id: account email, '' for none): that email
    and their contact methods, and their preferences (two queries for any number)."""
    user_ids = builtins.list(emails)
    methods: dict[int, builtins.list[Method]] = {
        u: [Method(ACCOUNT_EMAIL, "email", e, "Account email")] if e else []
        for u, e in emails.items()
    }
    for m in session.scalars(
        select(ContactMethod).where(ContactMethod.user_id.in_(user_ids)).order_by(ContactMethod.id)
    ):
        if (m.channel, m.address) != ("email", emails[m.user_id]):  # the account's, again
            methods[m.user_id].append(Method(m.id, m.channel, m.address, m.label))
    stored = {
        p.user_id: p
        for p in session.scalars(
            select(NotifyPreferences).where(NotifyPreferences.user_id.in_(user_ids))
        )
    }
    return {u: Reach(methods=tuple(methods[u]), prefs=_prefs(stored.get(u))) for u in user_ids}


def _prefs(row: NotifyPreferences | None) -> rules.Prefs:
    if row is None:
        return rules.DEFAULT_PREFS
    quiet = (row.quiet_start, row.quiet_end) if row.quiet_start and row.quiet_end else None
    return rules.Prefs(
        channels={int(p): tuple(c) for p, c in row.channels.items()},
        quiet=quiet,
        timezone=row.timezone,
        quiet_from=row.quiet_from,
        hourly_limit=row.hourly_limit,
    )


def _out(session: Session, user_id: int) -> PreferencesOut:
    user = users_service.get_by_id(session, user_id)
    found = reach(session, {user_id: user.email if user is not None else ""})[user_id]
    prefs = found.prefs
    return PreferencesOut(
        channels={p: builtins.list(c) for p, c in sorted(prefs.channels.items())},
        quiet_start=prefs.quiet[0] if prefs.quiet else None,
        quiet_end=prefs.quiet[1] if prefs.quiet else None,
        timezone=prefs.timezone,
        quiet_from=prefs.quiet_from,
        hourly_limit=prefs.hourly_limit,
        methods=[
            ContactMethodOut(
                id=m.id, channel=PersonalChannel(m.channel), address=m.address, label=m.label
            )
            for m in found.methods
        ],
    )
