"""The nightly retention run on a large database: how long it takes to anonymize people and
vehicles, their statements and their names on the timelines.

    python -m bench.retention --db both --incidents 100000 --subjects 100000

Fills a fresh database with incidents (bench.generate, spread over two years, most of them
closed) and people and vehicles linked to them (bench.subjects), then writes one sealed
`subject_linked` timeline entry per link (as `subjects.service.link` would) and one
statement per tenth incident. Runs the retention rules as of eight years later, first as a
dry run (a savepoint, rolled back), then for real, each in one transaction as the daily
timer does, and prints a Markdown table for docs/benchmarks.md (JSON under bench/results/).
The entries are not chained (verification is not what is measured).
"""

from __future__ import annotations

import argparse
import json
import secrets
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, insert, select

from bench import generate
from bench import subjects as subjects_bench
from bench.run import DEFAULT_PG, Options, fresh_database
from murphy import migrations, plugins
from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.incidents.models import TimelineEntry
from murphy.retention import service
from murphy.statements.models import Statement
from murphy.subjects.models import Subject, SubjectLink

RESULTS = Path(__file__).parent / "results"
CHUNK = 10_000
LATER = timedelta(days=8 * 365)


@dataclass
class Measure:
    """One database's run."""

    db: str
    incidents: int
    subjects: int
    entries: int
    dry_run_s: float
    run_s: float
    changed: dict[str, int]


def add_entries(db: Database) -> int:
    """A sealed `subject_linked` entry per link and a statement per tenth incident."""
    with db.engine.connect() as conn:
        heads = dict(
            conn.execute(
                select(TimelineEntry.incident_id, func.max(TimelineEntry.seq)).group_by(
                    TimelineEntry.incident_id
                )
            ).all()
        )
        labels = dict(
            conn.execute(select(Subject.id, func.coalesce(Subject.name, Subject.plate))).all()
        )
        links = conn.execute(
            select(SubjectLink.subject_id, SubjectLink.incident_id, SubjectLink.role)
        ).all()
    now, written = utcnow(), 0
    with generate.progress_bar() as bar:
        task = bar.add_task(f"writing timeline entries ({db.dialect})", total=len(links))
        for start in range(0, len(links), CHUNK):
            rows: list[dict[str, Any]] = []
            for subject_id, incident_id, role in links[start : start + CHUNK]:
                heads[incident_id] = heads.get(incident_id, 0) + 1
                rows.append(_entry(incident_id, heads[incident_id], now, subject_id, labels, role))
            with db.engine.execution_options(murphy_write=True).begin() as conn:
                conn.execute(insert(TimelineEntry), rows)
            written += len(rows)
            bar.advance(task, len(rows))
    with db.engine.execution_options(murphy_write=True).begin() as conn:  # the new heads
        conn.exec_driver_sql(
            "UPDATE incidents SET timeline_length ="
            " (SELECT max(seq) FROM timeline_entries WHERE incident_id = incidents.id)"
        )
    _statements(db, sorted(heads)[::10], now)
    return written


def _entry(
    incident_id: int, seq: int, at: datetime, subject_id: int, labels: dict[int, str], role: str
) -> dict[str, Any]:
    data = {"subject": subject_id, "kind": "person", "label": labels[subject_id], "role": role}
    return {
        "incident_id": incident_id, "seq": seq, "at": at, "actor_id": None, "actor": "admin",
        "kind": "subject_linked", "data": data, "prev_hash": "0" * 64, "hash": "0" * 64,
        "seals": {"label": {"salt": secrets.token_hex(16)}},
    }  # fmt: skip


def _statements(db: Database, incident_ids: list[int], at: datetime) -> None:
    rows = [
        {"incident_id": i, "giver": "witness", "name": "Jane Okafor", "contact": "+44 7700 90",
         "method": "typed", "place": "", "body": "I saw him take it.", "status": "submitted",
         "taken_by": "admin", "taken_at": at, "submitted_at": at, "sign_off": "signed",
         "signed_name": "Jane Okafor", "sha256": "0" * 64, "version": 1}
        for i in incident_ids
    ]  # fmt: skip
    with db.engine.execution_options(murphy_write=True).begin() as conn:
        for start in range(0, len(rows), CHUNK):
            conn.execute(insert(Statement), rows[start : start + CHUNK])


def run_one(kind: str, url: str, args: argparse.Namespace) -> Measure:
    """Fill one database, then time the dry run and the run."""
    db = Database(url, pool_size=2)
    plugins.install(db)
    try:
        migrations.upgrade(db)
        stats = generate.fill(db, args.incidents, days=730)
        subjects_bench.fill(db, args.subjects)
        entries = add_entries(db)
        if db.dialect == "postgresql":
            with db.engine.begin() as conn:
                conn.exec_driver_sql("ANALYZE")
        later = utcnow() + LATER
        started = time.perf_counter()
        with db.transaction() as session:
            service.run(session, principal=None, now=later, dry_run=True)
        dry = time.perf_counter() - started
        started = time.perf_counter()
        with db.transaction() as session:
            out = service.run(session, principal=None, now=later)
        real = time.perf_counter() - started
    finally:
        db.dispose()
    measure = Measure(kind, stats.total, args.subjects, entries, round(dry, 1), round(real, 1),
                      {k: v for k, v in out.counts.items() if v})  # fmt: skip
    generate.console.print(f"{kind}: dry run {dry:.1f} s, run {real:.1f} s, {measure.changed}")
    return measure


def table(results: list[Measure]) -> str:
    """The Markdown table for docs/benchmarks.md."""
    lines = [
        "| database | incidents | people and vehicles | timeline entries naming them | dry run"
        " | run | records changed | per second |",
        "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        total = sum(r.changed.values())
        lines.append(
            f"| {r.db} | {r.incidents:,} | {r.subjects:,} | {r.entries:,} | {r.dry_run_s} s"
            f" | {r.run_s} s | {total:,} | {total / r.run_s:,.0f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.retention ...`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.retention", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--incidents", type=int, default=100_000)
    parser.add_argument("--subjects", type=int, default=100_000)
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL database to re-create")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    args = parser.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    opts = Options.databases_only(args.pg_url, keep=args.keep)
    results = []
    for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
        with fresh_database(kind, opts) as url:
            results.append(run_one(kind, url, args))
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"retention-{stamp}.json"
    path.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    print(table(results))
    generate.console.print(f"results: {path}")


if __name__ == "__main__":
    main()
