"""The three demo sites: a hospital, an office campus and a data centre, with their places."""

from __future__ import annotations

import math
from dataclasses import dataclass

from sqlalchemy.orm import Session

from murphy.sites import service as sites_service
from murphy.sites.schemas import BuildingIn, FloorIn, SiteIn, ZoneIn

HOSPITAL, CAMPUS, DATACENTER = "SAMC", "TPC", "AMS1"

Zones = tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class FloorSpec:
    """A floor and the zones on it."""

    code: str
    name: str
    level: int
    zones: Zones = ()


@dataclass(frozen=True)
class BuildingSpec:
    """A building and its floors."""

    code: str
    name: str
    floors: tuple[FloorSpec, ...]


@dataclass(frozen=True)
class SiteSpec:
    """A site, its buildings and the zones outside any building."""

    code: str
    name: str
    timezone: str
    address: str
    buildings: tuple[BuildingSpec, ...]
    outdoor: Zones


_HOSPITAL = SiteSpec(
    HOSPITAL,
    "St. Aldric Medical Center",
    "America/Chicago",
    "2750 W. Devonwood Avenue, Chicago, IL 60625, USA",
    (
        BuildingSpec(
            "MAIN",
            "Main Tower",
            (
                FloorSpec(
                    "B1",
                    "Basement",
                    -1,
                    (
                        ("PHARM", "Inpatient pharmacy"),
                        ("DOCK", "Loading dock"),
                        ("MORGUE", "Morgue"),
                    ),
                ),
                FloorSpec(
                    "L1",
                    "Level 1",
                    1,
                    (
                        ("ED-TRIAGE", "ED triage"),
                        ("ED-WAIT", "ED waiting room"),
                        ("ED-BAYS", "ED treatment bays"),
                        ("ED-AMB", "Ambulance entrance"),
                        ("LOBBY", "Main lobby"),
                        ("GIFT", "Gift shop"),
                        ("CAFE", "Cafeteria"),
                    ),
                ),
                FloorSpec(
                    "L2", "Level 2", 2, (("RAD", "Radiology department"), ("LAB", "Laboratory"))
                ),
                FloorSpec(
                    "L3", "Level 3", 3, (("ICU", "Intensive care unit"), ("OR", "Surgical suites"))
                ),
                FloorSpec(
                    "L4",
                    "Level 4",
                    4,
                    (("4W", "4 West medical ward"), ("4E", "4 East surgical ward")),
                ),
                FloorSpec("L5", "Level 5", 5, (("BHU", "Behavioral health unit"),)),
                FloorSpec("L6", "Level 6", 6, (("6W", "6 West oncology ward"),)),
                FloorSpec("RF", "Roof", 7, (("HELIPAD", "Helipad"),)),
            ),
        ),
        BuildingSpec(
            "WCP",
            "Women & Children's Pavilion",
            (
                FloorSpec("L1", "Level 1", 1, (("WCP-LOBBY", "Pavilion lobby"),)),
                FloorSpec("L2", "Level 2", 2, (("LND", "Labor & delivery unit"),)),
                FloorSpec(
                    "L3",
                    "Level 3",
                    3,
                    (("MATERNITY", "Maternity ward"), ("NURSERY", "Newborn nursery")),
                ),
                FloorSpec(
                    "L4", "Level 4", 4, (("PEDS", "Pediatric ward"), ("NICU", "Neonatal ICU"))
                ),
            ),
        ),
        BuildingSpec(
            "GAR",
            "Visitor parking garage",
            (
                FloorSpec("P1", "Level P1", 1, (("GAR-P1", "Garage P1"),)),
                FloorSpec("P2", "Level P2", 2, (("GAR-P2", "Garage P2"),)),
                FloorSpec("P3", "Level P3", 3, (("GAR-P3", "Garage P3"),)),
                FloorSpec("P4", "Level P4 (roof)", 4, (("GAR-P4", "Garage roof deck"),)),
            ),
        ),
        BuildingSpec(
            "MOB",
            "Medical Office Building",
            (
                FloorSpec("L1", "Level 1", 1, (("MOB-LOBBY", "MOB lobby"),)),
                FloorSpec("L2", "Level 2", 2, (("CLINICS", "Outpatient clinics"),)),
            ),
        ),
    ),
    (
        ("ENTRANCE", "Main entrance drive"),
        ("SMOKING", "Smoking shelter"),
        ("LOT-E", "East staff lot"),
    ),
)

_CAMPUS = SiteSpec(
    CAMPUS,
    "Thameside Park Campus",
    "Europe/London",
    "1 Riverside Way, Thameside Park, London SE10 0TP, United Kingdom",
    (
        BuildingSpec(
            "FDY",
            "Foundry House",
            (
                FloorSpec(
                    "G",
                    "Ground floor",
                    0,
                    (("FDY-RECEP", "Foundry House reception"), ("GATES", "Reception speed gates")),
                ),
                FloorSpec(
                    "1",
                    "Level 1",
                    1,
                    (("DATAROOM", "Data room"), ("FDY-1", "Level 1 open-plan office")),
                ),
                FloorSpec("2", "Level 2", 2, (("FDY-2", "Level 2 open-plan office"),)),
                FloorSpec("3", "Level 3", 3, (("FDY-3", "Level 3 open-plan office"),)),
                FloorSpec(
                    "5", "Level 5", 5, (("EXEC", "Executive suite"), ("BOARDROOM", "Boardroom"))
                ),
            ),
        ),
        BuildingSpec(
            "MILL",
            "Mill House",
            (
                FloorSpec("LG", "Lower ground", -1, (("GYM", "Staff gym"),)),
                FloorSpec(
                    "G",
                    "Ground floor",
                    0,
                    (("MILL-RECEP", "Mill House reception"), ("CAFETERIA", "Staff restaurant")),
                ),
                FloorSpec("1", "Level 1", 1, (("MILL-1", "Level 1 open-plan office"),)),
                FloorSpec("2", "Level 2", 2, (("LAB", "Innovation lab"),)),
            ),
        ),
        BuildingSpec(
            "HUB",
            "Logistics Hub",
            (FloorSpec("G", "Ground floor", 0, (("DOCK", "Loading dock"), ("POST", "Post room"))),),
        ),
    ),
    (
        ("CP-NORTH", "North car park"),
        ("CP-VISIT", "Visitor car park"),
        ("CYCLES", "Cycle shelter"),
        ("GATE-W", "West vehicle gate"),
        ("FENCE", "Perimeter fence (river path)"),
        ("PLAZA", "Central plaza"),
    ),
)

_DATACENTER = SiteSpec(
    DATACENTER,
    "Noordhaven Data Centre AMS1",
    "Europe/Amsterdam",
    "Noordhavenweg 12, 1047 HX Amsterdam, Netherlands",
    (
        BuildingSpec(
            "DC",
            "Data centre building",
            (
                FloorSpec(
                    "0",
                    "Ground floor",
                    0,
                    (
                        ("SECLOBBY", "Security lobby"),
                        ("MANTRAP", "Mantrap"),
                        ("LOADBAY", "Loading bay"),
                        ("SHIPREC", "Shipping & receiving area"),
                        ("BUILDROOM", "Customer build room"),
                    ),
                ),
                FloorSpec(
                    "1",
                    "First floor",
                    1,
                    (("DH1", "Data hall 1"), ("DH2", "Data hall 2"), ("MMR", "Meet-me room")),
                ),
                FloorSpec(
                    "2",
                    "Second floor",
                    2,
                    (
                        ("DH3", "Data hall 3"),
                        ("NOC", "Network operations centre"),
                        ("LOUNGE", "Customer lounge"),
                    ),
                ),
                FloorSpec("R", "Roof", 3, (("ROOF", "Roof plant area"),)),
            ),
        ),
        BuildingSpec(
            "ENC",
            "Energy centre",
            (
                FloorSpec(
                    "0",
                    "Ground floor",
                    0,
                    (("UPS", "UPS and battery rooms"), ("SWGR", "Switchgear room")),
                ),
            ),
        ),
    ),
    (
        ("GENYARD", "Generator yard"),
        ("FUEL", "Fuel tank farm"),
        ("GATEHOUSE", "Vehicle gate and gatehouse"),
        ("FENCE-N", "Fence line north"),
        ("FENCE-E", "Fence line east (canal side)"),
        ("FENCE-S", "Fence line south"),
        ("FENCE-W", "Fence line west"),
        ("CARPARK", "Staff and visitor car park"),
    ),
)

SITES: tuple[SiteSpec, ...] = (_HOSPITAL, _CAMPUS, _DATACENTER)

# Where the (invented) sites are: the centre of each, in WGS 84 degrees. Buildings stand
# in a row 90 m apart east of the centre; outdoor zones on a ring 180 m around it. Zones
# inside a building share its coordinates (their floor says more than a map would).
CENTRES: dict[str, tuple[float, float]] = {
    HOSPITAL: (41.97030, -87.69520),
    CAMPUS: (51.50120, 0.00560),
    DATACENTER: (52.40960, 4.83010),
}
_M_PER_DEG_LAT = 111_320.0


def offset(site: str, east_m: float, north_m: float) -> tuple[float, float]:
    """The point `east_m` east and `north_m` north of a demo site's centre."""
    lat, lon = CENTRES[site]
    per_deg_lon = _M_PER_DEG_LAT * math.cos(math.radians(lat))
    return round(lat + north_m / _M_PER_DEG_LAT, 6), round(lon + east_m / per_deg_lon, 6)


def _building_spot(site: str, index: int) -> tuple[float, float]:
    return offset(site, 90.0 * index - 45.0, 0.0)


def _outdoor_spot(site: str, index: int, count: int) -> tuple[float, float]:
    angle = 2 * math.pi * index / max(count, 1)
    return offset(site, 180.0 * math.cos(angle), 180.0 * math.sin(angle))


TIMEZONES: dict[str, str] = {s.code: s.timezone for s in SITES}


def zone_codes(site: str) -> set[str]:
    """Every zone code of a demo site (for checks)."""
    spec = next(s for s in SITES if s.code == site)
    inside = {z for b in spec.buildings for f in b.floors for z, _ in f.zones}
    return inside | {z for z, _ in spec.outdoor}


def create_sites(session: Session) -> None:
    """Create the three sites with their buildings, floors and zones."""
    for spec in SITES:
        lat, lon = CENTRES[spec.code]
        site = sites_service.create(
            session,
            data=SiteIn(
                code=spec.code,
                name=spec.name,
                timezone=spec.timezone,
                address=spec.address,
                latitude=lat,
                longitude=lon,
            ),
        )
        for i, b in enumerate(spec.buildings):
            lat, lon = _building_spot(spec.code, i)
            building = sites_service.add_building(
                session,
                site=site,
                data=BuildingIn(code=b.code, name=b.name, latitude=lat, longitude=lon),
            )
            for f in b.floors:
                sites_service.add_floor(
                    session,
                    building=building,
                    data=FloorIn(code=f.code, name=f.name, level=f.level),
                )
                for code, name in f.zones:
                    zone = ZoneIn(code=code, name=name, building=b.code, floor=f.code)
                    sites_service.add_zone(session, site=site, data=zone)
        for i, (code, name) in enumerate(spec.outdoor):
            lat, lon = _outdoor_spot(spec.code, i, len(spec.outdoor))
            zone = ZoneIn(code=code, name=name, latitude=lat, longitude=lon)
            sites_service.add_zone(session, site=site, data=zone)
