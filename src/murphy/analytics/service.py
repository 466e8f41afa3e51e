"""The dashboard's figures for a filter, from the incident facts (`analytics.models`: one
narrow row per incident) the caller may see (`incidents.service.visible_to`: sites, own
reports and restricted types). Counts are SQL aggregates; the percentiles are taken in
Python from the durations of the period, a few integers per incident.

`dashboard` is the entry point, also for reports (monthly management report)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import chain
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, case, func, literal, select
from sqlalchemy.orm import Session

from murphy.analytics import changes, places, queries, rules
from murphy.analytics.models import IncidentFact
from murphy.analytics.schemas import (
    KINDS,
    PRIORITIES,
    Bucket,
    Comparison,
    Compliance,
    Count,
    DashboardOut,
    Durations,
    Filters,
    Measure,
    Period,
    Volume,
)
from murphy.core.clock import utcnow, zone
from murphy.core.errors import NotFound, ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.sites import service as sites_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users.schemas import Permission, Principal

FACTS = IncidentFact.__table__
ByPriority = dict[int | None, list[int]]  # a measure's sorted seconds by priority
DEFAULT_ZONE = "UTC"  # the dates of "all sites" are read in UTC (each hour in its site's zone)
EFFECTIVE = (("yes", "Yes, it fixed it"), ("partly", "Partly"), ("no", "No"))
MEASURES = (
    ("mtta", "Time to acknowledge"),
    ("on_scene", "Time to on scene"),
    ("mttr", "Time to resolve"),
)


@dataclass(frozen=True)
class Scope:
    """A resolved filter: the SQL condition without dates, the site and the dates' zone."""

    where: ColumnElement[bool]
    site_id: int | None
    tz: ZoneInfo


def dashboard(session: Session, *, principal: Principal, filters: Filters) -> DashboardOut:
    """Every figure of the dashboard for `filters`, as `principal` may see them."""
    incidents_service.require(principal, Permission.REPORTS, "see analytics")
    scope = _scope(session, principal, filters)
    today = utcnow().astimezone(scope.tz).date()
    first, last = rules.period(filters.start, filters.end, today)
    before = rules.previous(first, last)
    now_where = _dated(scope, first, last)
    then_where = _dated(scope, *before)
    kinds = places.kinds_by_place(session, now_where)
    volume = _volume(session, scope, now_where, first, last, kinds)
    durations = _durations(session, now_where)
    times = [_measure(durations[key], key, label) for key, label in MEASURES]
    compliance, effectiveness = _outcomes(session, now_where)
    return DashboardOut(
        filters=filters,
        period=_period(first, last, scope.tz),
        previous=_period(*before, scope.tz),
        volume=volume,
        times=times,
        compliance=compliance,
        effectiveness=effectiveness,
        places=places.busiest(session, kinds),
        details=places.as_typed(session, now_where),
        hot_spots=places.hot_spots(session, scope.site_id, kinds),
        comparison=_comparison(session, then_where, volume.total, times, compliance),
    )


def _period(first: date, last: date, tz: ZoneInfo) -> Period:
    return Period(start=first, end=last, timezone=str(tz), days=(last - first).days + 1)


def _table() -> Any:
    return FACTS


def _scope(session: Session, principal: Principal, filters: Filters) -> Scope:
    """The condition of the filter (site, type tree, exercises) and of what may be seen."""
    t = _table()
    where: list[ColumnElement[bool]] = [incidents_service.visible_to(principal, t.c)]
    site_id, tz = None, zone(DEFAULT_ZONE)
    if filters.site:
        try:
            site = sites_service.get_visible_or_raise(
                session, principal=principal, code=filters.site
            )
        except NotFound:
            raise ValidationFailed(f"unknown site {filters.site!r}") from None
        site_id, tz = site.id, zone(site.timezone)
        where.append(t.c.site_id == site.id)
    if filters.type:
        found = taxonomy_service.get_or_raise(session, code=filters.type)
        ids = taxonomy_service.descendants(session, [found.code]) or {found.id}
        where.append(t.c.type_id.in_(sorted(ids)))
    if not filters.exercises:
        where.append(t.c.exercise.is_(False))
    return Scope(where=and_(*where), site_id=site_id, tz=tz)


def _dated(scope: Scope, first: date, last: date) -> ColumnElement[bool]:
    t = _table()
    lo, hi = rules.window(first, last, scope.tz)
    return and_(scope.where, t.c.reported_at >= lo, t.c.reported_at < hi)


# --- volume -------------------------------------------------------------------------


def _volume(
    session: Session,
    scope: Scope,
    where: ColumnElement[bool],
    first: date,
    last: date,
    kinds: Sequence[places.KindsAt],
) -> Volume:
    t = _table()
    n = func.count()
    per_type: dict[int | None, int] = defaultdict(int)
    for *_, type_id, count in kinds:
        per_type[type_id] += count
    by_type = list(per_type.items())
    hours = session.execute(
        select(t.c.site_id, t.c.hour, n).where(where).group_by(t.c.site_id, t.c.hour)
    ).all()
    per_site: dict[int, int] = defaultdict(int)
    for site_id, _, count in hours:
        per_site[site_id] += count
    by_site = list(per_site.items())
    sites = sites_service.get_by_ids(session, list(per_site))
    zones = {i: zone(s.timezone) for i, s in sites.items()}
    if scope.site_id is not None:
        zones = defaultdict(lambda: scope.tz, zones)
    step = rules.step_for((last - first).days + 1)
    rows = [(zones.get(s, scope.tz), rules.hour_start(h), c) for s, h, c in hours]
    over_time, grid = rules.spread(rows, first, last, step)
    site_counts = [
        Count(key=sites[s].code, label=sites[s].name, count=c)
        for s, c in sorted(by_site, key=lambda r: -r[1])
        if s in sites
    ]
    return Volume(
        total=sum(c for _, c in by_site),
        by_type=_type_counts(session, by_type),
        by_site=site_counts,
        step=step,
        over_time=[Bucket(start=d, count=c) for d, c in over_time],
        hour_of_week=grid,
    )


def _type_counts(session: Session, rows: Sequence[Any]) -> list[Count]:
    ids = [r[0] for r in rows if r[0] is not None]
    names, codes = taxonomy_service.names(session, ids), taxonomy_service.codes(session, ids)
    labelled = [
        (
            codes.get(i, "untyped") if i else "untyped",
            names.get(i, "Untyped") if i else "Untyped",
            c,
        )
        for i, c in rows
    ]
    return [Count(key=k, label=label, count=c) for k, label, c in rules.top(labelled)]


# --- response times -----------------------------------------------------------------


def _durations(session: Session, where: ColumnElement[bool]) -> dict[str, ByPriority]:
    """Each measure's durations (seconds) by priority, sorted, from one read of the period:
    three integers per incident, fetched at once (not row by row)."""
    t = _table()
    stmt = select(t.c.priority, t.c.tta, t.c.tos, t.c.ttr).where(where)
    acknowledge, on_scene, resolve = (defaultdict(list) for _ in MEASURES)
    for priority, tta, tos, ttr in queries.plain_rows(session, stmt):
        if tta is not None:
            acknowledge[priority].append(tta)
        if tos is not None:
            on_scene[priority].append(tos)
        if ttr is not None:
            resolve[priority].append(ttr)
    out: dict[str, ByPriority] = dict(
        zip((key for key, _ in MEASURES), (acknowledge, on_scene, resolve), strict=True)
    )
    for per in out.values():
        for values in per.values():
            values.sort()
    return out


def _measure(durations: ByPriority, key: str, label: str) -> Measure:
    """Median, p90 and mean of one measure by priority and overall."""
    return Measure(
        key=key,
        label=label,
        overall=_stats(None, sorted(chain.from_iterable(durations.values()))),
        by_priority=[_stats(p, durations.get(p, [])) for p in PRIORITIES],
    )


def _stats(priority: int | None, values: Sequence[int]) -> Durations:
    return Durations(
        priority=priority,
        count=len(values),
        median=rules.percentile(values, 0.5),
        p90=rules.percentile(values, 0.9),
        mean=rules.mean(values),
    )


# --- service targets ----------------------------------------------------------------


def _outcomes(session: Session, where: ColumnElement[bool]) -> tuple[list[Compliance], list[Count]]:
    """Met, breached and open clocks by kind and priority, and the answers to "did it fix
    it?" (one grouped read)."""
    t = _table()
    keys = [t.c.priority, *(t.c[kind] for kind in KINDS), t.c.effective]
    rows = session.execute(select(*keys, func.count()).where(where).group_by(*keys))
    counts: dict[tuple[str, int | None], dict[str, int]] = defaultdict(lambda: defaultdict(int))
    answers: dict[str, int] = defaultdict(int)
    for priority, *outcomes, effective, n in rows:
        for kind, outcome in zip(KINDS, outcomes, strict=True):
            if outcome is not None:
                counts[(kind, priority)][outcome] += n
        if effective is not None:
            answers[effective] += n
    out = [
        Compliance(kind=k, priority=p, met=c["met"], breached=c["breached"], open=c["open"])
        for (k, p), c in counts.items()
    ]
    order = {k: i for i, k in enumerate(KINDS)}
    compliance = sorted(out, key=lambda c: (order.get(c.kind, 9), c.priority or 9))
    said = [Count(key=k, label=label, count=answers[k]) for k, label in EFFECTIVE if answers[k]]
    return compliance, said


def met_share(rows: Sequence[Compliance]) -> float | None:
    """The share of decided clocks (met or breached) that were met, all kinds together."""
    return rules.met_share(sum(r.met for r in rows), sum(r.breached for r in rows))


# --- this period against the previous one --------------------------------------------


def _comparison(
    session: Session,
    then: ColumnElement[bool],
    total: int,
    times: Sequence[Measure],
    compliance: Sequence[Compliance],
) -> list[Comparison]:
    """The previous period needs less: its count, the overall medians, the share met."""
    t = _table()
    outcome = [t.c[kind] for kind in KINDS]
    met = sum((case((c == "met", 1), else_=0) for c in outcome), start=literal(0))
    breached = sum((case((c == "breached", 1), else_=0) for c in outcome), start=literal(0))
    count, met_then, breached_then = session.execute(
        select(func.count(), func.sum(met), func.sum(breached)).where(then)
    ).one()
    out = [_compare("volume", "Incidents", total, count or 0, lower=True)]
    rows = queries.plain_rows(session, select(t.c.tta, t.c.ttr).where(then))
    measures = (m for m in times if m.key != "on_scene")
    for column, m in enumerate(measures):
        old = rules.percentile(sorted(r[column] for r in rows if r[column] is not None), 0.5)
        out.append(_compare(m.key, f"{m.label} (median)", m.overall.median, old, lower=True))
    old_share = rules.met_share(met_then or 0, breached_then or 0)
    out.append(
        _compare("met", "Service targets met", met_share(compliance), old_share, lower=False)
    )
    return out


def _compare(
    key: str, label: str, now: float | None, before: float | None, *, lower: bool
) -> Comparison:
    change = rules.delta(now, before)
    return Comparison(
        key=key,
        label=label,
        current=now,
        previous=before,
        delta=change,
        better=rules.better(change, lower_is_better=lower),
    )


def rebuild_facts(session: Session) -> int:
    """Rewrite the fact row of every incident (after a bulk load, or to repair them); how
    many there are. Refreshing them after each change is the analytics plugin's job."""
    return changes.rebuild(session.connection())
