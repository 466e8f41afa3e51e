"""What the on-call page shows, read through the service: each schedule with who is on
call now and why, its coming shifts with the stretches where nobody is, the caller's own
next shifts, and the people an override may name."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from murphy.oncall import rules, service
from murphy.oncall.schemas import MAX_RANGE_DAYS, OverrideOut, ScheduleOut, ShiftOut
from murphy.users import service as users_service
from murphy.users.schemas import Principal, Role, UserRef

COMING_DAYS = 7  # the coming shifts each schedule shows
MINE_DAYS = 28  # how far "your next shifts" looks
MINE_SHOWN = 6
ASKED = timedelta(days=MAX_RANGE_DAYS)  # how far the shifts are read, to know their ends


@dataclass(frozen=True)
class Row:
    """A line of a schedule's coming shifts: someone (or nobody, `user` None) from
    `start` until `end` (None: no change is planned as far as the page looks)."""

    start: datetime
    end: datetime | None
    user: UserRef | None
    why: str
    current: bool


@dataclass(frozen=True)
class Card:
    """A schedule as the page shows it: who is on call now and why, the override that
    put them there (if one did), and the coming shifts."""

    schedule: ScheduleOut
    why: str
    override: OverrideOut | None
    coming: list[Row]
    shifts: list[ShiftOut]  # every shift read (beyond the week: their ends are known)

    @property
    def next_person(self) -> Row | None:
        """The first coming row with someone on call (when nobody is on call now)."""
        return next((r for r in self.coming if r.user is not None), None)


@dataclass(frozen=True)
class MyShift:
    """One of the caller's next shifts, with its schedule's time zone."""

    shift: ShiftOut
    end: datetime | None  # None: on until beyond what the page asked
    schedule_id: int
    timezone: str
    why: str
    current: bool


def cards(session: Session, *, principal: Principal, now: datetime) -> list[Card]:
    """Every schedule the caller may see, by name, with its coming week."""
    out = []
    for s in service.list_schedules(session, principal=principal, at=now):
        # Ask beyond the week so that a shift starting within it shows its real end.
        found = service.shifts(
            session,
            principal=principal,
            ref=str(s.id),
            start=now,
            end=now + ASKED,
        )
        override = _override_now(s, now) if s.on_call.source == rules.OVERRIDE else None
        why = reason(s, s.on_call.source, override) if s.on_call.user else ""
        out.append(Card(s, why, override, _rows(s, found, now), found))
    return out


def my_shifts(cards: list[Card], *, principal: Principal, now: datetime) -> list[MyShift]:
    """The caller's shifts starting within MINE_DAYS on every schedule (the one running
    now first), at most MINE_SHOWN: picked from the shifts the cards already read."""
    mine = [
        (x, c.schedule)
        for c in cards
        for x in c.shifts
        if x.user.username == principal.username and x.start < now + timedelta(days=MINE_DAYS)
    ]
    mine.sort(key=lambda pair: (pair[0].start, pair[0].schedule))
    out = []
    for x, s in mine[:MINE_SHOWN]:
        end = x.end if x.end < now + ASKED else None  # on until beyond what was asked
        current = x.start <= now < x.end
        out.append(MyShift(x, end, s.id, s.timezone, label(s, x.source), current))
    return out


def candidates(session: Session) -> list[UserRef]:
    """Who an override may name: active staff who can sign in (no system accounts, no
    reporters, who cannot see the schedules), by name."""
    found = [
        UserRef(username=u.username, display_name=u.display_name or u.username)
        for u in users_service.list(session)
        if u.is_active and u.password_hash and u.role != Role.REPORTER.value
    ]
    return sorted(found, key=lambda r: (r.display_name.lower(), r.username))


def reason(s: ScheduleOut, source: str | None, override: OverrideOut | None) -> str:
    """Why someone is on call, in full: the layer and its rotation, or the override."""
    if source == rules.OVERRIDE:
        if override is None:
            return "Override"
        said = f": {override.reason}" if override.reason else ""
        return f"Override{said} (set by {override.created_by})"
    n = _layer_number(source)
    if n is None or n > len(s.layers):
        return source or ""
    layer = s.layers[n - 1]
    turns = "1 day" if (layer.length, layer.unit) == (1, "days") else f"{layer.length} {layer.unit}"
    named = f" “{layer.name}”" if layer.name else ""
    return f"Layer {n}{named}: turns of {turns}, handover at {layer.handoff}"


def label(s: ScheduleOut, source: str | None) -> str:
    """Why, briefly: the layer's name (or 'Layer 2'), or 'Override'."""
    if source == rules.OVERRIDE:
        return "Override"
    n = _layer_number(source)
    if n is None or n > len(s.layers):
        return source or ""
    return s.layers[n - 1].name or f"Layer {n}"


def _layer_number(source: str | None) -> int | None:
    number = (source or "").removeprefix("layer ").strip()
    return int(number) if number.isdigit() else None


def _override_now(s: ScheduleOut, now: datetime) -> OverrideOut | None:
    """The override in force now: of those covering now, the latest made."""
    covering = [o for o in s.overrides if o.start <= now < o.end]
    return max(covering, key=lambda o: o.id) if covering else None


def _rows(s: ScheduleOut, found: list[ShiftOut], now: datetime) -> list[Row]:
    """The shifts starting within the coming week, with a 'nobody' row for every stretch
    between them (`found` runs beyond the week, so a stretch's end is known)."""
    horizon, asked = now + timedelta(days=COMING_DAYS), now + ASKED
    rows: list[Row] = []
    at = now
    for x in found:
        if x.start > at:  # nobody from `at` until this shift
            rows.append(Row(at, x.start, None, "", at == now))
        if x.start >= horizon:
            break
        current = x.start <= now < x.end
        start = (s.on_call.since or x.start) if current else x.start
        end = x.end if x.end < asked else None  # on until beyond what was asked
        rows.append(Row(start, end, x.user, label(s, x.source), current))
        at = x.end
        if at >= horizon:
            break
    else:
        if at < horizon:  # nobody after the last shift, as far as the service was asked
            rows.append(Row(at, None, None, "", at == now))
    return rows
