"""Latency of the analytics dashboard, the daily report and the export on a long history.

    python -m bench.history_bench --db sqlite --incidents 1000000
    python -m bench.history_bench --url sqlite:///history.db   # a database bench.history filled

Fills a fresh database with bench.history (unless --url names one already filled),
starts the real server (bench.server, as `murphy serve` runs it), picks the busiest
site and measures, one request at a time, p50/p95/max over --requests requests each:
the analytics dashboard of the last year (JSON and HTML), the daily activity report of
yesterday (JSON and PDF) and the incremental export of yesterday's changes (CSV). An
endpoint that answers 404 is reported as missing. Prints a Markdown table for
docs/benchmarks.md and writes JSON under bench/results/.
"""

from __future__ import annotations

import argparse
import http.client
import json
import statistics
import tempfile
import time
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from urllib.parse import urlencode

from sqlalchemy import func, select

from bench import generate, history
from bench.run import DEFAULT_PG, Options, Server, fresh_database
from murphy import migrations, plugins
from murphy.core.db import Database
from murphy.incidents.models import Incident
from murphy.sites.models import Site
from murphy.users import service as users_service
from murphy.web.deps import SESSION_COOKIE

RESULTS = Path(__file__).parent / "results"


@dataclass
class Measure:
    """One endpoint's latencies."""

    database: str
    incidents: int
    measure: str
    path: str
    status: str  # ok | missing | failed (HTTP status)
    n: int = 0
    p50_ms: float = 0.0
    p95_ms: float = 0.0
    max_ms: float = 0.0
    bytes: int = 0


def _get(port: int, path: str, headers: dict[str, str]) -> tuple[int, int, float]:
    """One GET; its status, the body's size and the seconds until the last byte."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=600)
    try:
        started = time.perf_counter()
        conn.request("GET", path, headers=headers)
        response = conn.getresponse()
        body = response.read()
        return response.status, len(body), time.perf_counter() - started
    finally:
        conn.close()


def measure(
    port: int, name: str, path: str, headers: dict[str, str], n: int, base: Measure
) -> Measure:
    """Time `n` requests after one warm-up; a 404 on the warm-up is 'missing'."""
    out = Measure(**{**asdict(base), "measure": name, "path": path})
    status, size, _ = _get(port, path, headers)
    if status == 404:
        out.status = "missing"
        return out
    if status != 200:
        out.status = f"failed ({status})"
        return out
    times = []
    for _ in range(n):
        status, size, seconds = _get(port, path, headers)
        times.append(seconds * 1000)
    times.sort()
    out.status, out.n, out.bytes = "ok", n, size
    out.p50_ms = round(statistics.median(times), 1)
    out.p95_ms = round(times[min(n - 1, round(0.95 * (n - 1)))], 1)
    out.max_ms = round(times[-1], 1)
    return out


def busiest_site(db: Database) -> str:
    """The code of the site with the most incidents."""
    with db.transaction(write=False) as s:
        stmt = (
            select(Site.code, func.count(Incident.id).label("n"))
            .join(Incident, Incident.site_id == Site.id)
            .group_by(Site.code)
            .order_by(func.count(Incident.id).desc())
        )
        row = s.execute(stmt).first()
    if row is None:
        raise SystemExit("the database has no incidents: fill it with bench.history first")
    return str(row[0])


def credentials(db: Database) -> tuple[dict[str, str], dict[str, str]]:
    """Headers for the API (a token) and for pages (a browser session), as admin."""
    token = generate.create_token(db, name="history-bench")
    with db.transaction() as s:
        user = users_service.get_or_raise(s, username="admin")
        login = users_service.start_web_session(s, user=user, ttl=timedelta(hours=2))
    api = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    page = {"Cookie": f"{SESSION_COOKIE}={login.cookie}", "Accept": "text/html"}
    return api, page


def plan(site: str, today: date) -> list[tuple[str, str, bool]]:
    """(measure, path, is a page) for the last year and yesterday at `site`."""
    day = today - timedelta(days=1)
    year = {
        "site": site,
        "start": (today - timedelta(days=365)).isoformat(),
        "end": day.isoformat(),
    }
    daily = {"site": site, "date": day.isoformat()}
    since = datetime(day.year, day.month, day.day, tzinfo=UTC)
    export = {
        "format": "csv",
        "updated_since": since.isoformat(),
        "until": (since + timedelta(days=1)).isoformat(),
    }
    return [
        ("analytics, one site, one year (JSON)", f"/api/v1/analytics?{urlencode(year)}", False),
        ("analytics page, one site, one year", f"/analytics?{urlencode(year)}", True),
        ("daily report, one site (JSON)", f"/api/v1/reports/daily?{urlencode(daily)}", False),
        (
            "daily report, one site (PDF)",
            f"/reports/daily?{urlencode({**daily, 'format': 'pdf'})}",
            True,
        ),
        (
            "export of one day's changes (CSV)",
            f"/api/v1/incidents/export?{urlencode(export)}",
            False,
        ),
    ]


def run_one(kind: str, url: str, incidents: int | None, requests: int, log: Path) -> list[Measure]:
    """Fill (if asked), serve and measure one database."""
    db = Database(url, pool_size=2)
    plugins.install(db)
    try:
        if incidents:
            migrations.upgrade(db)
            stats = history.fill(db, incidents)
            generate.console.print(
                f"{kind}: {stats.added:,} incidents in {stats.seconds:.0f} s ({stats.rate:,.0f}/s)"
            )
        with db.engine.connect() as conn:
            total = int(conn.scalar(select(func.count()).select_from(Incident)) or 0)
        site = busiest_site(db)
        api, page = credentials(db)
    finally:
        db.dispose()
    server = Server(url, log)
    server.start()
    try:
        base = Measure(kind, total, "", "", "")
        today = datetime.now(UTC).date()
        out = []
        for name, path, is_page in plan(site, today):
            out.append(measure(server.port, name, path, page if is_page else api, requests, base))
            generate.console.print(f"  {name}: {out[-1].status} p50 {out[-1].p50_ms} ms")
        return out
    finally:
        server.stop()


def table(results: list[Measure]) -> str:
    """A Markdown table of the results."""
    lines = [
        "| database | incidents | measure | p50 (ms) | p95 (ms) | max (ms) | n |",
        "| --- | ---: | --- | ---: | ---: | ---: | ---: |",
    ]
    for r in results:
        if r.status != "ok":
            lines.append(f"| {r.database} | {r.incidents:,} | {r.measure} | {r.status} | | | 0 |")
            continue
        lines.append(
            f"| {r.database} | {r.incidents:,} | {r.measure} | {r.p50_ms:,.1f} | "
            f"{r.p95_ms:,.1f} | {r.max_ms:,.1f} | {r.n} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.history_bench ...`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.history_bench", description=__doc__.split("\n")[0]
    )
    parser.add_argument(
        "--url", help="a database already filled by bench.history (nothing is added)"
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="sqlite")
    parser.add_argument("--incidents", type=int, default=history.DEFAULT_INCIDENTS)
    parser.add_argument("--requests", type=int, default=30, help="timed requests per measure")
    parser.add_argument("--pg-url", default=DEFAULT_PG, help="PostgreSQL database to re-create")
    parser.add_argument("--keep", action="store_true", help="keep the SQLite file")
    args = parser.parse_args(argv)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    log = Path(tempfile.mkdtemp(prefix="murphy-history-bench-")) / "server.log"
    results: list[Measure] = []
    if args.url:
        kind = "postgresql" if args.url.startswith("postgresql") else "sqlite"
        results += run_one(kind, args.url, None, args.requests, log)
    else:
        opts = Options([], [], 0, 0, 0, args.pg_url, False, args.keep)
        for kind in ["sqlite", "postgresql"] if args.db == "both" else [args.db]:
            with fresh_database(kind, opts) as url:
                results += run_one(kind, url, args.incidents, args.requests, log)
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"history-{stamp}.json"
    path.write_text(json.dumps([asdict(r) for r in results], indent=2) + "\n")
    print(table(results))
    generate.console.print(f"results: {path}; server log: {log}")


if __name__ == "__main__":
    main()
