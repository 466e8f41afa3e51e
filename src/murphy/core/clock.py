"""Time: one place that says what 'now' is, always in UTC."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from murphy.core.errors import ValidationFailed


def utcnow() -> datetime:
    """The current time, timezone-aware, in UTC."""
    return datetime.now(UTC)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone called `name`, or a clear error."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(
            f"unknown time zone {name!r}: use an IANA name such as 'Europe/Berlin'"
        ) from exc


def as_utc(value: datetime, tz: ZoneInfo) -> datetime:
    """An aware UTC time; a naive `value` is read as wall-clock time in `tz`."""
    if value.tzinfo is None:
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)


def isoformat(value: datetime) -> str:
    """The canonical text of a UTC instant, to the microsecond: 2026-11-28T07:55:23.000000Z."""
    return value.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def parse_date(text: str, what: str) -> date:
    """A YYYY-MM-DD date typed or sent by someone, or a clear error naming the field."""
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"{what}: {text!r} is not a date; use YYYY-MM-DD") from None


def parse_instant(text: str, what: str, tz: ZoneInfo | None = None) -> datetime:
    """An ISO 8601 date-time in UTC. Without an offset it is read in `tz`, or refused when
    there is no `tz` (a time without a zone is a bug waiting for a daylight-saving change)."""
    try:
        value = datetime.fromisoformat(text.strip().replace("Z", "+00:00"))
    except ValueError:
        raise ValidationFailed(
            f"{what}: {text!r} is not an ISO 8601 instant, e.g. 2026-11-28T09:00:00+01:00"
        ) from None
    if value.tzinfo is None:
        if tz is None:
            raise ValidationFailed(
                f"{what}: {text!r} has no offset; add one, e.g. {text.strip()}+00:00 or Z"
            )
        value = value.replace(tzinfo=tz)
    return value.astimezone(UTC)
