"""Use cases for sites and places. Never commits: the caller owns the transaction."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow, zone
from murphy.core.errors import Conflict, NotFound, ValidationFailed
from murphy.sites import rules
from murphy.sites.models import Building, Floor, Site, Zone
from murphy.sites.schemas import (
    BuildingIn,
    BuildingOut,
    FloorIn,
    FloorOut,
    NamedRef,
    PlaceIn,
    PlaceOut,
    SiteDetail,
    SiteIn,
    SiteOut,
    ZoneIn,
)


@dataclass(frozen=True)
class PlaceIds:
    """A place as stored on a record: ids inside one site, plus free text."""

    site_id: int
    building_id: int | None = None
    floor_id: int | None = None
    zone_id: int | None = None
    detail: str = ""


def place_codes(session: Session, place: PlaceIds) -> dict[str, str | None]:
    """The codes of a place, as timelines and exports record it."""
    (out,) = describe(session, [place])
    return codes(out)


def codes(place: PlaceOut) -> dict[str, str | None]:
    """The codes of a described place."""
    return {
        "building": place.building.code if place.building else None,
        "floor": place.floor.code if place.floor else None,
        "zone": place.zone.code if place.zone else None,
        "detail": place.detail,
    }


def to_out(site: Site) -> SiteOut:
    """The API shape of a site."""
    return SiteOut(code=site.code, name=site.name, timezone=site.timezone, address=site.address)


def create(session: Session, *, data: SiteIn, now: datetime | None = None) -> Site:
    """Add a site; its code must be new and its time zone real."""
    code = rules.normalize_code(data.code, what="site code")
    zone(data.timezone)
    if get(session, code=code) is not None:
        raise Conflict(f"site {code} already exists")
    site = Site(
        code=code,
        name=data.name,
        timezone=data.timezone,
        address=data.address,
        created_at=now or utcnow(),
    )
    session.add(site)
    _flush(session, f"site {code} already exists")
    return site


def list(session: Session) -> Sequence[Site]:
    """Every site, by code."""
    return session.scalars(select(Site).order_by(Site.code)).all()


def get(session: Session, *, code: str) -> Site | None:
    """The site with this code, or None."""
    return session.scalar(select(Site).where(Site.code == code.strip().upper()))


def get_or_raise(session: Session, *, code: str) -> Site:
    """The site with this code, or NotFound."""
    site = get(session, code=code)
    if site is None:
        raise NotFound(f"no site with code {code!r}")
    return site


def get_by_ids(session: Session, ids: Iterable[int]) -> dict[int, Site]:
    """Sites by id, for the ids given."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {s.id: s for s in session.scalars(select(Site).where(Site.id.in_(wanted)))}


def ids_for_codes(session: Session, codes: Iterable[str]) -> dict[str, int]:
    """Site ids for site codes; an unknown code is a clear error."""
    wanted = {c.strip().upper() for c in codes}
    found = dict(session.execute(select(Site.code, Site.id).where(Site.code.in_(wanted))).all())
    missing = sorted(wanted - found.keys())
    if missing:
        raise ValidationFailed(f"unknown site code(s): {', '.join(missing)}")
    return found


def add_building(session: Session, *, site: Site, data: BuildingIn) -> Building:
    """Add a building to a site."""
    building = Building(
        site_id=site.id, code=rules.normalize_code(data.code, what="building code"), name=data.name
    )
    session.add(building)
    _flush(session, f"building {building.code} already exists on site {site.code}")
    return building


def add_floor(session: Session, *, building: Building, data: FloorIn) -> Floor:
    """Add a floor to a building."""
    floor = Floor(
        building_id=building.id,
        code=rules.normalize_code(data.code, what="floor code"),
        name=data.name,
        level=data.level,
    )
    session.add(floor)
    _flush(session, f"floor {floor.code} already exists in building {building.code}")
    return floor


def add_zone(session: Session, *, site: Site, data: ZoneIn) -> Zone:
    """Add a zone to a site, optionally inside a building and on one of its floors."""
    building = _building(session, site, data.building) if data.building else None
    floor = _floor(session, building, data.floor) if (building and data.floor) else None
    if data.floor and building is None:
        raise ValidationFailed("a zone on a floor needs its building too")
    z = Zone(
        site_id=site.id,
        building_id=building.id if building else None,
        floor_id=floor.id if floor else None,
        code=rules.normalize_code(data.code, what="zone code", max_len=24),
        name=data.name,
    )
    session.add(z)
    _flush(session, f"zone {z.code} already exists on site {site.code}")
    return z


def resolve_place(session: Session, *, site: Site, place: PlaceIn | None) -> PlaceIds:
    """Check a place against the site's buildings, floors and zones; return its ids.

    A zone implies its building and floor; naming a different building or floor
    alongside it is an error rather than a silent choice.
    """
    if place is None:
        return PlaceIds(site_id=site.id)
    building = _building(session, site, place.building) if place.building else None
    floor = None
    if place.floor:
        if building is None:
            raise ValidationFailed("place.floor needs place.building")
        floor = _floor(session, building, place.floor)
    z = _zone(session, site, place.zone) if place.zone else None
    if z is not None:
        if building is not None and z.building_id not in (None, building.id):
            raise ValidationFailed(f"zone {z.code} is not in building {building.code}")
        if floor is not None and z.floor_id not in (None, floor.id):
            raise ValidationFailed(f"zone {z.code} is not on floor {floor.code}")
        building_id = building.id if building else z.building_id
        floor_id = floor.id if floor else z.floor_id
    else:
        building_id = building.id if building else None
        floor_id = floor.id if floor else None
    return PlaceIds(site.id, building_id, floor_id, z.id if z else None, place.detail)


def describe(session: Session, places: Sequence[PlaceIds]) -> list[PlaceOut]:
    """Human-readable places for many records at once (three small queries at most)."""
    b_ids = {p.building_id for p in places if p.building_id}
    f_ids = {p.floor_id for p in places if p.floor_id}
    z_ids = {p.zone_id for p in places if p.zone_id}
    buildings = _names(session, Building, b_ids)
    floors = _names(session, Floor, f_ids)
    zones = _names(session, Zone, z_ids)
    out = []
    for p in places:
        b = buildings.get(p.building_id) if p.building_id else None
        f = floors.get(p.floor_id) if p.floor_id else None
        z = zones.get(p.zone_id) if p.zone_id else None
        label = rules.place_label(
            b.name if b else None, f.name if f else None, z.name if z else None, p.detail
        )
        out.append(PlaceOut(building=b, floor=f, zone=z, detail=p.detail, label=label))
    return out


def detail(session: Session, *, site: Site) -> SiteDetail:
    """A site with its buildings, floors and zones, for pickers and admin pages."""
    buildings = session.scalars(
        select(Building).where(Building.site_id == site.id).order_by(Building.code)
    ).all()
    floors = session.scalars(
        select(Floor)
        .where(Floor.building_id.in_([b.id for b in buildings]))
        .order_by(Floor.level, Floor.code)
    ).all()
    zones = session.scalars(select(Zone).where(Zone.site_id == site.id).order_by(Zone.code)).all()
    out = SiteDetail(**to_out(site).model_dump())
    by_building = {b.id: BuildingOut(code=b.code, name=b.name) for b in buildings}
    by_floor: dict[int, FloorOut] = {}
    for f in floors:
        by_floor[f.id] = FloorOut(code=f.code, name=f.name, level=f.level)
        by_building[f.building_id].floors.append(by_floor[f.id])
    for z in zones:
        ref = NamedRef(code=z.code, name=z.name)
        if z.floor_id is not None:
            by_floor[z.floor_id].zones.append(ref)
        else:
            out.outdoor_zones.append(ref)
    out.buildings = [*by_building.values()]
    return out


def _names(session: Session, model: type[Building | Floor | Zone], ids: set[int]) -> dict[int, NamedRef]:
    if not ids:
        return {}
    rows = session.execute(select(model.id, model.code, model.name).where(model.id.in_(ids)))
    return {row.id: NamedRef(code=row.code, name=row.name) for row in rows}


def building(session: Session, *, site: Site, code: str) -> Building:
    """The building with this code on a site, or a clear error."""
    return _building(session, site, code)


def _building(session: Session, site: Site, code: str) -> Building:
    found = session.scalar(
        select(Building).where(Building.site_id == site.id, Building.code == code.strip().upper())
    )
    if found is None:
        raise ValidationFailed(f"site {site.code} has no building {code!r}")
    return found


def _floor(session: Session, building: Building, code: str) -> Floor:
    found = session.scalar(
        select(Floor).where(Floor.building_id == building.id, Floor.code == code.strip().upper())
    )
    if found is None:
        raise ValidationFailed(f"building {building.code} has no floor {code!r}")
    return found


def _zone(session: Session, site: Site, code: str) -> Zone:
    found = session.scalar(select(Zone).where(Zone.site_id == site.id, Zone.code == code.strip().upper()))
    if found is None:
        raise ValidationFailed(f"site {site.code} has no zone {code!r}")
    return found


def _flush(session: Session, message: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message) from exc
