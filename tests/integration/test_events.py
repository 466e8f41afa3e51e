"""Events reach subscribers only after commit, never after a rollback."""

from __future__ import annotations

import pytest

from murphy.core.events import Event, EventBus, attach, emit


def test_events_wait_for_commit_and_vanish_on_rollback(db):
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(lambda e: seen.append(e.name))
    with db.transaction() as s:
        attach(s, bus)
        emit(s, Event("a.committed"))
        assert seen == []
    assert seen == ["a.committed"]
    with pytest.raises(RuntimeError), db.transaction() as s:
        attach(s, bus)
        emit(s, Event("b.rolled_back"))
        raise RuntimeError("boom")
    assert seen == ["a.committed"]


def test_failing_subscriber_does_not_stop_others(db):
    bus = EventBus()
    seen: list[str] = []
    bus.subscribe(lambda e: 1 / 0)
    bus.subscribe(lambda e: seen.append(e.name))
    bus.publish(Event("x"))
    assert seen == ["x"]


def test_api_change_publishes_incident_events(client, app, factory):
    factory.site("HQ")
    dana = factory.user("dana", "dispatcher", ["HQ"])
    seen: list[Event] = []
    app.state.bus.subscribe(seen.append)
    r = client.post("/api/v1/incidents", json={"title": "x", "site": "HQ"}, headers=dana.headers)
    assert r.status_code == 201
    assert [e.name for e in seen] == ["incident.created"]
    assert seen[0].payload["number"] == r.json()["number"]
    bad = client.post(
        f"/api/v1/incidents/{r.json()['number']}/transitions",
        json={"to": "closed"},
        headers=dana.headers,
    )
    assert bad.status_code == 409
    assert len(seen) == 1, "a refused change publishes nothing"
