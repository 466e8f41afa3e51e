"""The timer benchmark: service-target breaches on a database of open incidents.

    python -m bench.timers [--db sqlite|postgresql|both] [--incidents 100000]
                           [--trickle 300] [--storm 10000] [--idle 60]

For each database: a fresh database, `murphy db upgrade`, the bench organization and the
corporate taxonomy pack, then N open incidents (new, triaged, responding) written in
bulk, each classified, with its three service-target clocks and a pending `sla.breach`
timer for every clock still running, all due hours to weeks from now (as
`bench.generate` does: Core `executemany`, hash-chained timelines). Then the server
(`uvicorn bench.server:create`, one worker, as `murphy serve` runs it, scheduler on):

1. idle: a `murphy worker` process next to it, nothing due; the CPU time both use over
   `--idle` seconds, as a share of one core;
2. trickle: `--trickle` clocks come due one by one, `--rate` per second (their clock and
   timer moved a few seconds ahead, as a classification a while ago would have left
   them); breach latency is `fired_at - due_at` of each timer;
3. the queue without a storm: wrk reads `GET /api/v1/incidents?status=new&status=triaged&
   status=responding&sort=priority` (`--screens` connections, each every `--poll-ms`,
   a control room's screens) while a few connections report incidents at a steady pace;
4. storms: `--storm` clocks due in the same second, then the same spread over one
   minute, while the same wrk load runs; the drain time (last fired - first due), breach
   latency, and the queue's and the reports' p99 against step 3.

Every breach is checked to be on the timeline exactly once. Results: the Markdown table
for docs/benchmarks.md on stdout, everything in bench/results/timers-<time>.json.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import signal
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import bindparam, func, insert, select, text, update

from bench import generate, run, wrk
from bench.corpus import Corpus
from murphy.core.db import Database
from murphy.core.models import Timer
from murphy.incidents.models import Incident, TimelineEntry
from murphy.sla import rules as sla_rules
from murphy.sla.models import Clock
from murphy.taxonomy import service as taxonomy_service
from murphy.taxonomy.models import IncidentType

console = run.console
QUEUE = f"{run.API}?status=new&status=triaged&status=responding&sort=priority"
DEFAULT_PG = "postgresql+psycopg://murphy:murphy@127.0.0.1:5432/murphy_bench_timers"


@dataclass
class Opts:
    """The command line."""

    dbs: list[str]
    incidents: int
    trickle: int
    rate: float
    storm: int
    spread: float
    idle: float
    baseline: float
    screens: int
    poll_ms: int
    reporters: int
    pg_url: str
    keep: bool


@dataclass
class Outcome:
    """What was measured on one database."""

    db: str
    fill: dict[str, Any] = field(default_factory=dict)
    idle: dict[str, float] = field(default_factory=dict)
    trickle: dict[str, float] = field(default_factory=dict)
    baseline: dict[str, Any] = field(default_factory=dict)
    storms: list[dict[str, Any]] = field(default_factory=list)
    breaches: dict[str, int] = field(default_factory=dict)


# --- filling ---------------------------------------------------------------------------


@dataclass
class _Batch(generate._Batch):
    clocks: list[dict[str, Any]] = field(default_factory=list)
    timers: list[dict[str, Any]] = field(default_factory=list)


class _OpenWriter(generate._Writer):
    """`bench.generate`'s incidents, but every one open, classified, with its clocks."""

    def __init__(self, world: generate.World, rng: random.Random, types: list[IncidentType]):
        super().__init__(world, rng, Corpus(rng.randrange(10**9)))
        self.types = types
        self.matrix = sla_rules.default_matrix()

    def _lifecycle(self, batch: generate._Batch, row: dict[str, Any], now: datetime) -> None:
        if not isinstance(batch, _Batch):
            raise TypeError("the open writer needs a batch with clocks and timers")
        rng, kind = self.rng, self.rng.choice(self.types)
        priority = sla_rules.priority(self.matrix, kind.default_impact, kind.default_urgency)
        at = row["reported_at"] + timedelta(seconds=rng.randint(5, 60))
        impact, urgency = kind.default_impact, kind.default_urgency
        row.update(type_id=kind.id, impact=impact, urgency=urgency, priority=priority)
        row.update(priority_reason="", major=False, version=row["version"] + 1)
        data = {"type": kind.code, "type_name": kind.name, "impact": impact, "urgency": urgency}
        data.update(priority=priority, override=None)
        before = dict.fromkeys(data)
        self._append(batch, row, "classified", {**data, "before": before}, self._who(), at)
        plan = rng.choices(["new", "triaged", "responding"], weights=[40, 35, 25])[0]
        met: dict[str, datetime] = {}
        for status in ("triaged", "responding")[: ("new", "triaged", "responding").index(plan)]:
            at = min(at + timedelta(seconds=rng.randint(30, 1800)), now)
            self._move(batch, row, status, at)
            met["acknowledge" if status == "triaged" else "respond"] = at
        row["acknowledged_at"], row["acknowledged_by_id"] = row["triaged_at"], row["triaged_by_id"]
        self._clocks(batch, row, met, now)

    def _who(self) -> generate.Actor:
        return self.rng.choice(self.world.dispatchers)

    def _move(self, batch: _Batch, row: dict[str, Any], status: str, at: datetime) -> None:
        data = {"action": generate._ACTION[status], "from": row["status"], "to": status}
        actor = self._who()
        row.update(status=status, version=row["version"] + 1, updated_at=at)
        row[f"{status}_at"], row[f"{status}_by_id"] = at, actor.id
        self._append(batch, row, "transition", data, actor, at)

    def _clocks(
        self, batch: _Batch, row: dict[str, Any], met: dict[str, datetime], now: datetime
    ) -> None:
        """Met clocks at their milestones; running ones due 6 hours to 30 days from now
        (nothing of the background may fire during the measurements)."""
        started = row["reported_at"]
        for kind in sla_rules.CLOCKS:
            due = now + timedelta(seconds=self.rng.randint(6 * 3600, 30 * 86400))
            minutes = math.ceil((due - started).total_seconds() / 60)
            due_at = started + timedelta(minutes=minutes)
            batch.clocks.append(
                {
                    "incident_id": row["id"],
                    "kind": kind,
                    "started_at": started,
                    "target_minutes": minutes,
                    "due_at": due_at,
                    "met_at": met.get(kind),
                    "breached_at": None,
                    "paused_at": None,
                    "pause_reason": "",
                    "paused_seconds": 0,
                }
            )
            if kind not in met:
                batch.timers.append(
                    {
                        "kind": "sla.breach",
                        "subject": f"{row['number']}/{kind}",
                        "due_at": due_at,
                        "state": "pending",
                        "created_at": now,
                        "payload": {"incident_id": row["id"], "clock": kind},
                        "fired_at": None,
                    }
                )


def fill(db: Database, count: int, seed: int = 2026) -> dict[str, Any]:
    """`count` open incidents with clocks and timers, written in bulk."""
    started = time.perf_counter()
    world = generate.ensure_world(db)
    with db.transaction() as session:
        taxonomy_service.load_pack(session, name="corporate")
        types = session.scalars(
            select(IncidentType).where(
                IncidentType.level != "category",
                IncidentType.clearance.is_(None),
                IncidentType.active,
            )
        ).all()
        session.expunge_all()
    writer = _OpenWriter(world, random.Random(seed), list(types))
    now = datetime.now(UTC)
    step = 86400 / count
    times = iter(now - timedelta(days=1) + timedelta(seconds=i * step) for i in range(count))
    done, batch = 0, _Batch()
    with (
        generate.progress_bar(console) as bar,
        db.engine.execution_options(murphy_write=True).begin() as conn,
    ):
        task = bar.add_task(f"open incidents with clocks ({db.dialect})", total=count)
        index = generate._suspend_search_index(conn)
        while done < count:
            size = min(generate.DEFAULT_CHUNK, count - done)
            batch = _Batch()
            for _ in range(size):
                writer.incident(batch, next(times), now)
            conn.execute(insert(Incident), batch.incidents)
            conn.execute(insert(TimelineEntry), batch.entries)
            conn.execute(insert(Clock), batch.clocks)
            conn.execute(insert(Timer), batch.timers)
            done += size
            bar.advance(task, size)
        generate._upsert_counters(conn, writer.counters)
        generate._restore_search_index(conn, index)
    if db.dialect == "postgresql":
        generate._postgres_after_load(db)
        # The load's half a gigabyte of WAL would otherwise start a checkpoint spread over
        # the next minutes, in the middle of the measurements: take it now.
        with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("CHECKPOINT"))
    with db.engine.connect() as conn:
        pending = conn.scalar(select(func.count()).select_from(Timer))
    return {
        "incidents": count,
        "pending_timers": int(pending or 0),
        "by_status": writer.by_status,
        "seconds": round(time.perf_counter() - started, 1),
    }


# --- moving clocks due ---------------------------------------------------------------------


def make_due(db: Database, incident_ids: list[int], dues: list[datetime]) -> None:
    """Make the resolve clocks (and their timers) of these incidents due at these times, as
    if they had started that much earlier: due = start + target, as the clock computes it."""
    with db.engine.connect() as conn:
        numbers = dict(
            conn.execute(
                select(Incident.id, Incident.number).where(Incident.id.in_(incident_ids))
            ).all()
        )
        targets = dict(
            conn.execute(
                select(Clock.incident_id, Clock.target_minutes).where(
                    Clock.incident_id.in_(incident_ids), Clock.kind == "resolve"
                )
            ).all()
        )
    clocks = (
        update(Clock)
        .where(Clock.incident_id == bindparam("iid"), Clock.kind == "resolve")
        .values(due_at=bindparam("due"), started_at=bindparam("start"))
    )
    timers = (  # kind and subject: the unique index (subject alone would scan every timer)
        update(Timer)
        .where(Timer.kind == "sla.breach", Timer.subject == bindparam("subj"))
        .values(due_at=bindparam("due"))
    )
    pairs = list(zip(incident_ids, dues, strict=True))
    with db.engine.execution_options(murphy_write=True).begin() as conn:
        conn.execute(
            clocks,
            [{"iid": i, "due": d, "start": d - timedelta(minutes=targets[i])} for i, d in pairs],
        )
        conn.execute(timers, [{"subj": f"{numbers[i]}/resolve", "due": d} for i, d in pairs])


def latencies(
    db: Database, start: datetime, end: datetime
) -> list[tuple[datetime, datetime | None]]:
    """(due_at, fired_at) of the timers due between `start` and `end`."""
    with db.engine.connect() as conn:
        rows = conn.execute(
            select(Timer.due_at, Timer.fired_at).where(Timer.due_at >= start, Timer.due_at <= end)
        ).all()
    return [(r.due_at, r.fired_at) for r in rows]


def wait_fired(db: Database, start: datetime, end: datetime, count: int, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        got = latencies(db, start, end)
        if len(got) >= count and all(f is not None for _, f in got):
            return
        time.sleep(0.25)
    raise RuntimeError(f"not every timer due between {start} and {end} fired in {timeout:.0f} s")


def summary(pairs: list[tuple[datetime, datetime | None]]) -> dict[str, float]:
    """Latency percentiles in seconds, and the drain: last fired minus first due."""
    lat = sorted((f - d).total_seconds() for d, f in pairs if f is not None)
    if not lat:
        return {}
    q = statistics.quantiles(lat, n=100, method="inclusive") if len(lat) > 1 else [lat[0]] * 99
    first_due = min(d for d, _ in pairs)
    last_fired = max(f for _, f in pairs if f is not None)
    return {
        "count": len(lat),
        "p50_s": round(q[49], 4),
        "p99_s": round(q[98], 4),
        "max_s": round(lat[-1], 4),
        "drain_s": round((last_fired - first_due).total_seconds(), 3),
    }


def pick(db: Database, count: int, rng: random.Random, exclude: set[int]) -> list[int]:
    """Incidents whose resolve clock runs (not the ones reported during the bench)."""
    with db.engine.connect() as conn:
        running = conn.execute(
            select(Clock.incident_id).where(
                Clock.kind == "resolve", Clock.met_at.is_(None), Clock.breached_at.is_(None)
            )
        ).all()
    return rng.sample(sorted(i for (i,) in running if i not in exclude), count)


# --- processes ---------------------------------------------------------------------------------


def start_worker(url: str, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MURPHY_DATABASE_URL": url, "MURPHY_LOG_LEVEL": "warning"}
    with log.open("ab") as out:
        cmd = [sys.executable, "-m", "murphy", "worker"]
        proc = subprocess.Popen(cmd, cwd=run.REPO, env=env, stdout=out, stderr=out)
    deadline = time.monotonic() + 60
    while "firing timers" not in log.read_text() and time.monotonic() < deadline:
        time.sleep(0.1)
    return proc


def idle_cpu(server: run.Server, worker_pid: int, seconds: float) -> dict[str, float]:
    """CPU time over `seconds` as a percentage of one core: the worker, and the server."""
    pid = server.pid or 0
    before = (wrk.cpu_seconds(worker_pid), wrk.cpu_seconds(pid))
    time.sleep(seconds)
    after = (wrk.cpu_seconds(worker_pid), wrk.cpu_seconds(pid))
    return {
        "seconds": seconds,
        "worker_pct": round(100 * (after[0] - before[0]) / seconds, 3),
        "server_pct": round(100 * (after[1] - before[1]) / seconds, 3),
    }


class Load:
    """The API load during a measurement: the queue polled by the control room's screens,
    and reports at a steady pace, both wrk processes stopped with SIGINT when done."""

    def __init__(self, server: run.Server, plan: dict[str, wrk.Scenario], opts: Opts, d: Path):
        self.runs = [
            (plan["queue"], opts.screens),
            (plan["report"], opts.reporters),
        ]
        self.server, self.dir = server, d
        self.procs: list[subprocess.Popen[str]] = []
        self.cpu, self.t = 0.0, 0.0

    def start(self) -> None:
        for scenario, conns in self.runs:
            cmd = wrk._command(self.server.base, scenario, self.dir, 3600, conns, 1)
            self.procs.append(subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True))
        self.cpu = wrk.cpu_seconds(self.server.pid or 0)
        self.t = time.monotonic()

    def abort(self) -> None:
        """Stop whatever wrk still runs (after a failure)."""
        for proc in self.procs:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
        self.procs = []

    def stop(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for proc in self.procs:
            os.kill(proc.pid, signal.SIGINT)
        for (scenario, conns), proc in zip(self.runs, self.procs, strict=True):
            text_, _ = proc.communicate(timeout=30)
            r = wrk.parse(text_, scenario.name, conns)
            out[scenario.name] = {
                "rps": r.rps,
                "p50_ms": r.p50,
                "p99_ms": r.p99,
                "max_ms": r.max,
                "requests": r.requests,
                "errors": r.non_2xx + r.socket_errors,
            }
        elapsed = time.monotonic() - self.t
        out["server_cpu_pct"] = round(
            100 * (wrk.cpu_seconds(self.server.pid or 0) - self.cpu) / elapsed, 1
        )
        out["seconds"] = round(elapsed, 1)
        self.procs = []
        return out


# --- one database ----------------------------------------------------------------------------


def scenarios(db: Database, token: str, opts: Opts) -> dict[str, wrk.Scenario]:
    """The queue as the control room's screens read it, and reports at a steady pace."""
    return {
        "queue": wrk.Scenario("queue", "GET", [QUEUE], [], 200, token, delay_ms=opts.poll_ms),
        "report": wrk.Scenario(
            "report", "POST", [run.API], run.report_bodies(db), 201, token, delay_ms=opts.poll_ms
        ),
    }


def trickle(db: Database, opts: Opts, rng: random.Random, used: set[int]) -> dict[str, float]:
    """Clocks coming due one by one, `opts.rate` a second, on an otherwise idle server."""
    ids = pick(db, opts.trickle, rng, used)
    used.update(ids)
    start = datetime.now(UTC) + timedelta(seconds=3)
    dues = [start + timedelta(seconds=i / opts.rate) for i in range(len(ids))]
    make_due(db, ids, dues)
    with console.status(f"trickle: {len(ids)} breaches, {opts.rate:g}/s"):
        wait_fired(db, dues[0], dues[-1], len(ids), timeout=len(ids) / opts.rate + 60)
    return summary(latencies(db, dues[0], dues[-1]))


def storm(
    db: Database, load: Load, opts: Opts, rng: random.Random, used: set[int], spread: float
) -> dict[str, Any]:
    """`opts.storm` clocks due within `spread` seconds while the API load runs."""
    ids = pick(db, opts.storm, rng, used)
    used.update(ids)
    load.start()
    time.sleep(3)
    start = datetime.now(UTC) + timedelta(seconds=3)
    dues = [start + timedelta(seconds=spread * i / len(ids)) for i in range(len(ids))]
    make_due(db, ids, dues)
    with console.status(f"storm: {len(ids):,} breaches due within {spread:g} s, under load"):
        wait_fired(db, dues[0], dues[-1], len(ids), timeout=spread + 600)
        time.sleep(1)
    api = load.stop()
    return {"spread_s": spread, **summary(latencies(db, dues[0], dues[-1])), "api": api}


def count_breaches(db: Database) -> dict[str, int]:
    """Fired timers, `sla_breached` entries, distinct breached clocks: equal if exactly once."""
    with db.engine.connect() as conn:
        fired = conn.scalar(select(func.count()).select_from(Timer).where(Timer.state == "fired"))
        entries = conn.execute(
            select(TimelineEntry.incident_id, TimelineEntry.data).where(
                TimelineEntry.kind == "sla_breached"
            )
        ).all()
    distinct = {(e.incident_id, e.data["clock"]) for e in entries}
    return {"fired": int(fired or 0), "entries": len(entries), "distinct": len(distinct)}


def bench_one(kind: str, opts: Opts, run_dir: Path) -> Outcome:
    """Everything on one database."""
    out = Outcome(db=kind)
    options = run.Options([], [], 0, 0, 1, opts.pg_url, False, opts.keep)
    rng = random.Random(7)
    with run.fresh_database(kind, options) as url:
        console.rule(f"[bold]{kind} · {opts.incidents:,} open incidents")
        run.murphy_cli(url, "db", "upgrade")
        db = Database(url, pool_size=2)
        try:
            out.fill = fill(db, opts.incidents)
            console.print(f"  filled: {out.fill}")
            plan = scenarios(db, generate.create_token(db), opts)
            server = run.Server(url, run_dir / f"server-{kind}.log")
            server.start()
            try:
                measure(db, server, plan, opts, out, rng, run_dir)
            finally:
                server.stop()
            out.breaches = count_breaches(db)
            console.print(f"  breaches: {out.breaches}")
        finally:
            db.dispose()
    return out


def measure(
    db: Database,
    server: run.Server,
    plan: dict[str, wrk.Scenario],
    opts: Opts,
    out: Outcome,
    rng: random.Random,
    run_dir: Path,
) -> None:
    """Idle, trickle, the queue without a storm, the two storms."""
    for scenario in plan.values():
        run.check_once(server.port, scenario)
    worker = start_worker(server.url, run_dir / f"worker-{out.db}.log")
    try:
        time.sleep(5)
        with console.status(f"idle CPU over {opts.idle:g} s"):
            out.idle = idle_cpu(server, worker.pid, opts.idle)
    finally:
        os.kill(worker.pid, signal.SIGTERM)
        worker.wait(30)
    console.print(f"  idle: {out.idle}")
    used: set[int] = set()
    out.trickle = trickle(db, opts, rng, used)
    console.print(f"  trickle: {out.trickle}")
    load = Load(server, plan, opts, run_dir)
    try:
        load.start()
        with console.status(f"the queue without a storm, {opts.baseline:g} s"):
            time.sleep(opts.baseline)
        out.baseline = load.stop()
        console.print(f"  baseline: {out.baseline}")
        for spread in (0.0, opts.spread):
            result = storm(db, load, opts, rng, used, spread)
            out.storms.append(result)
            console.print(f"  storm ({spread:g} s): {result}")
    finally:
        load.abort()


# --- the report --------------------------------------------------------------------------------


def markdown(outcomes: list[Outcome]) -> str:
    """The tables for docs/benchmarks.md."""
    rows = [
        "| database | trickle | breach latency p50 / p99 / max | idle CPU: `murphy worker` "
        "| idle CPU: the server | exactly once: timers fired / entries / clocks |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        t, i, b = o.trickle, o.idle, o.breaches
        rows.append(
            f"| {o.db} | {t.get('count', 0)} at {t.get('rate', 0):g}/s "
            f"| {_ms(t, 'p50_s')} / {_ms(t, 'p99_s')} / {_ms(t, 'max_s')} "
            f"| {i.get('worker_pct', 0):.2f} % | {i.get('server_pct', 0):.2f} % "
            f"| {b.get('fired', 0):,} / {b.get('entries', 0):,} / {b.get('distinct', 0):,} |"
        )
    rows += [
        "",
        "| database | storm | drained in | breach latency p50 / p99 "
        "| queue p99 ms: alone → storm (ratio) | reports p99 ms: alone → storm (ratio) "
        "| server CPU |",
        "| --- | --- | --- | --- | --- | --- | --- |",
    ]
    rows += [_storm_row(o, s) for o in outcomes for s in o.storms]
    return "\n".join(rows)


def _storm_row(o: Outcome, s: dict[str, Any]) -> str:
    api, base = s["api"], o.baseline
    when = "due in the same second" if not s["spread_s"] else f"due over {s['spread_s']:g} s"
    cells = [
        o.db,
        f"{s['count']:,} {when}",
        f"{s['drain_s']:.1f} s",
        f"{s['p50_s']:.2f} s / {s['p99_s']:.2f} s",
        _vs(base["queue"]["p99_ms"], api["queue"]["p99_ms"]),
        _vs(base["report"]["p99_ms"], api["report"]["p99_ms"]),
        f"{api['server_cpu_pct']:.0f} %",
    ]
    return "| " + " | ".join(cells) + " |"


def _ms(d: dict[str, float], key: str) -> str:
    return f"{1000 * d.get(key, 0):.0f} ms"


def _vs(alone: float, storm: float) -> str:
    return f"{alone:.1f} → {storm:.1f} (x{storm / alone:.2f})" if alone else "-"


def parse_args(argv: list[str] | None) -> Opts:
    p = argparse.ArgumentParser(prog="python -m bench.timers", description=__doc__.split("\n")[0])
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--incidents", type=int, default=100_000)
    p.add_argument("--trickle", type=int, default=300, help="breaches in the trickle")
    p.add_argument("--rate", type=float, default=5.0, help="trickle breaches per second")
    p.add_argument("--storm", type=int, default=10_000, help="breaches in each storm")
    p.add_argument("--spread", type=float, default=60.0, help="seconds the second storm spans")
    p.add_argument("--idle", type=float, default=60.0, help="seconds of idle CPU measurement")
    p.add_argument("--baseline", type=float, default=20.0, help="seconds of the no-storm load")
    p.add_argument("--screens", type=int, default=16, help="connections reading the queue")
    p.add_argument("--reporters", type=int, default=4, help="connections reporting")
    p.add_argument("--poll-ms", type=int, default=250, help="pause of each connection")
    p.add_argument("--pg-url", default=DEFAULT_PG)
    p.add_argument("--keep", action="store_true", help="keep the SQLite file")
    a = p.parse_args(argv)
    dbs = ["sqlite", "postgresql"] if a.db == "both" else [a.db]
    return Opts(
        dbs=dbs,
        incidents=a.incidents,
        trickle=a.trickle,
        rate=a.rate,
        storm=a.storm,
        spread=a.spread,
        idle=a.idle,
        baseline=a.baseline,
        screens=a.screens,
        poll_ms=a.poll_ms,
        reporters=a.reporters,
        pg_url=a.pg_url,
        keep=a.keep,
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.timers`."""
    opts = parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M%S")
    run_dir = run.RESULTS / f"timers-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    outcomes = [bench_one(kind, opts, run_dir) for kind in opts.dbs]
    for o in outcomes:
        o.trickle["rate"] = opts.rate
    table = markdown(outcomes)
    everything = {
        "machine": run.machine(),
        "options": vars(opts),
        "outcomes": [vars(o) for o in outcomes],
    }
    (run_dir / "results.json").write_text(json.dumps(everything, indent=2, default=str))
    console.print(f"results: {run_dir / 'results.json'}")
    print(table)


if __name__ == "__main__":
    main()
