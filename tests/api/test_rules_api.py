"""Escalation rules and the outbox through the API: admins only, clear errors, and the
messages a matching change writes."""

from __future__ import annotations

import pytest

from tests.api.test_incidents import assert_problem, classify, report


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("DC")
    return factory


@pytest.fixture
def admin(org):
    return org.user("root", "admin", all_sites=True)


@pytest.fixture
def dana(org):
    return org.user("dana", "dispatcher", ["HQ"])


RULE = {
    "name": "P1 intrusions at HQ",
    "events": ["incident.classified", "sla.breached"],
    "types": ["intrusion"],
    "priorities": [1],
    "sites": ["hq"],
    "recipients": [{"role": "supervisor"}, {"external": "soc@example.org"}],
}


def create(client, admin, **changes):
    r = client.post("/api/v1/escalation-rules", json={**RULE, **changes}, headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_admins_add_change_and_remove_rules(client, admin):
    made = create(client, admin)
    assert made["sites"] == ["HQ"] and made["active"] is True
    assert made["recipients"] == [
        {"role": "supervisor"},
        {"external": "soc@example.org", "channel": "email"},
    ]
    listed = client.get("/api/v1/escalation-rules", headers=admin.headers).json()
    assert [r["id"] for r in listed] == [made["id"]]
    path = f"/api/v1/escalation-rules/{made['id']}"
    r = client.patch(path, json={"active": False, "priorities": [1, 2]}, headers=admin.headers)
    assert r.status_code == 200 and r.json()["active"] is False and r.json()["priorities"] == [1, 2]
    assert r.json()["events"] == RULE["events"], "fields not sent stay"
    assert client.delete(path, headers=admin.headers).status_code == 204
    assert client.get("/api/v1/escalation-rules", headers=admin.headers).json() == []
    assert_problem(client.delete(path, headers=admin.headers), 404)
    assert_problem(client.patch(path, json={"active": True}, headers=admin.headers), 404)


@pytest.mark.parametrize(
    ("change", "fragment"),
    [
        ({"events": ["incident.exploded"]}, "unknown event"),
        ({"events": []}, ""),
        ({"types": ["volcano"]}, "unknown incident type"),
        ({"sites": ["MARS"]}, "MARS"),
        ({"priorities": [0]}, "P1"),
        ({"recipients": [{"role": "boss"}]}, "unknown role"),
        ({"recipients": [{"user": "nobody"}]}, "unknown user"),
        ({"recipients": [{"external": "not an address"}]}, "international form"),
        ({"recipients": [{"role": "admin", "user": "root"}]}, "exactly one"),
        ({"recipients": []}, ""),
        ({"colour": "red"}, ""),
    ],
)
def test_bad_rules_get_a_clear_422_and_store_nothing(client, admin, change, fragment):
    r = client.post("/api/v1/escalation-rules", json={**RULE, **change}, headers=admin.headers)
    body = assert_problem(r, 422)
    assert fragment in body["detail"] or fragment in str(body.get("errors")), body
    assert client.get("/api/v1/escalation-rules", headers=admin.headers).json() == []


def test_rule_names_are_unique(client, admin):
    create(client, admin)
    r = client.post("/api/v1/escalation-rules", json=RULE, headers=admin.headers)
    assert_problem(r, 409, "already exists")
    other = create(client, admin, name="Other")
    r = client.patch(
        f"/api/v1/escalation-rules/{other['id']}",
        json={"name": RULE["name"]},
        headers=admin.headers,
    )
    assert_problem(r, 409, "already exists")


def test_only_admins_see_rules_and_the_outbox(client, org, dana):
    sam = org.user("sam", "supervisor", ["HQ"])
    for account in (dana, sam):
        assert_problem(client.get("/api/v1/escalation-rules", headers=account.headers), 403)
        r = client.post("/api/v1/escalation-rules", json=RULE, headers=account.headers)
        assert_problem(r, 403)
        assert_problem(client.get("/api/v1/outbox", headers=account.headers), 403)
    assert_problem(client.get("/api/v1/outbox"), 401)


def test_the_outbox_lists_what_matching_changes_wrote(client, admin, dana):
    create(client, admin)
    hit, miss = report(client, dana)["number"], report(client, dana)["number"]
    classify(client, dana, hit, type="intrusion")  # P1 at HQ
    classify(client, dana, miss, type="theft")  # P3
    messages = client.get("/api/v1/outbox", headers=admin.headers).json()
    assert sorted(m["recipient"] for m in messages) == ["soc@example.org", "supervisor"]
    assert {m["incident"] for m in messages} == {hit}
    assert all(m["state"] == "pending" and m["event"] == "incident.classified" for m in messages)
    assert messages[0]["id"] > messages[1]["id"], "newest first"
    assert messages[0]["payload"]["incident"]["title"] == "Door forced at loading bay"
    filtered = client.get(
        "/api/v1/outbox",
        params={"incident": hit, "state": "pending", "limit": 1},
        headers=admin.headers,
    )
    assert len(filtered.json()) == 1
    assert (
        client.get("/api/v1/outbox", params={"incident": miss}, headers=admin.headers).json() == []
    )
    assert (
        client.get("/api/v1/outbox", params={"state": "withheld"}, headers=admin.headers).json()
        == []
    )
    assert_problem(
        client.get("/api/v1/outbox", params={"incident": "INC-1999-1"}, headers=admin.headers), 404
    )
    assert_problem(client.get("/api/v1/outbox", params={"limit": 0}, headers=admin.headers), 422)
