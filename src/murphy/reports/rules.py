"""Pure report rules: entries that say nothing, shift and day windows, Latin-1 text."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

# Notes that carry no information on their own ("all quiet", "NTR", "patrol completed").
_EMPTY_PHRASES = (
    r"all (?:is )?(?:quiet|clear|ok|okay|good|normal|secure)",
    r"nothing (?:to report|new|further|noted|unusual|found)",
    r"n\.?t\.?r\.?",
    r"no (?:issues?|incidents?|problems?|change|changes|activity|updates?|news)(?: to report)?",
    r"(?:patrol|round|rounds|check|checks) (?:completed?|done|ok|finished)",
    r"(?:completed?|done) (?:patrol|rounds?)",
    r"quiet(?: shift| night| day)?",
    r"(?:nil|none|n/?a|ok|okay|fine|normal|checked)",
    r"same as (?:before|above|last shift)",
)
_EMPTY = re.compile(r"^(?:(?:" + "|".join(_EMPTY_PHRASES) + r")[\s.,;:!-]*)+$", re.IGNORECASE)

DAY_SHIFT = (time(7), time(19))


def says_nothing(text: str) -> bool:
    """Whether a note carries no information ("all quiet", "NTR", "patrol completed")."""
    cleaned = " ".join(text.split()).strip(" .,;:!-")
    return not cleaned or bool(_EMPTY.match(cleaned))


def quiet_shift(notes: Sequence[str]) -> bool:
    """Whether a shift's notes exist and every one of them says nothing."""
    return bool(notes) and all(says_nothing(n) for n in notes)


def day_window(day: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of local midnight to the next local midnight (23 or 25 h on DST)."""
    start = datetime.combine(day, time(0), tz)
    end = datetime.combine(day + timedelta(days=1), time(0), tz)
    return _utc(start), _utc(end)


def month_window(year: int, month: int, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants of the first local midnight of the month and of the next."""
    nxt = date(year + month // 12, month % 12 + 1, 1)
    return _utc(datetime.combine(date(year, month, 1), time(0), tz)), _utc(
        datetime.combine(nxt, time(0), tz)
    )


def last_shift(
    now: datetime, tz: ZoneInfo, shift: tuple[time, time] = DAY_SHIFT
) -> tuple[datetime, datetime]:
    """The shift (day `shift[0]`-`shift[1]` or night after it, local) that ended last
    before `now`, as UTC instants; wall clock, so a DST night is 11 or 13 h."""
    local = now.astimezone(tz)
    starts = sorted(
        _local(d, t, tz)
        for d in (local.date() - timedelta(days=n) for n in (2, 1, 0))
        for t in shift
    )
    i = max(k for k, s in enumerate(starts) if s <= local)
    return _utc(starts[i - 1]), _utc(starts[i])


def short(text: str, limit: int = 120) -> str:
    """`text` on one line, cut to `limit` characters with an ellipsis."""
    flat = " ".join(text.split())
    return flat if len(flat) <= limit else flat[: limit - 1].rstrip() + "\u2026"


def _local(d: date, t: time, tz: ZoneInfo) -> datetime:
    return datetime.combine(d, t, tz)


def _utc(value: datetime) -> datetime:
    return value.astimezone(ZoneInfo("UTC"))


OPEN_ROWS = 100  # the open incidents a report lists; the rest are counted


def most_urgent(incidents: Sequence[Any], limit: int = OPEN_ROWS) -> tuple[list[Any], str]:
    """The `limit` most urgent open incidents (priority, then the oldest), and a line
    saying how many more there are (empty when all are listed)."""
    ranked = sorted(incidents, key=lambda i: (i.priority or 9, i.reported_at))
    if len(ranked) <= limit:
        return ranked, ""
    more = len(ranked) - limit
    return ranked[:limit], (
        f"The {limit} most urgent of {len(ranked)} are listed (highest priority, then the"
        f" oldest); {more} more are in the queue and in `murphy export incidents`."
    )
