"""The queue order, side by side: one page of the open queue (no priority first, then
P1..P5, oldest first) as Murphy reads it, against one ORDER BY over every open incident.

    python -m bench.queue [--db sqlite|postgresql|both] [--incidents 100000] [--rounds 200]

For each database: a fresh database, the corporate pack, N open incidents with their
clocks (`bench.timers.fill`), then, in this process and alternating so that both see the
same machine: `listing.page` (one short index range per status and priority part, merged)
and the reference query that sorts all open incidents by `coalesce(priority, 0), id` and
keeps the first page. Both first pages are checked to be the same incidents. Prints p50 /
p99 per page and the ratio; the Markdown table for docs/benchmarks.md on stdout.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import func

from bench import generate, run
from bench.timers import DEFAULT_PG, fill
from murphy.core.db import Database
from murphy.incidents import listing, queries
from murphy.incidents.models import Incident
from murphy.incidents.schemas import IncidentQuery, Sort, Status
from murphy.users import service as users_service

console = run.console
OPEN = [Status.NEW, Status.TRIAGED, Status.RESPONDING]
PAGE = 50


def reference(session: Any, principal: Any) -> list[str]:
    """The first page by one ORDER BY over every open incident (what the queue did)."""
    query = IncidentQuery(status=OPEN, sort=Sort.PRIORITY, limit=PAGE)
    stmt = listing._filtered(session, principal, query)
    stmt = stmt.order_by(func.coalesce(Incident.priority, 0), queries.ID).limit(PAGE + 1)
    return [r.number for r in session.connection().execute(stmt).all()[:PAGE]]


def murphy(session: Any, principal: Any) -> list[str]:
    """The first page as Murphy reads it."""
    query = IncidentQuery(status=OPEN, sort=Sort.PRIORITY, limit=PAGE)
    return [i.number for i in listing.page(session, principal=principal, query=query).items]


def timed(db: Database, principal: Any, fn: Callable[[Any, Any], list[str]]) -> float:
    started = time.perf_counter()
    with db.transaction(write=False) as session:
        fn(session, principal)
    return time.perf_counter() - started


def bench_one(kind: str, incidents: int, rounds: int, pg_url: str) -> dict[str, Any]:
    options = run.Options([], [], 0, 0, 1, pg_url, False, False)
    with run.fresh_database(kind, options) as url:
        console.rule(f"[bold]{kind} · {incidents:,} open incidents")
        run.murphy_cli(url, "db", "upgrade")
        db = Database(url, pool_size=2)
        try:
            fill(db, incidents)
            with db.transaction(write=False) as session:
                user = users_service.get_or_raise(session, username="admin")
                principal = users_service.principal(session, user)
                numbers = murphy(session, principal)
                if numbers != reference(session, principal):
                    raise RuntimeError("the queue and the reference order differ")
            # the summaries (places, types, clocks) are the same work for both: only the
            # page's rows are compared, so the reference skips them, and so does this:
            ours: list[float] = []
            theirs: list[float] = []
            with generate.progress_bar(console) as bar:
                task = bar.add_task(f"pages ({kind})", total=rounds)
                for _ in range(rounds):
                    ours.append(timed(db, principal, _rows_only))
                    theirs.append(timed(db, principal, reference))
                    bar.advance(task)
            return {
                "db": kind,
                "incidents": incidents,
                "murphy": _stats(ours),
                "reference": _stats(theirs),
            }
        finally:
            db.dispose()


def _rows_only(session: Any, principal: Any) -> list[str]:
    """`listing`'s page query without the summaries (the reference has none)."""
    query = IncidentQuery(status=OPEN, sort=Sort.PRIORITY, limit=PAGE)
    unfiltered = listing._filtered(session, principal, query.model_copy(update={"status": []}))
    rows, _ = listing._page_queue(session, unfiltered, query)
    return [r.number for r in rows]


def _stats(seconds: list[float]) -> dict[str, float]:
    ordered = sorted(seconds)
    return {
        "p50_ms": 1000 * statistics.median(ordered),
        "p99_ms": 1000 * ordered[min(len(ordered) - 1, int(0.99 * len(ordered)))],
    }


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    p.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    p.add_argument("--incidents", type=int, default=100_000)
    p.add_argument("--rounds", type=int, default=200)
    p.add_argument("--pg-url", default=DEFAULT_PG)
    args = p.parse_args()
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    results = [bench_one(k, args.incidents, args.rounds, args.pg_url) for k in kinds]
    print("| database | open incidents | Murphy p50 / p99 | one ORDER BY p50 / p99 | ratio (p50) |")
    print("| --- | --- | --- | --- | --- |")
    for r in results:
        m, ref = r["murphy"], r["reference"]
        print(
            f"| {r['db']} | {r['incidents']:,} | {m['p50_ms']:.2f} / {m['p99_ms']:.2f} ms "
            f"| {ref['p50_ms']:.2f} / {ref['p99_ms']:.2f} ms "
            f"| x{ref['p50_ms'] / m['p50_ms']:.0f} faster |"
        )


if __name__ == "__main__":
    main()
