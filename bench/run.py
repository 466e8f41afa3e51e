"""The benchmark: a real Murphy server, a database of N incidents, wrk on loopback.

    python -m bench.run [--db sqlite|postgresql|both] [--sizes 10000,100000]
                        [--duration 8] [--connections 32]

For each database and size: a fresh database, `murphy db upgrade`, the organization
(sites, users, an admin API token) through Murphy's services, `bench.generate` up to
the size, then the server (uvicorn, one worker, `bench.server:create`) as a
subprocess. First the reads, on exactly N incidents: the queue, the first page of all
incidents and text search, at --connections and again at one connection (the latency
of a request that does not wait behind others). Then the writes, interleaved so they
see the same machine: ceiling, report, ceiling, report. The ceiling is the same server
inserting one row through the same transaction machinery with nothing else; reports
per second over ceiling per second is the ratio the target is set on.

Results: a Rich table on the terminal, JSON under bench/results/, and the Markdown
for docs/benchmarks.md on stdout at the end.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import platform
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote_plus

import psycopg
from rich.console import Console
from rich.table import Table
from sqlalchemy import func, select, text
from sqlalchemy.engine import make_url

from bench import generate, wrk
from bench.corpus import COMMON_WORDS, MEDIUM_WORDS, Corpus, rare_words
from bench.server import CEILING_PATH, CEILING_WRITER_PATH
from murphy.core.db import Database
from murphy.incidents.models import Incident

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"
DEFAULT_PG = "postgresql+psycopg://murphy:murphy@127.0.0.1:5432/murphy_bench"
API = "/api/v1/incidents"
QUEUE = f"{API}?status=new&status=triaged&status=responding"

# The targets of the first cut (docs/benchmarks.md).
TARGET_RATIO = 0.7
TARGET_P99_MS = 50.0
TARGET_SIZE = 100_000

console = Console(stderr=True, highlight=False, width=max(shutil.get_terminal_size().columns, 150))


@dataclass
class Options:
    """The command line."""

    dbs: list[str]
    sizes: list[int]
    duration: float
    connections: int
    threads: int
    pg_url: str
    verify: bool
    keep: bool
    pool_size: int | None = None

    @classmethod
    def databases_only(cls, pg_url: str, *, keep: bool = False) -> Options:
        """Options for a benchmark that only needs `fresh_database` (no load settings)."""
        return cls([], [], 0, 0, 0, pg_url, False, keep)


@dataclass
class Outcome:
    """Everything measured for one database at one size."""

    db: str
    size: int
    generation: dict[str, Any] = field(default_factory=dict)
    search_words: list[dict[str, Any]] = field(default_factory=list)
    runs: list[wrk.Result] = field(default_factory=list)
    rss_mb: dict[str, float] = field(default_factory=dict)
    incidents_after: int = 0
    failure: str = ""

    def by(self, scenario: str, connections: int | None = None) -> list[wrk.Result]:
        """The runs of one scenario, optionally at one concurrency."""
        return [
            r
            for r in self.runs
            if r.scenario == scenario and (connections is None or r.connections == connections)
        ]

    def mean_rps(self, scenario: str) -> float:
        """Mean requests per second over the runs of a scenario."""
        runs = self.by(scenario)
        return statistics.fmean(r.rps for r in runs) if runs else 0.0

    def mean_cpu(self, scenario: str) -> float:
        """Mean server CPU milliseconds per request over the runs of a scenario."""
        runs = self.by(scenario)
        return statistics.fmean(r.server_cpu_ms for r in runs) if runs else 0.0

    def cpu_ratio(self, ceiling: str) -> float:
        """The ratio as CPU time predicts it: ceiling CPU per request over report CPU."""
        report = self.mean_cpu("report")
        return self.mean_cpu(ceiling) / report if report else 0.0

    @property
    def ceiling(self) -> str:
        """The ceiling of the path reports take: the writer's if the server has one."""
        return "ceiling-writer" if self.by("ceiling-writer") else "ceiling"

    def ratio_to(self, ceiling: str) -> float:
        """Reports per second over the ceiling's requests per second, in the same run."""
        base = self.mean_rps(ceiling)
        return self.mean_rps("report") / base if base else 0.0

    def pair_ratios(self, ceiling: str) -> list[float]:
        """The ratio of each report run to the ceiling run just before it."""
        pairs = zip(self.by(ceiling), self.by("report"), strict=False)
        return [r.rps / c.rps if c.rps else 0.0 for c, r in pairs]

    @property
    def ratio(self) -> float:
        """Reports per second over the ceiling of the same write path: the target's figure."""
        return self.ratio_to(self.ceiling)

    def as_dict(self) -> dict[str, Any]:
        """For the JSON results."""
        return {
            "db": self.db,
            "size": self.size,
            "generation": self.generation,
            "search_words": self.search_words,
            "runs": [r.as_dict() for r in self.runs],
            "ratio": round(self.ratio, 3),
            "ratio_against": self.ceiling,
            "ratios": {
                c: {
                    "mean": round(self.ratio_to(c), 3),
                    "pairs": [round(x, 3) for x in self.pair_ratios(c)],
                }
                for c in ("ceiling", "ceiling-writer")
                if self.by(c)
            },
            "cpu_ratio": round(self.cpu_ratio(self.ceiling), 3),
            "rss_mb": self.rss_mb,
            "incidents_after": self.incidents_after,
            "failure": self.failure,
        }


# --- databases --------------------------------------------------------------------------


@contextmanager
def fresh_database(kind: str, opts: Options) -> Iterator[str]:
    """An empty database of `kind`; its URL. SQLite in a temporary directory."""
    if kind == "sqlite":
        tmp = Path(tempfile.mkdtemp(prefix="murphy-bench-"))
        try:
            yield f"sqlite:///{tmp / 'bench.db'}"
        finally:
            if opts.keep:
                console.print(f"  kept {tmp / 'bench.db'}")
            else:
                shutil.rmtree(tmp, ignore_errors=True)
        return
    url = make_url(opts.pg_url)
    name = url.database or "murphy_bench"
    admin = url.set(drivername="postgresql", database="postgres")
    with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    yield url.render_as_string(hide_password=False)


def murphy_cli(url: str, *args: str) -> str:
    """Run the `murphy` command on the database; its standard output."""
    env = {**os.environ, "MURPHY_DATABASE_URL": url}
    done = subprocess.run(
        [sys.executable, "-m", "murphy", *args],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    if done.returncode != 0:
        raise RuntimeError(f"murphy {' '.join(args)} failed:\n{done.stdout}{done.stderr}")
    return done.stdout


def count_incidents(db: Database) -> int:
    """How many incidents the database holds."""
    with db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Incident)) or 0)


# --- the server -------------------------------------------------------------------------


def free_port() -> int:
    """A TCP port nobody listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """`uvicorn bench.server:create` as a subprocess, one worker, like `murphy serve`."""

    def __init__(self, url: str, log: Path, pool_size: int | None = None) -> None:
        self.url = url
        self.pool_size = pool_size
        self.log = log
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        """Start it and wait until /healthz answers."""
        env = {**os.environ, "MURPHY_DATABASE_URL": self.url, "MURPHY_LOG_LEVEL": "warning"}
        if self.pool_size:
            env["MURPHY_DB_POOL_SIZE"] = str(self.pool_size)
        cmd = [
            sys.executable, "-m", "uvicorn", "bench.server:create", "--factory",
            "--host", "127.0.0.1", "--port", str(self.port), "--workers", "1",
            "--log-level", "warning",
        ]  # fmt: skip
        with self.log.open("ab") as out:
            self.proc = subprocess.Popen(cmd, cwd=REPO, env=env, stdout=out, stderr=out)
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"the server exited: see {self.log}")
            try:
                if request(self.port, "GET", "/healthz")[0] == 200:
                    return
            except OSError:
                time.sleep(0.2)
        raise RuntimeError(f"the server did not answer /healthz within 60 s: see {self.log}")

    @property
    def pid(self) -> int | None:
        """The server's process id."""
        return self.proc.pid if self.proc else None

    def rss_mb(self) -> dict[str, float]:
        """Resident memory now and at its peak, in MiB."""
        if self.proc is None:
            return {}
        fields = {}
        for line in Path(f"/proc/{self.proc.pid}/status").read_text().splitlines():
            key, _, value = line.partition(":")
            if key in ("VmRSS", "VmHWM"):
                fields[key] = round(int(value.split()[0]) / 1024, 1)
        return {"rss": fields.get("VmRSS", 0.0), "peak": fields.get("VmHWM", 0.0)}

    def stop(self) -> None:
        """Stop it (SIGINT, as Ctrl+C would), waiting for a clean exit."""
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            self.proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()


def request(
    port: int, method: str, path: str, body: str | None = None, token: str | None = None
) -> tuple[int, str]:
    """One request on loopback; the status and the body."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        headers = {"Content-Type": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        conn.request(method, path, body=body.encode() if body else None, headers=headers)
        response = conn.getresponse()
        return response.status, response.read().decode(errors="replace")
    finally:
        conn.close()


def check_once(port: int, scenario: wrk.Scenario) -> None:
    """Send the scenario's first request once and insist on the expected status."""
    body = scenario.bodies[0] if scenario.bodies else None
    status, detail = request(port, scenario.method, scenario.paths[0], body, scenario.token)
    if status != scenario.expect:
        raise RuntimeError(f"{scenario.name}: expected {scenario.expect}, got {status}: {detail}")


# --- what is measured -------------------------------------------------------------------


def search_words() -> list[tuple[str, str]]:
    """The searches, with their kind: common, medium, rare."""
    return [
        *((w, "common") for w in COMMON_WORDS),
        *((w, "medium") for w in MEDIUM_WORDS),
        *((w, "rare") for w in rare_words(Corpus(generate.DEFAULT_SEED))),
    ]


def report_bodies(db: Database, count: int = 64) -> list[str]:
    """Varied report bodies as a client would send them: some with a zone, some without."""
    world = generate.load_world(db)
    corpus = Corpus(seed=7)
    bodies = []
    for i in range(count):
        site = world.sites[i % len(world.sites)]
        t = corpus.text()
        data: dict[str, Any] = {"title": t.title, "description": t.description, "site": site.code}
        if i % 5 < 3 and site.zones:
            data["place"] = {"zone": corpus.rng.choice(site.zones).codes["zone"]}
        bodies.append(json.dumps(data))
    return bodies


def scenarios(db: Database, token: str) -> dict[str, wrk.Scenario]:
    """Every scenario, by name."""
    words = search_words()

    def searches(kinds: set[str]) -> list[str]:
        return [f"{API}?q={quote_plus(w)}" for w, k in words if k in kinds]

    corpus = Corpus(seed=11)
    ceiling_bodies = [json.dumps({"body": corpus.text().description}) for _ in range(64)]
    return {
        "ceiling": wrk.Scenario("ceiling", "POST", [CEILING_PATH], ceiling_bodies, 201),
        "ceiling-writer": wrk.Scenario(
            "ceiling-writer", "POST", [CEILING_WRITER_PATH], ceiling_bodies, 201
        ),
        "report": wrk.Scenario("report", "POST", [API], report_bodies(db), 201, token),
        "queue": wrk.Scenario("queue", "GET", [QUEUE], [], 200, token),
        "all": wrk.Scenario("all", "GET", [API], [], 200, token),
        "search": wrk.Scenario(
            "search", "GET", searches({"common", "medium", "rare"}), [], 200, token
        ),
        "search-common": wrk.Scenario("search-common", "GET", searches({"common"}), [], 200, token),
        "search-rare": wrk.Scenario("search-rare", "GET", searches({"rare"}), [], 200, token),
    }


READS = ["queue", "all", "search", "search-common", "search-rare"]
POLL_MS = 250  # the paced mix: each dispatcher screen asks for the queue four times a second
READS_ALONE = ["queue", "all", "search"]  # again at one connection
WRITES = ["ceiling", "ceiling-writer", "report"] * 2  # interleaved: the same machine state


def measure(server: Server, plan: dict[str, wrk.Scenario], opts: Options, out: Outcome) -> None:
    """Warm up; the reads at N and at 1 connection; the interleaved writes; then both at once."""
    script_dir = server.log.parent / "lua"
    script_dir.mkdir(exist_ok=True)
    label = f"{out.db} · {out.size:,}"
    writer_probe = request(
        server.port, "POST", CEILING_WRITER_PATH, plan["ceiling-writer"].bodies[0]
    )
    if writer_probe[0] == 404:
        del plan["ceiling-writer"]  # this version of Murphy has no writer thread
    for name in plan:
        check_once(server.port, plan[name])
    writes = [n for n in WRITES if n in plan]
    with console.status(f"[{label}] warming up"):
        for name in [*READS_ALONE, *writes[: len(writes) // 2]]:
            warm = wrk.run(
                server.base, plan[name], script_dir=script_dir, seconds=2,
                connections=opts.connections, threads=opts.threads,
            )  # fmt: skip
            _check_alive(server, warm, f"the warm-up of {name}")
    steps = [(n, opts.connections) for n in READS] + [(n, 1) for n in READS_ALONE]
    steps += [(n, opts.connections) for n in writes]
    for i, (name, conns) in enumerate(steps, 1):
        what = f"{i}/{len(steps)}: {name} at {conns} connection(s)"
        with console.status(f"[{label}] {what}, {opts.duration:g} s"):
            result = wrk.run(
                server.base, plan[name], script_dir=script_dir, seconds=opts.duration,
                connections=conns, threads=opts.threads, server_pid=server.pid,
            )  # fmt: skip
        out.runs.append(result)
        _print_run(what, result)
        _check_alive(server, result, what)
    half = max(1, opts.connections // 2)
    paced = replace(plan["queue"], name="queue-paced", delay_ms=POLL_MS)
    for kind, queue in (("paced", paced), ("saturated", plan["queue"])):
        with console.status(f"[{label}] reports while the queue is polled ({kind})"):
            together = wrk.run_together(
                server.base,
                [
                    (plan["report"], f"{kind} mix: report", half),
                    (queue, f"{kind} mix: queue", half),
                ],
                script_dir=script_dir,
                seconds=opts.duration,
            )
        for result in together:
            out.runs.append(result)
            _print_run(f"{result.scenario} at {result.connections} connection(s)", result)
            _check_alive(server, result, result.scenario)


class ServerHung(RuntimeError):
    """The server stopped answering: the rest of this configuration is meaningless."""


def _check_alive(server: Server, result: wrk.Result, what: str) -> None:
    """If a run got no answer at all, save the server's thread stacks and give up."""
    if result.requests > 0:
        return
    try:
        health = str(request(server.port, "GET", "/healthz")[0])
    except OSError as exc:
        health = f"no answer ({exc})"
    stacks = server.log.with_suffix(".stacks.txt")
    py_spy = Path(sys.executable).parent / "py-spy"
    if py_spy.exists() and server.pid:
        dump = subprocess.run(
            [str(py_spy), "dump", "--pid", str(server.pid)], capture_output=True, text=True
        )
        stacks.write_text(dump.stdout + dump.stderr)
    raise ServerHung(
        f"no request answered during {what}; /healthz: {health}; "
        f"thread stacks: {stacks if stacks.exists() else 'install py-spy to get them'}"
    )


def _print_run(what: str, result: wrk.Result) -> None:
    flag = "" if result.ok else f" [red]{result.non_2xx} non-2xx, {result.socket_errors} errors[/]"
    cpu = f"server CPU {result.server_cpu_ms:5.2f} ms/req" if result.server_cpu_ms else " " * 25
    console.print(
        f"  {what:<40} {result.rps:>8,.0f}/s  p50 {result.p50:7.1f} ms  "
        f"p99 {result.p99:7.1f} ms  {cpu}  load {result.load1:4.1f}{flag}"
    )


def bench_one(kind: str, size: int, opts: Options, run_dir: Path) -> Outcome:
    """One database at one size, from nothing to the figures."""
    out = Outcome(db=kind, size=size)
    with fresh_database(kind, opts) as url:
        console.rule(f"[bold]{kind} · {size:,} incidents")
        murphy_cli(url, "db", "upgrade")
        db = Database(url, pool_size=2)
        try:
            stats = generate.fill(db, size)
            out.generation = {
                "seconds": round(stats.seconds, 2),
                "per_second": round(stats.rate),
                "timeline_entries": stats.entries,
                "by_status": stats.by_status,
            }
            console.print(
                f"  generated {stats.added:,} incidents and {stats.entries:,} timeline entries "
                f"in {stats.seconds:.1f} s ({stats.rate:,.0f}/s)"
            )
            if opts.verify:
                with console.status(f"[{kind} · {size:,}] murphy audit verify"):
                    console.print("  " + murphy_cli(url, "audit", "verify").strip())
            with console.status(f"[{kind} · {size:,}] checking search against a full scan"):
                out.search_words = check_search(db)
            token = generate.create_token(db)
            plan = scenarios(db, token)
        finally:
            db.dispose()
        server = Server(url, run_dir / f"server-{kind}-{size}.log", opts.pool_size)
        try:
            server.start()
            out.rss_mb["at_start"] = server.rss_mb()["rss"]
            measure(server, plan, opts, out)
            out.rss_mb.update(server.rss_mb())
        except ServerHung as exc:
            out.failure = str(exc)
            console.print(f"  [bold red]the server hung:[/] {exc}")
        finally:
            server.stop()
        db = Database(url, pool_size=1)
        try:
            out.incidents_after = count_incidents(db)
        finally:
            db.dispose()
    return out


def check_search(db: Database) -> list[dict[str, Any]]:
    """How many incidents each search matches; the service must agree with a full scan."""
    words = search_words()
    checked = generate.check_search(db, [w for w, _ in words])
    out = []
    for (word, kind), check in zip(words, checked, strict=True):
        if not check.ok:
            raise RuntimeError(
                f"search {word!r}: the service returns {check.listed} incidents, a full scan "
                f"finds {check.scanned}, {check.differing} differ"
            )
        out.append({"word": word, "kind": kind, "matches": check.listed})
    return out


# --- the machine and the report ---------------------------------------------------------


def machine() -> dict[str, Any]:
    """What the figures were measured on."""
    cpu = next(
        (
            line.split(":", 1)[1].strip()
            for line in Path("/proc/cpuinfo").read_text().splitlines()
            if line.startswith("model name")
        ),
        platform.processor(),
    )
    mem_kb = next(
        int(line.split()[1])
        for line in Path("/proc/meminfo").read_text().splitlines()
        if line.startswith("MemTotal")
    )
    wrk_version = subprocess.run([wrk.WRK, "-v"], capture_output=True, text=True, check=False)
    commit = subprocess.run(
        ["git", "rev-parse", "--short", "HEAD"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu,
        "ram_gib": round(mem_kb / 1024 / 1024, 1),
        "python": platform.python_version(),
        "sqlite": sqlite3.sqlite_version,
        "wrk": (wrk_version.stdout or wrk_version.stderr).split("\n")[0].strip(),
        "commit": commit.stdout.strip(),
        "loadavg_start": Path("/proc/loadavg").read_text().split()[:3],
    }


def postgres_version(url: str) -> str:
    """The server's version string."""
    db = Database(url, pool_size=1)
    try:
        with db.engine.connect() as conn:
            return str(conn.scalar(text("SHOW server_version")))
    finally:
        db.dispose()


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.1f}"


def result_rows(out: Outcome) -> list[list[str]]:
    """The rows of the results table for one database and size."""
    rows = []
    for r in out.runs:
        rows.append(
            [
                out.db, f"{out.size:,}", r.scenario, str(r.connections), _fmt(r.rps),
                f"{r.p50:.1f}", f"{r.p99:.1f}",
                f"{r.server_cpu_ms:.2f}" if r.server_cpu_ms else "-", f"{r.load1:.1f}",
                "" if r.ok else f"{r.non_2xx + r.socket_errors}",
            ]
        )  # fmt: skip
    return rows


def _ratio_cell(o: Outcome, ceiling: str) -> str:
    if not o.by(ceiling):
        return "-"
    pairs = ", ".join(f"{x:.2f}" for x in o.pair_ratios(ceiling))
    return f"{o.ratio_to(ceiling):.2f} ({pairs})"


def write_rows(outcomes: list[Outcome]) -> list[list[str]]:
    """Reports against the ceilings, one row per database and size."""
    rows = []
    for o in outcomes:
        reports = o.by("report")
        latency = " / ".join(
            f"{statistics.fmean(getattr(r, p) for r in reports):.1f}" for p in ("p50", "p99")
        )
        rows.append(
            [
                o.db,
                f"{o.size:,}",
                _fmt(o.mean_rps("ceiling")),
                _fmt(o.mean_rps("ceiling-writer")) if o.by("ceiling-writer") else "-",
                _fmt(o.mean_rps("report")),
                latency if reports else "-",
                " / ".join(
                    f"{o.mean_cpu(c):.2f}" if o.by(c) else "-"
                    for c in ("ceiling", "ceiling-writer", "report")
                ),
                _ratio_cell(o, "ceiling-writer"),
                _ratio_cell(o, "ceiling"),
                f"{o.cpu_ratio(o.ceiling):.2f}",
            ]
        )
    return rows


def read_rows(outcomes: list[Outcome], connections: int) -> list[list[str]]:
    """Each read, under load and alone, one row per database, size and read."""
    rows = []
    for o in outcomes:
        for name in READS:
            loaded = o.by(name, connections)
            alone = o.by(name, 1)
            if not loaded:
                continue
            r = loaded[0]
            one = [f"{alone[0].p50:.2f}", f"{alone[0].p99:.2f}"] if alone else ["-", "-"]
            rows.append(
                [
                    o.db, f"{o.size:,}", name, _fmt(r.rps), f"{r.p50:.1f}", f"{r.p99:.1f}", *one,
                    f"{r.server_cpu_ms:.2f}",
                ]
            )  # fmt: skip
    return rows


WRITE_HEADER = [
    "database", "incidents", "ceiling (SessionDep) req/s", "ceiling (writer) req/s",
    "reports/s", "report p50 / p99 ms",
    "server CPU ms/req: ceiling (SessionDep) / ceiling (writer) / report",
    "ratio to writer ceiling (pairs)", "ratio to SessionDep ceiling (pairs)",
    "CPU ratio (ceiling / report)",
]  # fmt: skip


def read_header(connections: int) -> list[str]:
    """The columns of the reads table."""
    return [
        "database", "incidents", "read", f"req/s ({connections} conns)",
        f"p50 ms ({connections})", f"p99 ms ({connections})", "p50 ms (1 conn)", "p99 ms (1 conn)",
        "server CPU ms/req",
    ]  # fmt: skip


DETAIL_HEADER = [
    "database", "incidents", "run", "conns", "req/s", "p50 ms", "p99 ms",
    "server CPU ms/req", "load", "errors",
]  # fmt: skip


def markdown(header: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "|".join(" --- " for _ in header) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in rows]
    return "\n".join(lines)


def verdicts(outcomes: list[Outcome], connections: int) -> list[str]:
    """Each target, met or missed, and by how much."""
    lines = []
    for o in outcomes:
        if o.failure:
            lines.append(f"{o.db} {o.size:,}: FAILED: {o.failure}")
        ok = o.ratio >= TARGET_RATIO
        lines.append(
            f"{o.db} {o.size:,}: reports at {o.ratio:.2f}x the {o.ceiling} ceiling "
            f"(target {TARGET_RATIO}x): {'met' if ok else 'MISSED'}"
        )
        if o.size < TARGET_SIZE:
            continue
        for name in ("queue", "all", "search"):
            for r in o.by(name, connections) + o.by(name, 1):
                ok = r.p99 < TARGET_P99_MS
                lines.append(
                    f"{o.db} {o.size:,}: {name} p99 {r.p99:.1f} ms at {r.connections} "
                    f"connection(s) (target < {TARGET_P99_MS:g} ms): {'met' if ok else 'MISSED'}"
                )
    return lines


def show(outcomes: list[Outcome], connections: int) -> None:
    """The Rich tables on the terminal."""
    table = Table(*DETAIL_HEADER, title="every run")
    for o in outcomes:
        for row in result_rows(o):
            table.add_row(*row)
    console.print(table)
    writes = Table(*WRITE_HEADER, title="writes")
    for row in write_rows(outcomes):
        writes.add_row(*row)
    console.print(writes)
    reads = Table(*read_header(connections), title="reads")
    for row in read_rows(outcomes, connections):
        reads.add_row(*row)
    console.print(reads)
    for line in verdicts(outcomes, connections):
        console.print(("[green]" if line.endswith(": met") else "[red]") + line + "[/]")


def parse_args(argv: list[str] | None) -> Options:
    """The command line, checked."""
    parser = argparse.ArgumentParser(prog="python -m bench.run", description=__doc__.split("\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--sizes", default="10000,100000", help="comma-separated incident counts")
    parser.add_argument("--duration", type=float, default=8.0, help="seconds per measurement")
    parser.add_argument("--connections", type=int, default=32, help="concurrent connections")
    parser.add_argument("--threads", type=int, default=1, help="wrk threads")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL database to (re)create")
    parser.add_argument("--verify", action="store_true", help="run `murphy audit verify` too")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite files")
    parser.add_argument(
        "--pool-size", type=int, help="MURPHY_DB_POOL_SIZE for the server (default: Murphy's)"
    )
    args = parser.parse_args(argv)
    return Options(
        dbs=["sqlite", "postgresql"] if args.db == "both" else [args.db],
        sizes=[int(s.replace("_", "")) for s in args.sizes.split(",") if s.strip()],
        duration=args.duration,
        connections=args.connections,
        threads=args.threads,
        pg_url=args.pg_url,
        verify=args.verify,
        keep=args.keep,
        pool_size=args.pool_size,
    )


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.run`."""
    opts = parse_args(argv)
    started = datetime.now(UTC)
    run_dir = RESULTS / started.strftime("%Y%m%d-%H%M%S")
    run_dir.mkdir(parents=True, exist_ok=True)
    info = machine()
    if "postgresql" in opts.dbs:
        with fresh_database("postgresql", opts) as url:
            info["postgresql"] = postgres_version(url)
    command = "python -m bench.run " + " ".join(argv if argv is not None else sys.argv[1:])
    console.print(f"[bold]Murphy benchmark[/] · {info['cpu']} · {info['nproc']} cores · {command}")
    outcomes: list[Outcome] = []
    path = run_dir / "results.json"
    for kind in opts.dbs:
        for size in opts.sizes:
            outcomes.append(bench_one(kind, size, opts, run_dir))
            info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
            results = {
                "started": started.isoformat(),
                "finished": datetime.now(UTC).isoformat(),
                "command": command.strip(),
                "options": vars(opts),
                "machine": info,
                "outcomes": [o.as_dict() for o in outcomes],
                "verdicts": verdicts(outcomes, opts.connections),
            }
            path.write_text(json.dumps(results, indent=2))  # after each, in case of a crash
    show(outcomes, opts.connections)
    console.print(f"results: {path.relative_to(REPO)}")
    print(f"<!-- {command.strip()} · {started:%Y-%m-%d %H:%M} UTC · commit {info['commit']} -->")
    print(markdown(WRITE_HEADER, write_rows(outcomes)))
    print()
    print(markdown(read_header(opts.connections), read_rows(outcomes, opts.connections)))
    print()
    print(markdown(DETAIL_HEADER, [row for o in outcomes for row in result_rows(o)]))
    for line in verdicts(outcomes, opts.connections):
        print(f"- {line}")


if __name__ == "__main__":
    main()
