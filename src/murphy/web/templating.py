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


def soon(value: datetime | None, tz: str = "UTC", now: datetime | None = None) -> str:
    """A time coming up (or just gone): '03:12 CET' today, 'Sun 03:12 CET' another day."""
    if value is None:
        return ""
    zone = ZoneInfo(tz)
    today = (now or datetime.now(UTC)).astimezone(zone).date()
    fmt = "%H:%M %Z" if value.astimezone(zone).date() == today else "%a %H:%M %Z"
    return local_time(value, tz, fmt)


def relative(value: datetime | None, tz: str = "UTC", now: datetime | None = None) -> str:
    """A time near now, as people say it, in the zone `tz`: '08:00 today', '08:00
    tomorrow', '22:00 yesterday', otherwise with its date: 'Mon 7 Dec 08:00'."""
    if value is None:
        return ""
    zone = ZoneInfo(tz)
    local = value.astimezone(zone)
    days = (local.date() - (now or datetime.now(UTC)).astimezone(zone).date()).days
    words = {-1: "yesterday", 0: "today", 1: "tomorrow"}
    if days in words:
        return f"{local:%H:%M} {words[days]}"
    return f"{local:%a} {local.day} {local:%b %H:%M}"


def within(value: datetime | None, now: datetime | None = None) -> str:
    """How long until a time, briefly: 'in 45 min', 'in 3 h 20 min', 'in 4 d'."""
    if value is None:
        return ""
    seconds = int((value - (now or datetime.now(UTC))).total_seconds())
    if seconds <= 0:
        return "now"
    mins = -(-seconds // 60)  # rounded up: 'in 1 min' until the very moment
    if mins < 60:
        return f"in {mins} min"
    if mins < 24 * 60:
        hours, rest = divmod(mins, 60)
        return f"in {hours} h {rest} min" if rest and hours < 10 else f"in {hours} h"
    return f"in {mins // (24 * 60)} d"


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


def minutes(value: int | None) -> str:
    """A duration in minutes, briefly: '15 min', '1 h', '4 h 30 min', '2 d'."""
    if value is None:
        return ""
    days, rest = divmod(int(value), 1440)
    hours, mins = divmod(rest, 60)
    parts = [(days, "d"), (hours, "h"), (mins, "min")]
    return " ".join(f"{n} {unit}" for n, unit in parts if n) or "0 min"


CLOCK_NAMES = {"acknowledge": "Acknowledge", "respond": "On scene", "resolve": "Resolve"}


def clock_name(kind: str) -> str:
    """A service-target clock as people call it: 'respond' is 'On scene'."""
    return CLOCK_NAMES.get(kind, humanize(kind))


WARN_SECONDS = 5 * 60  # a service target this close is amber, whatever its length
WARN_SHARE = 0.25  # ... and so is one with less than a quarter of its time left


def due_state(
    due: datetime | None,
    total_minutes: int | None = None,
    breached: bool = False,
    now: datetime | None = None,
) -> str:
    """How a service target stands: 'ok', 'warn' (amber) or 'breach' (red)."""
    if due is None:
        return "ok"
    left = (due - (now or datetime.now(UTC))).total_seconds()
    if breached or left < 0:
        return "breach"
    if left < WARN_SECONDS or (total_minutes and left < WARN_SHARE * total_minutes * 60):
        return "warn"
    return "ok"


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
        "now": datetime.now(UTC),
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
        "soon": soon,
        "relative": relative,
        "within": within,
        "day": day,
        "input_value": input_value,
        "iso": iso,
        "from_iso": from_iso,
        "ago": ago,
        "humanize": humanize,
        "sentence": sentence,
        "due_state": due_state,
        "minutes": minutes,
        "clock_name": clock_name,
    }.items():
        env.filters[name] = fn
    env.globals["version"] = __version__
    env.globals["clock_names"] = CLOCK_NAMES
    templates.context_processors.append(page_context)
    return templates
