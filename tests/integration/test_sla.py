"""Service-target clocks through the real services: started by classification, met at
their milestones, paused, moved by a priority change, breached once by the scheduler."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import dataclass
from datetime import datetime, timedelta

import pytest
from sqlalchemy import event, select

from murphy.core import hooks, timers
from murphy.core.clock import utcnow
from murphy.core.errors import Conflict
from murphy.core.events import EventBus
from murphy.core.models import Timer
from murphy.core.scheduler import Scheduler
from murphy.core.writer import Writer
from murphy.incidents import audit, triage
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import (
    ClassifyIn,
    IncidentCreate,
    IncidentUpdate,
    PriorityIn,
    TransitionIn,
)
from murphy.sla import service as sla_service
from murphy.sla.schemas import ClockOut, TargetIn
from tests.factories import Account

HOUR = timedelta(hours=1)
MIN = timedelta(minutes=1)


@dataclass
class Org:
    dana: Account  # dispatcher, every site
    olga: Account  # officer


@pytest.fixture
def org(factory) -> Org:
    factory.site("HQ")
    factory.site("DC", timezone="UTC")
    factory.taxonomy()
    return Org(
        dana=factory.user("dana", "dispatcher", all_sites=True),
        olga=factory.user("olga", "officer", all_sites=True),
    )


def report(db, who: Account, at: datetime, site: str = "HQ") -> str:
    with db.transaction() as s:
        data = IncidentCreate(title="Someone in the server room", site=site)
        return incidents_service.report(s, principal=who.principal, data=data, now=at).number


def classify(db, who: Account, number: str, code: str, at: datetime, **kw) -> None:
    with db.transaction() as s:
        data = ClassifyIn(type=code, **kw)
        triage.classify(s, principal=who.principal, number=number, data=data, now=at)


def move(db, who: Account, number: str, at: datetime, to: str, **kw) -> None:
    with db.transaction() as s:
        incidents_service.transition(
            s, principal=who.principal, number=number, data=TransitionIn(to=to, **kw), now=at
        )


def clocks(db, who: Account, number: str) -> dict[str, ClockOut]:
    with db.transaction(write=False) as s:
        incident = incidents_service.get_or_raise(s, principal=who.principal, number=number)
        return {c.kind: c for c in sla_service.clocks(s, incident_id=incident.id)}


def timer(db, number: str, kind: str) -> Timer | None:
    with db.transaction(write=False) as s:
        return s.scalar(select(Timer).where(Timer.subject == f"{number}/{kind}"))


def entries(db, who: Account, number: str, kind: str) -> list[dict]:
    with db.transaction(write=False) as s:
        found = incidents_service.timeline(s, principal=who.principal, number=number)
        return [e.data for e in found if e.kind == kind]


def drain(db, now: datetime | None = None) -> int:
    """Fire what is due, as a scheduler of this process would."""
    with db.session(write=False) as s:
        handlers = timers.collect(hooks.manager(s).hook.timer_handlers())

    async def go() -> int:
        writer = Writer(db, EventBus())
        writer.start()
        try:
            return await Scheduler(db, writer, handlers, clock=lambda: now or utcnow()).drain()
        finally:
            writer.stop()

    return asyncio.run(go())


def test_classification_starts_the_three_clocks_at_the_report(db, org):
    t0 = utcnow() - 10 * MIN
    number = report(db, org.dana, t0)
    assert clocks(db, org.dana, number) == {}  # no priority, no clocks
    classify(db, org.dana, number, "theft", t0 + 3 * MIN)  # impact 3 x urgency 3: P3
    found = clocks(db, org.dana, number)
    assert {k: c.target_minutes for k, c in found.items()} == {
        "acknowledge": 15,
        "respond": 60,
        "resolve": 1440,
    }
    for kind, c in found.items():
        assert c.started_at == t0
        assert c.due_at == t0 + timedelta(minutes=c.target_minutes)
        pending = timer(db, number, kind)
        assert pending is not None and pending.state == "pending"
        assert pending.kind == "sla.breach" and pending.due_at == c.due_at


def test_clocks_are_met_at_their_milestones_and_their_timers_cancelled(db, org):
    t0 = utcnow() - 30 * MIN
    number = report(db, org.dana, t0)
    classify(db, org.dana, number, "theft", t0 + MIN)
    move(db, org.dana, number, t0 + 2 * MIN, "triaged")  # triage acknowledges
    move(db, org.olga, number, t0 + 9 * MIN, "responding")
    found = clocks(db, org.dana, number)
    assert found["acknowledge"].met_at == t0 + 2 * MIN
    assert found["respond"].met_at == t0 + 9 * MIN
    assert found["resolve"].met_at is None
    assert timer(db, number, "acknowledge").state == "cancelled"
    assert timer(db, number, "respond").state == "cancelled"
    assert timer(db, number, "resolve").state == "pending"
    move(db, org.olga, number, t0 + 20 * MIN, "resolved", resolution_code="resolved", reason="ok")
    assert clocks(db, org.dana, number)["resolve"].met_at == t0 + 20 * MIN
    assert timer(db, number, "resolve").state == "cancelled"
    with db.transaction(write=False) as s:
        incident = incidents_service.get_or_raise(s, principal=org.dana.principal, number=number)
        assert sla_service.next_due(s, incident_ids=[incident.id]) == {}


def test_acknowledging_meets_the_acknowledge_clock(db, org):
    t0 = utcnow() - 5 * MIN
    number = report(db, org.dana, t0)
    classify(db, org.dana, number, "theft", t0)
    with db.transaction() as s:
        triage.acknowledge(s, principal=org.dana.principal, number=number, now=t0 + 4 * MIN)
    assert clocks(db, org.dana, number)["acknowledge"].met_at == t0 + 4 * MIN
    assert timer(db, number, "acknowledge").state == "cancelled"


def test_acknowledged_before_classification_starts_met(db, org):
    t0 = utcnow() - 5 * MIN
    number = report(db, org.dana, t0)
    with db.transaction() as s:
        triage.acknowledge(s, principal=org.dana.principal, number=number, now=t0 + MIN)
    classify(db, org.dana, number, "theft", t0 + 2 * MIN)
    assert clocks(db, org.dana, number)["acknowledge"].met_at == t0 + MIN
    assert timer(db, number, "acknowledge") is None


def test_reopening_restarts_the_resolve_clock(db, org):
    t0 = utcnow() - 2 * HOUR
    number = report(db, org.dana, t0)
    classify(db, org.dana, number, "theft", t0)
    move(db, org.dana, number, t0 + MIN, "triaged")
    move(db, org.olga, number, t0 + 2 * MIN, "responding")
    move(db, org.olga, number, t0 + 3 * MIN, "resolved", resolution_code="resolved", reason="ok")
    reopened = t0 + HOUR
    move(db, org.dana, number, reopened, "triaged", reason="it happened again")
    resolve = clocks(db, org.dana, number)["resolve"]
    assert resolve.started_at == reopened and resolve.met_at is None
    assert resolve.due_at == reopened + timedelta(minutes=1440)
    assert timer(db, number, "resolve").state == "pending"
    assert timer(db, number, "resolve").due_at == resolve.due_at
    assert clocks(db, org.dana, number)["respond"].met_at == t0 + 2 * MIN  # kept


def test_cancelling_stops_every_clock(db, org):
    t0 = utcnow() - 10 * MIN
    number = report(db, org.dana, t0)
    classify(db, org.dana, number, "theft", t0)
    move(db, org.dana, number, t0 + MIN, "cancelled", reason="a drill")
    for kind, c in clocks(db, org.dana, number).items():
        assert c.paused and c.pause_reason == "stopped: incident cancelled", kind
        assert timer(db, number, kind).state == "cancelled"
    with db.transaction(write=False) as s:
        incident = incidents_service.get_or_raise(s, principal=org.dana.principal, number=number)
        assert sla_service.next_due(s, incident_ids=[incident.id]) == {}
        with pytest.raises(Conflict, match="it is cancelled"):
            sla_service.resume(s, incident=incidents_service.facts(incident))


def test_a_priority_change_moves_the_timers_and_keeps_met_clocks(db, org):
    t0 = utcnow() - 10 * MIN
    number = report(db, org.dana, t0)
    classify(db, org.dana, number, "theft", t0)  # P3
    with db.transaction() as s:
        triage.acknowledge(s, principal=org.dana.principal, number=number, now=t0 + MIN)
        triage.prioritize(
            s,
            principal=org.dana.principal,
            number=number,
            data=PriorityIn(priority=1, reason="the thief is still on site"),
            now=t0 + 2 * MIN,
        )
    found = clocks(db, org.dana, number)
    assert found["acknowledge"].target_minutes == 15 and found["acknowledge"].met_at == t0 + MIN
    assert found["respond"].target_minutes == 10 and found["resolve"].target_minutes == 240
    assert timer(db, number, "respond").due_at == t0 + 10 * MIN
    assert timer(db, number, "resolve").due_at == t0 + 240 * MIN
    assert timer(db, number, "acknowledge").state == "cancelled"


def test_a_type_without_a_respond_target_drops_the_running_respond_clock(db, org):
    t0 = utcnow() - 10 * MIN
    number = report(db, org.dana, t0)
    classify(db, org.dana, number, "theft", t0)
    with db.transaction() as s:
        triage.prioritize(
            s,
            principal=org.dana.principal,
            number=number,
            data=PriorityIn(priority=5, reason="found, nothing missing"),
            now=t0 + MIN,
        )
    assert set(clocks(db, org.dana, number)) == {"acknowledge", "resolve"}  # P5: no respond
    assert timer(db, number, "respond").state == "cancelled"


def test_pause_and_resume_move_the_due_times_by_the_whole_seconds_paused(db, org):
    t0 = utcnow() - 20 * MIN
    number = report(db, org.dana, t0)
    classify(db, org.dana, number, "theft", t0)
    move(db, org.dana, number, t0 + MIN, "triaged")

    def facts(s):
        found = incidents_service.get_or_raise(s, principal=org.dana.principal, number=number)
        return incidents_service.facts(found)

    with db.transaction() as s:
        paused = sla_service.pause(
            s, incident=facts(s), reason="waiting for the police", now=t0 + 5 * MIN
        )
    assert paused == ["respond", "resolve"]  # acknowledge was met at triage
    assert timer(db, number, "respond").state == "cancelled"
    with db.transaction() as s, pytest.raises(Conflict, match="paused already"):
        sla_service.pause(s, incident=facts(s), reason="again", now=t0 + 6 * MIN)
    with db.transaction() as s:
        out = sla_service.resume(s, incident=facts(s), now=t0 + 12 * MIN + timedelta(seconds=7.9))
    assert out == {"clocks": ["respond", "resolve"], "paused_seconds": 7 * 60 + 7}
    found = clocks(db, org.dana, number)
    shift = timedelta(minutes=7, seconds=7)
    assert found["respond"].due_at == t0 + 60 * MIN + shift
    assert found["resolve"].due_at == t0 + 1440 * MIN + shift
    assert timer(db, number, "respond").state == "pending"
    assert timer(db, number, "respond").due_at == found["respond"].due_at
    with db.transaction() as s, pytest.raises(Conflict, match="not paused"):
        sla_service.resume(s, incident=facts(s), now=t0 + 13 * MIN)


def test_a_breach_fires_once_and_is_on_the_timeline(db, org):
    t0 = utcnow() - HOUR
    number = report(db, org.dana, t0)
    classify(db, org.dana, number, "intrusion", t0 + MIN)  # impact 2 x urgency 1: P1 2/10/240
    assert drain(db) == 2  # acknowledge (due t0+2min) and respond (t0+10min); resolve is not due
    breached = entries(db, org.dana, number, "sla_breached")
    assert sorted(e["clock"] for e in breached) == ["acknowledge", "respond"]
    found = clocks(db, org.dana, number)
    assert found["acknowledge"].breached_at == t0 + 2 * MIN
    assert found["respond"].breached_at == t0 + 10 * MIN
    assert found["resolve"].breached_at is None
    assert drain(db) == 0
    assert len(entries(db, org.dana, number, "sla_breached")) == 2
    with db.transaction(write=False) as s:
        entry = next(
            e
            for e in incidents_service.timeline(s, principal=org.dana.principal, number=number)
            if e.kind == "sla_breached"
        )
        assert entry.actor is None and entry.actor_id is None  # the system
        assert audit.verify(s).ok


def test_a_clock_met_after_its_timer_came_due_is_not_breached(db, org):
    """The handler re-checks: a timer left pending for a met clock does nothing."""
    t0 = utcnow() - HOUR
    number = report(db, org.dana, t0)
    classify(db, org.dana, number, "intrusion", t0)
    with db.transaction() as s:
        triage.acknowledge(s, principal=org.dana.principal, number=number, now=t0 + 5 * MIN)
        s.execute(  # as if the acknowledgement had raced the scheduler
            Timer.__table__.update()
            .where(Timer.subject == f"{number}/acknowledge")
            .values(state="pending")
        )
    assert drain(db) == 2  # acknowledge (nothing to do) and respond
    assert [e["clock"] for e in entries(db, org.dana, number, "sla_breached")] == ["respond"]
    assert timer(db, number, "acknowledge").state == "fired"
    assert clocks(db, org.dana, number)["acknowledge"].breached_at is None


def test_a_paused_clock_does_not_breach_and_breaches_later_after_resume(db, org):
    t0 = utcnow() - 9 * MIN
    number = report(db, org.dana, t0)
    classify(db, org.dana, number, "intrusion", t0)  # respond due t0+10min
    move(db, org.dana, number, t0 + MIN, "triaged")
    with db.transaction() as s:
        found = incidents_service.get_or_raise(s, principal=org.dana.principal, number=number)
        sla_service.pause(
            s, incident=incidents_service.facts(found), reason="fire brigade", now=t0 + 2 * MIN
        )
    assert drain(db, now=t0 + 30 * MIN) == 0
    with db.transaction() as s:
        found = incidents_service.get_or_raise(s, principal=org.dana.principal, number=number)
        sla_service.resume(s, incident=incidents_service.facts(found), now=t0 + 32 * MIN)
    respond = clocks(db, org.dana, number)["respond"]
    assert respond.due_at == t0 + 40 * MIN
    assert drain(db, now=t0 + 39 * MIN) == 0
    assert drain(db, now=t0 + 40 * MIN) == 1
    assert clocks(db, org.dana, number)["respond"].breached_at == t0 + 40 * MIN


def test_the_target_table_refines_by_type_then_site(db, org):
    with db.transaction() as s:
        sla_service.set_targets(
            s,
            data=[
                TargetIn(priority=3, acknowledge_minutes=11, resolve_minutes=100),
                TargetIn(priority=3, site="DC", acknowledge_minutes=12, resolve_minutes=100),
                TargetIn(priority=3, type="theft", acknowledge_minutes=13, resolve_minutes=100),
                TargetIn(
                    priority=3, type="theft", site="DC", acknowledge_minutes=14, resolve_minutes=100
                ),
            ],
        )
    t0 = utcnow()

    def ack_minutes(code: str, site: str) -> int:
        number = report(db, org.dana, t0, site=site)
        classify(db, org.dana, number, code, t0, impact=3, urgency=3)
        return clocks(db, org.dana, number)["acknowledge"].target_minutes

    assert ack_minutes("theft.vehicle", "DC") == 14  # a subtype takes its type's rows
    assert ack_minutes("theft.vehicle", "HQ") == 13
    assert ack_minutes("intrusion", "DC") == 12
    assert ack_minutes("intrusion", "HQ") == 11
    number = report(db, org.dana, t0, site="HQ")
    classify(db, org.dana, number, "theft", t0)
    with db.transaction() as s:
        incidents_service.update(
            s, principal=org.dana.principal, number=number, data=IncidentUpdate(site="DC"), now=t0
        )
    assert clocks(db, org.dana, number)["acknowledge"].target_minutes == 14  # moved site
    assert "respond" not in clocks(db, org.dana, number)  # the row has no respond target


def test_next_due_is_one_query_for_a_page(db, org):
    t0 = utcnow() - 3 * MIN
    numbers = [report(db, org.dana, t0) for _ in range(5)]
    for n in numbers:
        classify(db, org.dana, n, "theft", t0)
    move(db, org.dana, numbers[0], t0 + MIN, "triaged")
    statements: list[str] = []

    def count(conn, cursor, statement, *args) -> None:
        statements.append(statement)

    with db.transaction(write=False) as s:
        ids = {
            n: incidents_service.get_or_raise(s, principal=org.dana.principal, number=n).id
            for n in numbers
        }
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            due = sla_service.next_due(s, incident_ids=[*ids.values(), 999_999])
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert due[ids[numbers[0]]].kind == "respond"  # acknowledged: respond is next
    assert {due[ids[n]].kind for n in numbers[1:]} == {"acknowledge"}
    assert due[ids[numbers[1]]].due_at == t0 + 15 * MIN and not due[ids[numbers[1]]].breached


def murphy(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "MURPHY_DATABASE_URL": database_url, "COLUMNS": "200", "NO_COLOR": "1"}
    return subprocess.run(
        [sys.executable, "-m", "murphy", *args], env=env, capture_output=True, text=True
    )


def test_the_cli_shows_and_sets_matrix_and_targets(db, org, database_url, tmp_path):
    done = murphy(
        database_url, "sla", "target", "set", "--priority", "2", "--type", "theft",
        "--acknowledge", "3", "--respond", "none", "--resolve", "90",
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    bad = murphy(
        database_url, "sla", "target", "set", "--priority", "2",
        "--acknowledge", "100", "--respond", "none", "--resolve", "20",
    )  # fmt: skip
    assert bad.returncode == 1
    assert "P2: acknowledge (100 min) cannot be later than resolve (20 min)" in bad.stderr
    (tmp_path / "matrix.yaml").write_text("matrix:\n" + "  - [1, 1, 1, 1, 1]\n" * 5)
    assert (
        murphy(database_url, "sla", "matrix", "set", str(tmp_path / "matrix.yaml")).returncode == 0
    )
    (tmp_path / "bad.yaml").write_text("[[1, 2], [3]]")
    bad = murphy(database_url, "sla", "matrix", "set", str(tmp_path / "bad.yaml"))
    assert bad.returncode == 1 and "the matrix needs 5 rows" in bad.stderr
    shown = murphy(database_url, "sla", "show")
    assert shown.returncode == 0, shown.stderr
    assert "Priority matrix" in shown.stdout and "(default)" not in shown.stdout
    assert "│ P2       │ theft │ any  │ 3 min       │ -       │ 1 h 30 min │ table" in shown.stdout
    with db.transaction(write=False) as s:
        assert sla_service.matrix(s).matrix == [[1] * 5] * 5
        (row,) = sla_service.targets(s).targets
        assert (row.priority, row.type, row.resolve_minutes) == (2, "theft", 90)
    assert (
        murphy(
            database_url, "sla", "target", "unset", "--priority", "2", "--type", "theft"
        ).returncode
        == 0
    )
    with db.transaction(write=False) as s:
        assert sla_service.targets(s).targets == []
