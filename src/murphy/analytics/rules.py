"""Pure rules of the dashboard: the period, its buckets, percentiles and deltas."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from murphy.core.errors import ValidationFailed

DEFAULT_DAYS = 30
MAX_DAYS = 5 * 366  # a range over five years is refused
TOP_TYPES = 8
EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


def period(start: date | None, end: date | None, today: date) -> tuple[date, date]:
    """The first and last local day (both included): the last 30 days by default."""
    last = end or today
    first = start or (last - timedelta(days=DEFAULT_DAYS - 1))
    if last < first:
        raise ValidationFailed("the end date is before the start date")
    if (last - first).days + 1 > MAX_DAYS:
        raise ValidationFailed("the range is over five years: choose a shorter one")
    return first, last


def previous(first: date, last: date) -> tuple[date, date]:
    """The period of the same length just before."""
    days = (last - first).days + 1
    return first - timedelta(days=days), first - timedelta(days=1)


def window(first: date, last: date, tz: ZoneInfo) -> tuple[datetime, datetime]:
    """The UTC instants [from, to) of those local days."""
    lo = datetime.combine(first, time(), tz).astimezone(UTC)
    hi = datetime.combine(last + timedelta(days=1), time(), tz).astimezone(UTC)
    return lo, hi


def step_for(days: int) -> str:
    """Bars per day up to two months, per week up to a year and a bit, else per month."""
    if days <= 62:
        return "day"
    return "week" if days <= 400 else "month"


def bucket_of(day: date, step: str) -> date:
    """The first day of the bucket that holds `day`."""
    if step == "week":
        return day - timedelta(days=day.weekday())
    if step == "month":
        return day.replace(day=1)
    return day


def buckets(first: date, last: date, step: str) -> list[date]:
    """Every bucket start from `first` to `last`, so that empty ones show as zero."""
    out: list[date] = []
    day = bucket_of(first, step)
    while day <= last:
        out.append(day)
        if step == "month":
            day = (day.replace(day=28) + timedelta(days=4)).replace(day=1)
        else:
            day += timedelta(days=7 if step == "week" else 1)
    return out


def hour_start(hours: int) -> datetime:
    """The UTC instant `hours` hours after 1970 (how the facts store a report's hour)."""
    return EPOCH + timedelta(hours=hours)


def spread(
    rows: Iterable[tuple[ZoneInfo, datetime, int]], first: date, last: date, step: str
) -> tuple[list[tuple[date, int]], list[list[int]]]:
    """Counts per UTC hour (with the zone to read them in) as counts per local bucket and a
    7×24 hour-of-week grid (Monday first)."""
    per_bucket = dict.fromkeys(buckets(first, last, step), 0)
    grid = [[0] * 24 for _ in range(7)]
    for tz, at, count in rows:
        local = at.astimezone(tz)
        key = bucket_of(local.date(), step)
        if key in per_bucket:
            per_bucket[key] += count
        grid[local.weekday()][local.hour] += count
    return sorted(per_bucket.items()), grid


def percentile(values: Sequence[float], q: float) -> float | None:
    """The q-th percentile (0..1) of sorted values, interpolated between ranks; None if empty."""
    if not values:
        return None
    at = (len(values) - 1) * q
    lo, hi = math.floor(at), math.ceil(at)
    return values[lo] + (values[hi] - values[lo]) * (at - lo)


def mean(values: Sequence[float]) -> float | None:
    """The average, or None if there is nothing."""
    return sum(values) / len(values) if values else None


def met_share(met: int, breached: int) -> float | None:
    """The share of decided clocks (met or breached) that were met; None if none is."""
    decided = met + breached
    return met / decided if decided else None


def delta(current: float | None, previous: float | None) -> float | None:
    """The change from the previous figure, or None when one side is missing."""
    if current is None or previous is None:
        return None
    return current - previous


def better(change: float | None, *, lower_is_better: bool) -> bool | None:
    """Whether a change is an improvement (fewer incidents, shorter times, more met)."""
    if change is None or change == 0:
        return None
    return (change < 0) == lower_is_better


def top(counts: Sequence[tuple[str, str, int]], n: int = TOP_TYPES) -> list[tuple[str, str, int]]:
    """The n largest (key, label, count), the rest folded into 'Other'."""
    ranked = sorted(counts, key=lambda c: (-c[2], c[1]))
    head, tail = ranked[:n], ranked[n:]
    if tail:
        head.append(("other", "Other", sum(c[2] for c in tail)))
    return head
