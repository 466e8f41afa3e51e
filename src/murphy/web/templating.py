"""Jinja2 set-up: filters for times and labels shared by every page."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from fastapi.templating import Jinja2Templates

from murphy import __version__


def local_time(value: datetime | None, tz: str = "UTC", fmt: str = "%Y-%m-%d %H:%M") -> str:
    """A UTC instant as wall-clock time in the site's zone."""
    if value is None:
        return ""
    return value.astimezone(ZoneInfo(tz)).strftime(fmt)


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


def make(templates: Jinja2Templates) -> Jinja2Templates:
    """Register Murphy's filters and globals on `templates`."""
    templates.env.filters["local_time"] = local_time
    templates.env.filters["ago"] = ago
    templates.env.globals["version"] = __version__
    return templates
