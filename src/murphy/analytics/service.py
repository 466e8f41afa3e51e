"""The dashboard's figures for a filter, every one computed with SQL aggregates over the
incidents the caller may see (`incidents.service.visible_to`: sites and restricted types).

`dashboard` is the entry point, also for reports (monthly management report)."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, and_, func, or_, select
from sqlalchemy.orm import Session

from murphy.analytics import queries, rules
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
    Place,
    Volume,
)
from murphy.core.clock import utcnow, zone
from murphy.core.errors import NotFound, ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.sites import service as sites_service
from murphy.sla import service as sla_service
from murphy.taxonomy import service as taxonomy_service
from murphy.units import service as units_service
from murphy.users.schemas import Permission, Principal

DEFAULT_ZONE = "UTC"  # the dates of "all sites" are read in UTC (each hour in its site's zone)
MEASURES = (
    ("mtta", "Time to acknowledge"),
    ("on_scene", "Time to on scene"),
    ("mttr", "Time to resolve"),
)
PLACES = 10


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
    volume = _volume(session, scope, now_where, first, last)
    times = [_measure(session, now_where, key, label) for key, label in MEASURES]
    compliance = _compliance(session, now_where)
    return DashboardOut(
        filters=filters,
        period=_period(first, last, scope.tz),
        previous=_period(*before, scope.tz),
        volume=volume,
        times=times,
        compliance=compliance,
        places=_places(session, now_where),
        details=_details(session, now_where),
        comparison=_comparison(session, then_where, volume.total, times, compliance),
    )


def _period(first: date, last: date, tz: ZoneInfo) -> Period:
    return Period(start=first, end=last, timezone=str(tz), days=(last - first).days + 1)


def _table() -> Any:
    return incidents_service.analytics_table()


def _scope(session: Session, principal: Principal, filters: Filters) -> Scope:
    """The condition of the filter (site, type tree, exercises) and of what may be seen."""
    t = _table()
    where: list[ColumnElement[bool]] = [incidents_service.visible_to(principal)]
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
    session: Session, scope: Scope, where: ColumnElement[bool], first: date, last: date
) -> Volume:
    t = _table()
    n = func.count()
    by_site = session.execute(select(t.c.site_id, n).where(where).group_by(t.c.site_id)).all()
    by_type = session.execute(select(t.c.type_id, n).where(where).group_by(t.c.type_id)).all()
    hour = queries.utc_hour(session, t.c.reported_at)
    hours = session.execute(
        select(t.c.site_id, hour, n).where(where).group_by(t.c.site_id, hour)
    ).all()
    sites = sites_service.get_by_ids(session, [r[0] for r in by_site])
    zones = {i: zone(s.timezone) for i, s in sites.items()}
    if scope.site_id is not None:
        zones = defaultdict(lambda: scope.tz, zones)
    step = rules.step_for((last - first).days + 1)
    rows = [(zones.get(s, scope.tz), rules.utc_hour(h), c) for s, h, c in hours]
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


def _measure(session: Session, where: ColumnElement[bool], key: str, label: str) -> Measure:
    """Median, p90 and mean of one measure by priority and overall: the database ranks the
    durations (window functions) and returns only the rows at those ranks."""
    per: dict[int | None, dict[int, float]] = defaultdict(dict)
    sizes: dict[int | None, tuple[int, float]] = {}
    for row in session.execute(_ranked(session, where, key)):
        took = float(row.took)
        if row.rn_p in _ranks(row.n_p):
            per[row.p][row.rn_p] = took
            sizes[row.p] = (row.n_p, float(row.mean_p))
        if row.rn_a in _ranks(row.n_a):
            per[ALL][row.rn_a] = took
            sizes[ALL] = (row.n_a, float(row.mean_a))
    return Measure(
        key=key,
        label=label,
        overall=_stats(None, per[ALL], sizes.get(ALL)),
        by_priority=[_stats(p, per[p], sizes.get(p)) for p in PRIORITIES],
    )


ALL = -1  # the key of "every priority" while picking ranks
QUANTILES = (0.5, 0.9)


def _ranks(n: int) -> set[int]:
    """The 0-based ranks whose values give the median and the 90th percentile of n values."""
    return {r for q in QUANTILES for r in (math.floor((n - 1) * q), math.ceil((n - 1) * q))}


def _ranked(session: Session, where: ColumnElement[bool], key: str) -> Any:
    """Each duration with its rank and count by priority and overall, kept only at the ranks
    the percentiles need (one scan, the sorting done by the database)."""
    t = _table()
    if key == "on_scene":
        scene = units_service.first_on_scene()
        end = scene.c.on_scene_at
    else:
        end = t.c.acknowledged_at if key == "mtta" else t.c.resolved_at
    took = queries.seconds(session, t.c.reported_at, end).label("took")
    base = select(t.c.priority, took)
    if key == "on_scene":
        base = base.join(scene, scene.c.incident_id == t.c.id)
    sub = base.where(where, end.is_not(None), end >= t.c.reported_at).subquery("durations")
    ranked = select(
        sub.c.priority.label("p"),
        sub.c.took,
        (func.row_number().over(partition_by=sub.c.priority, order_by=sub.c.took) - 1).label(
            "rn_p"
        ),
        func.count().over(partition_by=sub.c.priority).label("n_p"),
        func.avg(sub.c.took).over(partition_by=sub.c.priority).label("mean_p"),
        (func.row_number().over(order_by=sub.c.took) - 1).label("rn_a"),
        func.count().over().label("n_a"),
        func.avg(sub.c.took).over().label("mean_a"),
    ).subquery("ranked")
    wanted = [ranked.c[f"rn_{w}"] == at for w in "pa" for at in _picks(ranked.c[f"n_{w}"] - 1)]
    return select(ranked).where(or_(*wanted))


def _picks(m: Any) -> list[Any]:
    """Floor and ceiling of m × q for q = 0.5 and 0.9 (m = n - 1), as integer SQL."""
    return [m * 5 // 10, (m * 5 + 9) // 10, m * 9 // 10, (m * 9 + 9) // 10]


def _stats(
    priority: int | None, at_rank: dict[int, float], size: tuple[int, float] | None
) -> Durations:
    n, mean = size or (0, None)
    return Durations(
        priority=priority,
        count=n,
        median=_pick(at_rank, n, 0.5),
        p90=_pick(at_rank, n, 0.9),
        mean=mean,
    )


def _pick(at_rank: dict[int, float], n: int, q: float) -> float | None:
    """The q-th percentile from the values at the two ranks around (n - 1) × q."""
    if not n:
        return None
    at = (n - 1) * q
    lo, hi = at_rank[math.floor(at)], at_rank[math.ceil(at)]
    return lo + (hi - lo) * (at - math.floor(at))


# --- service targets ----------------------------------------------------------------


def _compliance(session: Session, where: ColumnElement[bool]) -> list[Compliance]:
    t = _table()
    chosen = select(t.c.id, t.c.priority).where(where).subquery("chosen")
    rows = sla_service.compliance_counts(session, incidents=chosen)
    out = [Compliance(kind=k, priority=p, met=m, breached=b, open=o) for k, p, m, b, o in rows]
    order = {k: i for i, k in enumerate(KINDS)}
    return sorted(out, key=lambda c: (order.get(c.kind, 9), c.priority or 9))


def met_share(rows: Sequence[Compliance]) -> float | None:
    """The share of decided clocks (met or breached) that were met, all kinds together."""
    met = sum(r.met for r in rows)
    decided = met + sum(r.breached for r in rows)
    return met / decided if decided else None


# --- places -------------------------------------------------------------------------


def _places(session: Session, where: ColumnElement[bool]) -> list[Place]:
    """The busiest places (site, building, zone) with the types there."""
    t = _table()
    keys = (t.c.site_id, t.c.building_id, t.c.zone_id)
    rows = session.execute(
        select(*keys, t.c.type_id, func.count()).where(where).group_by(*keys, t.c.type_id)
    ).all()
    grouped: dict[tuple[int, int | None, int | None], list[tuple[int | None, int]]] = {}
    for s, b, z, type_id, c in rows:
        grouped.setdefault((s, b, z), []).append((type_id, c))
    ranked = sorted(grouped.items(), key=lambda kv: -sum(c for _, c in kv[1]))[:PLACES]
    ids = [sites_service.PlaceIds(site_id=s, building_id=b, zone_id=z) for (s, b, z), _ in ranked]
    labels = sites_service.labels(session, ids)
    return _place_list(
        session, [(k[0], lab, v) for (k, v), lab in zip(ranked, labels, strict=True)]
    )


def _details(session: Session, where: ColumnElement[bool]) -> list[Place]:
    """The most frequent free-text locations (as typed) with the types there."""
    t = _table()
    detail = func.lower(func.trim(t.c.location_detail))
    n = func.count()
    tops = session.execute(
        select(t.c.site_id, detail, n)
        .where(where, detail != "")
        .group_by(t.c.site_id, detail)
        .order_by(n.desc(), detail)
        .limit(PLACES)
    ).all()
    if not tops:
        return []
    types = session.execute(
        select(t.c.site_id, detail, t.c.type_id, n)
        .where(where, detail.in_({d for _, d, _ in tops}))
        .group_by(t.c.site_id, detail, t.c.type_id)
    ).all()
    by: dict[tuple[int, str], list[tuple[int | None, int]]] = defaultdict(list)
    for s, d, type_id, c in types:
        by[(s, d)].append((type_id, c))
    return _place_list(session, [(s, d, by[(s, d)]) for s, d, _ in tops])


def _place_list(
    session: Session, items: Sequence[tuple[int, str, list[tuple[int | None, int]]]]
) -> list[Place]:
    type_ids = {i for _, _, v in items for i, _ in v if i is not None}
    names, codes = (
        taxonomy_service.names(session, type_ids),
        taxonomy_service.codes(session, type_ids),
    )
    sites = sites_service.get_by_ids(session, {s for s, _, _ in items})
    out = []
    for site_id, label, counts in items:
        kinds = [
            Count(
                key=codes.get(i, "untyped") if i else "untyped",
                label=names.get(i, "Untyped") if i else "Untyped",
                count=c,
            )
            for i, c in sorted(counts, key=lambda x: -x[1])
        ]
        site = sites.get(site_id)
        out.append(
            Place(
                site=site.code if site else "",
                label=label,
                count=sum(c for _, c in counts),
                types=kinds[:5],
            )
        )
    return out


# --- this period against the previous one --------------------------------------------


def _comparison(
    session: Session,
    then: ColumnElement[bool],
    total: int,
    times: Sequence[Measure],
    compliance: Sequence[Compliance],
) -> list[Comparison]:
    t = _table()
    before = session.scalar(select(func.count()).select_from(t).where(then)) or 0
    out = [_compare("volume", "Incidents", total, before, lower=True)]
    for m in times:
        if m.key == "on_scene":
            continue
        old = _measure(session, then, m.key, m.label).overall.median
        out.append(_compare(m.key, f"{m.label} (median)", m.overall.median, old, lower=True))
    old_share = met_share(_compliance(session, then))
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
