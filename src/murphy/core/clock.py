"""Time: one place that says what 'now' is, always in UTC."""

from __future__ import annotations

from datetime import UTC, datetime
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
