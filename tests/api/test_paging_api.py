"""Paging over HTTP: escalation policies in the API (ETag, If-Match, refusals as
problem+json that store nothing), an incident's pagings and acknowledging them, the
page an acknowledge link opens (reading it acknowledges nothing; one click does, once),
and the incident page's banner and button. The app's scheduler is off: the tests fire
the paging steps at the times they choose."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from murphy.app import create_app
from murphy.core.clock import utcnow
from murphy.notify import deliveries, paging, rules
from murphy.notify.models import Delivery
from murphy.settings import Settings
from tests.api.test_pages import sign_in, token_of
from tests.api.test_pages_triage import text
from tests.integration.test_paging import fire, p1, page_rule, policy, schedule

LEVELS = [
    {"targets": [{"schedule": "SOC nights"}], "timeout_minutes": 5},
    {"targets": [{"user": "kim"}, {"role": "supervisor"}], "timeout_minutes": 10},
]


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(
        database_url=database_url, max_body_bytes=64 * 1024, delivery=False, scheduler=False
    )


@pytest.fixture
def client(settings, db):
    with TestClient(create_app(settings, db=db), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def people(factory):
    factory.taxonomy()
    factory.site("HQ")
    return {
        "admin": factory.user("root", "admin", all_sites=True),
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "sam": factory.user("sam", "supervisor", ["HQ"], email="sam@example.org"),
        "kim": factory.user("kim", "supervisor", ["HQ"], email="kim@example.org"),
    }


@pytest.fixture
def paged(db, people):
    """A P1 whose first level (sam, on call) was paged, and sam's email delivery."""
    schedule(db, people)
    policy(db, people)
    page_rule(db, people)
    number = p1(db, people)
    now = utcnow()
    fire(db, now)
    with db.transaction() as s:
        deliveries.route(s, channels=["email"], now=now, limit=100)
    with db.transaction() as s:
        email = s.scalars(select(Delivery).where(Delivery.channel == "email")).one()
        token = rules.ack_token(paging.ack_key(s), email.id, now + timedelta(hours=1))
    return number, token


def test_policies_are_created_read_and_replaced_with_their_version(client, db, people):
    schedule(db, people)
    body = {"name": "Night SOC", "description": "Out of hours", "levels": LEVELS, "repeat": 2}
    r = client.post("/api/v1/escalation-policies", json=body, headers=people["sam"].headers)
    assert r.status_code == 201, r.text
    made = r.json()
    assert r.headers["ETag"] == '"1"' and r.headers["Location"].endswith(f"/{made['id']}")
    assert made["levels"][0]["targets"] == [{"kind": "schedule", "name": "SOC nights", "id": 1}]
    assert made["levels"][1]["targets"][1] == {"kind": "role", "name": "supervisor", "id": None}

    r = client.get("/api/v1/escalation-policies/Night SOC", headers=people["dana"].headers)
    assert r.status_code == 200 and r.json()["repeat"] == 2

    changed = {**body, "repeat": 0}
    stale = {**people["sam"].headers, "If-Match": '"7"'}
    r = client.put("/api/v1/escalation-policies/Night SOC", json=changed, headers=stale)
    assert r.status_code == 412, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    fresh = {**people["sam"].headers, "If-Match": '"1"'}
    r = client.put(f"/api/v1/escalation-policies/{made['id']}", json=changed, headers=fresh)
    assert r.status_code == 200 and r.headers["ETag"] == '"2"' and r.json()["repeat"] == 0


@pytest.mark.parametrize(
    ("change", "status", "needle"),
    [
        ({"levels": [{"targets": [{"schedule": "Nope"}], "timeout_minutes": 5}]}, 422, "Nope"),
        (
            {"levels": [{"targets": [{"user": "sam", "role": "officer"}], "timeout_minutes": 5}]},
            422,
            "exactly one",
        ),
        (
            {"levels": [{"targets": [{"user": "sam"}], "timeout_minutes": 0}]},
            422,
            "timeout_minutes",
        ),
        ({"levels": []}, 422, "levels"),
        ({"repeat": 10}, 422, "repeat"),
        ({"name": "a/b"}, 422, "name"),
    ],
)
def test_bad_policies_are_refused_and_nothing_is_stored(client, people, change, status, needle):
    body = {"name": "Night SOC", "levels": [{"targets": [{"user": "sam"}], "timeout_minutes": 5}]}
    r = client.post(
        "/api/v1/escalation-policies", json={**body, **change}, headers=people["admin"].headers
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert needle in r.text
    assert client.get("/api/v1/escalation-policies", headers=people["admin"].headers).json() == []


def test_only_supervisors_and_admins_change_policies(client, people):
    body = {"name": "Mine", "levels": [{"targets": [{"user": "dana"}], "timeout_minutes": 5}]}
    r = client.post("/api/v1/escalation-policies", json=body, headers=people["dana"].headers)
    assert r.status_code == 403
    assert "supervisors and admins" in r.json()["detail"]


def test_a_policy_named_by_a_rule_cannot_be_removed(client, db, people):
    schedule(db, people)
    policy(db, people)
    page_rule(db, people)
    r = client.delete("/api/v1/escalation-policies/P1 page", headers=people["admin"].headers)
    assert r.status_code == 409
    assert "page by P1 page" in r.json()["detail"]
    assert (
        client.get(
            "/api/v1/escalation-policies/P1 page", headers=people["admin"].headers
        ).status_code
        == 200
    )


def test_an_incident_s_paging_and_acknowledging_it_in_the_api(client, people, paged):
    number, _ = paged
    r = client.get(f"/api/v1/incidents/{number}/paging", headers=people["dana"].headers)
    [running] = r.json()
    assert (running["state"], running["level"], running["paged"]) == ("active", 1, ["sam"])
    assert running["escalates_at"] is not None

    r = client.post(f"/api/v1/incidents/{number}/paging/acknowledge", headers=people["kim"].headers)
    assert r.status_code == 200, r.text
    [done] = r.json()
    assert (done["state"], done["acknowledged_by"], done["acknowledged_via"]) == (
        "acknowledged",
        "kim",
        "api",
    )
    again = client.post(
        f"/api/v1/incidents/{number}/paging/acknowledge", headers=people["sam"].headers
    )
    assert again.status_code == 409
    assert "already acknowledged by kim" in again.json()["detail"]
    incident = client.get(f"/api/v1/incidents/{number}", headers=people["dana"].headers).json()
    assert incident["acknowledged"]["by"]["username"] == "kim"


def test_the_link_page_shows_one_button_and_acknowledges_once(client, db, people, paged):
    number, token = paged
    page = client.get(f"/ack/{token}")
    assert page.status_code == 200
    seen = text(page.text)
    assert "You are being paged" in seen and "P1 Intrusion paging you" in seen
    assert "as Sam" in seen
    assert 'method="post"' in page.text and "csrf_token" not in page.text
    api = client.get(f"/api/v1/ack/{token}").json()
    assert (api["incident"], api["state"]) == (number, "active"), "reading acknowledges nothing"

    done = client.post(f"/ack/{token}")
    assert done.status_code == 200
    assert "Acknowledged: you have it, Sam" in text(done.text)
    again = client.post(f"/ack/{token}")
    assert again.status_code == 409
    assert "already acknowledged by sam" in text(again.text)
    r = client.post(f"/api/v1/ack/{token}")
    assert r.status_code == 409 and r.headers["content-type"].startswith("application/problem+json")

    timeline = client.get(f"/api/v1/incidents/{number}/timeline", headers=people["dana"].headers)
    kinds = [(e["kind"], (e["actor"] or {}).get("username")) for e in timeline.json()]
    assert ("page_acknowledged", "sam") in kinds and ("acknowledged", "sam") in kinds


@pytest.mark.parametrize("bad", ["nonsense", "1.2.3", "99.99999999999.AAAAAAAAAAAAAAAAAAAAAA"])
def test_a_bad_link_says_so_and_reveals_nothing(client, paged, bad):
    page = client.post(f"/ack/{bad}")
    assert page.status_code == 404
    seen = text(page.text)
    assert "This link is not valid" in seen and paged[0] not in seen
    assert client.post(f"/api/v1/ack/{bad}").status_code == 404


def test_the_api_acknowledges_by_link_for_programs(client, people, paged):
    number, token = paged
    r = client.post(f"/api/v1/ack/{token}")
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["acknowledged_by"]) == ("acknowledged", "sam")
    r = client.get(f"/api/v1/incidents/{number}/paging", headers=people["dana"].headers)
    assert r.json()[0]["acknowledged_via"] == "link"


def test_the_incident_page_shows_the_paging_and_its_button(client, people, paged):
    number, _ = paged
    assert sign_in(client, "kim").status_code == 303
    page = client.get(f"/incidents/{number}")
    seen = text(page.text)
    assert "Paging by P1 page · level 1 of 2" in seen and "Paged: Sam" in seen
    assert "Acknowledge the page" in seen
    csrf = token_of(client, f"/incidents/{number}")
    refused = client.post(f"/incidents/{number}/paging/acknowledge", data={"csrf_token": "wrong"})
    assert refused.status_code == 403
    r = client.post(
        f"/incidents/{number}/paging/acknowledge",
        data={"csrf_token": csrf},
        follow_redirects=False,
    )
    assert r.status_code == 303 and r.headers["location"] == f"/incidents/{number}#timeline"
    after = text(client.get(f"/incidents/{number}").text)
    assert "Acknowledge the page" not in after
    assert "Page acknowledged" in after and "Acknowledged (from the page)" in after
