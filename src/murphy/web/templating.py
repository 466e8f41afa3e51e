"""Jinja2 set-up: filters for times and labels shared by every page."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from fastapi import Request
from fastapi.templating import Jinja2Templates

from murphy import __version__


def local_time(value: datetime | None, tz: str = "UTC", fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant as wall-clock time in the site's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


def zoned(value: datetime | None, tz: str = "UTC") -> str:
    """Date and time in the site's zone with the zone's abbreviation: '2026-11-28 03:12 CET'."""
    return local_time(value, tz, "%Y-%m-%d %H:%M %Z")


def clock(value: datetime | None, tz: str = "UTC") -> str:
    """Time of day in the site's zone with its abbreviation: '03:12 CET'."""
    return local_time(value, tz, "%H:%M %Z")


def day(value: datetime | None, tz: str = "UTC") -> str:
    """The date in the site's zone, spelled for reading: 'Sat 28 Nov 2026'."""
    return local_time(value, tz, "%a %d %b %Y")


def input_value(value: datetime | None, tz: str = "UTC") -> str:
    """The value of a datetime-local input in the site's zone: '2026-11-28T03:12'."""
    return local_time(value, tz, "%Y-%m-%dT%H:%M")


def iso(value: datetime | None) -> str:
    """A machine-readable instant for `<time datetime>`."""
    return value.astimezone(UTC).isoformat(timespec="seconds") if value else ""


def from_iso(value: str | None) -> datetime | None:
    """An ISO 8601 text (as timelines record times) as an aware datetime; None if blank."""
    if not value:
        return None
    parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def ago(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, briefly: '45 s', '12 min', '3 h', '4 d'."""
    if value is None:
        return ""
    seconds = int(((now or datetime.now(UTC)) - value).total_seconds())
    if seconds < 60:
        return f"{max(seconds, 0)} s"
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def humanize(value: object) -> str:
    """A code as words: 'false_alarm' -> 'False alarm'."""
    text = str(getattr(value, "value", value) or "").replace("_", " ").strip()
    return text[:1].upper() + text[1:]


def sentence(value: object) -> str:
    """A message as a sentence: capital first letter, closing full stop."""
    text = str(value or "").strip()
    if not text:
        return ""
    text = text[:1].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


def page_context(request: Request) -> dict[str, Any]:
    """What every page may show: the signed-in user and the CSRF token for forms."""
    state = request.state
    return {
        "me": getattr(state, "principal", None),
        "csrf_token": getattr(state, "csrf_token", ""),
    }


def make(templates: Jinja2Templates) -> Jinja2Templates:
    """Register Murphy's filters and globals on `templates`."""
    env = templates.env
    env.trim_blocks = True
    env.lstrip_blocks = True
    for name, fn in {
        "local_time": local_time,
        "zoned": zoned,
        "clock": clock,
        "day": day,
        "input_value": input_value,
        "iso": iso,
        "from_iso": from_iso,
        "ago": ago,
        "humanize": humanize,
        "sentence": sentence,
    }.items():
        env.filters[name] = fn
    env.globals["version"] = __version__
    templates.context_processors.append(page_context)
    return templates
