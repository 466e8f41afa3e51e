"""Durable timers: scheduling, firing exactly once in the transaction of their effects,
surviving restarts and crashes, and two processes on PostgreSQL never firing one twice."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select

from murphy.core import config, timers
from murphy.core.clock import utcnow
from murphy.core.events import EventBus
from murphy.core.models import ConfigEntry, Timer
from murphy.core.scheduler import Scheduler
from murphy.core.writer import Writer
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.models import TimelineEntry
from murphy.incidents.schemas import ClassifyIn, IncidentCreate

REPO = Path(__file__).resolve().parents[2]
SEC = timedelta(seconds=1)


def ping(session, timer: timers.DueTimer) -> None:
    """A handler whose effect can be counted: ping/<subject> += 1 in the config table."""
    key = f"ping/{timer.subject}"
    config.put(session, key, (config.get(session, key) or 0) + 1, actor=None, now=timer.fired_at)


def fail_on_bad(session, timer: timers.DueTimer) -> None:
    ping(session, timer)  # rolled back with the failure
    if timer.subject.startswith("bad"):
        raise RuntimeError("the handler fell over")


HANDLERS = {"test.ping": ping}


def schedule(db, subject: str, due: datetime, kind: str = "test.ping") -> None:
    with db.transaction() as s:
        timers.schedule(s, kind=kind, subject=subject, due_at=due, payload={"n": subject})


def pings(db) -> dict[str, int]:
    with db.transaction(write=False) as s:
        rows = s.scalars(select(ConfigEntry).where(ConfigEntry.key.like("ping/%"))).all()
        return {r.key.removeprefix("ping/"): r.value for r in rows}


def states(db) -> dict[str, str]:
    with db.transaction(write=False) as s:
        return {t.subject: t.state for t in s.scalars(select(Timer))}


def fire(db, now: datetime, handlers=HANDLERS, limit: int = 100) -> int:
    with db.transaction() as s:
        return timers.fire_due(s, handlers, now=now, limit=limit)


@pytest.fixture
def writer(db) -> Iterator[Writer]:
    w = Writer(db, EventBus())
    w.start()
    yield w
    w.stop()


def test_schedule_moves_a_pending_timer_and_rearms_a_fired_one(db):
    t0 = utcnow()
    schedule(db, "a", t0 + 60 * SEC)
    schedule(db, "a", t0 - SEC)  # moved: one timer, now due
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Timer)) == 1
        assert timers.next_due(s, ["test.ping"]) == t0 - SEC
        assert timers.next_due(s, ["other.kind"]) is None
    assert fire(db, t0) == 1
    assert states(db) == {"a": "fired"} and pings(db) == {"a": 1}
    schedule(db, "a", t0 + SEC)  # armed again
    assert states(db) == {"a": "pending"}
    with db.transaction() as s:
        timers.cancel(s, kind="test.ping", subject="a")
    assert states(db) == {"a": "cancelled"}
    assert fire(db, t0 + 10 * SEC) == 0 and pings(db) == {"a": 1}


def test_only_due_timers_fire_oldest_first_in_batches(db):
    t0 = utcnow()
    for i in range(5):
        schedule(db, f"t{i}", t0 - (5 - i) * SEC)
    schedule(db, "later", t0 + 60 * SEC)
    assert fire(db, t0, limit=3) == 3
    assert {k for k, v in states(db).items() if v == "fired"} == {"t0", "t1", "t2"}
    assert fire(db, t0, limit=3) == 2
    assert pings(db) == {f"t{i}": 1 for i in range(5)}
    assert states(db)["later"] == "pending"


def test_a_crash_before_commit_loses_nothing_and_fires_nothing(db):
    t0 = utcnow()
    schedule(db, "a", t0 - SEC)
    with pytest.raises(RuntimeError), db.transaction() as s:
        assert timers.fire_due(s, HANDLERS, now=t0, limit=10) == 1
        raise RuntimeError("the process died before the commit")
    assert states(db) == {"a": "pending"} and pings(db) == {}
    assert fire(db, t0) == 1
    assert pings(db) == {"a": 1}


def test_a_failing_handler_is_retried_later_without_its_effects(db):
    t0 = utcnow()
    schedule(db, "bad", t0 - SEC)
    schedule(db, "good", t0 - SEC)
    assert fire(db, t0, handlers={"test.ping": fail_on_bad}) == 2
    assert pings(db) == {"good": 1}  # the failure rolled back only its own savepoint
    with db.transaction(write=False) as s:
        bad = s.scalar(select(Timer).where(Timer.subject == "bad"))
        assert bad.state == "pending" and bad.due_at == t0 + timers.RETRY_SECONDS * SEC
        assert bad.payload["_attempts"] == 1 and "fell over" in bad.payload["_error"]
    now = t0
    for _ in range(timers.MAX_ATTEMPTS - 1):
        now += timedelta(days=1)
        assert fire(db, now, handlers={"test.ping": fail_on_bad}) == 1
    assert states(db)["bad"] == "failed"
    assert fire(db, now + timedelta(days=1), handlers={"test.ping": fail_on_bad}) == 0


def test_handlers_for_one_kind_twice_are_refused():
    assert timers.collect([{"a": ping}, None, {"b": ping}]) == {"a": ping, "b": ping}
    with pytest.raises(ValueError, match="two handlers for timers of kind 'a'"):
        timers.collect([{"a": ping}, {"a": fail_on_bad}])


async def _until(predicate, timeout: float = 10.0) -> float:
    started = time.monotonic()
    while not predicate():
        if time.monotonic() - started > timeout:
            raise AssertionError("timed out")
        await asyncio.sleep(0.02)
    return time.monotonic() - started


def test_a_timer_committed_in_this_process_wakes_the_scheduler(db, writer):
    """The scheduler polls only every 30 s here; a timer scheduled through this
    process's writer still fires at its due time."""

    async def go() -> float:
        scheduler = Scheduler(db, writer, HANDLERS, bus=writer.bus, poll=30.0)
        scheduler.start()
        try:
            await asyncio.sleep(0.2)  # asleep now, for 30 s
            due = utcnow() + 0.3 * SEC
            await writer.run(
                lambda s: timers.schedule(s, kind="test.ping", subject="soon", due_at=due)
            )
            return await _until(lambda: scheduler.fired == 1, timeout=5)
        finally:
            await scheduler.stop()

    took = asyncio.run(go())
    assert 0.25 <= took < 2.0
    assert pings(db) == {"soon": 1}


def test_a_timer_made_by_another_process_is_seen_within_the_poll(db, writer):
    async def go() -> float:
        scheduler = Scheduler(db, writer, HANDLERS, bus=writer.bus, poll=0.3)
        scheduler.start()
        try:
            await asyncio.sleep(0.1)
            schedule(db, "elsewhere", utcnow())  # not through this writer: no wake-up
            return await _until(lambda: scheduler.fired == 1, timeout=5)
        finally:
            await scheduler.stop()

    assert asyncio.run(go()) < 1.5
    assert pings(db) == {"elsewhere": 1}


def test_a_restart_fires_what_came_due_while_down_and_never_refires(db, writer):
    t0 = utcnow()
    for i in range(3):
        schedule(db, f"before{i}", t0 - SEC)

    async def run_scheduler(expect: int) -> int:
        scheduler = Scheduler(db, writer, HANDLERS, bus=writer.bus, poll=0.1)
        scheduler.start()
        try:
            await _until(lambda: scheduler.fired >= expect)
            await asyncio.sleep(0.3)  # a few more rounds: nothing else may fire
            return scheduler.fired
        finally:
            await scheduler.stop()

    assert asyncio.run(run_scheduler(3)) == 3
    for i in range(4):  # while no scheduler runs
        schedule(db, f"down{i}", utcnow() - SEC)
    assert asyncio.run(run_scheduler(4)) == 4  # a new scheduler on the same database
    assert pings(db) == {**{f"before{i}": 1 for i in range(3)}, **{f"down{i}": 1 for i in range(4)}}


# --- real processes ----------------------------------------------------------------------


def _worker(url: str, log: Path, *args: str) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MURPHY_DATABASE_URL": url, "MURPHY_LOG_LEVEL": "warning"}
    with log.open("wb") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "murphy", "worker", *args],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


def _overdue_incidents(db, factory, count: int) -> None:
    """`count` incidents reported two hours ago and classified as theft (P3): their
    acknowledge (15 min) and respond (60 min) clocks are overdue, in one commit."""
    factory.site("HQ")
    factory.taxonomy()
    dana = factory.user("dana", "dispatcher", all_sites=True)
    reported = utcnow() - timedelta(hours=2)
    with db.transaction() as s:
        for i in range(count):
            incident = incidents_service.report(
                s,
                principal=dana.principal,
                data=IncidentCreate(title=f"Bike {i} stolen", site="HQ"),
                now=reported,
            )
            triage.classify(
                s, principal=dana.principal, number=incident.number, data=ClassifyIn(type="theft")
            )


def _counts(db) -> tuple[int, int, int, int]:
    """Fired timers, pending due timers, sla_breached entries, distinct breached clocks."""
    with db.transaction(write=False) as s:
        fired = s.scalar(select(func.count()).select_from(Timer).where(Timer.state == "fired"))
        pending = s.scalar(
            select(func.count())
            .select_from(Timer)
            .where(Timer.state == "pending", Timer.due_at <= utcnow())
        )
        breached = s.scalars(
            select(TimelineEntry).where(TimelineEntry.kind == "sla_breached")
        ).all()
    distinct = {(e.incident_id, e.data["clock"]) for e in breached}
    return int(fired or 0), int(pending or 0), len(breached), len(distinct)


def _fired_by(log: Path) -> int:
    text = log.read_text()
    return int(text.rsplit("fired ", 1)[1].split()[0])


@pytest.mark.slow
def test_a_killed_worker_loses_nothing_and_its_successor_fires_nothing_twice(
    db, factory, database_url, tmp_path
):
    log = tmp_path / "worker.log"
    proc = _worker(database_url, log, "--batch", "5")
    try:
        _wait_for(lambda: "firing timers" in log.read_text(), 30, "the worker to start")
        _overdue_incidents(db, factory, 150)  # 300 breaches due at once
        _wait_for(lambda: _counts(db)[0] >= 20, 30, "some breaches")
        proc.send_signal(signal.SIGKILL)  # no clean-up at all, mid-storm
        proc.wait(10)
    finally:
        if proc.poll() is None:
            proc.kill()
    fired_before = _counts(db)[0]
    assert 20 <= fired_before < 300
    done = subprocess.run(
        [sys.executable, "-m", "murphy", "worker", "--once"],
        cwd=REPO,
        env={**os.environ, "MURPHY_DATABASE_URL": database_url},
        capture_output=True,
        text=True,
        check=True,
    )
    assert f"fired {300 - fired_before} timer(s)" in done.stdout
    assert _counts(db) == (300, 0, 300, 300)


@pytest.mark.slow
def test_two_workers_on_postgresql_fire_each_breach_exactly_once(
    db, factory, database_url, tmp_path
):
    if db.is_sqlite:
        pytest.skip("several processes racing for timers need PostgreSQL (SKIP LOCKED)")
    logs = [tmp_path / "worker-1.log", tmp_path / "worker-2.log"]
    procs = [_worker(database_url, log, "--batch", "10") for log in logs]
    try:
        for log in logs:
            _wait_for(lambda log=log: "firing timers" in log.read_text(), 30, "the workers")
        _overdue_incidents(db, factory, 250)  # 500 breaches due at the same moment
        _wait_for(lambda: _counts(db)[:2] == (500, 0), 60, "every breach to fire")
        time.sleep(1.0)  # a few more polls by both: nothing may fire again
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(30)
    assert [p.returncode for p in procs] == [0, 0]
    by_worker = [_fired_by(log) for log in logs]
    print("fired by each worker:", by_worker)
    assert sum(by_worker) == 500
    assert min(by_worker) > 0, by_worker  # both really took part
    assert _counts(db) == (500, 0, 500, 500)
