"""Problems' pure rules: the status machine, what recurrence is, and the evidence that
a group of incidents keeps coming back. No session, no I/O.

open ──▶ known_error ──▶ fixed ──(watch ends)──▶ closed
  ▲           │            │                       │
  └───────────┴────────────┴──(it came back, or reopened by hand)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from murphy.core.errors import IllegalTransition, ValidationFailed
from murphy.problems.schemas import Evidence, ProblemStatus

S = ProblemStatus

MOVES: dict[ProblemStatus, frozenset[ProblemStatus]] = {
    S.OPEN: frozenset({S.KNOWN_ERROR, S.FIXED, S.CLOSED}),
    S.KNOWN_ERROR: frozenset({S.OPEN, S.FIXED, S.CLOSED}),
    S.FIXED: frozenset({S.OPEN, S.CLOSED}),
    S.CLOSED: frozenset({S.OPEN}),
}

WINDOW_HOURS = 4  # a time-of-day pattern: most incidents within these many hours
PATTERN_SHARE = 0.6  # "most": at least this share of them
WEEKDAYS = ("Mondays", "Tuesdays", "Wednesdays", "Thursdays", "Fridays", "Saturdays", "Sundays")
_WORD = re.compile(r"[a-zà-ÿ]{4,}")
_COMMON = frozenset(
    {
        "with",
        "from",
        "that",
        "this",
        "near",
        "have",
        "been",
        "were",
        "there",
        "their",
        "into",
        "over",
        "after",
        "before",
        "about",
        "outside",
        "inside",
        "report",
        "reported",
        "incident",
        "again",
        "area",
        "room",
        "floor",
        "building",
    }
)


def check_move(current: ProblemStatus, to: ProblemStatus, note: str) -> None:
    """Refuse a move the status machine does not have, or marking fixed without saying how."""
    if to == current:
        raise IllegalTransition(f"the problem is already {current.value.replace('_', ' ')}")
    if to not in MOVES[current]:
        allowed = ", ".join(sorted(s.value for s in MOVES[current]))
        raise IllegalTransition(f"a {current.value} problem can move to: {allowed}")
    if to is S.FIXED and not note.strip():
        raise ValidationFailed("say what fixed it (note): the review reads it when it comes back")


def ref(problem_id: int) -> str:
    """The problem's reference as people say it."""
    return f"PRB-{problem_id}"


def parse_ref(value: str) -> int | None:
    """The id in "PRB-12" or "12"; None for anything else."""
    text = value.strip().upper().removeprefix("PRB-")
    return int(text) if text.isdigit() else None


@dataclass(frozen=True)
class Watch:
    """What a fixed problem watches for: a kind of incident at a place."""

    site_id: int | None
    building_id: int | None
    zone_id: int | None
    type_ids: frozenset[int] | None  # the type and its subtypes; None for any type


@dataclass(frozen=True)
class Seen:
    """Where and what a new incident is."""

    site_id: int
    building_id: int | None
    zone_id: int | None
    type_id: int | None


def recurs(watch: Watch, seen: Seen) -> bool:
    """Whether `seen` is the same kind at the same place as the problem watches for."""
    if watch.site_id is not None and seen.site_id != watch.site_id:
        return False
    if watch.type_ids is not None and seen.type_id not in watch.type_ids:
        return False
    if watch.zone_id is not None:
        return seen.zone_id == watch.zone_id
    if watch.building_id is not None:
        return seen.building_id == watch.building_id
    return watch.site_id is not None or watch.type_ids is not None


def hour_window(hours: Sequence[int], width: int = WINDOW_HOURS) -> tuple[int, float]:
    """The start of the `width` hours (wrapping at midnight) with the most, and their share."""
    total = sum(hours)
    if not total:
        return 0, 0.0
    best = max(range(24), key=lambda h: (sum(hours[(h + i) % 24] for i in range(width)), -h))
    return best, sum(hours[(best + i) % 24] for i in range(width)) / total


def weekday_pattern(weekdays: Sequence[int]) -> tuple[str | None, float]:
    """ "weekends" or one weekday when most fall there (against 2/7 and 1/7 by chance)."""
    total = sum(weekdays)
    if not total:
        return None, 0.0
    weekend = (weekdays[5] + weekdays[6]) / total
    day = max(range(7), key=lambda d: (weekdays[d], -d))
    single = weekdays[day] / total
    if single >= 0.5 and not (day >= 5 and weekend >= PATTERN_SHARE and single < weekend * 0.75):
        return WEEKDAYS[day], single
    if weekend >= PATTERN_SHARE:
        return "weekends", weekend
    return None, max(weekend, single)


def shared_words(titles: Sequence[str], share: float = 0.5, most: int = 5) -> list[str]:
    """Words (4 letters or more, not filler) that at least `share` of the titles use."""
    if not titles:
        return []
    seen = Counter(w for t in titles for w in set(_WORD.findall(t.lower())) - _COMMON)
    need = max(2, int(len(titles) * share + 0.999))
    return [w for w, n in seen.most_common() if n >= need][:most]


def evidence(times: Sequence[datetime], titles: Sequence[str], days: int) -> Evidence:
    """What a group of incidents (their local report times and titles) has in common."""
    hours, weekdays = [0] * 24, [0] * 7
    for t in times:
        hours[t.hour] += 1
        weekdays[t.weekday()] += 1
    n = len(times)
    start, h_share = hour_window(hours)
    pattern, w_share = weekday_pattern(weekdays)
    window = f"{start:02d}:00-{(start + WINDOW_HOURS) % 24:02d}:00"
    words = shared_words(titles)
    findings = [f"{n} incidents in {days} days ({n * 7 / days:.1f} a week)"]
    if h_share >= PATTERN_SHARE and n >= 3:
        findings.append(f"{round(h_share * n)} of {n} between {window.replace('-', ' and ')}")
    if pattern:
        findings.append(f"{round(w_share * n)} of {n} on {pattern}")
    if words:
        findings.append("titles share: " + ", ".join(f"“{w}”" for w in words))
    return Evidence(
        count=n,
        days=days,
        per_week=round(n * 7 / days, 2),
        first=min(times),
        last=max(times),
        hours=hours,
        weekdays=weekdays,
        hour_window=window if h_share >= PATTERN_SHARE and n >= 3 else None,
        hour_share=round(h_share, 3),
        weekday_pattern=pattern,
        weekday_share=round(w_share, 3),
        words=words,
        findings=findings,
    )


def score(ev: Evidence) -> float:
    """How strongly a group looks like one problem: its rate, sharpened by each pattern."""
    value = ev.per_week
    if ev.hour_window:
        value *= 1 + ev.hour_share
    if ev.weekday_pattern:
        value *= 1 + ev.weekday_share
    if ev.words:
        value *= 1.25
    return round(value, 3)
