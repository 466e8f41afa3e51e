"""The delivery benchmark: how soon a P1 reaches the on-call person's inbox, and how many
messages a process delivers per second to a slow receiver without slowing the API.

    python -m bench.delivery [--db sqlite|postgresql|both] [--pages 200]
                             [--backlog 600] [--hook-ms 500]

For each database: a fresh database, `murphy db upgrade`, the bench organization and the
corporate taxonomy, a supervisor `oncall` with an email address (the person paged), and
the real server (`uvicorn bench.server:create`, one worker, as `murphy serve` runs it,
with its in-process delivery worker) configured to send email to an SMTP server
(aiosmtpd) and webhooks to an HTTP receiver, both run by this process on loopback.

1. **Email**: a rule pages every P1 by an escalation policy whose first level is an
   on-call schedule with `oncall` on it, so the path is the real one: the rule starts a
   paging, the scheduler fires its first step (whoever is on call now), the page goes
   through the outbox to the worker and out by email. `--pages` times, one after the
   other: report an incident (`POST /api/v1/incidents`), classify it
   P1 (`PUT .../classification`, impact 1 and urgency 1), and wait for the email. The
   latency is the email's arrival at the SMTP server (when its DATA was accepted) minus
   the moment the report was sent, and minus the moment the classification was sent
   (when it became a P1).
2. **A slow receiver**: a rule sends a webhook for every report to a receiver that takes
   `--hook-ms` to answer. First `--backlog` reports with the rule inactive (the API's
   own latency, the baseline), then `--backlog` reports with it active: the reports'
   latency while the webhooks drain, and the deliveries per second (delivered / the
   time from the first report to the last webhook's arrival). The ratio of the two
   report latencies is what delivery costs the API.

Every email and webhook must arrive exactly once. The Markdown table for
docs/benchmarks.md goes to stdout, everything to bench/results/delivery-<time>.json.
"""

from __future__ import annotations

import argparse
import asyncio
import email
import email.policy
import json
import os
import statistics
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller

from bench import generate, run
from bench.live import pct
from murphy.core.db import Database
from murphy.notify import policies
from murphy.notify import service as notify_service
from murphy.notify.schemas import LevelIn, PolicyIn, RecipientIn, RuleIn, RulePatch, TargetIn
from murphy.oncall import service as oncall_service
from murphy.oncall.schemas import LayerIn, ScheduleIn
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service
from murphy.users.schemas import Role, UserIn

console = run.console
DEFAULT_PG = "postgresql+psycopg://murphy:murphy@127.0.0.1:5432/murphy_bench_delivery"
SECRET = "bench-webhook-secret"
RESULTS = Path(__file__).parent / "results"


@dataclass
class Outcome:
    """What one database measured."""

    db: str
    email_from_report: list[float] = field(default_factory=list)  # seconds
    email_from_p1: list[float] = field(default_factory=list)
    duplicates: int = 0
    baseline: list[float] = field(default_factory=list)  # report latencies, seconds
    loaded: list[float] = field(default_factory=list)
    delivered: int = 0
    drain_seconds: float = 0.0
    concurrency: int = 32

    @property
    def per_second(self) -> float:
        return self.delivered / self.drain_seconds if self.drain_seconds else 0.0


# --- receivers ---------------------------------------------------------------------------


class Inbox:
    """An aiosmtpd handler that notes when each message arrived, by incident number."""

    def __init__(self) -> None:
        self.arrived: dict[str, float] = {}
        self.count = 0
        self.lock = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        at = time.time()
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        number = str(message["Subject"]).rsplit("(", 1)[-1].split(",")[0]
        with self.lock:
            self.count += 1
            self.arrived.setdefault(number, at)
            self.lock.notify_all()
        return "250 OK"

    def wait(self, number: str, timeout: float = 30.0) -> float:
        with self.lock:
            if not self.lock.wait_for(lambda: number in self.arrived, timeout):
                raise RuntimeError(f"no email for {number} within {timeout:g} s")
            return self.arrived[number]


class SlowHook:
    """An HTTP receiver that answers every POST after `delay` seconds."""

    def __init__(self, delay: float) -> None:
        self.delay = delay
        self.keys: list[str] = []
        self.last = 0.0
        self.lock = threading.Lock()
        hook = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                time.sleep(hook.delay)
                with hook.lock:
                    hook.keys.append(self.headers.get("Idempotency-Key", ""))
                    hook.last = time.time()
                self.send_response(204)
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.server.request_queue_size = 256
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def count(self) -> int:
        with self.lock:
            return len(self.keys)

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()


# --- setup -------------------------------------------------------------------------------


def prepare(db: Database, hook_url: str) -> tuple[int, int]:
    """The organization, the taxonomy, the on-call supervisor, their schedule and the
    policy that pages it, and two rules: (P1 rule id, webhook rule id, inactive)."""
    generate.ensure_world(db)
    with db.transaction() as s:
        taxonomy_service.load_pack(s, name="corporate")
        users_service.create(
            s,
            data=UserIn(
                username="oncall",
                display_name="On-call supervisor",
                email="oncall@example.org",
                role=Role.SUPERVISOR,
                all_sites=True,
                password="bench-password-1",
            ),
        )
        admin = users_service.principal(s, users_service.get_or_raise(s, username="admin"))
        rota = ScheduleIn(
            name="Supervisor on call",
            timezone="Europe/Berlin",
            layers=[LayerIn(participants=["oncall"], start_date=datetime.now(UTC).date())],
        )
        oncall_service.create(s, principal=admin, data=rota)
        levels = [
            LevelIn(targets=[TargetIn(schedule="Supervisor on call")], timeout_minutes=5),
            LevelIn(targets=[TargetIn(role="supervisor")], timeout_minutes=10),
        ]
        policies.create(s, principal=admin, data=PolicyIn(name="P1 page", levels=levels))
        p1 = notify_service.create_rule(
            s,
            principal=admin,
            data=RuleIn(
                name="P1 pages the supervisor on call",
                events=["incident.classified"],
                priorities=[1],
                recipients=[RecipientIn(policy="P1 page")],
            ),
        )
        hook = notify_service.create_rule(
            s,
            principal=admin,
            data=RuleIn(
                name="every report to the SOC",
                events=["incident.reported"],
                recipients=[RecipientIn(external=hook_url)],
                active=False,
            ),
        )
    return p1.id, hook.id


def set_active(db: Database, rule_id: int, active: bool) -> None:
    with db.transaction() as s:
        admin = users_service.principal(s, users_service.get_or_raise(s, username="admin"))
        notify_service.update_rule(
            s, principal=admin, rule_id=rule_id, data=RulePatch(active=active)
        )


# --- the measurements ---------------------------------------------------------------------


def call(port: int, method: str, path: str, body: dict[str, Any], token: str) -> str:
    """One API request that must succeed; the answer's body."""
    status, answer = run.request(port, method, path, json.dumps(body), token)
    if status not in (200, 201):
        raise RuntimeError(f"{method} {path}: {status} {answer}")
    return answer


def page_by_email(port: int, token: str, inbox: Inbox, pages: int, out: Outcome) -> None:
    """Report, classify P1, wait for the email; `pages` times."""
    for i in range(pages):
        sent = time.time()
        body = call(port, "POST", run.API, {"title": f"Intruder {i} at gate", "site": "HQ"}, token)
        number = json.loads(body)["number"]
        p1 = time.time()
        classify = {"type": "intrusion.break_in", "impact": 1, "urgency": 1}
        call(port, "PUT", f"{run.API}/{number}/classification", classify, token)
        arrived = inbox.wait(number)
        out.email_from_report.append(arrived - sent)
        out.email_from_p1.append(arrived - p1)
        if (i + 1) % 50 == 0:
            console.print(f"    {i + 1}/{pages} pages")
    out.duplicates = inbox.count - pages


def reports(port: int, token: str, count: int, threads: int = 4) -> list[float]:
    """`count` reports from `threads` clients at once; each one's latency."""

    def one(i: int) -> float:
        start = time.perf_counter()
        call(port, "POST", run.API, {"title": f"Alarm {i}", "site": "HQ"}, token)
        return time.perf_counter() - start

    with ThreadPoolExecutor(threads) as pool:
        return list(pool.map(one, range(count)))


def slow_receiver(
    db: Database, port: int, token: str, hook: SlowHook, rule: int, backlog: int, out: Outcome
) -> None:
    out.baseline = reports(port, token, backlog)
    console.print(f"    baseline: {backlog} reports, p99 {pct(out.baseline, 99) * 1000:.1f} ms")
    set_active(db, rule, True)
    started = time.time()
    out.loaded = reports(port, token, backlog)
    deadline = time.monotonic() + 600
    while hook.count() < backlog:
        if time.monotonic() > deadline:
            raise RuntimeError(f"{hook.count()} of {backlog} webhooks arrived")
        time.sleep(0.05)
    out.delivered = hook.count()
    out.drain_seconds = hook.last - started
    if len(set(hook.keys)) != len(hook.keys):
        raise RuntimeError("a webhook arrived twice")
    console.print(
        f"    {out.delivered} webhooks in {out.drain_seconds:.1f} s: {out.per_second:.1f}/s"
    )


def bench_one(kind: str, args: argparse.Namespace, run_dir: Path) -> Outcome:
    out = Outcome(db=kind, concurrency=args.concurrency)
    options = run.Options([], [], 0, 0, 1, args.pg_url, False, False)
    inbox = Inbox()
    smtp = Controller(inbox, hostname="127.0.0.1", port=run.free_port())
    smtp.start()
    hook = SlowHook(args.hook_ms / 1000)
    os.environ.update(
        {
            "MURPHY_SMTP_HOST": "127.0.0.1",
            "MURPHY_SMTP_PORT": str(smtp.port),
            "MURPHY_SMTP_SECURITY": "none",
            "MURPHY_WEBHOOK_SECRET": SECRET,
            "MURPHY_DELIVERY_CONCURRENCY": str(args.concurrency),
        }
    )
    try:
        with run.fresh_database(kind, options) as url:
            console.rule(f"[bold]{kind}")
            run.murphy_cli(url, "db", "upgrade")
            db = Database(url, pool_size=2)
            try:
                _p1_rule, hook_rule = prepare(db, hook.url)
                token = generate.create_token(db)
                server = run.Server(url, run_dir / f"server-delivery-{kind}.log")
                server.start()
                try:
                    console.print(f"  email: {args.pages} P1 pages")
                    page_by_email(server.port, token, inbox, args.pages, out)
                    console.print(f"  slow receiver: {args.hook_ms} ms per webhook")
                    slow_receiver(db, server.port, token, hook, hook_rule, args.backlog, out)
                finally:
                    server.stop()
            finally:
                db.dispose()
    finally:
        smtp.stop()
        hook.stop()
    return out


# --- the report --------------------------------------------------------------------------


def markdown(outcomes: list[Outcome], args: argparse.Namespace) -> str:
    ms = lambda v: f"{v * 1000:.0f}"  # noqa: E731
    lines = [
        f"| database | P1 report → email p50 / p99 / max (ms) | P1 classification → email "
        f"p50 / p99 (ms) | webhooks/s, {args.hook_ms} ms receiver, {args.concurrency} at once "
        "| report p50 / p99 without → with the drain (ms) | p99 ratio |",
        "| --- | --- | --- | --- | --- | --- |",
    ]
    for o in outcomes:
        r, c = o.email_from_report, o.email_from_p1
        ratio = pct(o.loaded, 99) / pct(o.baseline, 99) if o.baseline else 0.0
        lines.append(
            f"| {o.db} | {ms(statistics.median(r))} / {ms(pct(r, 99))} / {ms(max(r))} "
            f"| {ms(statistics.median(c))} / {ms(pct(c, 99))} "
            f"| {o.per_second:.1f} ({o.delivered} in {o.drain_seconds:.1f} s) "
            f"| {ms(statistics.median(o.baseline))} / {ms(pct(o.baseline, 99))} → "
            f"{ms(statistics.median(o.loaded))} / {ms(pct(o.loaded, 99))} | {ratio:.2f} |"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--pages", type=int, default=200)
    parser.add_argument("--backlog", type=int, default=600)
    parser.add_argument("--hook-ms", type=int, default=500)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    run_dir = RESULTS / f"delivery-{stamp}"
    run_dir.mkdir(parents=True, exist_ok=True)
    outcomes = [bench_one(kind, args, run_dir) for kind in kinds]
    (run_dir / "delivery.json").write_text(
        json.dumps([o.__dict__ for o in outcomes], default=str, indent=1)
    )
    print(markdown(outcomes, args))
    for o in outcomes:
        if o.duplicates:
            console.print(f"[red]{o.db}: {o.duplicates} duplicate emails[/]")


if __name__ == "__main__":
    asyncio.set_event_loop_policy(None)
    main()
