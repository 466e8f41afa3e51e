"""Use cases for sites and places. Never commits: the caller owns the transaction.

Lookups go through the in-memory `directory`; changes write the tables and invalidate it.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from murphy.core import images
from murphy.core.clock import utcnow, zone
from murphy.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from murphy.sites import directory, rules
from murphy.sites.directory import PlaceRow, SiteRow
from murphy.sites.models import Building, Floor, FloorPlan, Site, Zone
from murphy.sites.schemas import (
    BuildingIn,
    BuildingOut,
    FloorIn,
    FloorOut,
    NamedRef,
    OutlineIn,
    PlaceIn,
    PlaceOut,
    PlanOut,
    SiteDetail,
    SiteIn,
    SiteOut,
    ZoneIn,
    ZoneOut,
)
from murphy.users.schemas import Permission, Principal

__all__ = ["Located", "PlaceIds", "PlaceRow", "SiteRow"]

MAX_PLAN_BYTES = 20 * 1024 * 1024  # a floor plan exported at print resolution fits


@dataclass(frozen=True)
class PlaceIds:
    """A place as stored on a record: ids inside one site, plus free text."""

    site_id: int
    building_id: int | None = None
    floor_id: int | None = None
    zone_id: int | None = None
    detail: str = ""


def to_out(site: SiteRow) -> SiteOut:
    """The API shape of a site."""
    return SiteOut(
        code=site.code,
        name=site.name,
        timezone=site.timezone,
        address=site.address,
        latitude=site.latitude,
        longitude=site.longitude,
    )


def create(session: Session, *, data: SiteIn, now: datetime | None = None) -> SiteRow:
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
        latitude=data.latitude,
        longitude=data.longitude,
        created_at=now or utcnow(),
    )
    session.add(site)
    _flush(session, f"site {code} already exists")
    return SiteRow(
        site.id, site.code, site.name, site.timezone, site.address, site.latitude, site.longitude
    )


def list(session: Session) -> builtins.list[SiteRow]:
    """Every site, by code."""
    return sorted(directory.current(session).sites.values(), key=lambda s: s.code)


def get(session: Session, *, code: str) -> SiteRow | None:
    """The site with this code, or None."""
    return directory.site(session, code.strip().upper())


def get_or_raise(session: Session, *, code: str) -> SiteRow:
    """The site with this code, or NotFound."""
    site = get(session, code=code)
    if site is None:
        raise NotFound(f"no site with code {code!r}")
    return site


def visible(session: Session, *, principal: Principal) -> builtins.list[SiteRow]:
    """The sites `principal` may see, by code."""
    return [s for s in list(session) if principal.sees_site(s.id)]


def get_visible_or_raise(session: Session, *, principal: Principal, code: str) -> SiteRow:
    """The site with this code if `principal` may see it; otherwise NotFound, exactly as
    for a site that does not exist."""
    site = get(session, code=code)
    if site is None or not principal.sees_site(site.id):
        raise NotFound(f"no site with code {code!r}")
    return site


def get_by_ids(session: Session, ids: Iterable[int]) -> dict[int, SiteRow]:
    """Sites by id, for the ids given."""
    return directory.site_rows(session, ids)


def ids_for_codes(session: Session, codes: Iterable[str]) -> dict[str, int]:
    """Site ids for site codes; an unknown code is a clear error."""
    found = {}
    for raw in codes:
        site = get(session, code=raw)
        if site is None:
            raise ValidationFailed(f"unknown site code: {raw.strip().upper()}")
        found[site.code] = site.id
    return found


def add_building(session: Session, *, site: SiteRow, data: BuildingIn) -> PlaceRow:
    """Add a building to a site."""
    b = Building(
        site_id=site.id,
        code=rules.normalize_code(data.code, what="building code"),
        name=data.name,
        latitude=data.latitude,
        longitude=data.longitude,
    )
    session.add(b)
    _flush(session, f"building {b.code} already exists on site {site.code}")
    return PlaceRow(b.id, b.code, b.name, site.id, latitude=b.latitude, longitude=b.longitude)


def add_floor(session: Session, *, building: PlaceRow, data: FloorIn) -> PlaceRow:
    """Add a floor to a building."""
    f = Floor(
        building_id=building.id,
        code=rules.normalize_code(data.code, what="floor code"),
        name=data.name,
        level=data.level,
    )
    session.add(f)
    _flush(session, f"floor {f.code} already exists in building {building.code}")
    return PlaceRow(f.id, f.code, f.name, building.id, level=f.level)


def add_zone(session: Session, *, site: SiteRow, data: ZoneIn) -> PlaceRow:
    """Add a zone to a site, optionally inside a building and on one of its floors."""
    if data.floor and not data.building:
        raise ValidationFailed("a zone on a floor needs its building too")
    b = building(session, site=site, code=data.building) if data.building else None
    f = _floor(session, b, data.floor) if (b and data.floor) else None
    z = Zone(
        site_id=site.id,
        building_id=b.id if b else None,
        floor_id=f.id if f else None,
        code=rules.normalize_code(data.code, what="zone code", max_len=24),
        name=data.name,
        latitude=data.latitude,
        longitude=data.longitude,
    )
    session.add(z)
    _flush(session, f"zone {z.code} already exists on site {site.code}")
    return PlaceRow(
        z.id, z.code, z.name, site.id, 0, z.building_id, z.floor_id, z.latitude, z.longitude
    )


def building(session: Session, *, site: SiteRow, code: str) -> PlaceRow:
    """The building with this code on a site, or a clear error."""
    found = directory.place(session, "building_codes", (site.id, code.strip().upper()))
    if found is None:
        raise ValidationFailed(f"site {site.code} has no building {code!r}")
    return found


def resolve_place(session: Session, *, site: SiteRow, place: PlaceIn | None) -> PlaceIds:
    """Check a place against the site's buildings, floors and zones; return its ids.

    A zone implies its building and floor; naming a different building or floor
    alongside it is an error rather than a silent choice.
    """
    if place is None:
        return PlaceIds(site_id=site.id)
    b = building(session, site=site, code=place.building) if place.building else None
    f = None
    if place.floor:
        if b is None:
            raise ValidationFailed("place.floor needs place.building")
        f = _floor(session, b, place.floor)
    z = _zone(session, site, place.zone) if place.zone else None
    if z is None:
        return PlaceIds(site.id, b.id if b else None, f.id if f else None, None, place.detail)
    if b is not None and z.building_id not in (None, b.id):
        raise ValidationFailed(f"zone {z.code} is not in building {b.code}")
    if f is not None and z.floor_id not in (None, f.id):
        raise ValidationFailed(f"zone {z.code} is not on floor {f.code}")
    building_id = b.id if b else z.building_id
    floor_id = f.id if f else z.floor_id
    return PlaceIds(site.id, building_id, floor_id, z.id, place.detail)


def describe(session: Session, places: Sequence[PlaceIds]) -> builtins.list[PlaceOut]:
    """Human-readable places for many records at once, from the directory."""
    d = directory.current(session)
    if any(_unknown(d, p) for p in places):
        d = directory.current(session, fresh=True)
    return [_describe(d, p) for p in places]


def labels(session: Session, places: Sequence[PlaceIds]) -> builtins.list[str]:
    """Just the human labels of many places (a queue page): no objects built per row."""
    d = directory.current(session)
    if any(_unknown(d, p) for p in places):
        d = directory.current(session, fresh=True)
    return [_label(d, p) for p in places]


def _label(d: directory.Directory, p: PlaceIds) -> str:
    b = d.buildings.get(p.building_id) if p.building_id else None
    f = d.floors.get(p.floor_id) if p.floor_id else None
    z = d.zones.get(p.zone_id) if p.zone_id else None
    return rules.place_label(
        b.name if b else None, f.name if f else None, z.name if z else None, p.detail
    )


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


def detail(session: Session, *, site: SiteRow) -> SiteDetail:
    """A site with its buildings, floors and zones, for pickers and admin pages."""
    d = directory.current(session)
    out = SiteDetail(**to_out(site).model_dump())
    buildings = sorted((b for b in d.buildings.values() if b.parent_id == site.id), key=_by_code)
    by_floor: dict[int, FloorOut] = {}
    by_building: dict[int, BuildingOut] = {}
    for b in buildings:
        ref = by_building[b.id] = BuildingOut(
            code=b.code, name=b.name, latitude=b.latitude, longitude=b.longitude
        )
        floors = sorted(
            (f for f in d.floors.values() if f.parent_id == b.id), key=lambda f: (f.level, f.code)
        )
        for f in floors:
            by_floor[f.id] = FloorOut(
                code=f.code,
                name=f.name,
                level=f.level,
                plan=plan_of(site=site, building=b, floor=f),
            )
            ref.floors.append(by_floor[f.id])
        out.buildings.append(ref)
    for z in sorted((z for z in d.zones.values() if z.parent_id == site.id), key=_by_code):
        named = ZoneOut(
            code=z.code,
            name=z.name,
            latitude=z.latitude,
            longitude=z.longitude,
            outline=builtins.list(z.outline) if z.outline else None,
        )
        if z.floor_id in by_floor:
            by_floor[z.floor_id].zones.append(named)
        elif z.building_id in by_building:
            by_building[z.building_id].zones.append(named)
        else:
            out.outdoor_zones.append(named)
    return out


@dataclass(frozen=True)
class Located:
    """A place's ids filled in from its zone, its floor's level, and the coordinates of
    its most precise part that has them (zone, then building, then site)."""

    site_id: int
    building_id: int | None
    floor_id: int | None
    zone_id: int | None
    level: int | None
    latitude: float | None
    longitude: float | None
    precision: str | None  # which part the coordinates are of: zone | building | site
    label: str
    plan_x: float | None = None  # on the floor's plan: the centre of the zone's outline
    plan_y: float | None = None


def locate(session: Session, places: Sequence[PlaceIds]) -> builtins.list[Located]:
    """Where each place is, for distances and maps."""
    d = directory.current(session)
    if any(_unknown(d, p) for p in places):
        d = directory.current(session, fresh=True)
    return [_locate(d, p) for p in places]


def _locate(d: directory.Directory, p: PlaceIds) -> Located:
    z = d.zones.get(p.zone_id) if p.zone_id else None
    building_id = p.building_id or (z.building_id if z else None)
    floor_id = p.floor_id or (z.floor_id if z else None)
    b = d.buildings.get(building_id) if building_id else None
    f = d.floors.get(floor_id) if floor_id else None
    s = d.sites.get(p.site_id)
    lat = lon = precision = None
    for name, part in (("zone", z), ("building", b), ("site", s)):
        if part is not None and part.latitude is not None and part.longitude is not None:
            lat, lon, precision = part.latitude, part.longitude, name
            break
    x, y = outline_centre(z.outline) if z and z.outline else (None, None)
    return Located(
        site_id=p.site_id,
        building_id=building_id,
        floor_id=floor_id,
        zone_id=p.zone_id,
        level=f.level if f else None,
        latitude=lat,
        longitude=lon,
        precision=precision,
        label=_label(d, PlaceIds(p.site_id, building_id, floor_id, p.zone_id, p.detail)),
        plan_x=x,
        plan_y=y,
    )


# --- floor plans ------------------------------------------------------------------------


def floor_at(
    session: Session, *, site: SiteRow, building_code: str, floor_code: str
) -> tuple[PlaceRow, PlaceRow]:
    """A building of a site and one of its floors, named in a path; or NotFound."""
    b = directory.place(session, "building_codes", (site.id, building_code.strip().upper()))
    f = directory.place(session, "floor_codes", (b.id, floor_code.strip().upper())) if b else None
    if b is None or f is None:
        raise NotFound(f"site {site.code} has no floor {building_code}/{floor_code}")
    return b, f


def planned_floors(session: Session, *, site: SiteRow) -> builtins.list[tuple[PlaceRow, PlaceRow]]:
    """The floors of a site that have a plan, with their buildings: by building, then
    from the lowest level up."""
    d = directory.current(session)
    found = [
        (d.buildings[f.parent_id], f)
        for f in d.floors.values()
        if f.plan is not None and d.buildings[f.parent_id].parent_id == site.id
    ]
    return sorted(found, key=lambda bf: (bf[0].code, bf[1].level, bf[1].code))


def outline_centre(outline: Sequence[tuple[float, float]]) -> tuple[float, float]:
    """Where a marker for a drawn zone goes: its outline's centroid."""
    return rules.centre(builtins.list(outline))


def zones_on(session: Session, floor_id: int) -> builtins.list[PlaceRow]:
    """The zones on a floor, by code."""
    d = directory.current(session)
    return sorted((z for z in d.zones.values() if z.floor_id == floor_id), key=_by_code)


def plan_of(*, site: SiteRow, building: PlaceRow, floor: PlaceRow) -> PlanOut | None:
    """A floor's plan (where to fetch it, its size) as the directory knows it, or None."""
    if floor.plan is None:
        return None
    return PlanOut(
        url=_plan_url(site, building, floor, floor.plan.sha256),
        width=floor.plan.width,
        height=floor.plan.height,
        sha256=floor.plan.sha256,
    )


def set_plan(
    session: Session,
    *,
    principal: Principal,
    site: str,
    building_code: str,
    floor_code: str,
    upload: bytes,
    now: datetime | None = None,
) -> PlanOut:
    """Upload or replace a floor's plan picture (PNG, JPEG or WebP; metadata stripped).
    A replacement of another size scales the zones' outlines with it, so a plan exported
    again at another resolution keeps its drawing."""
    _may_manage(principal)
    row = get_visible_or_raise(session, principal=principal, code=site)
    b, f = floor_at(session, site=row, building_code=building_code, floor_code=floor_code)
    try:
        image = images.clean(upload, max_bytes=MAX_PLAN_BYTES)
    except images.ImageRefused as exc:
        raise ValidationFailed(f"floor plan refused: {exc}") from None
    width, height = images.dimensions(image)
    rules.check_plan_size(width, height)
    plan = session.get(FloorPlan, f.id)
    if plan is None:
        plan = FloorPlan(floor_id=f.id)
        session.add(plan)
    elif (plan.width, plan.height) != (width, height):
        _scale_outlines(session, f.id, width / plan.width, height / plan.height)
    plan.media_type = image.media_type
    plan.width, plan.height = width, height
    plan.size = len(image.data)
    plan.sha256 = hashlib.sha256(image.data).hexdigest()
    plan.data = image.data
    plan.uploaded_by = principal.username
    plan.uploaded_at = now or utcnow()
    _flush(session, "the floor plan could not be saved")
    return PlanOut(
        url=_plan_url(row, b, f, plan.sha256), width=width, height=height, sha256=plan.sha256
    )


def remove_plan(
    session: Session, *, principal: Principal, site: str, building_code: str, floor_code: str
) -> None:
    """Remove a floor's plan, and the outlines drawn on it."""
    _may_manage(principal)
    row = get_visible_or_raise(session, principal=principal, code=site)
    _, f = floor_at(session, site=row, building_code=building_code, floor_code=floor_code)
    plan = session.get(FloorPlan, f.id)
    if plan is None:
        raise NotFound(f"floor {f.code} has no plan")
    session.delete(plan)
    for z in session.scalars(select(Zone).where(Zone.floor_id == f.id)):
        z.outline = None
    _flush(session, "the floor plan could not be removed")


def plan_picture(
    session: Session, *, principal: Principal, site: str, building_code: str, floor_code: str
) -> tuple[bytes, str, str]:
    """A floor plan's bytes, media type and SHA-256, for staff who see the site (a plan
    shows where the guards are not: reporters never get it)."""
    if not principal.can(Permission.READ):
        raise PermissionDenied("floor plans are for security staff")
    row = get_visible_or_raise(session, principal=principal, code=site)
    _, f = floor_at(session, site=row, building_code=building_code, floor_code=floor_code)
    plan = session.get(FloorPlan, f.id)
    if plan is None:
        raise NotFound(f"floor {f.code} has no plan")
    return plan.data, plan.media_type, plan.sha256


def set_outline(
    session: Session, *, principal: Principal, site: str, zone_code: str, data: OutlineIn | None
) -> ZoneOut:
    """Draw a zone on its floor's plan (or, with None, rub it out)."""
    _may_manage(principal)
    row = get_visible_or_raise(session, principal=principal, code=site)
    z = _zone(session, row, zone_code)
    stored = session.get_one(Zone, z.id)
    if data is not None:
        f = directory.current(session).floors.get(z.floor_id) if z.floor_id else None
        if f is None:
            raise ValidationFailed(f"zone {z.code} is on no floor: only zones on a floor are drawn")
        if f.plan is None:
            raise ValidationFailed(f"floor {f.code} has no plan yet: upload one first")
        points = rules.check_outline(data.points, width=f.plan.width, height=f.plan.height)
        stored.outline = [[x, y] for x, y in points]
    else:
        stored.outline = None
    _flush(session, "the outline could not be saved")
    return ZoneOut(
        code=stored.code,
        name=stored.name,
        latitude=stored.latitude,
        longitude=stored.longitude,
        outline=[(x, y) for x, y in stored.outline] if stored.outline else None,
    )


def _may_manage(principal: Principal) -> None:
    if not principal.can(Permission.MANAGE_SITES):
        raise PermissionDenied("only admins may change sites and their plans")


def _scale_outlines(session: Session, floor_id: int, sx: float, sy: float) -> None:
    for z in session.scalars(select(Zone).where(Zone.floor_id == floor_id)):
        if z.outline:
            z.outline = [[round(x * sx, 1), round(y * sy, 1)] for x, y in z.outline]


def _plan_url(site: SiteRow, b: PlaceRow, f: PlaceRow, sha256: str) -> str:
    path = "/".join(quote(c, safe="") for c in (site.code, b.code, f.code))
    return f"/api/v1/floor-plans/{path}?v={sha256[:12]}"


def _by_code(row: PlaceRow) -> str:
    return row.code


def _unknown(d: directory.Directory, p: PlaceIds) -> bool:
    return (
        (p.building_id is not None and p.building_id not in d.buildings)
        or (p.floor_id is not None and p.floor_id not in d.floors)
        or (p.zone_id is not None and p.zone_id not in d.zones)
    )


def _describe(d: directory.Directory, p: PlaceIds) -> PlaceOut:
    b = d.buildings.get(p.building_id) if p.building_id else None
    f = d.floors.get(p.floor_id) if p.floor_id else None
    z = d.zones.get(p.zone_id) if p.zone_id else None
    return PlaceOut(
        building=NamedRef(code=b.code, name=b.name) if b else None,
        floor=NamedRef(code=f.code, name=f.name) if f else None,
        zone=NamedRef(code=z.code, name=z.name) if z else None,
        detail=p.detail,
        label=_label(d, p),
    )


def _floor(session: Session, b: PlaceRow, code: str) -> PlaceRow:
    found = directory.place(session, "floor_codes", (b.id, code.strip().upper()))
    if found is None:
        raise ValidationFailed(f"building {b.code} has no floor {code!r}")
    return found


def _zone(session: Session, site: SiteRow, code: str) -> PlaceRow:
    found = directory.place(session, "zone_codes", (site.id, code.strip().upper()))
    if found is None:
        raise ValidationFailed(f"site {site.code} has no zone {code!r}")
    return found


def _flush(session: Session, message: str) -> None:
    try:
        session.flush()
    except IntegrityError as exc:
        raise Conflict(message) from exc
    finally:
        directory.invalidate(session)
