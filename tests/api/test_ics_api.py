"""Major incidents through the API: declare, roster, roles, periods, complexity;
supervisors and admins command; scope and restricted types answer 404."""

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
def sam(org):
    return org.user("sam", "supervisor", ["HQ"])


@pytest.fixture
def dana(org):
    return org.user("dana", "dispatcher", ["HQ"])


def ics(number, tail=""):
    return f"/api/v1/incidents/{number}/ics{tail}"


def declare(client, account, number, **body):
    body = {"commander": {"user": "sam"}, "complexity": 3, **body}
    return client.post(ics(number, "/declare"), json=body, headers=account.headers)


def test_declare_assign_relieve_and_read_the_roster(client, sam, dana):
    number = report(client, dana)["number"]
    r = declare(client, sam, number)
    assert r.status_code == 200, r.text
    assert r.json()["major"] is True and r.json()["commander"]["user"]["username"] == "sam"
    incident = client.get(f"/api/v1/incidents/{number}", headers=dana.headers).json()
    assert incident["major"] is True and incident["complexity"] == 3
    for role, who in (
        ("public_information_officer", {"user": "dana"}),
        ("logistics_section_chief", {"name": "Lee (facilities contractor)"}),
    ):
        r = client.post(ics(number, "/roles"), json={"role": role, **who}, headers=sam.headers)
        assert r.status_code == 200, r.text
    r = client.post(ics(number, "/roles/logistics_section_chief/relieve"), headers=sam.headers)
    assert r.status_code == 200, r.text
    body = client.get(ics(number), headers=dana.headers).json()
    assert [(a["title"], a["name"], a["current"]) for a in body["roster"]] == [
        ("Incident Commander", "Sam", True),
        ("Public Information Officer", "Dana", True),
        ("Logistics Section Chief", "Lee (facilities contractor)", False),
    ]
    assert body["roster"][2]["relieved_at"] is not None
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/incidents/{number}/timeline", headers=dana.headers).json()
    ]
    assert kinds[-4:] == ["ics_declared", "ics_role", "ics_role", "ics_role"]


def test_periods_and_complexity(client, sam, dana):
    number = report(client, dana)["number"]
    declare(client, sam, number)
    period = {
        "starts_at": "2026-11-28T08:00:00+01:00",
        "ends_at": "2026-11-28T20:00:00+01:00",
        "objectives": "Evacuate building A; keep the data hall running",
    }
    r = client.post(ics(number, "/periods"), json=period, headers=sam.headers)
    assert r.status_code == 201, r.text
    assert r.json()["periods"][0]["number"] == 1
    r = client.post(ics(number, "/periods"), json=period, headers=sam.headers)
    assert_problem(r, 422, "previous one ends")
    r = client.put(ics(number, "/complexity"), json={"complexity": 2}, headers=sam.headers)
    assert r.status_code == 200 and r.json()["complexity"] == 2
    assert_problem(
        client.put(ics(number, "/complexity"), json={"complexity": 6}, headers=sam.headers), 422
    )


def test_bad_input_is_422(client, sam, dana):
    number = report(client, dana)["number"]
    assert_problem(declare(client, sam, number, complexity=0), 422)
    assert_problem(declare(client, sam, number, commander={"user": "sam", "name": "Sam"}), 422)
    assert_problem(declare(client, sam, number, commander={"user": "ghost"}), 422, "ghost")
    declare(client, sam, number)
    r = client.post(ics(number, "/roles"), json={"role": "mayor", "name": "X"}, headers=sam.headers)
    assert_problem(r, 422)
    assert_problem(client.post(ics(number, "/roles/mayor/relieve"), headers=sam.headers), 422)


def test_only_supervisors_and_admins_command(client, org, sam, dana):
    number = report(client, dana)["number"]
    assert_problem(declare(client, dana, number), 403)
    assert client.get(ics(number), headers=dana.headers).status_code == 200, "but may read it"
    declare(client, sam, number)
    r = client.post(
        ics(number, "/roles"), json={"role": "safety_officer", "name": "X"}, headers=dana.headers
    )
    assert_problem(r, 403)
    admin = org.user("root", "admin", all_sites=True)
    r = client.post(
        ics(number, "/roles"), json={"role": "safety_officer", "name": "X"}, headers=admin.headers
    )
    assert r.status_code == 200


def test_undeclared_incidents_have_an_empty_roster_and_refuse_roles(client, sam, dana):
    number = report(client, dana)["number"]
    body = client.get(ics(number), headers=dana.headers).json()
    assert body == {
        "number": number,
        "major": False,
        "complexity": None,
        "commander": None,
        "roster": [],
        "periods": [],
    }
    r = client.post(
        ics(number, "/roles"), json={"role": "safety_officer", "name": "X"}, headers=sam.headers
    )
    assert_problem(r, 409, "declare it major first")


def test_other_sites_and_restricted_incidents_are_404(client, org, sam, dana):
    number = report(client, dana)["number"]
    boss = org.user("dora", "supervisor", ["DC"])
    assert_problem(client.get(ics(number), headers=boss.headers), 404)
    assert_problem(declare(client, boss, number, commander={"user": "dora"}), 404)
    cleared = org.user("cleo", "supervisor", ["HQ"], clearances=["safeguarding"])
    secret = report(client, cleared)["number"]
    classify(client, cleared, secret, type="assault")
    assert_problem(client.get(ics(secret), headers=sam.headers), 404)
    assert_problem(declare(client, sam, secret), 404)
    r = declare(client, cleared, secret, commander={"user": "sam"})
    assert_problem(r, 422, "may not see"), "an uncleared commander is refused"
    assert declare(client, cleared, secret, commander={"user": "cleo"}).status_code == 200
