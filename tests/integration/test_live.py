"""The live stream over a real server: what is committed arrives, in order, to those who
may see it; a screen that loses its stream and comes back with Last-Event-ID gets what
it missed and nothing twice; one too far behind is told to reload; and a change made
through one server process reaches a screen connected to another."""

from __future__ import annotations

import contextlib
import json
import queue
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import pytest
from sqlalchemy import delete

from murphy.app import create_app
from murphy.core.db import Database
from murphy.core.models import LiveEvent
from murphy.settings import Settings
from tests.e2e.live import serve
from tests.factories import Account, Factory

LIVE = "/api/v1/live"


class Stream:
    """An SSE client on a thread: its events arrive on a queue as (id, name, data)."""

    def __init__(self, base: str, account: Account, last_id: int | None = None) -> None:
        self.events: queue.Queue[tuple[int | None, str, dict[str, Any]]] = queue.Queue()
        self.headers = dict(account.headers)
        if last_id is not None:
            self.headers["Last-Event-ID"] = str(last_id)
        self.url = base + LIVE
        self.open = threading.Event()
        self.closing = False
        self.thread = threading.Thread(target=self._read, daemon=True)
        self.thread.start()
        assert self.open.wait(10), "the stream did not open"

    def _read(self) -> None:
        try:
            self._frames()
        except (httpx.HTTPError, OSError, ValueError):
            if not self.closing:
                raise

    def _frames(self) -> None:
        self.client = httpx.Client(timeout=httpx.Timeout(30, read=60))
        with self.client, self.client.stream("GET", self.url, headers=self.headers) as response:
            assert response.headers["content-type"].startswith("text/event-stream")
            self.open.set()
            frame: dict[str, str] = {}
            for line in response.iter_lines():
                if self.closing:
                    return
                if not line:
                    if "event" in frame:
                        ident = int(frame["id"]) if "id" in frame else None
                        self.events.put((ident, frame["event"], json.loads(frame["data"])))
                    frame = {}
                    continue
                key, _, value = line.partition(": ")
                frame[key] = value

    def take(self, count: int, timeout: float = 10) -> list[tuple[int | None, str, dict[str, Any]]]:
        got = []
        deadline = time.monotonic() + timeout
        while len(got) < count:
            left = deadline - time.monotonic()
            if left <= 0:
                raise AssertionError(f"got {len(got)} of {count} events: {got}")
            got.append(self.events.get(timeout=left))
        return got

    def nothing_more(self, wait: float = 1.5) -> None:
        time.sleep(wait)
        assert self.events.empty(), f"unexpected: {self.events.get_nowait()}"

    def close(self) -> None:
        self.closing = True
        with contextlib.suppress(Exception):
            self.client.close()  # the connection goes, as when a phone loses its network


@contextmanager
def server(settings: Settings, db: Database) -> Iterator[str]:
    with serve(create_app(settings, db=db)) as base:
        yield base


@pytest.fixture
def hq(factory: Factory) -> Factory:
    factory.site("HQ")
    factory.site("BR")
    return factory


def report(base: str, account: Account, title: str, site: str = "HQ") -> str:
    r = httpx.post(
        base + "/api/v1/incidents", json={"title": title, "site": site}, headers=account.headers
    )
    assert r.status_code == 201, r.text
    return str(r.json()["number"])


def test_a_commit_reaches_those_who_may_see_it_in_order(
    settings: Settings, db: Database, hq: Factory
) -> None:
    dana = hq.user("dana", "dispatcher", ["HQ"])
    bert = hq.user("bert", "dispatcher", ["BR"])
    with server(settings, db) as base:
        at_hq, at_br = Stream(base, dana), Stream(base, bert)
        numbers = [report(base, dana, f"Alarm {n}") for n in range(3)]
        other = report(base, bert, "Broken window", site="BR")
        got = at_hq.take(3)
        assert [name for _, name, _ in got] == ["incident"] * 3
        assert [data["change"] for _, _, data in got] == ["incident.created"] * 3
        assert [data["number"] for _, _, data in got] == numbers
        ids = [ident for ident, _, _ in got]
        assert ids == sorted(ids) and len(set(ids)) == 3
        assert got[0][2]["status"] == "new" and got[0][2]["actor"] == "dana"
        only = at_br.take(1)
        assert only[0][2]["number"] == other
        at_hq.nothing_more()  # the BR incident is not for an HQ dispatcher
        at_hq.close()
        at_br.close()


def test_a_lost_stream_resumes_with_last_event_id_missing_nothing(
    settings: Settings, db: Database, hq: Factory
) -> None:
    dana = hq.user("dana", "dispatcher", ["HQ"])
    with server(settings, db) as base:
        first = Stream(base, dana)
        before = [report(base, dana, f"Before {n}") for n in range(3)]
        seen = first.take(3)
        assert [d["number"] for _, _, d in seen] == before
        first.close()  # the stream is lost mid-way
        missed = [report(base, dana, f"While away {n}") for n in range(5)]
        again = Stream(base, dana, last_id=seen[-1][0])
        got = again.take(5)
        assert [d["number"] for _, _, d in got] == missed, "what it missed, in order"
        after = report(base, dana, "After")
        ((_, _, live),) = again.take(1)
        assert live["number"] == after
        again.nothing_more()  # nothing twice
        again.close()
    with server(settings, db) as base:  # a restarted server: the table remembers
        resumed = Stream(base, dana, last_id=seen[-1][0])
        got = resumed.take(6)
        assert [d["number"] for _, _, d in got] == [*missed, after]
        resumed.close()


def test_a_screen_too_far_behind_is_told_to_reload(
    settings: Settings, db: Database, hq: Factory
) -> None:
    dana = hq.user("dana", "dispatcher", ["HQ"])
    with server(settings, db) as base:
        report(base, dana, "One")
        report(base, dana, "Two")
    with db.transaction() as session:  # the oldest are no longer kept
        session.execute(delete(LiveEvent).where(LiveEvent.id < 2))
    with server(settings, db) as base:
        behind = Stream(base, dana, last_id=0)
        ((ident, name, _),) = behind.take(1)
        assert name == "reload" and ident is None
        behind.close()


def test_restricted_incidents_reach_only_the_cleared(
    settings: Settings, db: Database, factory: Factory
) -> None:
    factory.taxonomy()
    factory.site("HQ")
    dana = factory.user("dana", "dispatcher", ["HQ"])
    with server(settings, db) as base:
        stream = Stream(base, dana)
        number = report(base, dana, "Complaint about a manager")
        stream.take(1)  # created: not yet restricted
        cleared = factory.user("cleo", "dispatcher", ["HQ"], clearances=["safeguarding"])
        watching = Stream(base, cleared)
        r = httpx.put(
            f"{base}/api/v1/incidents/{number}/classification",
            json={"type": "assault"},
            headers=dana.headers,
        )
        assert r.status_code == 200, r.text
        ((_, name, data),) = watching.take(1)
        assert name == "incident" and data["change"] == "incident.classified"
        assert data["number"] == number
        stream.nothing_more()  # dana has no clearance: the change is not hers to see
        stream.close()
        watching.close()


def test_a_change_through_one_process_reaches_a_screen_on_another(
    settings: Settings, database_url: str, db: Database, hq: Factory
) -> None:
    dana = hq.user("dana", "dispatcher", ["HQ"])
    other_db = Database(database_url, pool_size=3)  # another process's engine and hub
    try:
        with server(settings, db) as a, server(settings, other_db) as b:
            on_b = Stream(b, dana)
            started = time.monotonic()
            number = report(a, dana, "Made through A")
            ((_, name, data),) = on_b.take(1, timeout=5)
            assert (
                name == "incident"
                and data["change"] == "incident.created"
                and data["number"] == number
            )
            if db.dialect == "postgresql":  # NOTIFY, not the once-a-second safety poll
                assert time.monotonic() - started < 1.0
            on_b.close()
    finally:
        other_db.dispose()


def test_an_idle_stream_gets_a_keepalive_line_and_still_its_events(
    settings: Settings, db: Database, hq: Factory, monkeypatch: pytest.MonkeyPatch
) -> None:
    from murphy.core import live

    monkeypatch.setattr(live, "KEEPALIVE", 0.5)  # the hub's tick, instead of every 15 s
    dana = hq.user("dana", "dispatcher", ["HQ"])
    lines: list[str] = []
    with (
        serve(create_app(settings, db=db)) as base,
        httpx.Client(timeout=10) as client,
        client.stream("GET", base + LIVE, headers=dana.headers) as response,
    ):
        reading = response.iter_lines()
        deadline = time.monotonic() + 5
        while ": still here" not in lines and time.monotonic() < deadline:
            lines.append(next(reading))
        number = report(base, dana, "After the keep-alive")
        while not any(number in line for line in lines) and time.monotonic() < deadline + 5:
            lines.append(next(reading))
    assert ": still here" in lines, lines
    assert any(number in line for line in lines if line.startswith("data:")), lines
