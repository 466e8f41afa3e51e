"""Bans' pure rules: status against now, the period and serving checks, the verdict."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, tzinfo

from murphy.bans.schemas import BanKind, BanStatus, ServedHow, Verdict
from murphy.core.errors import ValidationFailed

MAX_YEARS = 10


@dataclass(frozen=True)
class Period:
    """The times that decide a ban's status."""

    starts_at: datetime
    ends_at: datetime
    lifted_at: datetime | None = None

    def status(self, now: datetime) -> BanStatus:
        """Lifted, upcoming, active or expired, against `now`."""
        if self.lifted_at is not None:
            return BanStatus.LIFTED
        if now < self.starts_at:
            return BanStatus.UPCOMING
        return BanStatus.ACTIVE if now < self.ends_at else BanStatus.EXPIRED

    @property
    def ended_at(self) -> datetime:
        """When it stopped (or will stop) keeping the person off."""
        return self.lifted_at if self.lifted_at is not None else self.ends_at


@dataclass(frozen=True)
class Serving:
    """How a trespass notice was served (all None for a plain ban)."""

    at: datetime | None = None
    by: str | None = None
    how: ServedHow | None = None


def check_period(starts_at: datetime, ends_at: datetime, now: datetime) -> None:
    """Refuse an end not after the start, already past, or more than ten years on."""
    if ends_at <= now:
        raise ValidationFailed("ends_at: that is already past; a ban must end in the future")
    if ends_at <= starts_at:
        raise ValidationFailed("ends_at: the ban must end after it starts")
    if ends_at > years_on(starts_at, MAX_YEARS):
        raise ValidationFailed(f"ends_at: a ban lasts at most {MAX_YEARS} years")


def years_on(start: datetime, years: int) -> datetime:
    """The same day and time `years` on (29 February: 1 March)."""
    try:
        return start.replace(year=start.year + years)
    except ValueError:
        return start.replace(year=start.year + years, month=3, day=1)


def check_serving(kind: BanKind, given: Serving, *, now: datetime, issuer: str) -> Serving:
    """A trespass notice's serving (defaults: now, by the issuer); none for a ban."""
    if kind is BanKind.BAN:
        if given.how is not None or given.at is not None or given.by:
            raise ValidationFailed("served_how: only a trespass notice is served")
        return Serving()
    if given.how is None:
        raise ValidationFailed("served_how: say how the notice was served (in_person, post, email)")
    at = given.at or now
    if at > now + timedelta(minutes=5):
        raise ValidationFailed("served_at: that is in the future; give when it was served")
    return Serving(at=at, by=given.by or issuer, how=given.how)


def check_sites(codes: Sequence[str]) -> list[str]:
    """The site codes given, upper-case, each once; at least one."""
    out = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    if not out:
        raise ValidationFailed("sites: give at least one site the ban covers")
    return out


@dataclass(frozen=True)
class Covering:
    """A ban as the verdict weighs it: its id, sites and period."""

    id: int
    site_ids: frozenset[int]
    period: Period


def verdict(
    bans: Sequence[Covering], site_id: int, now: datetime
) -> tuple[Verdict, Covering | None]:
    """The answer for one person at one site, with the ban that decides it: an active ban
    of the site (the one ending last), else one elsewhere, else one to come, else ended."""
    active = [b for b in bans if b.period.status(now) is BanStatus.ACTIVE]
    here = [b for b in active if site_id in b.site_ids]
    if here:
        return Verdict.BANNED_HERE, max(here, key=lambda b: b.period.ends_at)
    if active:
        return Verdict.BANNED_ELSEWHERE, max(active, key=lambda b: b.period.ends_at)
    upcoming = [b for b in bans if b.period.status(now) is BanStatus.UPCOMING]
    if upcoming:
        return Verdict.UPCOMING, min(upcoming, key=lambda b: b.period.starts_at)
    if not bans:
        raise ValueError("a verdict needs at least one ban")
    return Verdict.ENDED, max(bans, key=lambda b: b.period.ended_at)


VERDICT_ORDER = (Verdict.BANNED_HERE, Verdict.BANNED_ELSEWHERE, Verdict.UPCOMING, Verdict.ENDED)


def days_period(
    first: date | None, last: date, tz: tzinfo, today: date
) -> tuple[datetime | None, datetime]:
    """A ban given in days, in the site's zone: from the start of its first day (None,
    meaning now, when that is today or not given) to 23:59 of its last day."""
    starts_at = None
    if first is not None and first != today:
        starts_at = datetime.combine(first, time(), tzinfo=tz)
    ends_at = datetime.combine(last + timedelta(days=1), time(), tzinfo=tz) - timedelta(minutes=1)
    return starts_at, ends_at
