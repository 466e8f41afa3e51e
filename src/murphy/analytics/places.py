"""Where incidents happen: the busiest places and free-text locations with their types,
and the hot spots drawn on the site's map and on its floor plans."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from murphy.analytics.models import IncidentFact
from murphy.analytics.schemas import Count, HotPlan, HotSpot, HotSpots, HotZone, Place
from murphy.sites import service as sites_service
from murphy.taxonomy import service as taxonomy_service

FACTS = IncidentFact.__table__
PLACES = 10
PLANS = 3
NO_PLACE = "No building or zone given"  # floor plans drawn: the busiest ones
KindsAt = tuple[int, int | None, int | None, int | None, int]  # site, building, zone, type, n


def kinds_by_place(session: Session, where: ColumnElement[bool]) -> list[KindsAt]:
    """Incidents by (site, building, zone, type): the places and the volume by type."""
    t = FACTS
    keys = (t.c.site_id, t.c.building_id, t.c.zone_id, t.c.type_id)
    rows = session.execute(select(*keys, func.count()).where(where).group_by(*keys))
    return [(s, b, z, k, c) for s, b, z, k, c in rows]


def busiest(session: Session, rows: Sequence[KindsAt]) -> list[Place]:
    """The busiest places (site, building, zone) with the types there."""
    grouped: dict[tuple[int, int | None, int | None], list[tuple[int | None, int]]] = {}
    for s, b, z, type_id, c in rows:
        grouped.setdefault((s, b, z), []).append((type_id, c))
    ranked = sorted(grouped.items(), key=lambda kv: -sum(c for _, c in kv[1]))[:PLACES]
    ids = [sites_service.PlaceIds(site_id=s, building_id=b, zone_id=z) for (s, b, z), _ in ranked]
    labels = sites_service.labels(session, ids)
    return _place_list(
        session,
        [(k[0], lab or NO_PLACE, v) for (k, v), lab in zip(ranked, labels, strict=True)],
    )


def as_typed(session: Session, where: ColumnElement[bool]) -> list[Place]:
    """The most frequent free-text locations (as typed) with the types there."""
    t = FACTS
    detail = t.c.detail
    n = func.count()
    tops = session.execute(
        select(t.c.site_id, detail, n)
        .where(where, detail.is_not(None))
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


def hot_spots(session: Session, site_id: int | None, kinds: Sequence[KindsAt]) -> HotSpots | None:
    """For one site: its buildings and zones with coordinates, each with the incidents there
    (for the map), and its busiest floor plans with every drawn zone's count. None for all
    sites, or when the site has nothing to draw on."""
    if site_id is None:
        return None
    counts: dict[tuple[int | None, int | None], int] = defaultdict(int)
    for _, building_id, zone_id, _, n in kinds:
        counts[(building_id, zone_id)] += n
    keys = [k for k in counts if k != (None, None)]
    spots: dict[tuple[float, float], HotSpot] = {}
    where = [sites_service.PlaceIds(site_id=site_id, building_id=b, zone_id=z) for b, z in keys]
    found = sites_service.locate(session, where)
    # A place without coordinates of its own is drawn at its building, named after it.
    buildings = [
        sites_service.PlaceIds(site_id=site_id, building_id=at.building_id) for at in found
    ]
    names = sites_service.labels(session, buildings)
    for key, at, building in zip(keys, found, names, strict=True):
        if at.latitude is None or at.longitude is None or at.precision == "site":
            continue  # only the site's own point: nothing to tell apart on a map
        spot = spots.get((at.latitude, at.longitude))
        if spot is None:
            label = building if at.precision == "building" else at.label
            spot = spots[(at.latitude, at.longitude)] = HotSpot(
                label=label, latitude=at.latitude, longitude=at.longitude, count=0
            )
        spot.count += counts[key]
    plans = _plans(session, site_id, counts)
    if not spots and not plans:
        return None
    return HotSpots(spots=sorted(spots.values(), key=lambda s: -s.count), plans=plans)


def _plans(
    session: Session, site_id: int, counts: dict[tuple[int | None, int | None], int]
) -> list[HotPlan]:
    """The floors with a plan and incidents in their drawn zones, busiest first."""
    per_zone: dict[int, int] = defaultdict(int)
    for (_, zone_id), n in counts.items():
        if zone_id is not None:
            per_zone[zone_id] += n
    site = sites_service.get_by_ids(session, [site_id])[site_id]
    out: list[HotPlan] = []
    for building, floor in sites_service.planned_floors(session, site=site):
        plan = sites_service.plan_of(site=site, building=building, floor=floor)
        zones = [z for z in sites_service.zones_on(session, floor.id) if z.outline]
        if plan is None or not any(per_zone.get(z.id) for z in zones):
            continue
        out.append(
            HotPlan(
                name=f"{building.name} · {floor.name}",
                url=plan.url,
                width=plan.width,
                height=plan.height,
                zones=[
                    HotZone(
                        label=z.name,
                        count=per_zone.get(z.id, 0),
                        outline=[(float(x), float(y)) for x, y in z.outline or []],
                        centre=sites_service.outline_centre(z.outline or []),
                    )
                    for z in zones
                ],
            )
        )
    out.sort(key=lambda p: -sum(z.count for z in p.zones))
    return out[:PLANS]
