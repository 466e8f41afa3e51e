"""Changing incidents through the API: PATCH, transitions, notes, timeline, listing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import pytest

from tests.api.test_incidents import assert_problem, classify, move, report


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ", timezone="Europe/Berlin")
    factory.site("DC", timezone="America/Chicago")
    return factory


@pytest.fixture
def dispatcher(org):
    return org.user("dana", "dispatcher", ["HQ", "DC"])


@pytest.fixture
def supervisor(org):
    return org.user("sam", "supervisor", ["HQ", "DC"])


def timeline(client, account, number):
    r = client.get(f"/api/v1/incidents/{number}/timeline", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_whole_life_is_on_a_hash_chained_timeline(client, dispatcher, supervisor):
    number = report(client, dispatcher)["number"]
    classify(client, dispatcher, number)
    steps = [
        (dispatcher, {"to": "triaged"}),
        (dispatcher, {"to": "responding"}),
        (
            dispatcher,
            {"to": "resolved", "resolution_code": "referred_police", "reason": "Police took over"},
        ),
        (supervisor, {"to": "closed"}),
    ]
    for account, body in steps:
        r = move(client, account, number, **body)
        assert r.status_code == 200, r.text
        assert r.json()["status"] == body["to"]
    final = client.get(f"/api/v1/incidents/{number}", headers=supervisor.headers).json()
    assert final["resolution_code"] == "referred_police"
    assert final["resolution_summary"] == "Police took over"
    assert final["triaged"]["by"]["username"] == "dana"
    assert final["closed"]["by"]["username"] == "sam"
    assert [o["to"] for o in final["allowed_transitions"]] == ["triaged"]  # reopen only
    entries = timeline(client, supervisor, number)
    assert [e["kind"] for e in entries] == ["created", "classified"] + ["transition"] * 4
    assert [e["data"].get("action") for e in entries[2:]] == [
        "triage",
        "respond",
        "resolve",
        "close",
    ]
    assert entries[0]["prev_hash"] == "0" * 64
    for before, after in itertools.pairwise(entries):
        assert after["prev_hash"] == before["hash"]
        assert after["seq"] == before["seq"] + 1
    assert final["timeline"] == {"length": 6, "head": entries[-1]["hash"]}


def test_illegal_transition_is_409_with_the_allowed_moves(client, dispatcher):
    number = report(client, dispatcher)["number"]
    r = move(client, dispatcher, number, to="closed")
    body = assert_problem(r, 409, "'new'", "'closed'")
    assert body["allowed"] == ["triaged", "cancelled", "merged"]
    assert (
        client.get(f"/api/v1/incidents/{number}", headers=dispatcher.headers).json()["status"]
        == "new"
    )
    assert len(timeline(client, dispatcher, number)) == 1


def test_moves_missing_what_they_need_are_422(client, dispatcher):
    number = report(client, dispatcher)["number"]
    assert_problem(move(client, dispatcher, number, to="cancelled"), 422, "reason")
    assert_problem(move(client, dispatcher, number, to="merged"), 422, "target")
    assert_problem(move(client, dispatcher, number, to="done"), 422, "to")
    assert_problem(
        move(client, dispatcher, number, to="triaged", why="x"), 422, "unknown field 'why'"
    )
    classify(client, dispatcher, number)
    move(client, dispatcher, number, to="triaged")
    move(client, dispatcher, number, to="responding")
    assert_problem(move(client, dispatcher, number, to="resolved"), 422, "resolution_code")
    assert_problem(
        move(client, dispatcher, number, to="resolved", resolution_code="fixed"),
        422,
        "resolution_code",
    )


def test_dispatcher_cannot_close(client, dispatcher):
    number = report(client, dispatcher)["number"]
    classify(client, dispatcher, number)
    for body in (
        {"to": "triaged"},
        {"to": "responding"},
        {"to": "resolved", "resolution_code": "resolved"},
    ):
        assert move(client, dispatcher, number, **body).status_code == 200
    assert_problem(move(client, dispatcher, number, to="closed"), 403, "dispatcher", "close")


def test_cancel_and_reopen_need_reasons_and_are_recorded(client, dispatcher, supervisor):
    a = report(client, dispatcher)["number"]
    r = move(client, dispatcher, a, to="cancelled", reason="Reported twice by phone")
    assert r.json()["cancel_reason"] == "Reported twice by phone"
    assert_problem(move(client, dispatcher, a, to="triaged", reason="x"), 409, "cancelled")
    b = report(client, dispatcher)["number"]
    classify(client, dispatcher, b)
    for body in (
        {"to": "triaged"},
        {"to": "responding"},
        {"to": "resolved", "resolution_code": "false_alarm"},
    ):
        move(client, dispatcher, b, **body)
    move(client, supervisor, b, to="closed")
    r = move(client, supervisor, b, to="triaged", reason="Same alarm again: not false")
    assert r.status_code == 200
    reopened = r.json()
    assert (
        reopened["status"] == "triaged"
        and reopened["closed"] is None
        and reopened["resolution_code"] is None
    )
    last = timeline(client, supervisor, b)[-1]
    assert last["data"] == {
        "action": "reopen",
        "from": "closed",
        "to": "triaged",
        "reason": "Same alarm again: not false",
    }


def test_merge_links_both_incidents(client, dispatcher):
    first = report(client, dispatcher, title="Fire alarm building A")["number"]
    dup = report(client, dispatcher, title="Fire alarm A again")["number"]
    assert_problem(move(client, dispatcher, dup, to="merged", target=dup), 422, "itself")
    assert_problem(
        move(client, dispatcher, dup, to="merged", target="INC-1999-00001"), 422, "no such"
    )
    r = move(client, dispatcher, dup, to="merged", target=first)
    assert r.status_code == 200 and r.json()["merged_into"] == first
    assert timeline(client, dispatcher, first)[-1]["kind"] == "merged_from"
    assert timeline(client, dispatcher, first)[-1]["data"]["source"] == dup
    r = client.post(
        f"/api/v1/incidents/{dup}/notes", json={"body": "more"}, headers=dispatcher.headers
    )
    assert_problem(r, 409, first)
    third = report(client, dispatcher)["number"]
    move(client, dispatcher, third, to="cancelled", reason="test")
    assert_problem(move(client, dispatcher, first, to="merged", target=third), 409, "cancelled")


def test_merge_into_an_incident_the_caller_cannot_see_is_refused(client, org):
    dana = org.user("dana", "dispatcher", ["HQ"])
    boss = org.user("boss", "supervisor", ["DC"])
    hidden = report(client, boss, site="DC")["number"]
    mine = report(client, dana)["number"]
    assert_problem(move(client, dana, mine, to="merged", target=hidden), 422, "no such")


def test_patch_records_before_and_after(client, dispatcher):
    number = report(client, dispatcher, description="Door open")["number"]
    r = client.patch(
        f"/api/v1/incidents/{number}",
        json={
            "title": "Door forced, lock broken",
            "place": {"zone": "CARPARK", "detail": "gate 3"},
        },
        headers=dispatcher.headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["title"] == "Door forced, lock broken"
    assert body["place"]["zone"]["code"] == "CARPARK" and body["place"]["detail"] == "gate 3"
    assert body["version"] == 2 and r.headers["etag"] == 'W/"2"'
    changes = timeline(client, dispatcher, number)[-1]["data"]["changes"]
    assert changes["title"] == {
        "before": "Door forced at loading bay",
        "after": "Door forced, lock broken",
    }
    assert changes["place"]["before"]["zone"] is None
    assert changes["place"]["after"]["zone"] == "CARPARK"
    assert "description" not in changes


def test_patch_without_changes_writes_nothing(client, dispatcher):
    number = report(client, dispatcher)["number"]
    r = client.patch(
        f"/api/v1/incidents/{number}",
        json={"title": "Door forced at loading bay"},
        headers=dispatcher.headers,
    )
    assert r.status_code == 200 and r.json()["version"] == 1
    assert len(timeline(client, dispatcher, number)) == 1


def test_patch_with_stale_version_is_412(client, dispatcher):
    number = report(client, dispatcher)["number"]
    url = f"/api/v1/incidents/{number}"
    ok = client.patch(url, json={"title": "A"}, headers={**dispatcher.headers, "If-Match": 'W/"1"'})
    assert ok.status_code == 200
    stale = client.patch(
        url, json={"title": "B"}, headers={**dispatcher.headers, "If-Match": 'W/"1"'}
    )
    assert_problem(stale, 412, "changed by someone else")
    assert client.get(url, headers=dispatcher.headers).json()["title"] == "A"
    assert_problem(
        client.patch(
            url, json={"title": "B"}, headers={**dispatcher.headers, "If-Match": "garbage"}
        ),
        422,
        "If-Match",
    )


def test_patch_bad_input(client, dispatcher, supervisor):
    number = report(client, dispatcher)["number"]
    url = f"/api/v1/incidents/{number}"
    assert_problem(
        client.patch(url, json={"status": "closed"}, headers=dispatcher.headers),
        422,
        "unknown field 'status'",
    )
    assert_problem(
        client.patch(url, json={"title": None}, headers=dispatcher.headers), 422, "title"
    )
    assert_problem(
        client.patch(url, json={"place": {"zone": "X"}}, headers=dispatcher.headers), 422, "no zone"
    )
    assert_problem(
        client.patch(url, json={"site": "ZZ"}, headers=dispatcher.headers), 422, "unknown site"
    )
    moved = client.patch(url, json={"site": "DC"}, headers=dispatcher.headers)
    assert moved.status_code == 200 and moved.json()["site"]["code"] == "DC"
    assert moved.json()["place"]["zone"] is None
    classify(client, dispatcher, number)
    for body in (
        {"to": "triaged"},
        {"to": "responding"},
        {"to": "resolved", "resolution_code": "resolved"},
    ):
        move(client, dispatcher, number, **body)
    move(client, supervisor, number, to="closed")
    assert_problem(
        client.patch(url, json={"title": "late"}, headers=dispatcher.headers), 409, "reopen"
    )


def test_notes_are_appended(client, dispatcher):
    number = report(client, dispatcher)["number"]
    r = client.post(
        f"/api/v1/incidents/{number}/notes",
        json={"body": "CCTV shows two people"},
        headers=dispatcher.headers,
    )
    assert r.status_code == 201
    assert r.json()["kind"] == "note" and r.json()["seq"] == 2
    assert r.json()["actor"]["username"] == "dana"
    assert_problem(
        client.post(
            f"/api/v1/incidents/{number}/notes", json={"body": ""}, headers=dispatcher.headers
        ),
        422,
        "body",
    )
    assert timeline(client, dispatcher, number)[-1]["data"] == {"body": "CCTV shows two people"}


# --- listing --------------------------------------------------------------------------


def test_filters_and_search(client, dispatcher):
    a = report(
        client, dispatcher, title="Bicycle stolen from rack", description="blue racing bike"
    )["number"]
    b = report(client, dispatcher, title="Aggressive visitor in lobby", site="DC")["number"]
    c = report(
        client, dispatcher, title="Water leak", description="Pipe burst above the bike store"
    )["number"]
    classify(client, dispatcher, b)
    move(client, dispatcher, b, to="triaged")

    def numbers(**params):
        r = client.get("/api/v1/incidents", params=params, headers=dispatcher.headers)
        assert r.status_code == 200, r.text
        return [i["number"] for i in r.json()["items"]]

    assert numbers() == [c, b, a]
    assert numbers(status="triaged") == [b]
    assert numbers(status=["new", "triaged"]) == [c, b, a]
    assert numbers(site="DC") == [b]
    assert numbers(q="bike") == [c, a]  # prefix match: 'bike' finds 'bike' in both
    assert numbers(q="BICYCLE rack") == [a]
    assert numbers(q="stolen lobby") == []
    assert numbers(q=b) == [b]
    assert numbers(q=b.removeprefix("INC-")) == [b]
    assert numbers(q="'; DROP TABLE incidents; --") == []
    assert numbers(q='"bike') == [c, a]


def test_time_range_and_pagination(client, dispatcher):
    made = [report(client, dispatcher, title=f"Round {i}")["number"] for i in range(7)]
    seen, cursor = [], None
    while True:
        params = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/incidents", params=params, headers=dispatcher.headers).json()
        seen += [i["number"] for i in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(made))
    now = datetime.now(UTC)
    future = {"reported_from": (now + timedelta(minutes=1)).isoformat()}
    assert (
        client.get("/api/v1/incidents", params=future, headers=dispatcher.headers).json()["items"]
        == []
    )
    past = {
        "reported_from": (now - timedelta(hours=1)).isoformat(),
        "reported_to": (now + timedelta(minutes=1)).isoformat(),
    }
    assert (
        len(
            client.get("/api/v1/incidents", params=past, headers=dispatcher.headers).json()["items"]
        )
        == 7
    )


@pytest.mark.parametrize(
    ("params", "fragment"),
    [
        ({"statu": "new"}, "unknown field 'statu'"),
        ({"status": "open"}, "status"),
        ({"limit": 0}, "limit"),
        ({"limit": 1000}, "limit"),
        ({"cursor": "!!!"}, "cursor"),
        ({"site": "ZZ"}, "unknown site"),
        ({"reported_from": "2026-01-01T00:00:00"}, "offset"),
    ],
)
def test_bad_list_parameters_are_422(client, dispatcher, params, fragment):
    r = client.get("/api/v1/incidents", params=params, headers=dispatcher.headers)
    assert_problem(r, 422, fragment)


def test_openapi_and_health(client):
    spec = client.get("/openapi.json").json()
    assert "/api/v1/incidents/{number}/transitions" in spec["paths"]
    assert client.get("/docs").status_code == 200
    health = client.get("/healthz").json()
    assert health["status"] == "ok"
