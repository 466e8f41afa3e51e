"""Use cases of on-call schedules. Never commits: the caller owns the transaction.

The stored definition (time zone, layers) and the overrides become a pure
`rules.Schedule`; every question (who is on call at T, the shifts of a stretch, one
person's shifts) is answered by `murphy.oncall.rules`.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import date, datetime, time, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from murphy.core import security
from murphy.core.clock import utcnow
from murphy.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from murphy.oncall import rules
from murphy.oncall.models import CalendarFeed, OnCallOverride, OnCallSchedule
from murphy.oncall.schemas import (
    MAX_RANGE_DAYS,
    FeedOut,
    LayerIn,
    LayerOut,
    NewFeedOut,
    OnCallOut,
    OverrideIn,
    OverrideOut,
    ScheduleIn,
    ScheduleOut,
    ShiftOut,
    WindowOut,
)
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal, UserRef

LOOKAHEAD = timedelta(days=400)  # how far "since" and "until" look (a yearly rotation's shift)
FEED_PREFIX = "cal_"  # a calendar link's token starts so, to be recognised where it leaks
FEED_PATH = "/calendar/{token}.ics"  # served without sign-in: the token is the secret


# --- reading ---------------------------------------------------------------------------


def list_schedules(
    session: Session, *, principal: Principal, at: datetime | None = None
) -> builtins.list[ScheduleOut]:
    """Every schedule with who is on call at `at` (now), by name."""
    _require_staff(principal)
    found = session.scalars(select(OnCallSchedule).order_by(OnCallSchedule.name)).all()
    return [_out(session, s, at or utcnow()) for s in found]


def get(
    session: Session, *, principal: Principal, ref: str, at: datetime | None = None
) -> ScheduleOut:
    """One schedule (by id or name) with who is on call at `at` (now)."""
    _require_staff(principal)
    return _out(session, _get_or_raise(session, ref), at or utcnow())


def on_call(
    session: Session, *, principal: Principal, ref: str, at: datetime | None = None
) -> OnCallOut:
    """Who is on call for the schedule at `at` (now), since and until when."""
    _require_staff(principal)
    row = _get_or_raise(session, ref)
    return _on_call(session, row, _schedule(session, row), at or utcnow())


def who(session: Session, *, schedule_id: int, at: datetime) -> str | None:
    """The user name on call for the schedule at `at`, if anyone (for paging)."""
    row = session.get(OnCallSchedule, schedule_id)
    if row is None:
        return None
    return rules.on_call(_schedule(session, row), at)


def shifts(
    session: Session, *, principal: Principal, ref: str, start: datetime, end: datetime
) -> builtins.list[ShiftOut]:
    """The schedule's shifts from `start` to `end` (at most `MAX_RANGE_DAYS`)."""
    _require_staff(principal)
    _check_range(start, end)
    row = _get_or_raise(session, ref)
    return _shifts_out(session, row, rules.shifts(_schedule(session, row), start, end))


def user_shifts(
    session: Session, *, username: str, start: datetime, end: datetime
) -> builtins.list[ShiftOut]:
    """One person's shifts on every schedule from `start` to `end`, by start."""
    _check_range(start, end)
    out: builtins.list[ShiftOut] = []
    for row in session.scalars(select(OnCallSchedule).order_by(OnCallSchedule.id)):
        mine = rules.of(username, rules.shifts(_schedule(session, row), start, end))
        out += _shifts_out(session, row, mine)
    return sorted(out, key=lambda s: (s.start, s.schedule))


def calendar(
    session: Session, *, principal: Principal, username: str, now: datetime | None = None
) -> str:
    """An iCalendar (RFC 5545) of a person's shifts from a week ago to 92 days ahead.
    Anyone may have their own; schedule managers anyone's."""
    if username != principal.username and not principal.can(Permission.MANAGE_ONCALL):
        raise PermissionDenied("only schedule managers may export someone else's shifts")
    user = users_service.get(session, username=username)
    if user is None:
        raise NotFound(f"no user {username!r}")
    return _calendar(session, user, now or utcnow())


# --- secret calendar links -------------------------------------------------------------


def feed(session: Session, *, principal: Principal) -> FeedOut | None:
    """The caller's calendar link as stored (how it starts, when made), if they have one."""
    row = session.get(CalendarFeed, principal.id)
    return FeedOut(prefix=row.prefix, created_at=row.created_at) if row else None


def create_feed(
    session: Session, *, principal: Principal, public_url: str, now: datetime | None = None
) -> NewFeedOut:
    """A new secret calendar link of the caller's shifts, shown this once; it replaces
    the old one, which stops working. Only the token's SHA-256 is stored."""
    token = security.new_token(FEED_PREFIX)
    moment = now or utcnow()
    row = session.get(CalendarFeed, principal.id)
    if row is None:
        row = CalendarFeed(user_id=principal.id)
        session.add(row)
    row.digest, row.prefix, row.created_at = security.digest(token), token[:12], moment
    session.flush()
    url = f"{public_url.rstrip('/')}{FEED_PATH.format(token=token)}"
    return NewFeedOut(prefix=row.prefix, created_at=moment, url=url)


def revoke_feed(session: Session, *, principal: Principal) -> bool:
    """Stop the caller's calendar link; whether there was one."""
    row = session.get(CalendarFeed, principal.id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def feed_calendar(session: Session, *, token: str, now: datetime | None = None) -> str:
    """The calendar of the person whose link `token` is (as `calendar`). An unknown or
    stopped link, or one of a deactivated user, is NotFound, with no hint which."""
    user_id = session.scalar(
        select(CalendarFeed.user_id).where(CalendarFeed.digest == security.digest(token))
    )
    ref = users_service.refs(session, [user_id]).get(user_id) if user_id else None
    user = users_service.get(session, username=ref.username) if ref else None
    if user is None or not user.is_active:
        raise NotFound("no such calendar")
    return _calendar(session, user, now or utcnow())


# --- changing --------------------------------------------------------------------------


def create(
    session: Session, *, principal: Principal, data: ScheduleIn, now: datetime | None = None
) -> ScheduleOut:
    """A new schedule; every participant must be an active user."""
    require_manager(principal)
    _check_name(session, data.name, None)
    moment = now or utcnow()
    row = OnCallSchedule(
        name=data.name,
        description=data.description,
        timezone=data.timezone,
        layers=_layers(session, data),
        version=1,
        created_at=moment,
        updated_at=moment,
    )
    session.add(row)
    session.flush()
    return _out(session, row, moment)


def replace(
    session: Session,
    *,
    principal: Principal,
    ref: str,
    data: ScheduleIn,
    version: int | None = None,
    now: datetime | None = None,
) -> ScheduleOut:
    """Replace a schedule's definition (its overrides stay). With `version`, refuse
    (409) if someone changed it since."""
    require_manager(principal)
    row = _get_or_raise(session, ref)
    if version is not None and version != row.version:
        raise Conflict(
            f"the schedule {row.name!r} was changed by someone else (version {row.version}, "
            f"you had {version}): reload it and make your change again"
        )
    _check_name(session, data.name, row.id)
    row.layers = _layers(session, data)
    row.name, row.description, row.timezone = data.name, data.description, data.timezone
    row.version += 1
    row.updated_at = now or utcnow()
    session.flush()
    return _out(session, row, row.updated_at)


def remove(session: Session, *, principal: Principal, ref: str) -> None:
    """Remove a schedule and its overrides."""
    require_manager(principal)
    row = _get_or_raise(session, ref)
    session.execute(delete(OnCallOverride).where(OnCallOverride.schedule_id == row.id))
    session.delete(row)
    session.flush()


def add_override(
    session: Session,
    *,
    principal: Principal,
    ref: str,
    data: OverrideIn,
    now: datetime | None = None,
) -> OverrideOut:
    """Someone takes over the schedule for a while (it must end in the future)."""
    require_manager(principal)
    row = _get_or_raise(session, ref)
    moment = now or utcnow()
    rules.Override(data.start, data.end, data.user)  # the rules' own checks
    if data.end <= moment:
        raise ValidationFailed(
            "an override must end in the future: it would change nothing",
            errors=[{"loc": ["end"], "msg": "in the past", "type": "value_error"}],
        )
    if data.end - data.start > timedelta(days=MAX_RANGE_DAYS):
        raise ValidationFailed(
            f"an override lasts at most {MAX_RANGE_DAYS} days: change the rotation instead",
            errors=[{"loc": ["end"], "msg": "too long", "type": "value_error"}],
        )
    user = _active_user(session, data.user, ("user",))
    override = OnCallOverride(
        schedule_id=row.id,
        user_id=user.id,
        start_at=data.start,
        end_at=data.end,
        reason=data.reason,
        created_by=principal.username,
        created_at=moment,
    )
    session.add(override)
    session.flush()
    return _override_out(override, _ref(user))


def remove_override(session: Session, *, principal: Principal, ref: str, override_id: int) -> None:
    """Take back an override."""
    require_manager(principal)
    row = _get_or_raise(session, ref)
    found = session.get(OnCallOverride, override_id)
    if found is None or found.schedule_id != row.id:
        raise NotFound(f"no override {override_id} on the schedule {row.name!r}")
    session.delete(found)
    session.flush()


# --- internals -------------------------------------------------------------------------


def _calendar(session: Session, user: Any, moment: datetime) -> str:
    """The person's shifts from a week before `moment` to 92 days ahead, as iCalendar."""
    start = moment - timedelta(days=7)
    mine = user_shifts(
        session, username=user.username, start=start, end=start + timedelta(days=MAX_RANGE_DAYS)
    )
    as_rules = [
        rules.Shift(s.user.username, s.start, s.end, f"{s.schedule} ({s.source})") for s in mine
    ]
    return rules.ical(
        as_rules,
        calendar_name=user.display_name or user.username,
        uid_prefix=f"oncall-{user.id}",
        now=moment,
    )


def _require_staff(principal: Principal) -> None:
    if not principal.can(Permission.READ):
        raise PermissionDenied("only staff may see on-call schedules")


def require_manager(principal: Principal) -> None:
    """Refuse with 403 unless the caller may change schedules and overrides."""
    if not principal.can(Permission.MANAGE_ONCALL):
        raise PermissionDenied("only supervisors and admins may change on-call schedules")


def _get_or_raise(session: Session, ref: str) -> OnCallSchedule:
    stmt = select(OnCallSchedule)
    found = None
    if ref.isdigit():
        found = session.scalar(stmt.where(OnCallSchedule.id == int(ref)))
    if found is None:
        found = session.scalar(stmt.where(OnCallSchedule.name == ref))
    if found is None:
        raise NotFound(f"no on-call schedule {ref!r}")
    return found


def _check_name(session: Session, name: str, own_id: int | None) -> None:
    other = session.scalar(select(OnCallSchedule.id).where(OnCallSchedule.name == name))
    if other is not None and other != own_id:
        raise Conflict(f"a schedule named {name!r} exists already")
    if name.isdigit():
        raise ValidationFailed(
            "a schedule's name must not be a number (numbers are ids)",
            errors=[{"loc": ["name"], "msg": "a number", "type": "value_error"}],
        )


def _check_range(start: datetime, end: datetime) -> None:
    if end <= start:
        raise ValidationFailed(
            "the end must be after the start",
            errors=[{"loc": ["end"], "msg": "before the start", "type": "value_error"}],
        )
    if end - start > timedelta(days=MAX_RANGE_DAYS):
        raise ValidationFailed(
            f"ask for at most {MAX_RANGE_DAYS} days of shifts at once",
            errors=[{"loc": ["end"], "msg": "range too long", "type": "value_error"}],
        )


def _active_user(session: Session, username: str, loc: tuple[Any, ...]) -> Any:
    user = users_service.get(session, username=username)
    if user is None or not user.is_active:
        raise ValidationFailed(
            f"no active user {username!r}",
            errors=[{"loc": builtins.list(loc), "msg": "unknown user", "type": "value_error"}],
        )
    return user


def _layers(session: Session, data: ScheduleIn) -> builtins.list[dict[str, Any]]:
    """The layers as stored, after the rules accept them (and the time zone)."""
    try:
        rules.validate_zone(data.timezone)
    except ValidationFailed as exc:
        raise ValidationFailed(
            exc.detail,
            errors=[{"loc": ["timezone"], "msg": exc.detail, "type": "value_error"}],
        ) from exc
    stored = []
    for i, layer in enumerate(data.layers):
        for j, name in enumerate(layer.participants):
            _active_user(session, name, ("layers", i, "participants", j))
        entry = _layer_dict(layer)
        try:
            _layer(entry)
        except ValidationFailed as exc:
            raise ValidationFailed(
                f"layer {i + 1}: {exc.detail}",
                errors=[{"loc": ["layers", i], "msg": exc.detail, "type": "value_error"}],
            ) from exc
        stored.append(entry)
    return stored


def _layer_dict(layer: LayerIn) -> dict[str, Any]:
    return {
        "name": layer.name,
        "participants": builtins.list(layer.participants),
        "start_date": layer.start_date.isoformat(),
        "handoff": layer.handoff,
        "length": layer.length,
        "unit": layer.unit,
        "restrictions": [w.model_dump() for w in layer.restrictions],
    }


def _layer(entry: dict[str, Any]) -> rules.Layer:
    rotation = rules.Rotation(
        participants=tuple(entry["participants"]),
        start_date=date.fromisoformat(entry["start_date"]),
        handoff=rules.parse_clock(entry["handoff"], what="the handoff time"),
        length=int(entry["length"]),
        unit=entry["unit"],
    )
    windows = tuple(
        rules.Window(frozenset(w["days"]), _clock(w["start"]), _clock(w["end"]))
        for w in entry.get("restrictions") or []
    )
    return rules.Layer(rotation, windows)


def _clock(text: str) -> time:
    return rules.parse_clock(text, what="a restriction window's time")


def _schedule(session: Session, row: OnCallSchedule) -> rules.Schedule:
    return _as_rules(row, *_overrides(session, row))


def _overrides(
    session: Session, row: OnCallSchedule
) -> tuple[Sequence[OnCallOverride], dict[int, UserRef]]:
    """The schedule's overrides in the order they were made, and who takes over."""
    found = session.scalars(
        select(OnCallOverride)
        .where(OnCallOverride.schedule_id == row.id)
        .order_by(OnCallOverride.id)
    ).all()
    return found, users_service.refs(session, [o.user_id for o in found])


def _as_rules(
    row: OnCallSchedule, overrides: Sequence[OnCallOverride], names: dict[int, UserRef]
) -> rules.Schedule:
    made = tuple(rules.Override(o.start_at, o.end_at, names[o.user_id].username) for o in overrides)
    return rules.Schedule(row.timezone, tuple(_layer(e) for e in row.layers), made)


def _on_call(
    session: Session, row: OnCallSchedule, schedule: rules.Schedule, at: datetime
) -> OnCallOut:
    found = rules.shifts(schedule, at - LOOKAHEAD, at + LOOKAHEAD)
    current = next((s for s in found if s.start <= at < s.end), None)
    since = None
    if current is not None:  # the person may have been on call already just before
        since = next(s.start for s in found if s.user == current.user and s.start <= at <= s.end)
    user = _refs(session, [current.user])[current.user] if current else None
    return OnCallOut(
        schedule=row.name,
        schedule_id=row.id,
        at=at,
        user=user,
        since=since,
        until=current.end if current else None,
        source=current.source if current else None,
    )


def _out(session: Session, row: OnCallSchedule, at: datetime) -> ScheduleOut:
    overrides, by_id = _overrides(session, row)
    upcoming = sorted((o for o in overrides if o.end_at > at), key=lambda o: o.start_at)
    refs = _refs(session, {p for e in row.layers for p in e["participants"]})
    return ScheduleOut(
        id=row.id,
        name=row.name,
        description=row.description,
        timezone=row.timezone,
        layers=[_layer_out(e, refs) for e in row.layers],
        overrides=[_override_out(o, by_id[o.user_id]) for o in upcoming],
        on_call=_on_call(session, row, _as_rules(row, overrides, by_id), at),
        version=row.version,
    )


def _layer_out(entry: dict[str, Any], refs: dict[str, UserRef]) -> LayerOut:
    layer = _layer(entry)
    return LayerOut(
        name=entry.get("name") or "",
        participants=[refs[p] for p in entry["participants"]],
        start_date=date.fromisoformat(entry["start_date"]),
        handoff=entry["handoff"],
        length=entry["length"],
        unit=entry["unit"],
        restrictions=[
            WindowOut(
                days=sorted(w.days),
                start=f"{w.start:%H:%M}",
                end=f"{w.end:%H:%M}",
                text=w.describe(),
            )
            for w in layer.restrictions
        ],
    )


def _override_out(o: OnCallOverride, user: UserRef) -> OverrideOut:
    return OverrideOut(
        id=o.id, user=user, start=o.start_at, end=o.end_at, reason=o.reason, created_by=o.created_by
    )


def _shifts_out(
    session: Session, row: OnCallSchedule, found: Sequence[rules.Shift]
) -> builtins.list[ShiftOut]:
    refs = _refs(session, {s.user for s in found})
    return [
        ShiftOut(schedule=row.name, user=refs[s.user], start=s.start, end=s.end, source=s.source)
        for s in found
    ]


def _refs(session: Session, names: Any) -> dict[str, UserRef]:
    """User refs by user name; a name no longer known shows as itself."""
    wanted = sorted(set(names))
    known = users_service.refs_by_name(session, wanted)
    return {n: known.get(n) or UserRef(username=n, display_name=n) for n in wanted}


def _ref(user: Any) -> UserRef:
    return UserRef(username=user.username, display_name=user.display_name)
