"""Recurrence monitoring: groups of incidents of one kind at one place that keep coming
back, proposed as candidate problems with the evidence (how often, when, what words)."""

from __future__ import annotations

import builtins
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, or_, select, tuple_
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow, zone
from murphy.core.errors import ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.problems import rules, service
from murphy.problems.schemas import Candidate
from murphy.sites import service as sites_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users.schemas import Principal


@dataclass(frozen=True)
class _Group:
    site_id: int
    building_id: int | None
    zone_id: int | None
    type_id: int | None


def candidates(
    session: Session,
    *,
    principal: Principal,
    days: int = 90,
    min_count: int = 4,
    site: str | None = None,
    now: datetime | None = None,
) -> builtins.list[Candidate]:
    """Groups of incidents of one kind at one place that keep coming back, with the
    evidence, strongest first; groups a live problem already covers are left out."""
    service.require_reader(principal)
    if not 7 <= days <= service.MAX_DAYS:
        raise ValidationFailed(f"days must be between 7 and {service.MAX_DAYS}")
    if min_count < 2:
        raise ValidationFailed("min_count must be at least 2")
    since = (now or utcnow()) - timedelta(days=days)
    site_id = (
        sites_service.get_visible_or_raise(session, principal=principal, code=site).id
        if site
        else None
    )
    groups = [
        g
        for g in _groups(session, principal, since, site_id, min_count)
        if not service.covers(session, **vars(g))
    ]
    members = _members(session, principal, since, groups)
    return sorted(_candidates(session, groups, members, days), key=lambda c: -c.score)


def _groups(
    session: Session, principal: Principal, since: datetime, site_id: int | None, min_count: int
) -> builtins.list[_Group]:
    t = incidents_service.analytics_table()
    place = or_(t.c.zone_id.is_not(None), t.c.building_id.is_not(None))
    where = [t.c.reported_at >= since, place, t.c.status != "merged", t.c.exercise.is_(False)]
    if site_id is not None:
        where.append(t.c.site_id == site_id)
    cols = (t.c.site_id, t.c.building_id, t.c.zone_id, t.c.type_id)
    stmt = (
        select(*cols)
        .where(*where, incidents_service.visible_to(principal))
        .group_by(*cols)
        .having(func.count() >= min_count)
    )
    return [_Group(*row) for row in session.execute(stmt)]


def _members(
    session: Session, principal: Principal, since: datetime, groups: Sequence[_Group]
) -> dict[_Group, builtins.list[Any]]:
    """Number, title and time of every incident of these groups, newest first."""
    out: dict[_Group, builtins.list[Any]] = defaultdict(list)
    if not groups:
        return out
    t = incidents_service.analytics_table()
    key = tuple_(t.c.site_id, func.coalesce(t.c.building_id, 0), func.coalesce(t.c.zone_id, 0))
    typed = func.coalesce(t.c.type_id, 0)
    wanted = {(g.site_id, g.building_id or 0, g.zone_id or 0) for g in groups}
    types = {g.type_id or 0 for g in groups}
    stmt = (
        select(
            t.c.site_id,
            t.c.building_id,
            t.c.zone_id,
            t.c.type_id,
            t.c.number,
            t.c.title,
            t.c.reported_at,
        )
        .where(t.c.reported_at >= since, t.c.status != "merged", t.c.exercise.is_(False))
        .where(key.in_(builtins.list(wanted)), typed.in_(builtins.list(types)))
        .where(incidents_service.visible_to(principal))
        .order_by(t.c.reported_at.desc())
    )
    chosen = set(groups)
    for row in session.execute(stmt):
        group = _Group(row.site_id, row.building_id, row.zone_id, row.type_id)
        if group in chosen:
            out[group].append(row)
    return out


def _candidates(
    session: Session, groups: Sequence[_Group], members: dict[_Group, builtins.list[Any]], days: int
) -> builtins.list[Candidate]:
    site_rows = sites_service.get_by_ids(session, {g.site_id for g in groups})
    type_ids = {g.type_id for g in groups if g.type_id}
    names, codes = (
        taxonomy_service.names(session, type_ids),
        taxonomy_service.codes(session, type_ids),
    )
    places = [sites_service.PlaceIds(g.site_id, g.building_id, None, g.zone_id) for g in groups]
    described = sites_service.describe(session, places)
    out = []
    for group, place in zip(groups, described, strict=True):
        rows = members.get(group, [])
        if not rows:
            continue
        site = site_rows[group.site_id]
        tz = zone(site.timezone)
        ev = rules.evidence(
            [r.reported_at.astimezone(tz) for r in rows], [r.title for r in rows], days
        )
        place_code = (
            place.zone.code if place.zone else place.building.code if place.building else None
        )
        type_code = codes.get(group.type_id) if group.type_id else None
        out.append(
            Candidate(
                key=f"{site.code}/{place_code or ''}/{type_code or ''}",
                site=site.code,
                place=place_code,
                place_label=place.label,
                type=type_code,
                type_name=names.get(group.type_id, "Unclassified")
                if group.type_id
                else "Unclassified",
                score=rules.score(ev),
                evidence=ev,
                incidents=[r.number for r in rows],
            )
        )
    return out
