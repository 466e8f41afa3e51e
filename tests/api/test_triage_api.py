"""Categorize and prioritize through the API: type, impact x urgency, override, ack, assessment."""

from __future__ import annotations

import pytest

from tests.api.test_incidents import assert_problem, classify, move, report


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("DC")
    return factory


@pytest.fixture
def dana(org):
    return org.user("dana", "dispatcher", ["HQ", "DC"])


def timeline(client, account, number):
    return client.get(f"/api/v1/incidents/{number}/timeline", headers=account.headers).json()


def test_classification_sets_defaults_and_priority_from_the_matrix(client, dana):
    number = report(client, dana)["number"]
    body = classify(client, dana, number, type="intrusion")
    assert body["type"] == {
        "code": "intrusion",
        "name": "Intrusion",
        "path": ["Security", "Intrusion"],
    }
    assert (body["impact"], body["urgency"]) == (2, 1)
    assert body["priority"] == 1  # ceil((2 + 1 - 1) / 2)
    (entry,) = [e for e in timeline(client, dana, number) if e["kind"] == "classified"]
    assert entry["data"]["type"] == "intrusion" and entry["data"]["priority"] == 1
    assert entry["data"]["before"]["type"] is None


def test_reclassification_keeps_history(client, dana):
    number = report(client, dana)["number"]
    classify(client, dana, number, type="theft")
    body = classify(client, dana, number, type="theft.vehicle", impact=5, urgency=5)
    assert body["type"]["path"] == ["Security", "Theft", "Theft from a vehicle"]
    assert body["priority"] == 5
    entries = [e for e in timeline(client, dana, number) if e["kind"] == "classified"]
    assert [e["data"]["type"] for e in entries] == ["theft", "theft.vehicle"]
    assert entries[1]["data"]["before"]["type"] == "theft"


@pytest.mark.parametrize(
    ("body", "status", "fragment"),
    [
        ({"type": "nope"}, 422, "unknown incident type"),
        ({"type": "security"}, 422, "category"),
        ({"type": "theft", "impact": 6}, 422, "impact"),
        ({"type": "theft", "colour": "red"}, 422, "unknown field 'colour'"),
    ],
)
def test_bad_classification_is_refused_and_changes_nothing(client, dana, body, status, fragment):
    number = report(client, dana)["number"]
    r = client.put(f"/api/v1/incidents/{number}/classification", json=body, headers=dana.headers)
    assert_problem(r, status, fragment)
    assert len(timeline(client, dana, number)) == 1


def test_triage_needs_a_classification(client, dana):
    number = report(client, dana)["number"]
    assert_problem(move(client, dana, number, to="triaged"), 409, "classify it first")
    classify(client, dana, number)
    triaged = move(client, dana, number, to="triaged").json()
    assert triaged["status"] == "triaged"
    assert triaged["acknowledged"]["by"]["username"] == "dana", "triage acknowledges too"


def test_priority_override_needs_a_reason_and_is_on_the_timeline(client, dana):
    number = report(client, dana)["number"]
    url = f"/api/v1/incidents/{number}/priority"
    assert_problem(client.put(url, json={"impact": 1}, headers=dana.headers), 422, "classify")
    classify(client, dana, number, type="theft")
    assert_problem(client.put(url, json={"priority": 1}, headers=dana.headers), 422, "reason")
    r = client.put(url, json={"priority": 1, "reason": "VIP vehicle"}, headers=dana.headers)
    assert r.status_code == 200 and r.json()["priority"] == 1
    assert r.json()["priority_reason"] == "VIP vehicle"
    # a reclassification keeps the override
    assert classify(client, dana, number, type="theft.vehicle")["priority"] == 1
    back = client.put(url, json={"impact": 4, "urgency": 4}, headers=dana.headers).json()
    assert back["priority"] == 4 and back["priority_reason"] == ""
    kinds = [e["kind"] for e in timeline(client, dana, number)]
    assert kinds.count("prioritized") == 2


def test_acknowledge_once(client, dana):
    number = report(client, dana)["number"]
    url = f"/api/v1/incidents/{number}/acknowledge"
    first = client.post(url, headers=dana.headers).json()
    again = client.post(url, headers=dana.headers).json()
    assert first["acknowledged"]["at"] == again["acknowledged"]["at"]
    assert [e["kind"] for e in timeline(client, dana, number)].count("acknowledged") == 1


def test_assessment_and_required_fields_before_resolving(client, dana):
    number = report(client, dana)["number"]
    classify(client, dana, number, type="intrusion")  # requires assessment.immediate_actions
    move(client, dana, number, to="triaged")
    move(client, dana, number, to="responding")
    r = move(client, dana, number, to="resolved", resolution_code="resolved")
    body = assert_problem(r, 409, "assessment.immediate_actions")
    assert body["missing"] == ["assessment.immediate_actions"]
    url = f"/api/v1/incidents/{number}/assessment"
    a = client.put(
        url,
        json={"immediate_actions": "Area secured", "parties_informed": ["Police"]},
        headers=dana.headers,
    )
    assert a.status_code == 200 and a.json()["parties_informed"] == ["Police"]
    assert client.get(url, headers=dana.headers).json()["immediate_actions"] == "Area secured"
    (assessed,) = [e for e in timeline(client, dana, number) if e["kind"] == "assessed"]
    assert assessed["data"]["changes"]["immediate_actions"] == {
        "before": "",
        "after": "Area secured",
    }
    assert_problem(client.put(url, json={"mood": "x"}, headers=dana.headers), 422, "unknown field")
    # the playbook's mandatory steps are still open: the playbook plugin refuses too
    refused = move(client, dana, number, to="resolved", resolution_code="resolved")
    assert_problem(refused, 409, "secure")
    tasks = f"/api/v1/incidents/{number}/tasks"
    assert client.post(f"{tasks}/secure/done", json={}, headers=dana.headers).status_code == 200
    r = client.post(f"{tasks}/armed/done", json={"answer": False}, headers=dana.headers)
    assert r.status_code == 200, r.text
    assert move(client, dana, number, to="resolved", resolution_code="resolved").status_code == 200


def test_officer_cannot_classify_and_analyst_cannot_assess(client, org, dana):
    officer = org.user("olu", "officer", ["HQ"])
    analyst = org.user("ana", "analyst", all_sites=True)
    number = report(client, dana)["number"]
    r = client.put(
        f"/api/v1/incidents/{number}/classification",
        json={"type": "theft"},
        headers=officer.headers,
    )
    assert_problem(r, 403, "officer")
    r = client.put(
        f"/api/v1/incidents/{number}/assessment", json={"risks": "x"}, headers=analyst.headers
    )
    assert_problem(r, 403, "analyst")


def test_the_queue_pages_through_statuses_and_priorities_in_order(client, dana):
    """Open incidents of every status and priority, paged two at a time: the same order
    as sorting them all (no priority first, then P1..P5, oldest first)."""
    plan = [
        (None, "new"),
        ("intrusion", "triaged"),  # P1
        ("theft.vehicle", "new"),  # P4
        (None, "new"),
        ("intrusion", "responding"),
        ("theft", "triaged"),  # P3 (3 x 3)
        ("theft.vehicle", "responding"),
        ("intrusion", "new"),
        ("theft", "new"),
    ]
    expected = []
    for i, (kind, status) in enumerate(plan):
        number = report(client, dana, title=f"Queue {i}")["number"]
        priority = None
        if kind:
            priority = classify(client, dana, number, type=kind)["priority"]
        if status in ("triaged", "responding"):
            assert move(client, dana, number, to="triaged").status_code == 200
        if status == "responding":
            assert move(client, dana, number, to="responding").status_code == 200
        expected.append((priority or 0, i, number))
    resolved = report(client, dana, title="Not for us")["number"]
    classify(client, dana, resolved, type="intrusion")
    assert move(client, dana, resolved, to="cancelled", reason="Test alarm").status_code == 200
    want = [number for _, _, number in sorted(expected)]
    seen, cursor = [], None
    while True:
        params = [("sort", "priority"), ("limit", 2)]
        params += [("status", s) for s in ("new", "triaged", "responding")]
        if cursor:
            params.append(("cursor", cursor))
        page = client.get("/api/v1/incidents", params=params, headers=dana.headers).json()
        seen += [i["number"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == want
    assert resolved not in seen


def test_queue_order_and_filters(client, dana):
    untyped = report(client, dana, title="Just in")["number"]
    low = report(client, dana, title="Low")["number"]
    high = report(client, dana, title="High")["number"]  # reported before later_high
    later_high = report(client, dana, title="High too")["number"]
    classify(client, dana, low, type="theft.vehicle")  # P4
    classify(client, dana, later_high, type="intrusion")  # P1
    classify(client, dana, high, type="intrusion")  # P1

    def numbers(**params):
        r = client.get("/api/v1/incidents", params=params, headers=dana.headers)
        assert r.status_code == 200, r.text
        return [i["number"] for i in r.json()["items"]]

    assert numbers(sort="priority") == [untyped, high, later_high, low]
    items = client.get("/api/v1/incidents", params={"sort": "priority"}, headers=dana.headers)
    first = items.json()["items"][1]
    assert first["priority"] == 1 and first["type"] == "Intrusion"
    assert numbers(type="theft") == [low], "a type includes its subtypes"
    assert numbers(priority=1) == [later_high, high]
    pages, cursor = [], None
    while True:
        params = {"sort": "priority", "limit": 1, **({"cursor": cursor} if cursor else {})}
        page = client.get("/api/v1/incidents", params=params, headers=dana.headers).json()
        pages += [i["number"] for i in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert pages == [untyped, high, later_high, low]
    assert_problem(
        client.get("/api/v1/incidents", params={"type": "nope"}, headers=dana.headers),
        422,
        "unknown incident type",
    )
