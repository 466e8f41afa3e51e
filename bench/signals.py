"""Alarm storms: signals per second through HTTP, de-duplication and correlation on.

    python -m bench.signals [--db sqlite|postgresql|both] [--duration 8] [--connections 32]

For each database: a fresh database, `murphy db upgrade`, the bench organization and a
few hundred incidents (`bench.generate`), an integration source whose mapping picks a
type, a zone, a severity and a device fingerprint, then the real server
(`bench.server:create`, one worker, as `murphy serve` runs it) and wrk on loopback.

The signals come from `--devices` devices (default 500) in zones of five: the first
signal of a zone opens an incident, the next devices of the zone are correlated into
it, and every repeat of a device is a duplicate counted on its signal. Every decision
is still written to the incident's timeline, as in production.

Measured, interleaved so that machine noise hits both alike:

1. the writer ceiling (`POST /bench/ceiling-writer`: one bare row through the same
   group-committing writer, no authentication, no domain logic) and the signals, flat
   out at `--connections`, twice each: signals per second and the ratio to the ceiling;
2. the signals at an offered rate of about 1,000 per second (`--paced-connections`
   connections, each pausing `--pace-ms` between its requests): p50 and p99.

The Markdown table for docs/benchmarks.md goes to stdout; every wrk run to
bench/results/<UTC time>/signals.json.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from bench import generate, wrk
from bench.run import (
    DEFAULT_PG,
    RESULTS,
    Options,
    Server,
    _check_alive,
    _print_run,
    check_once,
    console,
    fresh_database,
    machine,
    murphy_cli,
)
from bench.server import CEILING_WRITER_PATH
from murphy.core.db import Database
from murphy.signals import service as signals_service
from murphy.signals.models import Signal
from murphy.signals.schemas import SourceIn
from murphy.sites.models import Site
from murphy.taxonomy import service as taxonomy_service
from murphy.taxonomy.models import IncidentType
from murphy.users import service as users_service

PATH = "/api/v1/signals"
PER_ZONE = 5
EVENTS = ("Door forced", "Motion", "Glass break", "Door held open")


@dataclass
class Outcome:
    """One database's runs."""

    db: str
    runs: list[wrk.Result] = field(default_factory=list)
    signals_stored: int = 0
    signals_counted: int = 0
    incidents_opened: int = 0

    def rps(self, name: str) -> list[float]:
        return [r.rps for r in self.runs if r.scenario == name]


def setup(db: Database, devices: int, seed: int) -> tuple[str, list[str]]:
    """The source's token and the request bodies (one per device and event, shuffled)."""
    generate.fill(db, 300)
    with db.transaction() as session:
        taxonomy_service.load_pack(session, name="corporate")
    with db.transaction() as session:
        site = session.scalars(select(Site.code).order_by(Site.id)).first()
        type_code = session.scalars(
            select(IncidentType.code)
            .where(IncidentType.active, IncidentType.parent_id.is_not(None))
            .order_by(IncidentType.id)
        ).first()
        admin = users_service.principal(
            session, users_service.get_or_raise(session, username="admin")
        )
        mapping = {
            "title": "{event} ({device})",
            "type": type_code,
            "zone": "{zone}",
            "place": "{zone}",
            "fingerprint": ["device"],
            "severity": "{sev}",
            "severities": {"high": 2, "low": 4},
        }
        data = SourceIn.model_validate(
            {"code": "storm", "name": "Storm panel", "site": site, "mapping": mapping}
        )
        token = signals_service.create_source(session, principal=admin, data=data).token
    if token is None:
        raise RuntimeError("a token source got no token")
    rng = random.Random(seed)
    zones = max(1, devices // PER_ZONE)
    bodies = [
        json.dumps(
            {
                "device": f"D{d:04d}",
                "zone": f"Z{d % zones:03d}",
                "event": EVENTS[d % len(EVENTS)],
                "sev": "high" if d % 3 else "low",
                "panel": {"firmware": "4.2.1", "loop": d // 64, "input": d % 64},
            }
        )
        for d in range(devices)
    ]
    rng.shuffle(bodies)
    return token, bodies


def bench_one(kind: str, opts: Options, args: argparse.Namespace, run_dir: Path) -> Outcome:
    """One database, from nothing to the figures."""
    out = Outcome(db=kind)
    with fresh_database(kind, opts) as url:
        console.rule(f"[bold]{kind}: signals")
        murphy_cli(url, "db", "upgrade")
        db = Database(url, pool_size=2)
        try:
            token, bodies = setup(db, args.devices, args.seed)
        finally:
            db.dispose()
        ceiling_bodies = [json.dumps({"body": b}) for b in bodies[:64]]
        plan = {
            "ceiling-writer": wrk.Scenario(
                "ceiling-writer", "POST", [CEILING_WRITER_PATH], ceiling_bodies, 201
            ),
            "signals": wrk.Scenario("signals", "POST", [PATH], bodies, 201, token),
        }
        paced = replace(plan["signals"], name="signals-paced", delay_ms=args.pace_ms)
        server = Server(url, run_dir / f"server-signals-{kind}.log", opts.pool_size)
        script_dir = run_dir / "lua"
        script_dir.mkdir(exist_ok=True)
        try:
            server.start()
            for scenario in plan.values():
                check_once(server.port, scenario)
            with console.status(f"[{kind}] warming up"):
                for scenario in plan.values():
                    wrk.run(
                        server.base, scenario, script_dir=script_dir, seconds=2,
                        connections=opts.connections,
                    )  # fmt: skip
            steps = [
                *[(plan[n], opts.connections) for n in ("ceiling-writer", "signals") * 2],
                (paced, args.paced_connections),
            ]
            for i, (scenario, conns) in enumerate(steps, 1):
                what = f"{i}/{len(steps)}: {scenario.name} at {conns} connection(s)"
                with console.status(f"[{kind}] {what}, {opts.duration:g} s"):
                    result = wrk.run(
                        server.base, scenario, script_dir=script_dir, seconds=opts.duration,
                        connections=conns, server_pid=server.pid,
                    )  # fmt: skip
                out.runs.append(result)
                _print_run(what, result)
                _check_alive(server, result, what)
        finally:
            server.stop()
        db = Database(url, pool_size=1)
        try:
            with db.engine.connect() as conn:
                out.signals_stored = int(conn.scalar(select(func.count()).select_from(Signal)) or 0)
                out.signals_counted = int(conn.scalar(select(func.sum(Signal.count))) or 0)
                out.incidents_opened = int(
                    conn.scalar(
                        select(func.count(func.distinct(Signal.incident_id))).where(
                            Signal.decision == "new"
                        )
                    )
                    or 0
                )
        finally:
            db.dispose()
    return out


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else 0.0


def markdown(outcomes: list[Outcome]) -> str:
    """The table for docs/benchmarks.md."""
    head = (
        "| database | writer ceiling req/s | signals/s | ratio (pairs) | p50 / p99 ms flat out "
        "| offered ~1,000/s: signals/s, p50 / p99 ms | server CPU ms/signal | signals counted "
        "/ rows / incidents opened |\n|---|---|---|---|---|---|---|---|"
    )
    rows = []
    for o in outcomes:
        ceil, sig = o.rps("ceiling-writer"), o.rps("signals")
        pairs = [s / c for s, c in zip(sig, ceil, strict=False) if c]
        flat = [r for r in o.runs if r.scenario == "signals"]
        paced = [r for r in o.runs if r.scenario == "signals-paced"]
        p = paced[0] if paced else None
        rows.append(
            f"| {o.db} | {_mean(ceil):,.0f} | {_mean(sig):,.0f} | "
            f"{', '.join(f'{x:.2f}' for x in pairs)} | "
            f"{_mean([r.p50 for r in flat]):.1f} / {_mean([r.p99 for r in flat]):.1f} | "
            + (f"{p.rps:,.0f}, {p.p50:.1f} / {p.p99:.1f}" if p else "-")
            + f" | {_mean([r.server_cpu_ms for r in flat]):.3f} | "
            f"{o.signals_counted:,} / {o.signals_stored:,} / {o.incidents_opened:,} |"
        )
    return "\n".join([head, *rows])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.signals", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--duration", type=float, default=8)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--devices", type=int, default=500)
    parser.add_argument("--paced-connections", type=int, default=32)
    parser.add_argument("--pace-ms", type=int, default=25, help="pause per connection")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    opts = Options(
        dbs=["sqlite", "postgresql"] if args.db == "both" else [args.db],
        sizes=[0],
        duration=args.duration,
        connections=args.connections,
        threads=1,
        pg_url=args.pg_url,
        verify=False,
        keep=False,
        pool_size=None,
    )
    run_dir = RESULTS / datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir.mkdir(parents=True, exist_ok=True)
    outcomes = [bench_one(kind, opts, args, run_dir) for kind in opts.dbs]
    (run_dir / "signals.json").write_text(
        json.dumps(
            {
                "machine": machine(),
                "args": vars(args),
                "outcomes": [
                    {**o.__dict__, "runs": [r.as_dict() for r in o.runs]} for o in outcomes
                ],
            },
            indent=2,
            default=str,
        )
    )
    print(markdown(outcomes))
    console.print(f"results: {run_dir / 'signals.json'}")


if __name__ == "__main__":
    main()
