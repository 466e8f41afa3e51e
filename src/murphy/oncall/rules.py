"""Who is on call, and when: pure rules, no session, no I/O.

A schedule has a time zone, layers and overrides. Each layer is a rotation of people,
optionally restricted to windows of the week; who is on call at an instant is

    the latest-made override covering it,
    else the person of the last layer that has someone on call then,
    else nobody.

A rotation hands shift i to participants[i % n], from its first handoff on (before
it, the layer has nobody). Its length is counted in one of two ways:

- in **days** (daily = 1, weekly = 7, or any 1 to 365): handoffs happen at the local
  wall-clock handoff time, so a daily rotation handing off at 08:00 Europe/Berlin does
  so at 08:00 on both sides of a daylight-saving change, and the shift over the change
  lasts 23 or 25 hours;
- in **hours** (e.g. 12): handoffs happen every so many hours of elapsed time from
  the first one, so after a change the local handoff time moves by an hour.

A local time that does not exist (the clocks jumped over it, e.g. 02:30 on 2026-03-29
in Europe/Berlin) means the instant the clocks jumped (03:00 local, 01:00 UTC); one
that happens twice (the clocks went back over it) means its first occurrence.

Restriction windows are in the schedule's zone too: a window starts on each of its
days at `start` and ends at `end`, on the next day when `end` is not after `start`
(so 18:00-08:00 is overnight and 00:00-00:00 is the whole day).

Instants given to these functions must be timezone-aware; instants returned are UTC.
"""

from __future__ import annotations

import heapq
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from typing import Literal
from urllib.parse import quote
from zoneinfo import ZoneInfo

from murphy.core.errors import ValidationFailed

LengthUnit = Literal["days", "hours"]
MAX_DAYS = 365
MAX_HOURS = MAX_DAYS * 24

MONDAY, TUESDAY, WEDNESDAY, THURSDAY, FRIDAY, SATURDAY, SUNDAY = range(7)
WEEKDAYS = frozenset(range(MONDAY, SATURDAY))
WEEKEND = frozenset({SATURDAY, SUNDAY})
EVERY_DAY = frozenset(range(7))
DAY_NAMES = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

OVERRIDE = "override"
PRODID = "-//Murphy//On-call//EN"

_CLOCK = re.compile(r"^([01]?\d|2[0-3]):([0-5]\d)$")
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")  # not allowed in iCalendar TEXT

# --- checking what people give ---------------------------------------------------------


def validate_zone(name: str) -> ZoneInfo:
    """The IANA time zone called `name`, or a clear error."""
    try:
        return ZoneInfo(name)
    except (KeyError, ValueError, OSError):  # ZoneInfoNotFoundError is a KeyError
        raise ValidationFailed(
            f"unknown time zone {name!r}: use an IANA name such as "
            "'Europe/Berlin' or 'America/New_York'"
        ) from None


def parse_clock(text: str, *, what: str = "the time") -> time:
    """'18:00' as a time of day, or a clear error. Midnight is '00:00' (there is no
    '24:00': a window ending at midnight ends at '00:00')."""
    m = _CLOCK.match(text.strip())
    if not m:
        raise ValidationFailed(f"{what} must be a time of day like 08:00 or 18:30, not {text!r}")
    return time(int(m.group(1)), int(m.group(2)))


def aware(value: datetime, what: str = "the instant") -> datetime:
    """`value` in UTC; a naive datetime is a programming error (whose clock would it be?)."""
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError(
            f"{what} ({value.isoformat()}) has no time zone: "
            "give timezone-aware datetimes (e.g. datetime.now(UTC))"
        )
    return value.astimezone(UTC)


# --- the parts of a schedule -----------------------------------------------------------


@dataclass(frozen=True)
class Rotation:
    """People taking turns: shift i goes to participants[i % n]. The first shift
    starts on the local date `start_date` at the local time `handoff` (in the
    schedule's zone); each lasts `length` days (handoffs at local wall-clock time) or
    `length` hours (handoffs every `length` hours of elapsed time)."""

    participants: tuple[str, ...]
    start_date: date
    handoff: time = time(0)
    length: int = 1
    unit: LengthUnit = "days"

    def __post_init__(self) -> None:
        if not self.participants:
            raise ValidationFailed("a rotation needs at least one participant")
        if any(not p.strip() for p in self.participants):
            raise ValidationFailed("a participant of a rotation has an empty name")
        if self.unit not in ("days", "hours"):
            raise ValidationFailed(
                f"a shift's length is counted in 'days' or 'hours', not {self.unit!r}"
            )
        top = MAX_DAYS if self.unit == "days" else MAX_HOURS
        if not 1 <= self.length <= top:
            raise ValidationFailed(
                f"a shift lasts 1 to {top} {self.unit}, not {self.length}: "
                "use 1 for daily and 7 for weekly rotations"
            )
        if self.handoff.tzinfo is not None:
            raise ValidationFailed(
                "the handoff time is a local time in the schedule's time zone: give it "
                "without a time zone"
            )


@dataclass(frozen=True)
class Window:
    """A time-of-week window in the schedule's zone: on each of `days` (0 = Monday to
    6 = Sunday) from `start` to `end`, ending the next day when `end` is not after
    `start` (18:00-08:00 is overnight; 00:00-00:00 is the whole day)."""

    days: frozenset[int]
    start: time
    end: time

    def __post_init__(self) -> None:
        if not self.days:
            raise ValidationFailed("a restriction window needs at least one day of the week")
        wrong = sorted(d for d in self.days if d not in EVERY_DAY)
        if wrong:
            raise ValidationFailed(f"days of the week are 0 (Monday) to 6 (Sunday), not {wrong[0]}")
        if self.start.tzinfo is not None or self.end.tzinfo is not None:
            raise ValidationFailed(
                "a restriction window's times are local times in the schedule's time "
                "zone: give them without a time zone"
            )

    @property
    def overnight(self) -> bool:
        """Does the window end on the day after it starts?"""
        return self.end <= self.start

    def describe(self) -> str:
        """'Monday, Friday 18:00-08:00 (next day)' for people."""
        days = ", ".join(DAY_NAMES[d] for d in sorted(self.days))
        if self.start == self.end:
            if self.start == time(0):
                return f"{days} all day"
            return f"{days} from {self.start:%H:%M} for 24 hours"
        after = " (next day)" if self.overnight else ""
        return f"{days} {self.start:%H:%M}-{self.end:%H:%M}{after}"


@dataclass(frozen=True)
class Layer:
    """A rotation, on call only within its restriction windows (always, if none)."""

    rotation: Rotation
    restrictions: tuple[Window, ...] = ()


@dataclass(frozen=True)
class Override:
    """`user` takes over whoever would be on call from `start` until `end`."""

    start: datetime
    end: datetime
    user: str

    def __post_init__(self) -> None:
        start = aware(self.start, "the override's start")
        end = aware(self.end, "the override's end")
        if not self.user.strip():
            raise ValidationFailed("an override needs the person who takes over")
        if end <= start:
            raise ValidationFailed(
                f"an override must end after it starts: it starts at {start:%Y-%m-%d %H:%M} "
                f"UTC and ends at {end:%Y-%m-%d %H:%M} UTC"
            )


@dataclass(frozen=True)
class Schedule:
    """A time zone, layers (a later layer wins where it has someone on call) and
    overrides in the order they were made (where two overlap, the later one wins)."""

    zone: str
    layers: tuple[Layer, ...] = ()
    overrides: tuple[Override, ...] = ()

    def __post_init__(self) -> None:
        validate_zone(self.zone)

    @property
    def tz(self) -> ZoneInfo:
        """The schedule's time zone."""
        return ZoneInfo(self.zone)  # ZoneInfo caches instances by key


@dataclass(frozen=True)
class Shift:
    """`user` is on call from `start` until `end` (UTC) because of `source`:
    'layer 1' (the base layer), 'layer 2', ... or 'override'."""

    user: str
    start: datetime
    end: datetime
    source: str


# --- local wall-clock time -------------------------------------------------------------


def resolve(wall: datetime, tz: ZoneInfo) -> datetime:
    """The UTC instant of the naive local time `wall` in `tz`: its first occurrence if
    it happens twice, the instant the clocks jumped if it does not exist."""
    first = wall.replace(tzinfo=tz, fold=0).astimezone(UTC)
    if first.astimezone(tz).replace(tzinfo=None) == wall:
        return first
    # In a gap: fold=0 reads `wall` with the offset before the jump, fold=1 with the
    # offset after it; the jump lies between the two readings. Find it to the second.
    other = wall.replace(tzinfo=tz, fold=1).astimezone(UTC)
    lo = int(min(first, other).timestamp()) - 1
    hi = int(max(first, other).timestamp()) + 1
    while hi - lo > 1:  # invariant: local(lo) <= wall < local(hi)
        mid = (lo + hi) // 2
        if datetime.fromtimestamp(mid, tz).replace(tzinfo=None) > wall:
            hi = mid
        else:
            lo = mid
    return datetime.fromtimestamp(hi, UTC)


def _local_date(at: datetime, tz: ZoneInfo) -> date:
    return at.astimezone(tz).date()


# --- one layer -------------------------------------------------------------------------

_Piece = tuple[datetime, datetime, str]  # start, end (UTC), user
_DAY = timedelta(days=1)


def handoff_at(rotation: Rotation, tz: ZoneInfo, i: int) -> datetime:
    """When shift i of `rotation` starts (UTC); shift 0 is the first."""
    if rotation.unit == "days":
        day = rotation.start_date + timedelta(days=i * rotation.length)
        return resolve(datetime.combine(day, rotation.handoff), tz)
    first = resolve(datetime.combine(rotation.start_date, rotation.handoff), tz)
    return first + timedelta(hours=i * rotation.length)


def shift_index(rotation: Rotation, tz: ZoneInfo, at: datetime) -> int | None:
    """The shift of `rotation` running at `at` (UTC), or None before the first one."""
    first = handoff_at(rotation, tz, 0)
    if at < first:
        return None
    if rotation.unit == "hours":
        return (at - first) // timedelta(hours=rotation.length)
    # Guess from the local wall-clock time, then correct by the real handoffs (the
    # guess is off by at most one shift, around a daylight-saving change).
    wall = at.astimezone(tz).replace(tzinfo=None)
    origin = datetime.combine(rotation.start_date, rotation.handoff)
    i = max(0, (wall - origin) // timedelta(days=rotation.length))
    while i > 0 and handoff_at(rotation, tz, i) > at:
        i -= 1
    while handoff_at(rotation, tz, i + 1) <= at:
        i += 1
    return i


def _window_spans(
    windows: Sequence[Window], tz: ZoneInfo, first: date, last: date
) -> list[tuple[datetime, datetime]]:
    """The windows starting on local dates first..last as UTC spans, merged and sorted."""
    spans: list[tuple[datetime, datetime]] = []
    day = first
    while day <= last:
        for w in windows:
            if day.weekday() in w.days:
                start = resolve(datetime.combine(day, w.start), tz)
                end_day = day + _DAY if w.overnight else day
                end = resolve(datetime.combine(end_day, w.end), tz)
                if start < end:
                    spans.append((start, end))
        day += _DAY
    spans.sort()
    merged: list[tuple[datetime, datetime]] = []
    for start, end in spans:
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1] = (merged[-1][0], end)
        else:
            merged.append((start, end))
    return merged


def _layer_at(layer: Layer, tz: ZoneInfo, at: datetime) -> str | None:
    rotation = layer.rotation
    i = shift_index(rotation, tz, at)
    if i is None:
        return None
    if layer.restrictions:
        # A window ends at most a day after the local date it starts on; a margin of
        # a day each side covers zones whose clocks go back over midnight.
        day = _local_date(at, tz)
        spans = _window_spans(layer.restrictions, tz, day - 2 * _DAY, day + _DAY)
        if not any(s <= at < e for s, e in spans):
            return None
    return rotation.participants[i % len(rotation.participants)]


def _layer_pieces(layer: Layer, tz: ZoneInfo, start: datetime, end: datetime) -> list[_Piece]:
    """Who the layer has on call within [start, end), shift by shift and window by
    window, as sorted non-overlapping pieces."""
    rotation = layer.rotation
    people = rotation.participants
    i = shift_index(rotation, tz, start) or 0
    pieces: list[_Piece] = []
    begin = handoff_at(rotation, tz, i)
    while begin < end:
        finish = handoff_at(rotation, tz, i + 1)
        if finish > start and finish > begin:
            pieces.append((max(begin, start), min(finish, end), people[i % len(people)]))
        i += 1
        begin = finish
    if not layer.restrictions or not pieces:
        return pieces
    first, last = _local_date(start, tz), _local_date(end, tz)
    spans = _window_spans(layer.restrictions, tz, first - 2 * _DAY, last + _DAY)
    return _intersect(pieces, spans)


def _intersect(pieces: list[_Piece], spans: list[tuple[datetime, datetime]]) -> list[_Piece]:
    out: list[_Piece] = []
    p = s = 0
    while p < len(pieces) and s < len(spans):
        (a, b, user), (c, d) = pieces[p], spans[s]
        lo, hi = max(a, c), min(b, d)
        if lo < hi:
            out.append((lo, hi, user))
        if b <= d:
            p += 1
        else:
            s += 1
    return out


def _override_pieces(overrides: Sequence[Override], start: datetime, end: datetime) -> list[_Piece]:
    """The overrides within [start, end) as sorted non-overlapping pieces: where two
    overlap, the later-made one."""
    clipped = []
    for k, o in enumerate(overrides):
        a, b = max(aware(o.start), start), min(aware(o.end), end)
        if a < b:
            clipped.append((a, b, k, o.user))
    if not clipped:
        return []
    clipped.sort()
    points = sorted({t for a, b, _, _ in clipped for t in (a, b)})
    active: list[tuple[int, datetime, str]] = []  # (-made, end, user): latest made on top
    pieces: list[_Piece] = []
    n = 0
    for a, b in pairwise(points):
        while n < len(clipped) and clipped[n][0] <= a:
            heapq.heappush(active, (-clipped[n][2], clipped[n][1], clipped[n][3]))
            n += 1
        while active and active[0][1] <= a:
            heapq.heappop(active)
        if active:
            pieces.append((a, b, active[0][2]))
    return pieces


# --- the whole schedule ----------------------------------------------------------------


def on_call(schedule: Schedule, at: datetime) -> str | None:
    """Who is on call at `at`, or None when nobody is."""
    at = aware(at, "the instant asked about")
    for o in reversed(schedule.overrides):
        if aware(o.start) <= at < aware(o.end):
            return o.user
    tz = schedule.tz
    for layer in reversed(schedule.layers):
        user = _layer_at(layer, tz, at)
        if user is not None:
            return user
    return None


def shifts(schedule: Schedule, start: datetime, end: datetime) -> list[Shift]:
    """Who is on call from `start` until `end`: the final timeline after layers and
    overrides, clipped to the period, sorted, with next-to-next pieces of one person
    from one source joined. Times when nobody is on call have no shift."""
    start = aware(start, "the start of the period")
    end = aware(end, "the end of the period")
    if end < start:
        raise ValidationFailed(
            f"the period ends ({end:%Y-%m-%d %H:%M} UTC) before it starts "
            f"({start:%Y-%m-%d %H:%M} UTC)"
        )
    tz = schedule.tz
    sources: list[tuple[str, list[_Piece]]] = [
        (OVERRIDE, _override_pieces(schedule.overrides, start, end))
    ]
    for n in range(len(schedule.layers), 0, -1):
        sources.append((f"layer {n}", _layer_pieces(schedule.layers[n - 1], tz, start, end)))
    points = sorted({t for _, pieces in sources for a, b, _ in pieces for t in (a, b)})
    at = [0] * len(sources)
    out: list[Shift] = []
    for a, b in pairwise(points):
        for k, (source, pieces) in enumerate(sources):  # highest priority first
            j = at[k]
            while j < len(pieces) and pieces[j][1] <= a:
                j += 1
            at[k] = j
            if j < len(pieces) and pieces[j][0] <= a:
                user = pieces[j][2]
                last = out[-1] if out else None
                if last and last.user == user and last.source == source and last.end == a:
                    out[-1] = replace(last, end=b)
                else:
                    out.append(Shift(user, a, b, source))
                break
    return out


def of(user: str, timeline: Iterable[Shift]) -> list[Shift]:
    """The shifts of one person, e.g. for their calendar."""
    return [s for s in timeline if s.user == user]


# --- iCalendar (RFC 5545) --------------------------------------------------------------


def ical(shifts: Iterable[Shift], *, calendar_name: str, uid_prefix: str, now: datetime) -> str:
    """The shifts as an iCalendar file: one event per shift, times in UTC. An event's
    UID is the prefix, the person and the start, so a calendar that subscribes sees the
    same shift as the same event, updated if its end moves."""
    stamp = _stamp(aware(now, "now"))
    name = _text(calendar_name)
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        f"X-WR-CALNAME:{name}",
    ]
    for s in shifts:
        start, end = aware(s.start, "a shift's start"), aware(s.end, "a shift's end")
        uid = f"{uid_prefix}-{quote(s.user, safe='')}-{_stamp(start)}"
        if start.microsecond:
            uid += f".{start.microsecond:06d}"
        lines += [
            "BEGIN:VEVENT",
            f"UID:{_text(uid)}",
            f"DTSTAMP:{stamp}",
            f"DTSTART:{_stamp(start)}",
            f"DTEND:{_stamp(end)}",
            f"SUMMARY:{_text('On call: ' + calendar_name)}",
            f"DESCRIPTION:{_text(f'{s.user} ({s.source})')}",
            "TRANSP:OPAQUE",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "".join(fold(line) + "\r\n" for line in lines)


def _stamp(at: datetime) -> str:
    return at.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _text(value: str) -> str:
    """An iCalendar TEXT value: backslash, semicolon, comma and newlines escaped,
    other control characters dropped."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\\n").replace("\r", "\\n").replace("\n", "\\n")
    return _CONTROL.sub("", value)


def fold(line: str, limit: int = 75) -> str:
    """A content line folded into lines of at most `limit` octets (UTF-8), each after
    the first starting with a space, never splitting a character."""
    parts: list[str] = []
    chunk: list[str] = []
    size, room = 0, limit
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > room:
            parts.append("".join(chunk))
            chunk, size, room = [], 0, limit - 1  # the leading space counts
        chunk.append(ch)
        size += n
    parts.append("".join(chunk))
    return "\r\n ".join(parts)
