"""Playbook tasks through the API: listing, completing (with answers), skipping (with a
reason), resolving refused while mandatory steps are open, permissions and scope."""

from __future__ import annotations

from datetime import datetime, timedelta

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
    return org.user("dana", "dispatcher", ["HQ"])


@pytest.fixture
def olu(org):
    return org.user("olu", "officer", ["HQ"])


@pytest.fixture
def admin(org):
    return org.user("root", "admin", all_sites=True)


def url(number, step=None, action=None):
    base = f"/api/v1/incidents/{number}/tasks"
    return f"{base}/{step}/{action}" if step else base


def get_tasks(client, account, number):
    r = client.get(url(number), headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def intrusion(client, dana):
    incident = report(client, dana)
    classify(client, dana, incident["number"], type="intrusion")
    return incident


def test_classification_lists_tasks_with_owners_and_due_times(client, dana):
    incident = intrusion(client, dana)
    body = get_tasks(client, dana, incident["number"])
    assert body["playbook"]["type"] == "intrusion" and body["playbook"]["version"] == 1
    assert [t["step"] for t in body["tasks"]] == ["secure", "armed", "review"]
    secure = body["tasks"][0]
    reported = datetime.fromisoformat(incident["reported_at"])
    assert datetime.fromisoformat(secure["due_at"]) == reported + timedelta(minutes=10)
    assert secure["owner"] == {"role": "officer", "user": None}
    assert secure["state"] == "open" and secure["mandatory"] is True and secure["current"]
    assert body["open_mandatory"] == ["secure", "armed"]
    timeline = client.get(f"/api/v1/incidents/{incident['number']}/timeline", headers=dana.headers)
    assert [e["kind"] for e in timeline.json()][-2:] == ["classified", "tasks_created"]


def test_an_answer_brings_its_branch(client, dana, olu):
    number = intrusion(client, dana)["number"]
    assert_problem(client.post(url(number, "armed", "done"), headers=olu.headers), 422, "answer")
    r = client.post(url(number, "armed", "done"), json={"answer": True}, headers=olu.headers)
    assert r.status_code == 200, r.text
    tasks = {t["step"]: t for t in r.json()["tasks"]}
    assert tasks["armed"]["answer"] is True and tasks["armed"]["done_by"]["username"] == "olu"
    assert tasks["police"]["state"] == "open" and tasks["police"]["owner"]["role"] == "dispatcher"
    r = client.post(url(number, "secure", "done"), headers=olu.headers)
    assert r.status_code == 200 and r.json()["open_mandatory"] == ["police"]
    assert_problem(
        client.post(url(number, "secure", "done"), headers=olu.headers), 409, "already done"
    )
    assert_problem(client.post(url(number, "nothing", "done"), headers=olu.headers), 404, "nothing")
    kinds = [
        e["kind"]
        for e in client.get(f"/api/v1/incidents/{number}/timeline", headers=dana.headers).json()
    ]
    assert kinds.count("task_done") == 2 and kinds.count("tasks_created") == 2


def test_skipping_needs_a_reason_and_a_mandatory_skip_tells_the_supervisors(
    client, dana, olu, admin
):
    number = intrusion(client, dana)["number"]
    for body in ({}, {"reason": "   "}):
        assert_problem(
            client.post(url(number, "secure", "skip"), json=body, headers=dana.headers), 422
        )
    r = client.post(url(number, "secure", "skip"), json={"reason": "n/a"}, headers=olu.headers)
    assert_problem(r, 403, "mandatory")
    r = client.post(
        url(number, "review", "skip"), json={"reason": "No cameras"}, headers=olu.headers
    )
    assert r.status_code == 200, "an officer may skip an optional step"
    outbox = client.get("/api/v1/outbox", headers=admin.headers).json()
    assert outbox == [], "an optional skip tells nobody"
    r = client.post(
        url(number, "secure", "skip"),
        json={"reason": "Police took the scene"},
        headers=dana.headers,
    )
    assert r.status_code == 200, r.text
    secure = next(t for t in r.json()["tasks"] if t["step"] == "secure")
    assert secure["state"] == "skipped" and secure["skip_reason"] == "Police took the scene"
    (message,) = client.get("/api/v1/outbox", headers=admin.headers).json()
    assert message["event"] == "task.skipped" and message["incident"] == number
    assert (message["recipient_kind"], message["recipient"]) == ("role", "supervisor")
    assert message["payload"]["change"]["data"]["reason"] == "Police took the scene"


def test_resolving_with_mandatory_tasks_open_is_409_naming_them(client, dana):
    number = intrusion(client, dana)["number"]
    client.put(
        f"/api/v1/incidents/{number}/assessment",
        json={"immediate_actions": "Area locked down"},
        headers=dana.headers,
    )
    move(client, dana, number, to="triaged")
    move(client, dana, number, to="responding")
    r = move(client, dana, number, to="resolved", resolution_code="resolved")
    assert_problem(
        r, 409, "secure (Secure the area)", "armed (Check whether the intruder is armed)"
    )
    client.post(url(number, "secure", "done"), headers=dana.headers)
    client.post(url(number, "armed", "done"), json={"answer": False}, headers=dana.headers)
    r = move(client, dana, number, to="resolved", resolution_code="resolved")
    assert r.status_code == 200, r.text
    r = client.post(url(number, "review", "done"), headers=dana.headers)
    assert r.status_code == 200, "optional steps may still be done after resolving"


def test_other_sites_and_restricted_incidents_are_404(client, org, dana):
    dora = org.user("dora", "dispatcher", ["DC"])
    number = intrusion(client, dana)["number"]
    for r in (
        client.get(url(number), headers=dora.headers),
        client.post(url(number, "secure", "done"), headers=dora.headers),
        client.post(url(number, "secure", "skip"), json={"reason": "x"}, headers=dora.headers),
    ):
        assert_problem(r, 404)
    sam = org.user("sam", "supervisor", ["HQ"], clearances=["safeguarding"])
    secret = report(client, sam)["number"]
    classify(client, sam, secret, type="assault")
    assert get_tasks(client, sam, secret)["tasks"] == []
    assert_problem(client.get(url(secret), headers=dana.headers), 404)


def test_reporters_cannot_see_or_work_tasks(client, org, dana):
    rita = org.user("rita", "reporter", ["HQ"])
    number = report(client, rita)["number"]
    classify(client, dana, number, type="intrusion")
    assert_problem(client.get(url(number), headers=rita.headers), 403)
    assert_problem(client.post(url(number, "secure", "done"), headers=rita.headers), 403)


def test_unknown_fields_are_refused(client, dana):
    number = intrusion(client, dana)["number"]
    r = client.post(url(number, "secure", "done"), json={"note": "x"}, headers=dana.headers)
    assert_problem(r, 422)
