"""An in-memory snapshot of every site, building, floor and zone, shared by requests.

Places are read on nearly every request (to report, to list, to show) and change a few
times a year, so a snapshot is kept per database and reloaded when this process changes
a place, when it is older than `TTL_SECONDS` (changes made by another process), or when
a code is looked up that the snapshot does not know (so a place just added elsewhere is
found at once).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from sqlalchemy import event, select
from sqlalchemy.orm import Session

from murphy.sites.models import Building, Floor, FloorPlan, Site, Zone

TTL_SECONDS = 10.0


@dataclass(frozen=True)
class SiteRow:
    """A site as the rest of Murphy sees it."""

    id: int
    code: str
    name: str
    timezone: str
    address: str = ""
    latitude: float | None = None
    longitude: float | None = None


@dataclass(frozen=True)
class PlanRow:
    """A floor's plan picture, without its bytes: its size in pixels and its SHA-256."""

    width: int
    height: int
    sha256: str


@dataclass(frozen=True)
class PlaceRow:
    """A building, floor or zone; `parent_id` is its site (building, zone) or building (floor)."""

    id: int
    code: str
    name: str
    parent_id: int
    level: int = 0
    building_id: int | None = None
    floor_id: int | None = None
    latitude: float | None = None
    longitude: float | None = None
    plan: PlanRow | None = None  # floors: the plan picture, when one was uploaded
    outline: tuple[tuple[float, float], ...] | None = None  # zones: corners on the plan


@dataclass
class Directory:
    """Every place, indexed by id and by code."""

    sites: dict[int, SiteRow] = field(default_factory=dict)
    buildings: dict[int, PlaceRow] = field(default_factory=dict)
    floors: dict[int, PlaceRow] = field(default_factory=dict)
    zones: dict[int, PlaceRow] = field(default_factory=dict)
    site_codes: dict[str, SiteRow] = field(default_factory=dict)
    building_codes: dict[tuple[int, str], PlaceRow] = field(default_factory=dict)
    floor_codes: dict[tuple[int, str], PlaceRow] = field(default_factory=dict)
    zone_codes: dict[tuple[int, str], PlaceRow] = field(default_factory=dict)

    def add_site(self, row: SiteRow) -> None:
        """Index a site."""
        self.sites[row.id] = row
        self.site_codes[row.code] = row

    def add_building(self, row: PlaceRow) -> None:
        """Index a building (parent: its site)."""
        self.buildings[row.id] = row
        self.building_codes[(row.parent_id, row.code)] = row

    def add_floor(self, row: PlaceRow) -> None:
        """Index a floor (parent: its building)."""
        self.floors[row.id] = row
        self.floor_codes[(row.parent_id, row.code)] = row

    def add_zone(self, row: PlaceRow) -> None:
        """Index a zone (parent: its site)."""
        self.zones[row.id] = row
        self.zone_codes[(row.parent_id, row.code)] = row


def load(session: Session) -> Directory:
    """Read every place from the database (five small queries; no plan pictures)."""
    d = Directory()
    for s in session.scalars(select(Site)):
        d.add_site(SiteRow(s.id, s.code, s.name, s.timezone, s.address, s.latitude, s.longitude))
    for b in session.scalars(select(Building)):
        d.add_building(
            PlaceRow(b.id, b.code, b.name, b.site_id, latitude=b.latitude, longitude=b.longitude)
        )
    plans = {
        row.floor_id: PlanRow(row.width, row.height, row.sha256)
        for row in session.execute(
            select(FloorPlan.floor_id, FloorPlan.width, FloorPlan.height, FloorPlan.sha256)
        )
    }
    for f in session.scalars(select(Floor)):
        d.add_floor(
            PlaceRow(f.id, f.code, f.name, f.building_id, level=f.level, plan=plans.get(f.id))
        )
    for z in session.scalars(select(Zone)):
        d.add_zone(
            PlaceRow(
                z.id,
                z.code,
                z.name,
                z.site_id,
                0,
                z.building_id,
                z.floor_id,
                z.latitude,
                z.longitude,
                outline=tuple((x, y) for x, y in z.outline) if z.outline else None,
            )
        )
    return d


_lock = threading.Lock()
_cache: dict[str, tuple[float, Directory]] = {}


def _key(session: Session) -> str:
    return str(session.get_bind().engine.url)


def current(session: Session, *, fresh: bool = False) -> Directory:
    """The snapshot for this session's database, reloaded if stale or if `fresh`."""
    key = _key(session)
    now = time.monotonic()
    with _lock:
        found = _cache.get(key)
    if found is not None and not fresh and now - found[0] < TTL_SECONDS:
        return found[1]
    directory = load(session)
    with _lock:
        _cache[key] = (now, directory)
    return directory


def invalidate(session: Session) -> None:
    """Forget the snapshot now, and again when this transaction ends (after changing a
    place), so no one keeps a snapshot taken between the change and its commit."""
    session.info[_DIRTY] = True
    _forget(session)


def forget_all() -> None:
    """Drop every snapshot (tests that empty tables behind the application's back)."""
    with _lock:
        _cache.clear()


def _forget(session: Session) -> None:
    with _lock:
        _cache.pop(_key(session), None)


def _on_end(session: Session, *_: object) -> None:
    if session.info.pop(_DIRTY, False):
        _forget(session)


_DIRTY = "murphy.sites.directory_dirty"
event.listen(Session, "after_commit", _on_end)
event.listen(Session, "after_soft_rollback", _on_end)


def site(session: Session, code: str) -> SiteRow | None:
    """The site with this code; on a miss, reload once and look again."""
    return current(session).site_codes.get(code) or current(session, fresh=True).site_codes.get(
        code
    )


def place(session: Session, index: str, key: tuple[int, str]) -> PlaceRow | None:
    """A building, floor or zone by (parent id, code) in the index `building_codes`,
    `floor_codes` or `zone_codes`; on a miss, reload once and look again."""
    found: PlaceRow | None = getattr(current(session), index).get(key)
    if found is None:
        found = getattr(current(session, fresh=True), index).get(key)
    return found


def site_rows(session: Session, ids: Iterable[int]) -> dict[int, SiteRow]:
    """Sites by id; reloads once if one is unknown."""
    wanted = set(ids)
    d = current(session)
    if not wanted <= d.sites.keys():
        d = current(session, fresh=True)
    return {i: d.sites[i] for i in wanted if i in d.sites}
