"""Which unit to send, at 500 units: the recommendation's time, as a dispatcher waits for it.

    python -m bench.recommend [--db sqlite|postgresql|both] [--units 500] [--rounds 300]

For each database: a fresh database, the corporate pack, one large site (20 buildings of
5 floors with 4 zones each, 40 outdoor zones, all with coordinates), `--units` units with
mixed skills (80 % on duty; a third with a fresh GPS fix, a third in a zone, a third that
never said where they are) and 100 of them dispatched to other incidents. Then, in this
process: `units.service.recommend` for a triaged medical emergency (it needs first aid
and an AED), `--rounds` times, each in its own read transaction, as the API runs it
(reading every unit, their positions, their assignments and the places), and beside it
the ranking alone (`units.rules.recommend` on the same candidates, no database) to show
where the time goes. Like `murphy serve`, the process freezes what it built before
measuring (gc.freeze), so that full collections do not walk it. Prints p50 / p99 / max
and the Markdown table for docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import gc
import random
import statistics
import time
from typing import Any

from sqlalchemy import select

from bench import generate, run
from bench.timers import DEFAULT_PG
from murphy import plugins
from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn, IncidentCreate, PlaceIn, Status, TransitionIn
from murphy.sites import service as sites_service
from murphy.sites.schemas import BuildingIn, FloorIn, SiteIn, ZoneIn
from murphy.taxonomy import service as taxonomy_service
from murphy.units import rules, service
from murphy.units.models import Unit
from murphy.units.schemas import DispatchIn, PositionIn, UnitIn
from murphy.users import service as users_service
from murphy.users.schemas import Role, UserIn

console = run.console
CENTRE = (51.5, 0.0)
SKILL_SETS = (["first_aid", "aed"], ["first_aid"], ["armed"], ["first_aid", "aed", "k9"], [])
BUSY = 100


def build(db: Database, units: int, seed: int) -> tuple[Any, str]:
    """The site, the units and the incidents; the admin principal and the incident."""
    rng = random.Random(seed)
    with db.transaction() as s:
        taxonomy_service.load_pack(s, name="corporate", actor="bench")
        site = sites_service.create(
            s,
            data=SiteIn(code="BIG", name="Big campus", timezone="UTC", latitude=51.5, longitude=0),
        )
        zones = []
        for b in range(20):
            lat, lon = CENTRE[0] + 0.0008 * (b // 5), CENTRE[1] + 0.0012 * (b % 5)
            building = sites_service.add_building(
                s,
                site=site,
                data=BuildingIn(code=f"B{b}", name=f"B{b}", latitude=lat, longitude=lon),
            )
            for f in range(5):
                sites_service.add_floor(
                    s, building=building, data=FloorIn(code=str(f), name=f"F{f}", level=f)
                )
                for z in range(4):
                    code = f"B{b}F{f}Z{z}"
                    zone = ZoneIn(code=code, name=code, building=f"B{b}", floor=str(f))
                    sites_service.add_zone(s, site=site, data=zone)
                    zones.append(code)
        for z in range(40):
            lat, lon = CENTRE[0] + 0.004 * rng.random(), CENTRE[1] + 0.006 * rng.random()
            zone = ZoneIn(code=f"OUT{z}", name=f"Outdoor {z}", latitude=lat, longitude=lon)
            sites_service.add_zone(s, site=site, data=zone)
            zones.append(f"OUT{z}")
        user = users_service.create(
            s,
            data=UserIn(
                username="admin", role=Role.ADMIN, all_sites=True, password="bench-password-1"
            ),
        )
        admin = users_service.principal(s, user)
    with db.transaction() as s, generate.progress_bar(console) as bar:
        task = bar.add_task("units", total=units)
        for n in range(units):
            callsign = f"U{n:03d}"
            data = UnitIn(
                callsign=callsign,
                site="BIG",
                skills=SKILL_SETS[n % len(SKILL_SETS)],
                on_duty=rng.random() < 0.8,
            )
            service.create(s, principal=admin, data=data)
            where = n % 3
            if where == 0:
                lat, lon = CENTRE[0] + 0.004 * rng.random(), CENTRE[1] + 0.006 * rng.random()
                position = PositionIn(latitude=lat, longitude=lon, accuracy_m=10)
                service.report_position(s, principal=admin, callsign=callsign, data=position)
            elif where == 1:
                position = PositionIn(zone=rng.choice(zones))
                service.report_position(s, principal=admin, callsign=callsign, data=position)
            bar.advance(task)
    numbers = [_triaged(db, admin, rng.choice(zones), "intrusion.break_in") for _ in range(BUSY)]
    with db.transaction() as s:
        free = [u for u in service.board(s, principal=admin) if u.on_duty]
        for number, unit in zip(numbers, free, strict=False):
            service.dispatch(s, principal=admin, number=number, data=DispatchIn(unit=unit.callsign))
    return admin, _triaged(db, admin, "B7F3Z1", "safety.medical")


def _triaged(db: Database, admin: Any, zone: str, type_code: str) -> str:
    with db.transaction() as s:
        data = IncidentCreate(title="Bench incident", site="BIG", place=PlaceIn(zone=zone))
        number = incidents_service.report(s, principal=admin, data=data).number
        triage.classify(s, principal=admin, number=number, data=ClassifyIn(type=type_code))
        incidents_service.transition(
            s, principal=admin, number=number, data=TransitionIn(to=Status.TRIAGED)
        )
        return number


def bench_one(kind: str, units: int, rounds: int, pg_url: str) -> dict[str, Any]:
    options = run.Options([], [], 0, 0, 1, pg_url, False, False)
    with run.fresh_database(kind, options) as url:
        console.rule(f"[bold]{kind} · {units} units")
        run.murphy_cli(url, "db", "upgrade")
        db = Database(url, pool_size=2)
        plugins.install(db)
        try:
            admin, number = build(db, units, seed=7)
            with db.transaction(write=False) as s:
                first = service.recommend(s, principal=admin, number=number)
                incident = incidents_service.get_or_raise(s, principal=admin, number=number)
                now = utcnow()
                units_rows = s.scalars(select(Unit)).all()
                candidates = service._candidates(s, admin, units_rows, now)
                spot = service._incident_spot(s, incident)
            eligible = sum(p.eligible for p in first.picks)
            # As `murphy serve` does once started (app.py): what lives as long as the
            # process stays out of the collector's full passes.
            gc.collect()
            gc.freeze()
            full: list[float] = []
            ranking: list[float] = []
            with generate.progress_bar(console) as bar:
                task = bar.add_task(f"recommendations ({kind})", total=rounds)
                for _ in range(rounds):
                    started = time.perf_counter()
                    with db.transaction(write=False) as s:
                        service.recommend(s, principal=admin, number=number)
                    full.append(time.perf_counter() - started)
                    started = time.perf_counter()
                    rules.recommend(candidates, spot, first.skills)
                    ranking.append(time.perf_counter() - started)
                    bar.advance(task)
            best = first.picks[0]
            console.print(f"  best: {best.unit} · {best.reason} ({eligible} eligible)")
            return {
                "db": kind,
                "units": len(first.picks),
                "eligible": eligible,
                "best": best.reason,
                "recommend": _stats(full),
                "ranking": _stats(ranking),
            }
        finally:
            gc.unfreeze()
            db.dispose()


def _stats(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
        "max_ms": 1000 * ordered[-1],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--units", type=int, default=500)
    p.add_argument("--rounds", type=int, default=300)
    p.add_argument("--pg-url", default=DEFAULT_PG)
    args = p.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [bench_one(k, args.units, args.rounds, args.pg_url) for k in kinds]
    print(
        "| database | units (eligible) | recommendation p50 / p99 / max "
        "| ranking alone p50 / p99 | share of the ranking (p50) |"
    )
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        f, g = r["recommend"], r["ranking"]
        print(
            f"| {r['db']} | {r['units']} ({r['eligible']}) "
            f"| {f['p50_ms']:.1f} / {f['p99_ms']:.1f} / {f['max_ms']:.1f} ms "
            f"| {g['p50_ms']:.2f} / {g['p99_ms']:.2f} ms | {g['p50_ms'] / f['p50_ms']:.0%} |"
        )


if __name__ == "__main__":
    main()
