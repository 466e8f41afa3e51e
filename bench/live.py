"""Live fan-out: how soon a committed change reaches N open live streams.

    python -m bench.live [--db sqlite|postgresql|both] [--subscribers 1000] [--changes 30]

For each database: a fresh database, `murphy db upgrade`, the bench organization and a
few hundred incidents (`bench.generate`), then the real server (`bench.server:create`,
one uvicorn worker, as `murphy serve` runs it). SQLite: one process. PostgreSQL: two
processes on two ports and the same database, as `murphy serve --workers 2` would run.

The subscribers are `GET /api/v1/live` streams opened by this process (raw non-blocking
sockets on one asyncio loop, a dispatcher's API token), spread round-robin over the
processes. Once they are all connected, a separate client (a thread of this process,
the admin's token) makes `--changes` changes through the API, 0.5-1 s apart, always on
the first process: alternately a report (`POST /api/v1/incidents`) and a note on the
incident just reported (`POST /api/v1/incidents/{number}/notes`). Each change is known
on the stream by its name, incident number and timeline seq, which its answer gives.

Latency is taken on one clock (`time.time`, CLOCK_REALTIME): the kernel's arrival time
of the bytes (SO_TIMESTAMPNS, the time loopback delivered them, so the benchmark's own
event loop does not add its queueing to the figures) minus the arrival time of the
POST's answer, which is sent after the commit. The same from the moment the POST was
sent, and both as this process's code saw them (user space), are kept as well: their
difference is what the client itself adds.

Every subscriber must receive every change exactly once and nothing it should not:
anything missing, duplicated, out of order or a `reload` is counted and printed.

Memory: the server's VmRSS with no subscriber (after a warm-up with a few) and with all
of them connected, the difference per subscriber.

The Markdown table for docs/benchmarks.md goes to stdout; everything, with each
change's timings, to bench/results/<UTC time>/live.json.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import random
import resource
import socket
import struct
import subprocess
import sys
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bench import generate, wrk
from bench.run import (
    API,
    DEFAULT_PG,
    RESULTS,
    Options,
    Server,
    console,
    fresh_database,
    machine,
    markdown,
    murphy_cli,
    postgres_version,
    report_bodies,
)
from murphy.core.db import Database

LIVE = "/api/v1/live"
PG_URL = DEFAULT_PG.rsplit("/", 1)[0] + "/murphy_bench_live"  # not bench.run's database
SO_TIMESTAMPNS = getattr(socket, "SO_TIMESTAMPNS", 35)  # Linux; the socket module lacks it
ANCILLARY = socket.CMSG_SPACE(16)  # one struct timespec
RECV = 65_536
WARMUP_SUBSCRIBERS = 10  # in all, with WARMUP_CHANGES, before memory is measured
WARMUP_CHANGES = 2
TARGET_P99_MS = 200.0  # issue 5


def kernel_time(ancdata: list[tuple[int, int, bytes]], fallback: float) -> float:
    """The arrival time the kernel stamped on received bytes (CLOCK_REALTIME)."""
    for level, kind, data in ancdata:
        if level == socket.SOL_SOCKET and kind == SO_TIMESTAMPNS and len(data) >= 16:
            sec, nsec = struct.unpack("qq", data[:16])
            return float(sec + nsec / 1e9)
    return fallback


class Dechunker:
    """HTTP/1.1 chunked transfer coding, fed as bytes arrive."""

    def __init__(self) -> None:
        self.buf = b""
        self.done = False

    def feed(self, data: bytes) -> bytes:
        self.buf += data
        out = []
        while not self.done:
            nl = self.buf.find(b"\r\n")
            if nl < 0:
                break
            size = int(self.buf[:nl].split(b";")[0], 16)
            if size == 0:
                self.done = True
                break
            if len(self.buf) < nl + 2 + size + 2:
                break
            out.append(self.buf[nl + 2 : nl + 2 + size])
            self.buf = self.buf[nl + 4 + size :]
        return b"".join(out)


# --- the changes ------------------------------------------------------------------------


@dataclass
class Change:
    """One change made through the API, and when."""

    index: int
    warmup: bool
    name: str
    number: str
    seq: int
    sent: float  # just before the request was written (time.time)
    answered: float  # the kernel's arrival time of the last byte of the answer
    answered_user: float  # when this process had the answer

    @property
    def key(self) -> tuple[str, str, int]:
        return (self.name, self.number, self.seq)


def post(port: int, path: str, body: str, token: str) -> tuple[int, Any, float, float, float]:
    """POST on a fresh connection: status, JSON answer, sent, answered (kernel), answered."""
    payload = body.encode()
    head = (
        f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nAuthorization: Bearer {token}\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(payload)}\r\n"
        "Connection: close\r\n\r\n"
    ).encode()
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        sent = time.time()
        sock.sendall(head + payload)
        pieces = []
        answered = answered_user = sent
        while True:
            data, anc, _flags, _addr = sock.recvmsg(RECV, ANCILLARY)
            if not data:
                break
            answered_user = time.time()
            answered = kernel_time(anc, answered_user)
            pieces.append(data)
    raw = b"".join(pieces)
    head_end = raw.find(b"\r\n\r\n")
    status = int(raw.split(b" ", 2)[1])
    content = raw[head_end + 4 :]
    if b"transfer-encoding: chunked" in raw[:head_end].lower():
        content = Dechunker().feed(content)
    return status, json.loads(content) if content else None, sent, answered, answered_user


class Poster:
    """The separate client: reports and notes on the first process, spaced out."""

    def __init__(self, port: int, token: str, bodies: list[str], seed: int) -> None:
        self.port = port
        self.token = token
        self.bodies = bodies
        self.rng = random.Random(seed)
        self.made: list[Change] = []
        self.last_number = ""

    def make(self, warmup: bool) -> Change:
        """One change: a report, or a note on the last incident reported."""
        index = len(self.made)
        if index % 2 == 0 or not self.last_number:
            path, body = API, self.bodies[index % len(self.bodies)]
        else:
            path = f"{API}/{self.last_number}/notes"
            body = json.dumps({"body": f"Live bench note {index}: patrol on site."})
        status, out, sent, answered, answered_user = post(self.port, path, body, self.token)
        if status != 201:
            raise RuntimeError(f"POST {path}: expected 201, got {status}: {out}")
        if path == API:
            self.last_number = out["number"]
            name, seq = "incident.created", int(out["timeline"]["length"])
        else:
            name, seq = "incident.note", int(out["seq"])
        change = Change(index, warmup, name, self.last_number, seq, sent, answered, answered_user)
        self.made.append(change)
        return change

    def run(self, count: int, interval: tuple[float, float], warmup: bool) -> None:
        """`count` changes, each 0.5-1 s (`interval`) after the previous one was sent."""
        for i in range(count):
            start = time.monotonic()
            self.make(warmup)
            if i < count - 1:
                time.sleep(max(0.0, start + self.rng.uniform(*interval) - time.monotonic()))


# --- the subscribers --------------------------------------------------------------------


@dataclass
class Frame:
    """One SSE event as a subscriber got it."""

    arrived: float  # kernel arrival of its last byte
    seen: float  # when this process read it
    id: int | None
    event: str
    data: dict[str, Any]


class Subscriber:
    """One live stream on a raw non-blocking socket; what arrives is kept for later."""

    def __init__(self, index: int, process: int, port: int) -> None:
        self.index = index
        self.process = process
        self.port = port
        self.sock: socket.socket | None = None
        self.pieces: list[tuple[float, float, bytes]] = []
        self.events = 0  # a running count (of "event:" lines) to know when to stop waiting
        self.error = ""
        self.ready: asyncio.Future[None] | None = None

    async def open(self, token: str) -> None:
        """Connect, ask for the stream and wait for its first bytes (`retry:`)."""
        loop = asyncio.get_running_loop()
        self.ready = loop.create_future()
        sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        sock.setblocking(False)
        sock.setsockopt(socket.SOL_SOCKET, SO_TIMESTAMPNS, 1)
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.sock = sock
        request = (
            f"GET {LIVE} HTTP/1.1\r\nHost: 127.0.0.1:{self.port}\r\n"
            f"Authorization: Bearer {token}\r\nAccept: text/event-stream\r\n\r\n"
        ).encode()
        await loop.sock_connect(sock, ("127.0.0.1", self.port))
        await loop.sock_sendall(sock, request)
        loop.add_reader(sock.fileno(), self._readable)
        await self.ready

    def _readable(self) -> None:
        assert self.sock is not None  # noqa: S101 (added as a reader after connecting)
        try:
            data, anc, _flags, _addr = self.sock.recvmsg(RECV, ANCILLARY)
        except BlockingIOError:
            return
        except OSError as exc:
            self._end(f"receive failed: {exc}")
            return
        seen = time.time()
        if not data:
            self._end("the server closed the stream")
            return
        self.pieces.append((kernel_time(anc, seen), seen, data))
        self.events += data.count(b"\nevent: ")
        if self.ready is not None and not self.ready.done():
            raw = b"".join(p[2] for p in self.pieces)
            end = raw.find(b"\r\n\r\n")
            if end >= 0 and not raw.startswith(b"HTTP/1.1 200"):
                self._end(raw[: raw.find(b"\r\n")].decode(errors="replace"))
            elif end >= 0 and len(raw) > end + 4:
                self.ready.set_result(None)

    def _end(self, why: str) -> None:
        self.error = self.error or why
        self.close()
        if self.ready is not None and not self.ready.done():
            self.ready.set_exception(ConnectionError(why))

    def close(self) -> None:
        if self.sock is None:
            return
        asyncio.get_running_loop().remove_reader(self.sock.fileno())
        self.sock.close()
        self.sock = None

    def frames(self) -> list[Frame]:
        """The SSE events received, each with the arrival time of its last byte."""
        out: list[Frame] = []
        head, text, chunked = b"", b"", True
        dechunker = Dechunker()
        body_started = False
        for arrived, seen, data in self.pieces:
            if not body_started:
                head += data
                end = head.find(b"\r\n\r\n")
                if end < 0:
                    continue
                chunked = b"transfer-encoding: chunked" in head[:end].lower()
                data, body_started = head[end + 4 :], True
            text += dechunker.feed(data) if chunked else data
            while (end := text.find(b"\n\n")) >= 0:
                block, text = text[:end], text[end + 2 :]
                frame = _parse_frame(block, arrived, seen)
                if frame is not None:
                    out.append(frame)
        return out


def _parse_frame(block: bytes, arrived: float, seen: float) -> Frame | None:
    fields: dict[str, str] = {}
    for line in block.decode().split("\n"):
        if not line or line.startswith(":"):
            continue
        key, _, value = line.partition(":")
        fields[key] = value[1:] if value.startswith(" ") else value
    if "event" not in fields and "data" not in fields:
        return None  # `retry:` or a keep-alive comment
    event_id = int(fields["id"]) if "id" in fields else None
    data = json.loads(fields["data"]) if fields.get("data") else {}
    return Frame(arrived, seen, event_id, fields.get("event", "message"), data)


async def connect(
    subs: list[Subscriber], token: str, at_once: int
) -> tuple[list[Subscriber], list[str]]:
    """Open the streams, `at_once` at a time; those connected and the errors."""
    gate = asyncio.Semaphore(at_once)

    async def one(sub: Subscriber) -> None:
        async with gate:
            try:
                await asyncio.wait_for(sub.open(token), 60)
            except (OSError, TimeoutError, ConnectionError) as exc:
                sub.error = sub.error or f"{type(exc).__name__}: {exc}"
                sub.close()

    await asyncio.gather(*(one(s) for s in subs))
    return [s for s in subs if s.sock is not None], [s.error for s in subs if s.sock is None]


async def wait_for_events(subs: list[Subscriber], count: int, timeout: float) -> float:
    """Wait until every open stream has `count` events (or `timeout`); seconds waited."""
    start = time.monotonic()
    while time.monotonic() - start < timeout:
        if all(s.events >= count or s.sock is None for s in subs):
            break
        await asyncio.sleep(0.05)
    return time.monotonic() - start


# --- measuring ----------------------------------------------------------------------------


def rss_kib(pid: int) -> int:
    """A process's resident memory (VmRSS), KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    return 0


def client_cpu() -> float:
    """This process's CPU time so far (user + system), seconds."""
    t = os.times()
    return t.user + t.system


@dataclass
class Case:
    """One configuration's raw figures."""

    db: str
    processes: int
    subscribers_asked: int
    subscribers: int = 0
    connect_errors: list[str] = field(default_factory=list)
    connect_seconds: float = 0.0
    rss_kib_before: list[int] = field(default_factory=list)
    rss_kib_connected: list[int] = field(default_factory=list)
    rss_kib_after: list[int] = field(default_factory=list)
    per_process: list[int] = field(default_factory=list)
    changes: list[Change] = field(default_factory=list)
    change_seconds: float = 0.0
    waited_after_last: float = 0.0
    server_cpu_s: list[float] = field(default_factory=list)
    client_cpu_s: float = 0.0
    load: list[str] = field(default_factory=list)
    # per sample: subscriber process, change index, arrived/seen minus answered/sent
    samples: list[tuple[int, int, float, float, float, float]] = field(default_factory=list)
    missing: list[tuple[int, int]] = field(default_factory=list)  # subscriber, change
    duplicates: int = 0
    out_of_order: int = 0
    reloads: int = 0
    unexpected: Counter[str] = field(default_factory=Counter)
    stream_errors: list[str] = field(default_factory=list)
    profiles: list[str] = field(default_factory=list)
    failure: str = ""

    def kib_per_subscriber(self) -> float:
        grown = sum(self.rss_kib_connected) - sum(self.rss_kib_before)
        return grown / self.subscribers if self.subscribers else 0.0


def check(case: Case, subs: list[Subscriber]) -> None:
    """Every subscriber, every change, once, in order; latencies of those that arrived."""
    measured = [c for c in case.changes if not c.warmup]
    by_key = {c.key: c for c in case.changes}
    for sub in subs:
        frames = sub.frames()
        got: Counter[tuple[str, str, int]] = Counter()
        last_id = 0
        for f in frames:
            if f.event == "reload":
                case.reloads += 1
                continue
            if f.id is not None:
                if f.id <= last_id:
                    case.out_of_order += 1
                last_id = f.id
            key = (str(f.data.get("change")), str(f.data.get("number")), int(f.data.get("seq", 0)))
            change = by_key.get(key)
            if change is None:
                case.unexpected[key[0]] += 1
                continue
            got[key] += 1
            if got[key] > 1:
                case.duplicates += 1
                continue
            if not change.warmup:
                case.samples.append(
                    (
                        sub.process,
                        change.index,
                        f.arrived - change.answered,
                        f.arrived - change.sent,
                        f.seen - change.answered_user,
                        f.seen - f.arrived,
                    )
                )
        case.missing += [(sub.index, c.index) for c in measured if got[c.key] == 0]
        if sub.error:
            case.stream_errors.append(f"subscriber {sub.index}: {sub.error}")


async def warm_up(poster: Poster, ports: list[int], token: str, args: argparse.Namespace) -> None:
    """A few streams and changes, so that one-time costs are not counted per subscriber."""
    warm = [Subscriber(i, i % len(ports), ports[i % len(ports)]) for i in range(WARMUP_SUBSCRIBERS)]
    warm, errors = await connect(warm, token, args.at_once)
    if errors:
        raise RuntimeError(f"warm-up streams failed: {errors[:3]}")
    await asyncio.to_thread(
        poster.run, WARMUP_CHANGES, (args.interval_min, args.interval_max), True
    )
    await wait_for_events(warm, WARMUP_CHANGES, 10)
    for s in warm:
        s.close()
    await asyncio.sleep(1.5)


def start_profilers(
    case: Case, pids: list[int], args: argparse.Namespace, run_dir: Path
) -> list[subprocess.Popen[bytes]]:
    """`py-spy record` of each server while the changes are made (--profile)."""
    seconds = int(args.changes * args.interval_max) + 5
    py_spy = Path(sys.executable).parent / "py-spy"
    out = []
    for i, pid in enumerate(pids):
        path = run_dir / f"profile-{case.db}-{i}.txt"
        cmd = [str(py_spy), "record", "--pid", str(pid), "--format", "raw",
               "--duration", str(seconds), "--output", str(path), "--rate", "200"]  # fmt: skip
        out.append(subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        case.profiles.append(str(path))
    return out


def print_connected(case: Case) -> None:
    """How many streams are open, and what they cost in memory."""
    failed = (
        f" [red]({len(case.connect_errors)} failed: {case.connect_errors[0]})[/]"
        if case.connect_errors
        else ""
    )
    console.print(
        f"  {case.subscribers:,} of {case.subscribers_asked:,} subscribers connected in "
        f"{case.connect_seconds:.1f} s{failed}"
    )
    memory = ", ".join(
        f"{a / 1024:.1f} → {b / 1024:.1f} MiB"
        for a, b in zip(case.rss_kib_before, case.rss_kib_connected, strict=True)
    )
    console.print(f"  server RSS {memory}: {case.kib_per_subscriber():.1f} KiB per subscriber")


async def measure(
    case: Case, servers: list[Server], args: argparse.Namespace, plan: dict[str, Any]
) -> None:
    """Warm up, memory at rest, connect, changes, memory, check."""
    ports = [s.port for s in servers]
    pids = [s.pid or 0 for s in servers]
    poster = Poster(ports[0], plan["poster_token"], plan["bodies"], args.seed)
    await warm_up(poster, ports, plan["screen_token"], args)
    case.rss_kib_before = [rss_kib(p) for p in pids]

    subs = [Subscriber(i, i % len(ports), ports[i % len(ports)]) for i in range(args.subscribers)]
    with console.status(f"[{case.db}] connecting {args.subscribers:,} subscribers"):
        started = time.monotonic()
        subs, case.connect_errors = await connect(subs, plan["screen_token"], args.at_once)
        case.connect_seconds = time.monotonic() - started
    case.subscribers = len(subs)
    case.per_process = [sum(1 for s in subs if s.process == p) for p in range(len(ports))]
    await asyncio.sleep(2)
    case.rss_kib_connected = [rss_kib(p) for p in pids]
    print_connected(case)
    profilers = start_profilers(case, pids, args, Path(plan["run_dir"])) if args.profile else []
    await asyncio.sleep(1 if profilers else 0)

    # The client's own collector would pause its loop over 1,000 streams' objects (100 ms
    # seen): the kernel's arrival times do not care, but what the client saw would.
    gc.collect()
    gc.freeze()
    gc.disable()
    cpu0, client0, wall0 = [wrk.cpu_seconds(p) for p in pids], client_cpu(), time.monotonic()
    interval = (args.interval_min, args.interval_max)
    with console.status(
        f"[{case.db}] {args.changes} changes, {interval[0]:g}-{interval[1]:g} s apart"
    ):
        await asyncio.to_thread(poster.run, args.changes, interval, False)
        case.change_seconds = time.monotonic() - wall0
        # The warm-up changes came before these streams opened: they get the measured ones.
        case.waited_after_last = await wait_for_events(subs, args.changes, args.wait)
    case.server_cpu_s = [wrk.cpu_seconds(p) - c for p, c in zip(pids, cpu0, strict=True)]
    case.client_cpu_s = client_cpu() - client0
    case.load = Path("/proc/loadavg").read_text().split()[:3]
    case.rss_kib_after = [rss_kib(p) for p in pids]
    gc.enable()
    gc.unfreeze()
    for proc in profilers:
        proc.wait()
    case.changes = poster.made
    for s in subs:
        s.close()
    check(case, subs)


def _options(kind: str, args: argparse.Namespace) -> Options:
    """What `bench.run.fresh_database` needs."""
    return Options(
        dbs=[kind], sizes=[0], duration=0, connections=0, threads=1, pg_url=args.pg_url,
        verify=False, keep=False,
    )  # fmt: skip


def bench_one(kind: str, args: argparse.Namespace, run_dir: Path) -> Case:
    """One configuration, from an empty database to the figures."""
    processes = 1 if kind == "sqlite" else 2
    case = Case(db=kind, processes=processes, subscribers_asked=args.subscribers)
    with fresh_database(kind, _options(kind, args)) as url:
        console.rule(f"[bold]{kind}: live fan-out, {processes} process(es)")
        murphy_cli(url, "db", "upgrade")
        db = Database(url, pool_size=2)
        try:
            generate.fill(db, args.incidents)
            plan: dict[str, Any] = {
                "bodies": report_bodies(db),
                "poster_token": generate.create_token(db),
                "screen_token": generate.create_token(db, "dispatcher1", "live screens"),
                "run_dir": str(run_dir),
            }
        finally:
            db.dispose()
        servers = [Server(url, run_dir / f"server-live-{kind}-{i}.log") for i in range(processes)]
        try:
            for server in servers:
                server.start()
            asyncio.run(measure(case, servers, args, plan))
        except Exception as exc:  # reported; the other database still runs
            case.failure = f"{type(exc).__name__}: {exc}"
            console.print(f"  [bold red]failed:[/] {case.failure}")
        finally:
            for server in servers:
                server.stop()
    return case


# --- the report -------------------------------------------------------------------------


def pct(values: list[float], p: float) -> float:
    """The nearest-rank percentile."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(p / 100 * len(ordered)) - 1))]


def summary(case: Case, process: int | None = None) -> dict[str, Any]:
    """Percentiles (ms) over every subscriber and change, of one process's half or all."""
    rows = [s for s in case.samples if process is None or s[0] == process]
    measured = [c for c in case.changes if not c.warmup]
    subscribers = case.subscribers if process is None else case.per_process[process]
    out: dict[str, Any] = {"subscribers": subscribers, "changes": len(measured)}
    for i, name in enumerate(("from_answer", "from_sent", "seen_from_answer", "client_delay"), 2):
        values = [r[i] * 1000 for r in rows]
        out[name] = {
            "p50": pct(values, 50),
            "p99": pct(values, 99),
            "max": max(values, default=math.nan),
            "min": min(values, default=math.nan),
        }
    last = [max((r[2] for r in rows if r[1] == c.index), default=math.nan) * 1000 for c in measured]
    out["last_subscriber_ms"] = {"p50": pct(last, 50), "max": max(last, default=math.nan)}
    out["deliveries"] = len(rows)
    out["expected"] = subscribers * len(measured)
    return out


def _ms(v: float) -> str:
    return "-" if math.isnan(v) else f"{v:.0f}" if v >= 100 else f"{v:.1f}"


HEADER = [
    "setup", "streams", "p50 ms", "p99 ms", "max ms", "p99 ms from POST sent",
    "last stream, median change ms", "subscribers", "changes", "delivered",
    "memory per subscriber",
]  # fmt: skip


def rows(cases: list[Case]) -> list[list[str]]:
    """The table for docs/benchmarks.md."""
    out = []
    for case in cases:
        if case.failure and not case.samples:
            out.append([case.db, "-", "failed", "", "", "", "", "", "", "", case.failure])
            continue
        parts: list[tuple[str, str, int | None]] = []
        if case.processes == 1:
            parts.append(("SQLite, 1 process", "all", None))
        else:
            parts += [
                ("PostgreSQL, 2 processes", "all", None),
                ("", "same process as the POST", 0),
                ("", "other process (LISTEN/NOTIFY)", 1),
            ]
        for label, streams, process in parts:
            s = summary(case, process)
            f = s["from_answer"]
            memory = f"{case.kib_per_subscriber():.1f} KiB" if process is None else ""
            out.append(
                [
                    label, streams, _ms(f["p50"]), _ms(f["p99"]), _ms(f["max"]),
                    _ms(s["from_sent"]["p99"]), _ms(s["last_subscriber_ms"]["p50"]),
                    f"{s['subscribers']:,}", str(s["changes"]),
                    f"{s['deliveries']:,} / {s['expected']:,}", memory,
                ]
            )  # fmt: skip
    return out


DETAIL_HEADER = [
    "setup", "connect s", "RSS MiB before / connected / after", "server CPU s (per process)",
    "client CPU % of a core", "client's own delay p50 / p99 / max ms",
    "seen by client p50 / p99 / max ms", "load", "missing", "dup", "out of order", "reload",
    "other events",
]  # fmt: skip


def detail_rows(cases: list[Case]) -> list[list[str]]:
    """What the figures rest on: the client's own cost, CPU, memory, delivery."""
    out = []
    for c in cases:
        s = summary(c)
        mib = " / ".join(
            "+".join(f"{k / 1024:.0f}" for k in ks)
            for ks in (c.rss_kib_before, c.rss_kib_connected, c.rss_kib_after)
        )
        wall = c.change_seconds + c.waited_after_last
        d, seen = s["client_delay"], s["seen_from_answer"]
        out.append(
            [
                f"{c.db}, {c.processes} process(es)", f"{c.connect_seconds:.1f}", mib,
                " + ".join(f"{x:.1f}" for x in c.server_cpu_s),
                f"{100 * c.client_cpu_s / wall:.0f}" if wall else "-",
                f"{_ms(d['p50'])} / {_ms(d['p99'])} / {_ms(d['max'])}",
                f"{_ms(seen['p50'])} / {_ms(seen['p99'])} / {_ms(seen['max'])}",
                " ".join(c.load), str(len(c.missing)), str(c.duplicates), str(c.out_of_order),
                str(c.reloads), ", ".join(f"{k} {v}" for k, v in c.unexpected.items()) or "0",
            ]
        )  # fmt: skip
    return out


def problems(cases: list[Case]) -> list[str]:
    """Everything that was not delivered as promised, and the target."""
    lines = []
    for c in cases:
        if c.failure:
            lines.append(f"{c.db}: FAILED: {c.failure}")
        if c.connect_errors:
            lines.append(
                f"{c.db}: {len(c.connect_errors)} of {c.subscribers_asked} streams did not "
                f"connect, e.g. {Counter(c.connect_errors).most_common(3)}"
            )
        if c.missing:
            subs = len({m[0] for m in c.missing})
            lines.append(
                f"{c.db}: {len(c.missing):,} deliveries MISSING ({subs} subscribers), "
                f"e.g. {c.missing[:5]}"
            )
        for what, n in (
            ("duplicated", c.duplicates),
            ("out of order", c.out_of_order),
            ("reload", c.reloads),
        ):
            if n:
                lines.append(f"{c.db}: {n} events {what}")
        if c.stream_errors:
            lines.append(f"{c.db}: {len(c.stream_errors)} streams ended: {c.stream_errors[:3]}")
        if c.samples:
            p99 = summary(c)["from_answer"]["p99"]
            verdict = "met" if p99 < TARGET_P99_MS else "MISSED"
            lines.append(
                f"{c.db}: p99 {p99:.1f} ms at {c.subscribers:,} subscribers "
                f"(target < {TARGET_P99_MS:g} ms): {verdict}"
            )
    return lines


def as_json(case: Case) -> dict[str, Any]:
    """Everything of one configuration, for the JSON results."""
    halves = {"all": summary(case)}
    if case.processes > 1:
        halves |= {"same_process": summary(case, 0), "other_process": summary(case, 1)}
    raw = asdict(case)
    del raw["samples"]  # one row per subscriber and change: summarised per change below
    raw["unexpected"] = dict(case.unexpected)
    raw["kib_per_subscriber"] = round(case.kib_per_subscriber(), 2)
    raw["summary"] = halves
    raw["per_change"] = [
        {
            **asdict(ch),
            "post_ms": round((ch.answered - ch.sent) * 1000, 2),
            "received_by": sum(1 for s in case.samples if s[1] == ch.index),
            "p50_ms": pct([s[2] * 1000 for s in case.samples if s[1] == ch.index], 50),
            "max_ms": max((s[2] * 1000 for s in case.samples if s[1] == ch.index), default=None),
        }
        for ch in case.changes
    ]
    return raw


def raise_file_limit() -> tuple[int, int]:
    """Open files: the soft limit up to the hard one (the servers inherit it)."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard == resource.RLIM_INFINITY or soft < hard:
        resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.live`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.live", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--subscribers", type=int, default=1000)
    parser.add_argument("--changes", type=int, default=30, help="measured changes")
    parser.add_argument("--interval-min", type=float, default=0.5, help="seconds between changes")
    parser.add_argument("--interval-max", type=float, default=1.0)
    parser.add_argument("--incidents", type=int, default=300, help="in the database beforehand")
    parser.add_argument("--at-once", type=int, default=100, help="streams opened concurrently")
    parser.add_argument("--wait", type=float, default=10.0, help="seconds for stragglers")
    parser.add_argument("--seed", type=int, default=2026)
    parser.add_argument("--pg-url", default=PG_URL, help="PostgreSQL database to (re)create")
    parser.add_argument("--profile", action="store_true", help="py-spy record the servers")
    args = parser.parse_args(argv)
    limit = raise_file_limit()
    if limit[0] < args.subscribers + 200:
        console.print(f"[red]open files limited to {limit[0]}: fewer streams will connect[/]")
    started = datetime.now(UTC)
    run_dir = RESULTS / started.strftime("%Y%m%dT%H%M%SZ")
    run_dir.mkdir(parents=True, exist_ok=True)
    info = machine()
    command = "python -m bench.live " + " ".join(argv if argv is not None else sys.argv[1:])
    console.print(
        f"[bold]Murphy live fan-out[/] · {info['cpu']} · {info['nproc']} cores · {command}"
    )
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    if "postgresql" in kinds:
        with fresh_database("postgresql", _options("postgresql", args)) as url:
            info["postgresql"] = postgres_version(url)
    cases: list[Case] = []
    path = run_dir / "live.json"
    for kind in kinds:
        cases.append(bench_one(kind, args, run_dir))
        info["loadavg_end"] = Path("/proc/loadavg").read_text().split()[:3]
        path.write_text(
            json.dumps(
                {
                    "started": started.isoformat(),
                    "command": command.strip(),
                    "args": vars(args),
                    "open_files": limit,
                    "machine": info,
                    "cases": [as_json(c) for c in cases],
                    "problems": problems(cases),
                },
                indent=2,
                default=str,
            )
        )
    console.print(f"results: {path}")
    print(f"<!-- {command.strip()} · {started:%Y-%m-%d %H:%M} UTC · commit {info['commit']} -->")
    print(markdown(HEADER, rows(cases)))
    print()
    print(markdown(DETAIL_HEADER, detail_rows(cases)))
    print()
    for line in problems(cases):
        print(f"- {line}")


if __name__ == "__main__":
    main()
