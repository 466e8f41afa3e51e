"""When things happen: report times by site and kind, and the delays of a response."""

from __future__ import annotations

import math
import random
from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo

from murphy.demo.people import Person
from murphy.demo.stories import HOURS, WEEKEND, Kind

DAYS = 90
RECENT = timedelta(hours=24)  # the last day: what the control room still has on its screens

# Minutes from report to triage and from triage to response, by urgency (1 = immediate).
TRIAGE = {1: (0.3, 4.0), 2: (1.0, 12.0), 3: (3.0, 45.0)}
RESPOND = {1: (1.0, 6.0), 2: (3.0, 25.0), 3: (10.0, 120.0)}


def minutes(rng: random.Random, bounds: tuple[float, float]) -> timedelta:
    """A duration between the bounds (in minutes), log-uniform: short ones are common."""
    low, high = max(bounds[0], 0.05), max(bounds[1], bounds[0], 0.05)
    return timedelta(minutes=math.exp(rng.uniform(math.log(low), math.log(high))))


def _weekend_ok(rng: random.Random, kind: Kind, day: datetime) -> bool:
    factor = WEEKEND[kind.hours] if day.weekday() >= 5 else 1.0
    return rng.random() < factor / max(1.0, WEEKEND[kind.hours])


def reported_at(
    rng: random.Random, kind: Kind, tz: ZoneInfo, now: datetime, within: timedelta | None
) -> datetime:
    """When an incident of `kind` was reported: in the last `within`, or before the last day.

    Older reports fall on one of the last DAYS local days at an hour typical of the kind.
    """
    if within is not None:
        return _recent(rng, kind, tz, now - within, now - timedelta(minutes=2))
    midnight = datetime.combine(now.astimezone(tz).date(), time(0), tzinfo=tz)
    at = now - RECENT
    for _ in range(100):
        day = midnight - timedelta(days=rng.randint(1, DAYS))
        if not _weekend_ok(rng, kind, day):
            continue
        hour = rng.choices(range(24), weights=HOURS[kind.hours])[0]
        clock = time(hour, rng.randrange(60), rng.randrange(60), rng.randrange(1_000_000))
        at = datetime.combine(day.date(), clock, tzinfo=tz).astimezone(UTC)
        if at < now - RECENT:
            break
    return at


def _recent(
    rng: random.Random, kind: Kind, tz: ZoneInfo, start: datetime, end: datetime
) -> datetime:
    weights, top = HOURS[kind.hours], max(HOURS[kind.hours])
    span = (end - start).total_seconds()
    at = end
    for _ in range(100):
        at = start + timedelta(seconds=rng.random() * span)
        if rng.random() < weights[at.astimezone(tz).hour] / top:
            break
    return at.astimezone(UTC)


def on_shift(person: Person, at: datetime, rng: random.Random) -> datetime:
    """`at`, or the first time after it when `person` is at work (a few minutes into the hour)."""
    probe = at
    for _ in range(48):
        if person.on_duty(probe):
            return probe
        probe = (probe + timedelta(hours=1)).replace(minute=rng.randrange(5, 55))
    return at
