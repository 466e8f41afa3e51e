"""The shape of bench.history's five years: types and their hours, hot spots, delays, clocks."""

from __future__ import annotations

import itertools
import math
import random
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import select

from bench import generate as g
from murphy.core import timers
from murphy.core.clock import isoformat
from murphy.core.db import Database
from murphy.sla import service as sla_service
from murphy.sla.changes import BREACH, subject
from murphy.taxonomy import service as taxonomy_service
from murphy.units import service as units_service
from murphy.units.models import Unit
from murphy.units.schemas import UnitIn
from murphy.users import service as users_service


def _curve(peak: float, width: float, base: float) -> list[float]:
    """24 hourly weights: a bump around `peak` (local hour, wrapping at midnight)."""
    out = []
    for h in range(24):
        d = min(abs(h + 0.5 - peak), 24 - abs(h + 0.5 - peak))
        out.append(base + math.exp(-(d * d) / (2 * width * width)))
    return out


NIGHT = _curve(1.5, 2.5, 0.05)  # alarms and break-ins: 23:00-04:00
DAY = _curve(13.0, 3.0, 0.08)  # thefts, medical calls, access: office hours
EVENING = _curve(21.0, 2.5, 0.10)  # assaults, vandalism
FLAT = _curve(14.0, 6.0, 0.5)

# code: (share, hours, weekend factor, season amplitude, day of year of the peak)
TYPES: dict[str, tuple[float, list[float], float, float, int]] = {
    "intrusion.alarm": (14, NIGHT, 1.4, 0.10, 15),
    "intrusion.break_in": (4, NIGHT, 1.3, 0.15, 330),
    "intrusion.trespass": (5, NIGHT, 1.2, 0.20, 190),
    "theft.vehicle.contents": (7, NIGHT, 1.1, 0.25, 350),
    "theft.property": (8, DAY, 0.6, 0.05, 100),
    "theft.personal": (7, DAY, 0.7, 0.10, 200),
    "theft.property.it": (2, DAY, 0.5, 0.05, 100),
    "theft.lost_found": (6, DAY, 0.8, 0.10, 200),
    "safety.medical": (9, DAY, 0.9, 0.20, 20),
    "safety.medical.injury": (4, DAY, 0.7, 0.25, 15),
    "safety.fire_alarm": (7, FLAT, 0.9, 0.10, 20),
    "safety.elevator": (3, DAY, 0.8, 0.10, 200),
    "access.tailgating": (6, DAY, 0.3, 0.05, 100),
    "access.lost_badge": (4, DAY, 0.3, 0.05, 250),
    "suspicious.person": (6, EVENING, 1.1, 0.20, 190),
    "suspicious.package": (1, DAY, 0.6, 0.05, 100),
    "violence.assault": (2, EVENING, 1.5, 0.20, 200),
    "violence.threat": (2, EVENING, 1.1, 0.10, 200),
    "violence.domestic": (0.5, EVENING, 1.2, 0.10, 360),
    "damage.vandalism": (4, EVENING, 1.4, 0.25, 200),
    "weather.severe": (1, FLAT, 1.0, 0.60, 20),
}
# site, zone, type, share of that type's incidents at that site that happen there
HOT_SPOTS = [
    ("HQ", "CARPARK", "theft.vehicle.contents", 0.75),
    ("HOSP", "ER-0-N", "violence.assault", 0.55),
    ("HOSP", "ER-0-N", "violence.threat", 0.45),
    ("UNI", "LIB-0-S", "theft.personal", 0.50),
    ("DC", "GATE-W", "intrusion.alarm", 0.45),
]
GROWTH = 0.08  # per year
UNITS_PER_SITE = 6


@dataclass(frozen=True)
class TypeInfo:
    """A type as the generator uses it."""

    id: int
    code: str
    name: str
    clearance: str | None
    impact: int
    urgency: int
    share: float
    hours: list[float]  # cumulative weights of the 24 local hours
    weekend: float
    season: tuple[float, int]


@dataclass
class Model:
    """Everything bench.history draws from: types, sites, hot spots, units, targets."""

    world: g.World
    types: list[TypeInfo]
    hot: dict[tuple[int, int], tuple[g.Place, float]]
    units: dict[int, list[tuple[int, str]]]
    matrix: list[list[int]]
    target_table: dict[tuple[int, int, int], dict[str, int | None]]
    db: Database

    def day_weight(self, day: date, first: date) -> float:
        """The relative volume of a day: growth, season, weekend."""
        years = (day - first).days / 365.25
        season = 1 + 0.12 * math.cos(2 * math.pi * (day.timetuple().tm_yday - 200) / 365.25)
        weekend = 0.85 if day.weekday() >= 5 else 1.0
        return float((1 + GROWTH) ** years * season * weekend)

    def picks(self, rng: random.Random, day: date, count: int) -> list[tuple[g.SiteInfo, TypeInfo]]:
        """`count` (site, type) pairs for a day: types weighted by weekend and season."""
        doy, weekend = day.timetuple().tm_yday, day.weekday() >= 5
        weights = []
        for t in self.types:
            amp, peak = t.season
            w = t.share * (t.weekend if weekend else 1.0)
            weights.append(w * (1 + amp * math.cos(2 * math.pi * (doy - peak) / 365.25)))
        kinds = rng.choices(self.types, weights=weights, k=count)
        sites = rng.choices(self.world.sites, weights=[s.weight for s in self.world.sites], k=count)
        return list(zip(sites, kinds, strict=True))

    def place(self, rng: random.Random, site: g.SiteInfo, kind: TypeInfo) -> g.Place | None:
        """The hot spot for its share of the type's incidents there, else anywhere."""
        hot = self.hot.get((site.id, kind.id))
        if hot is not None and rng.random() < hot[1]:
            return hot[0]
        r = rng.random()
        if r < 0.7 and site.zones:
            return rng.choice(site.zones)
        if r < 0.85 and site.buildings:
            return rng.choice(site.buildings)
        return None

    def plan(self, rng: random.Random, age: timedelta) -> str:
        """How far the incident got, by its age (as bench.generate)."""
        r = rng.random()
        if age < timedelta(days=2):
            table = [(0.40, "new"), (0.65, "triaged"), (0.85, "responding"), (0.95, "resolved")]
        else:
            table = [(0.002, "new"), (0.004, "triaged"), (0.006, "responding"), (0.02, "resolved")]
            table.append((0.08, "cancelled"))
        return g._pick(r, table) or ("cancelled" if age < timedelta(days=2) else "closed")

    def priority(self, rng: random.Random, kind: TypeInfo) -> tuple[int, int, int]:
        """The type's impact and urgency (now and then one step off) and the matrix's priority."""
        impact, urgency = kind.impact, kind.urgency
        if rng.random() < 0.15:
            impact = min(5, max(1, impact + rng.choice((-1, 1))))
        return impact, urgency, self.matrix[impact - 1][urgency - 1]

    def targets(self, priority: int, type_id: int, site_id: int) -> dict[str, int | None]:
        """The minutes of each clock (murphy.sla's table, read once per combination)."""
        key = (priority, type_id, site_id)
        if key not in self.target_table:
            with self.db.transaction(write=False) as s:
                t = sla_service.targets_for(s, priority=priority, type_id=type_id, site_id=site_id)
            self.target_table[key] = {
                "acknowledge": t.acknowledge,
                "respond": t.respond,
                "resolve": t.resolve,
            }
        return self.target_table[key]

    def times(
        self, rng: random.Random, reported: datetime, targets: dict[str, int | None], now: datetime
    ) -> dict[str, datetime | None]:
        """When each step happened; a few percent late on their targets; None after `now`."""

        def late(minutes: int | None, median: float, default: int) -> timedelta:
            f = math.exp(rng.gauss(math.log(median), 0.6))
            return timedelta(seconds=round(60 * (minutes or default) * f))

        t: dict[str, datetime] = {"classified": reported + timedelta(seconds=rng.randint(10, 90))}
        t["acknowledged"] = max(
            reported + late(targets["acknowledge"], 0.35, 30),
            t["classified"] + timedelta(seconds=1),
        )
        t["triaged"] = t["acknowledged"] + timedelta(seconds=rng.randint(20, 300))
        t["responding"] = max(
            reported + late(targets["respond"], 0.3, 90), t["triaged"] + timedelta(seconds=10)
        )
        t["resolved"] = max(
            reported + late(targets["resolve"], 0.2, 24 * 60),
            t["responding"] + timedelta(minutes=rng.randint(5, 60)),
        )
        t["closed"] = t["resolved"] + timedelta(minutes=rng.randint(10, 3 * 24 * 60))
        t["cancelled"] = reported + timedelta(minutes=rng.randint(2, 120))
        return {k: (v if v < now else None) for k, v in t.items()}

    def classified(
        self, kind: TypeInfo, impact: int, urgency: int, priority: int
    ) -> dict[str, Any]:
        """The data of the `classified` entry (as murphy.incidents.triage.classify)."""
        before = {
            "type": None,
            "type_name": None,
            "impact": None,
            "urgency": None,
            "priority": None,
            "override": None,
        }
        return {
            "type": kind.code,
            "type_name": kind.name,
            "impact": impact,
            "urgency": urgency,
            "priority": priority,
            "override": None,
            "before": before,
        }

    def clock(
        self,
        kind: str,
        row: dict[str, Any],
        minutes: int,
        met: datetime | None,
        end: datetime | None,
        now: datetime,
    ) -> tuple[dict[str, Any], dict[str, Any] | None]:
        """A clock row as murphy.sla leaves it, and its breach (due time and entry data)."""
        started = row["reported_at"]
        due = started + timedelta(minutes=minutes)
        horizon = met or end or now
        breached = due if due <= horizon else None
        paused = end if met is None and end is not None else None
        reason = f"stopped: incident {row['status']}" if paused else ""
        clock = {
            "incident_id": row["id"],
            "kind": kind,
            "started_at": started,
            "target_minutes": minutes,
            "due_at": due,
            "met_at": met,
            "breached_at": breached,
            "paused_at": paused,
            "pause_reason": reason,
            "paused_seconds": 0,
        }
        if breached is None:
            return clock, None
        data = {
            "clock": kind,
            "due_at": isoformat(due),
            "target_minutes": minutes,
            "started_at": isoformat(started),
        }
        return clock, {"due": due, "data": data}


def ensure_units(db: Database, world: g.World) -> dict[int, list[tuple[int, str]]]:
    """A few units per site, added through murphy.units.service if a site has none."""
    with db.transaction() as s:
        have = {site_id for (site_id,) in s.execute(select(Unit.site_id).where(Unit.active))}
        admin = users_service.principal(s, users_service.get_or_raise(s, username="admin"))
        for site in world.sites:
            if site.id in have:
                continue
            for i in range(1, UNITS_PER_SITE + 1):
                data = UnitIn(
                    callsign=f"{site.code}-{i}",
                    name=f"{site.code} patrol {i}",
                    site=site.code,
                    on_duty=True,
                )
                units_service.create(s, principal=admin, data=data)
    with db.transaction(write=False) as s:
        rows = s.execute(select(Unit.site_id, Unit.id, Unit.callsign).where(Unit.active)).all()
    out: dict[int, list[tuple[int, str]]] = {}
    for site_id, unit_id, callsign in rows:
        out.setdefault(site_id, []).append((unit_id, callsign))
    return out


def build_model(db: Database, world: g.World, units: dict[int, list[tuple[int, str]]]) -> Model:
    """The types of the database (the corporate pack loaded if it has none) and hot spots."""
    with db.transaction() as s:
        if not taxonomy_service.tree(s):
            taxonomy_service.load_pack(s, name="corporate", actor="bench")
    with db.transaction(write=False) as s:
        found = {code: taxonomy_service.get(s, code=code) for code in TYPES}
        matrix = sla_service.matrix(s).matrix
    types = []
    for code, (share, hours, weekend, amp, peak) in TYPES.items():
        t = found[code]
        if t is None or not t.active:
            continue
        cum = list(itertools.accumulate(hours))
        types.append(
            TypeInfo(
                t.id,
                t.code,
                t.name,
                t.clearance,
                t.default_impact or 3,
                t.default_urgency or 3,
                share,
                cum,
                weekend,
                (amp, peak),
            )
        )
    if not types:
        raise SystemExit(
            "none of the generator's types are in the taxonomy: load the corporate pack"
        )
    by_code = {t.code: t for t in types}
    hot: dict[tuple[int, int], tuple[g.Place, float]] = {}
    for site_code, zone, code, share in HOT_SPOTS:
        site = next((x for x in world.sites if x.code == site_code), None)
        place = next((p for p in site.zones if p.codes["zone"] == zone), None) if site else None
        if site and place and code in by_code:
            hot[(site.id, by_code[code].id)] = (place, share)
    if any(not units.get(s.id) for s in world.sites):
        raise SystemExit("a site has no active unit")
    return Model(world, types, hot, units, matrix, {}, db)


def schedule_timers(db: Database, due: list[tuple[str, int, str, datetime]]) -> None:
    """The breach timers of the clocks still running (as murphy.sla arms them)."""
    with db.transaction() as s:
        for number, incident_id, kind, at in due:
            payload = {"incident_id": incident_id, "clock": kind}
            timers.schedule(
                s, kind=BREACH, subject=subject(number, kind), due_at=at, payload=payload
            )
