"""Name and plate lookups among many people and vehicles involved in incidents.

    python -m bench.subjects --db sqlite --subjects 500000
    python -m bench.subjects --db both --subjects 500000 --incidents 100000

Fills a fresh database with incidents (bench.generate), then bulk-writes subject records
(70 % people with names combined from a small list of first names and surnames, some with
a staff number; 30 % vehicles with plates), each linked to one to three incidents, with
Core executemany, one transaction per chunk. Starts the real server (bench.server, as
`murphy serve` runs it) and times, one request at a time, `GET /api/v1/subjects?q=` for
a surname prefix, a full name, a plate and a plate prefix: p50/p95/p99. Prints a
Markdown table for docs/benchmarks.md and writes JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import string
import tempfile
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from sqlalchemy import func, insert, select

from bench import generate
from bench.history_bench import _get
from bench.run import DEFAULT_PG, Options, Server, fresh_database
from murphy import migrations, plugins
from murphy.core.db import Database
from murphy.incidents.models import Incident
from murphy.subjects import rules
from murphy.subjects.models import Subject, SubjectIdentifier, SubjectLink, SubjectToken

RESULTS = Path(__file__).parent / "results"
CHUNK = 10_000
FIRST = [
    "James",
    "Mary",
    "John",
    "Patricia",
    "Robert",
    "Jennifer",
    "Michael",
    "Linda",
    "William",
    "Elizabeth",
    "David",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Daniel",
    "Nancy",
    "Matthew",
    "Lisa",
    "Anthony",
    "Betty",
    "Mark",
    "Margaret",
    "Paul",
    "Sandra",
    "Steven",
    "Ashley",
    "Andrew",
    "Kimberly",
    "Joshua",
    "Emily",
    "Kenneth",
    "Donna",
    "Kevin",
    "Michelle",
    "Brian",
    "Carol",
    "George",
    "Amanda",
    "Timothy",
    "Melissa",
    "Ronald",
    "Deborah",
    "Jürgen",
    "Zoë",
    "Amélie",
    "José",
    "Łukasz",
    "Søren",
    "Aoife",
    "Mohammed",
    "Fatima",
    "Wei",
    "Yuki",
    "Olga",
    "Ivan",
    "Priya",
]
SURNAMES = [
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Müller",
    "Schmidt",
    "Schneider",
    "Fischer",
    "Weber",
    "Dubois",
    "Lefèvre",
    "Rossi",
    "Bianchi",
    "Kowalski",
    "Novák",
    "Jensen",
    "O'Brien",
    "Murphy",
    "Kelly",
    "Chen",
    "Wang",
    "Tanaka",
    "Sato",
    "Ivanov",
    "Petrov",
    "Singh",
    "Patel",
    "Khan",
]
MAKES = [
    ("Ford", "Focus"), ("Ford", "Transit"), ("Volkswagen", "Golf"), ("Toyota", "Corolla"),
    ("BMW", "3 Series"), ("Renault", "Clio"), ("Peugeot", "208"), ("Tesla", "Model 3"),
]  # fmt: skip
COLOURS = ["black", "white", "silver", "grey", "blue", "red", "green"]


@dataclass
class Measure:
    """One kind of lookup's latencies."""

    database: str
    subjects: int
    incidents: int
    measure: str
    n: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    p99_ms: float = 0.0
    max_ms: float = 0.0
    hits: float = 0.0  # records answered, on average
    status: str = "ok"


def plate(rng: random.Random) -> str:
    """A UK-style plate as people write it: 'AB12 CDE', sometimes 'ab-12-cde'."""
    letters = string.ascii_uppercase
    raw = (
        "".join(rng.choices(letters, k=2)),
        f"{rng.randint(0, 99):02d}",
        "".join(rng.choices(letters, k=3)),
    )
    return f"{raw[0]}{raw[1]} {raw[2]}" if rng.random() < 0.8 else "-".join(raw).lower()


def _person(rng: random.Random, sid: int, at: datetime, out: dict[str, list[Any]]) -> None:
    first, last = rng.choice(FIRST), rng.choice(SURNAMES)
    name = f"{last}, {first}" if rng.random() < 0.2 else f"{first} {last}"
    born = date(1940, 1, 1) + timedelta(days=rng.randint(0, 30_000)) if rng.random() < 0.6 else None
    out["subjects"].append(
        {**_common(sid, at), "kind": "person", "name": name, "name_key": rules.name_key(name),
         "birth_date": born, "description": "", "plate": None, "plate_key": None,
         "make": "", "model": "", "colour": ""}
    )  # fmt: skip
    out["tokens"] += [{"subject_id": sid, "token": t} for t in rules.tokens(name)]
    if rng.random() < 0.2:
        value = f"S-{rng.randint(100_000, 999_999)}"
        out["identifiers"].append(
            {"subject_id": sid, "kind": "staff_number", "value": value,
             "value_key": rules.identifier_key(value)}
        )  # fmt: skip


def _vehicle(rng: random.Random, sid: int, at: datetime, out: dict[str, list[Any]]) -> None:
    written = plate(rng)
    make, model = rng.choice(MAKES)
    out["subjects"].append(
        {**_common(sid, at), "kind": "vehicle", "name": None, "name_key": None,
         "birth_date": None, "description": "", "plate": written,
         "plate_key": rules.plate_key(written), "make": make, "model": model,
         "colour": rng.choice(COLOURS)}
    )  # fmt: skip


def _common(sid: int, at: datetime) -> dict[str, Any]:
    return {"id": sid, "created_at": at, "created_by": "admin", "updated_at": at, "version": 1,
            "merged_into_id": None}  # fmt: skip


def fill(db: Database, subjects: int, seed: int = 8) -> tuple[float, list[str]]:
    """Bulk-write `subjects` records and their links; seconds taken and sample plates."""
    rng = random.Random(seed)
    with db.engine.connect() as conn:
        low, high = conn.execute(select(func.min(Incident.id), func.max(Incident.id))).one()
        start = int(conn.scalar(select(func.max(Subject.id))) or 0) + 1
    if low is None:
        raise SystemExit("no incidents: fill the database with bench.generate first")
    now, plates, started, link_id = datetime.now(UTC), [], time.perf_counter(), start
    with generate.progress_bar() as bar:
        task = bar.add_task(f"writing subjects ({db.dialect})", total=subjects)
        for first in range(start, start + subjects, CHUNK):
            out: dict[str, list[Any]] = {"subjects": [], "tokens": [], "identifiers": [],
                                         "links": []}  # fmt: skip
            for sid in range(first, min(first + CHUNK, start + subjects)):
                (_person if rng.random() < 0.7 else _vehicle)(rng, sid, now, out)
                for incident_id in set(
                    rng.randint(low, high) for _ in range(rng.choice((1, 1, 2, 3)))
                ):
                    out["links"].append(
                        {"id": link_id, "subject_id": sid, "incident_id": incident_id,
                         "role": rng.choice(["witness", "victim", "suspect", "subject"]),
                         "note": "", "created_at": now, "created_by": "admin"}
                    )  # fmt: skip
                    link_id += 1
            plates += [s["plate"] for s in out["subjects"][:50] if s["plate"]]
            _write(db, out)
            bar.advance(task, len(out["subjects"]))
    return time.perf_counter() - started, plates


def _write(db: Database, out: dict[str, list[Any]]) -> None:
    """One chunk, one transaction."""
    with db.engine.execution_options(murphy_write=True).begin() as conn:
        conn.execute(insert(Subject), out["subjects"])
        conn.execute(insert(SubjectToken), out["tokens"])
        if out["identifiers"]:
            conn.execute(insert(SubjectIdentifier), out["identifiers"])
        conn.execute(insert(SubjectLink), out["links"])


def lookups(plates: list[str]) -> list[tuple[str, Callable[[random.Random], str]]]:
    """(measure, a query maker) for each kind of lookup."""
    return [
        ("surname prefix (3 letters)", lambda r: rules.fold(r.choice(SURNAMES))[:3]),
        ("full name", lambda r: f"{r.choice(FIRST)} {r.choice(SURNAMES)}"),
        ("plate", lambda r: r.choice(plates)),
        ("plate prefix (3 characters)", lambda r: rules.plate_key(r.choice(plates))[:3]),
    ]


def measure(port: int, headers: dict[str, str], name: str, make: Callable[[random.Random], str],
            n: int, base: Measure) -> Measure:  # fmt: skip
    """Time `n` lookups (different queries) after a few warm-ups."""
    rng, out = random.Random(name), Measure(**{**asdict(base), "measure": name})
    times, hits = [], []
    for i in range(n + 5):
        path = "/api/v1/subjects?" + urlencode({"q": make(rng)})
        status, size, seconds = _get(port, path, headers)
        if status != 200:
            out.status = f"failed ({status})"
            return out
        if i >= 5:
            times.append(seconds * 1000)
            hits.append(size)
    times.sort()
    out.n = n
    out.p50_ms = round(statistics.median(times), 1)
    out.p95_ms = round(times[min(n - 1, round(0.95 * (n - 1)))], 1)
    out.p99_ms = round(times[min(n - 1, round(0.99 * (n - 1)))], 1)
    out.max_ms = round(times[-1], 1)
    out.hits = round(statistics.mean(hits) / 1024, 1)  # KiB answered, on average
    return out


def run_one(kind: str, url: str, args: argparse.Namespace, log: Path) -> list[Measure]:
    """Fill, serve and measure one database."""
    db = Database(url, pool_size=2)
    plugins.install(db)
    try:
        migrations.upgrade(db)
        stats = generate.fill(db, args.incidents)
        generate.console.print(f"{kind}: {stats.total:,} incidents in {stats.seconds:.0f} s")
        seconds, plates = fill(db, args.subjects)
        generate.console.print(
            f"{kind}: {args.subjects:,} subjects in {seconds:.0f} s "
            f"({args.subjects / seconds:,.0f}/s)"
        )
        if db.dialect == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        token = generate.create_token(db, name="subjects-bench")
    finally:
        db.dispose()
    server = Server(url, log)
    server.start()
    try:
        headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
        base = Measure(kind, args.subjects, stats.total, "")
        out = []
        for name, make in lookups(plates):
            out.append(measure(server.port, headers, name, make, args.requests, base))
            generate.console.print(f"  {name}: p50 {out[-1].p50_ms} ms, p99 {out[-1].p99_ms} ms")
        return out
    finally:
        server.stop()


def table(results: list[Measure]) -> str:
    """A Markdown table of the results."""
    lines = [
        "| database | subjects | incidents | lookup | p50 (ms) | p95 (ms) | p99 (ms) | max (ms) "
        "| answer (KiB) | n |",
        "| --- | ---: | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if r.status != "ok":
            lines.append(f"| {r.database} | {r.subjects:,} | {r.incidents:,} | {r.measure} | "
                         f"{r.status} | | | | | 0 |")  # fmt: skip
            continue
        lines.append(
            f"| {r.database} | {r.subjects:,} | {r.incidents:,} | {r.measure} | {r.p50_ms:,.1f} | "
            f"{r.p95_ms:,.1f} | {r.p99_ms:,.1f} | {r.max_ms:,.1f} | {r.hits:,.1f} | {r.n} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.subjects ...`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.subjects", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--subjects", type=int, default=500_000)
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--requests", type=int, default=300, help="timed lookups per kind")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL database to re-create")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    args = parser.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log = Path(tempfile.mkdtemp(prefix="murphy-subjects-bench-")) / "server.log"
    opts = Options([], [], 0, 0, 0, args.pg_url, False, args.keep)
    results: list[Measure] = []
    for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        with fresh_database(kind, opts) as url:
            results += run_one(kind, url, args, log)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"subjects-{stamp}.json"
    path.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    print(table(results))
    generate.console.print(f"results: {path}; server log: {log}")


if __name__ == "__main__":
    main()
