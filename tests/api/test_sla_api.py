"""The service-target API: the matrix and the target table (admins), an incident's
clocks in its detail and the queue, pause and resume, and who may see them."""

from __future__ import annotations

from datetime import datetime

import pytest

from tests.api.test_incidents import assert_problem, classify, move, report

MATRIX = "/api/v1/priority-matrix"
TARGETS = "/api/v1/service-targets"


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("DC", timezone="UTC")
    return factory


@pytest.fixture
def admin(org):
    return org.user("ada", "admin", all_sites=True)


@pytest.fixture
def dispatcher(org):
    return org.user("dana", "dispatcher", ["HQ"])


def clocks_of(client, account, number):
    r = client.get(f"/api/v1/incidents/{number}", headers=account.headers)
    assert r.status_code == 200, r.text
    return {c["kind"]: c for c in r.json()["clocks"]}


def pause(client, account, number, **body):
    return client.post(
        f"/api/v1/incidents/{number}/clocks/pause", json=body, headers=account.headers
    )


def resume(client, account, number):
    return client.post(f"/api/v1/incidents/{number}/clocks/resume", headers=account.headers)


def kinds(client, account, number):
    r = client.get(f"/api/v1/incidents/{number}/timeline", headers=account.headers)
    return [e["kind"] for e in r.json()]


# --- the matrix and the targets ------------------------------------------------------------


def test_admin_reads_and_replaces_the_matrix(client, admin):
    r = client.get(MATRIX, headers=admin.headers)
    assert r.status_code == 200 and r.json()["default"] is True
    stricter = [[1, 1, 2, 2, 3], [1, 2, 2, 3, 3], [2, 2, 3, 3, 4], [2, 3, 3, 4, 5], [3, 3, 4, 5, 5]]
    r = client.put(MATRIX, json={"matrix": stricter}, headers=admin.headers)
    assert r.status_code == 200, r.text
    assert client.get(MATRIX, headers=admin.headers).json() == {
        "matrix": stricter,
        "default": False,
    }


@pytest.mark.parametrize(
    ("matrix", "fragment"),
    [
        ([[1] * 5] * 4, "5 rows"),
        ([[1, 1, 1, 1, 6]] + [[5] * 5] * 4, "impact 1, urgency 5: 6 is not a priority"),
        ([[3] * 5, [1] * 5, [5] * 5, [5] * 5, [5] * 5], "a lesser impact must not raise priority"),
    ],
)
def test_an_invalid_matrix_is_422_and_changes_nothing(client, admin, matrix, fragment):
    assert_problem(
        client.put(MATRIX, json={"matrix": matrix}, headers=admin.headers), 422, fragment
    )
    assert client.get(MATRIX, headers=admin.headers).json()["default"] is True


def test_only_admins_see_or_change_settings(client, dispatcher):
    for r in (
        client.get(MATRIX, headers=dispatcher.headers),
        client.get(TARGETS, headers=dispatcher.headers),
        client.put(TARGETS, json={"targets": []}, headers=dispatcher.headers),
    ):
        assert_problem(r, 403, "only admins")


def test_admin_replaces_the_target_table(client, admin):
    r = client.get(TARGETS, headers=admin.headers)
    assert r.json()["targets"] == []
    assert [d["acknowledge_minutes"] for d in r.json()["defaults"]] == [2, 5, 15, 60, 240]
    table = [
        {"priority": 1, "acknowledge_minutes": 1, "respond_minutes": 5, "resolve_minutes": 120},
        {"priority": 3, "type": "Theft", "site": "DC", "acknowledge_minutes": 30},
    ]
    r = client.put(TARGETS, json={"targets": table}, headers=admin.headers)
    assert r.status_code == 200, r.text
    rows = r.json()["targets"]
    assert [(t["priority"], t["type"], t["site"]) for t in rows] == [
        (1, None, None),
        (3, "theft", "DC"),
    ]
    assert rows[1]["respond_minutes"] is None


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        ({"priority": 2, "type": "nope", "acknowledge_minutes": 5}, "unknown incident type 'nope'"),
        ({"priority": 2, "site": "XX", "acknowledge_minutes": 5}, "unknown site 'XX'"),
        (
            {"priority": 2, "acknowledge_minutes": 60, "resolve_minutes": 30},
            "acknowledge (60 min) cannot be later than resolve (30 min)",
        ),
        ({"priority": 1, "acknowledge_minutes": 3}, "P1 for this type and site twice"),
    ],
)
def test_an_invalid_target_table_is_422_and_changes_nothing(client, admin, row, fragment):
    good = {"priority": 1, "acknowledge_minutes": 1, "resolve_minutes": 60}
    assert client.put(TARGETS, json={"targets": [good]}, headers=admin.headers).status_code == 200
    r = client.put(TARGETS, json={"targets": [good, row]}, headers=admin.headers)
    assert_problem(r, 422, fragment)
    assert client.get(TARGETS, headers=admin.headers).json()["targets"][0]["resolve_minutes"] == 60
    assert len(client.get(TARGETS, headers=admin.headers).json()["targets"]) == 1


def test_a_target_of_zero_minutes_is_refused_by_the_schema(client, admin):
    r = client.put(
        TARGETS,
        json={"targets": [{"priority": 1, "acknowledge_minutes": 0}]},
        headers=admin.headers,
    )
    assert_problem(r, 422)


# --- clocks on incidents --------------------------------------------------------------------


def test_the_detail_shows_clocks_and_the_queue_the_next_due(client, dispatcher):
    number = report(client, dispatcher)["number"]
    assert clocks_of(client, dispatcher, number) == {}
    classify(client, dispatcher, number, type="intrusion")  # P1: 2 / 10 / 240 minutes
    clocks = clocks_of(client, dispatcher, number)
    assert [(k, c["target_minutes"]) for k, c in clocks.items()] == [
        ("acknowledge", 2),
        ("respond", 10),
        ("resolve", 240),
    ]
    r = client.get("/api/v1/incidents?status=new&sort=priority", headers=dispatcher.headers).json()
    (row,) = r["items"]
    assert row["due"]["kind"] == "acknowledge" and row["due"]["breached"] is False
    assert row["due"]["target_minutes"] == 2  # the queue's countdown turns amber from it
    assert datetime.fromisoformat(row["due"]["due_at"]) == datetime.fromisoformat(
        clocks["acknowledge"]["due_at"]
    )
    r = client.post(f"/api/v1/incidents/{number}/acknowledge", headers=dispatcher.headers)
    assert r.status_code == 200
    assert r.json()["clocks"][0]["met_at"] is not None
    row = client.get("/api/v1/incidents", headers=dispatcher.headers).json()["items"][0]
    assert row["due"]["kind"] == "respond"


def test_pause_and_resume_are_on_the_timeline(client, dispatcher):
    number = report(client, dispatcher)["number"]
    classify(client, dispatcher, number)
    assert move(client, dispatcher, number, to="triaged").status_code == 200
    before = clocks_of(client, dispatcher, number)
    r = pause(client, dispatcher, number, reason="Waiting for the locksmith")
    assert r.status_code == 200, r.text
    assert [(c["kind"], c["paused"]) for c in r.json()] == [
        ("acknowledge", False),  # met at triage: nothing to pause
        ("respond", True),
        ("resolve", True),
    ]
    assert r.json()[1]["pause_reason"] == "Waiting for the locksmith"
    assert_problem(pause(client, dispatcher, number, reason="again"), 409, "paused already")
    r = resume(client, dispatcher, number)
    assert r.status_code == 200, r.text
    after = {c["kind"]: c for c in r.json()}
    for kind in ("respond", "resolve"):
        assert not after[kind]["paused"]
        assert after[kind]["due_at"] >= before[kind]["due_at"]
    assert_problem(resume(client, dispatcher, number), 409, "not paused")
    assert kinds(client, dispatcher, number)[-2:] == ["sla_paused", "sla_resumed"]
    entries = client.get(f"/api/v1/incidents/{number}/timeline", headers=dispatcher.headers).json()
    assert entries[-2]["data"] == {
        "reason": "Waiting for the locksmith",
        "clocks": ["respond", "resolve"],
    }
    assert entries[-2]["actor"]["username"] == "dana"
    assert entries[-1]["data"]["clocks"] == ["respond", "resolve"]


@pytest.mark.parametrize("body", [{}, {"reason": ""}, {"reason": "   "}])
def test_a_pause_without_a_reason_is_422(client, dispatcher, body):
    number = report(client, dispatcher)["number"]
    classify(client, dispatcher, number)
    assert_problem(pause(client, dispatcher, number, **body), 422)
    assert "sla_paused" not in kinds(client, dispatcher, number)
    assert not any(c["paused"] for c in clocks_of(client, dispatcher, number).values())


def test_pausing_an_unclassified_or_closed_incident_is_409(client, dispatcher):
    number = report(client, dispatcher)["number"]
    assert_problem(pause(client, dispatcher, number, reason="x"), 409, "classify it first")
    classify(client, dispatcher, number)
    assert move(client, dispatcher, number, to="cancelled", reason="test").status_code == 200
    assert_problem(pause(client, dispatcher, number, reason="x"), 409, "it is cancelled")


def test_officers_may_not_pause(client, org, dispatcher):
    officer = org.user("olga", "officer", ["HQ"])
    number = report(client, dispatcher)["number"]
    classify(client, dispatcher, number)
    assert_problem(pause(client, officer, number, reason="x"), 403, "pause")
    r = client.get(f"/api/v1/incidents/{number}/clocks", headers=officer.headers)
    assert r.status_code == 200 and len(r.json()) == 3


def test_clocks_of_incidents_out_of_scope_or_restricted_answer_404(client, org, dispatcher):
    outsider = org.user("dave", "dispatcher", ["DC"])
    number = report(client, dispatcher)["number"]
    classify(client, dispatcher, number)
    for r in (
        client.get(f"/api/v1/incidents/{number}/clocks", headers=outsider.headers),
        pause(client, outsider, number, reason="x"),
        resume(client, outsider, number),
    ):
        assert_problem(r, 404)
    admin = org.user("ada", "admin", all_sites=True)  # sees every site, but not cleared
    restricted = report(client, dispatcher)["number"]
    classify(client, dispatcher, restricted, type="assault")  # safeguarding only
    for r in (
        client.get(f"/api/v1/incidents/{restricted}/clocks", headers=admin.headers),
        pause(client, admin, restricted, reason="x"),
        client.get(f"/api/v1/incidents/{restricted}/clocks", headers=dispatcher.headers),
    ):
        assert_problem(r, 404)
