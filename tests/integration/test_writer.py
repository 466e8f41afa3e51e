"""The writer thread: group commit, failure isolation, back-pressure, events after commit."""

from __future__ import annotations

import asyncio
import threading

import pytest
from sqlalchemy import select

from murphy.core.errors import ServiceUnavailable, ValidationFailed
from murphy.core.events import Event, EventBus, emit
from murphy.core.writer import Writer
from murphy.sites import service as sites_service
from murphy.sites.models import Site
from murphy.sites.schemas import SiteIn


def add_site(code: str):
    def unit(session):
        emit(session, Event("site.added", {"code": code}))
        return sites_service.create(session, data=SiteIn(code=code, name=code, timezone="UTC")).code

    return unit


def failing(session):
    sites_service.create(session, data=SiteIn(code="BAD", name="x", timezone="UTC"))
    raise ValidationFailed("this unit changes its mind")


@pytest.fixture
def writer(db):
    bus = EventBus()
    w = Writer(db, bus)
    w.start()
    yield w
    w.stop()


def codes(db) -> set[str]:
    with db.transaction(write=False) as s:
        return set(s.scalars(select(Site.code)))


async def gather(writer, units):
    return await asyncio.gather(*(writer.run(u) for u in units), return_exceptions=True)


def test_concurrent_units_are_grouped_and_all_committed(db, writer):
    gate = threading.Event()

    def slow(session):
        gate.wait(5)  # hold the writer so the others queue up behind it
        return "first"

    async def scenario():
        first = asyncio.ensure_future(writer.run(slow))
        await asyncio.sleep(0.05)
        rest = [asyncio.ensure_future(writer.run(add_site(f"S{i}"))) for i in range(50)]
        await asyncio.sleep(0.05)
        gate.set()
        return await first, await asyncio.gather(*rest)

    first, rest = asyncio.run(scenario())
    assert first == "first" and rest == [f"S{i}" for i in range(50)]
    assert codes(db) == {f"S{i}" for i in range(50)}
    assert writer.batches < 10, "50 waiting units should commit in a few batches"


def test_a_failing_unit_does_not_take_the_batch_down(db, writer):
    seen: list[str] = []
    writer.bus.subscribe(lambda e: seen.append(e.payload["code"]))
    gate = threading.Event()

    async def scenario():
        hold = asyncio.ensure_future(writer.run(lambda s: gate.wait(5)))
        await asyncio.sleep(0.05)
        units = [add_site("A"), failing, add_site("B"), failing, add_site("C")]
        futures = [asyncio.ensure_future(writer.run(u)) for u in units]
        await asyncio.sleep(0.05)
        gate.set()
        await hold
        return await asyncio.gather(*futures, return_exceptions=True)

    results = asyncio.run(scenario())
    assert results[0] == "A" and results[2] == "B" and results[4] == "C"
    assert isinstance(results[1], ValidationFailed) and isinstance(results[3], ValidationFailed)
    assert codes(db) == {"A", "B", "C"}, "the failing units' site BAD is not stored"
    assert sorted(seen) == ["A", "B", "C"], "events only for what was committed"


def test_full_queue_is_refused_with_503(db):
    w = Writer(db, EventBus(), max_queue=1)  # not started: nothing drains the queue

    async def scenario():
        w._thread = threading.current_thread()  # pretend it runs, so run() does not start it
        first = asyncio.ensure_future(w.run(add_site("X")))
        await asyncio.sleep(0)
        with pytest.raises(ServiceUnavailable) as exc:
            await w.run(add_site("Y"))
        first.cancel()
        return exc.value

    err = asyncio.run(scenario())
    assert err.retry_after == 1 and "try again" in err.detail


def test_stop_finishes_what_is_queued(db):
    w = Writer(db, EventBus())

    async def scenario():
        futures = [asyncio.ensure_future(w.run(add_site(f"Q{i}"))) for i in range(20)]
        await asyncio.sleep(0)
        await asyncio.to_thread(w.stop)
        return await asyncio.gather(*futures)

    assert asyncio.run(scenario()) == [f"Q{i}" for i in range(20)]
    assert codes(db) == {f"Q{i}" for i in range(20)}
