"""Many writers at once: unique numbers, unbroken chains, nothing lost, no 'database is locked'."""

from __future__ import annotations

import asyncio
import socket
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import uvicorn

from murphy.app import create_app
from murphy.incidents import audit
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentCreate, NoteIn


def test_parallel_reports_get_unique_numbers(db, factory):
    factory.site("HQ")
    dana = factory.user("dana", "dispatcher", ["HQ"])

    def work(i: int) -> list[str]:
        out = []
        for j in range(10):
            with db.transaction() as s:
                inc = incidents_service.report(
                    s, principal=dana.principal, data=IncidentCreate(title=f"T{i}-{j}", site="HQ")
                )
                out.append(inc.number)
        return out

    with ThreadPoolExecutor(8) as pool:
        numbers = [n for chunk in pool.map(work, range(8)) for n in chunk]
    assert len(numbers) == len(set(numbers)) == 80
    assert sorted(int(n.rsplit("-", 1)[1]) for n in numbers) == list(range(1, 81))


def test_parallel_notes_on_one_incident_keep_one_chain(db, factory):
    factory.site("HQ")
    dana = factory.user("dana", "dispatcher", ["HQ"])
    number = factory.incident(dana)

    def work(i: int) -> None:
        for j in range(5):
            with db.transaction() as s:
                incidents_service.add_note(
                    s, principal=dana.principal, number=number, data=NoteIn(body=f"{i}.{j}")
                )

    with ThreadPoolExecutor(8) as pool:
        list(pool.map(work, range(8)))
    with db.transaction(write=False) as s:
        report = audit.verify(s)
        entries = incidents_service.timeline(s, principal=dana.principal, number=number)
    assert report.ok, report.problems
    assert [e.seq for e in entries] == list(range(1, 42))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


@pytest.fixture
def server(settings, db):
    port = _free_port()
    config = uvicorn.Config(
        create_app(settings, db=db), host="127.0.0.1", port=port, log_level="warning"
    )
    srv = uvicorn.Server(config)
    thread = threading.Thread(target=srv.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not srv.started:
        assert time.monotonic() < deadline, "server did not start"
        time.sleep(0.02)
    yield f"http://127.0.0.1:{port}"
    srv.should_exit = True
    thread.join(5)


def test_burst_of_reports_over_http_all_acknowledged_and_stored(server, factory, db):
    factory.site("HQ")
    dana = factory.user("dana", "dispatcher", ["HQ"])

    async def burst() -> list[httpx.Response]:
        limits = httpx.Limits(max_connections=64)
        async with httpx.AsyncClient(
            base_url=server, headers=dana.headers, limits=limits, timeout=30
        ) as c:
            return await asyncio.gather(
                *(
                    c.post("/api/v1/incidents", json={"title": f"Alarm {i}", "site": "HQ"})
                    for i in range(200)
                )
            )

    responses = asyncio.run(burst())
    assert [r.status_code for r in responses] == [201] * 200
    acknowledged = {r.json()["number"] for r in responses}
    with db.transaction(write=False) as s:
        stored = {
            i.number
            for i in incidents_service.list(s, principal=dana.principal, query=_all()).items
        }
    assert acknowledged == stored and len(stored) == 200


def _all():
    from murphy.incidents.schemas import IncidentQuery

    return IncidentQuery(limit=200)
