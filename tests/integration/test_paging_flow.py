"""The issue's "done when", end to end: a P1 reported through the API pages the person
on call by email (a real SMTP server) and webhook (a real HTTP receiver checking the
signature), escalates to the next level when nobody acknowledges in time, and stops
when someone clicks the link in the message; every step is on the timeline.

The served app delivers (its own worker); the test is the clock: it fires the paging
steps at the times it chooses instead of waiting minutes."""

from __future__ import annotations

import re
import time
from datetime import timedelta

from fastapi.testclient import TestClient

from murphy.app import create_app
from murphy.core.clock import utcnow
from murphy.notify import preferences
from murphy.notify.schemas import ContactMethodIn
from tests.integration.test_paging import fire, page_rule, policy, schedule
from tests.receivers import http_receiver, smtp_server

SECRET = "flow-secret"
PUBLIC = "https://murphy.example.org"


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def ack_path(mail) -> str:
    found = re.search(rf"Acknowledge: {re.escape(PUBLIC)}(/ack/\S+)", mail.text())
    assert found, "the page has an acknowledge link"
    return found.group(1)


def test_a_p1_pages_the_on_call_escalates_and_stops_when_acknowledged(db, factory, settings):
    factory.taxonomy()
    factory.site("HQ")
    people = {
        "admin": factory.user("root", "admin", all_sites=True),
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "sam": factory.user("sam", "supervisor", ["HQ"], email="sam@example.org"),
        "kim": factory.user("kim", "supervisor", ["HQ"], email="kim@example.org"),
    }
    schedule(db, people)  # sam is on call
    policy(db, people)  # level 1: whoever is on call (5 min), level 2: kim (10 min)
    page_rule(db, people)  # P1 pages by that policy
    with smtp_server() as smtp, http_receiver(secret=SECRET) as hook:
        with db.transaction() as s:  # sam's pager app takes webhooks
            method = ContactMethodIn(channel="webhook", address=hook.url, label="Pager app")
            preferences.add_method(s, principal=people["sam"].principal, data=method)
        served = settings.model_copy(
            update={
                "delivery": True,
                "scheduler": False,
                "smtp_host": smtp.host,
                "smtp_port": smtp.port,
                "smtp_security": "none",
                "smtp_from": "Murphy <murphy@example.org>",
                "webhook_secret": SECRET,
                "public_url": PUBLIC,
            }
        )
        with TestClient(create_app(served, db=db)) as client:
            dana = people["dana"].headers
            number = client.post(
                "/api/v1/incidents",
                json={"title": "Shots heard in car park B", "site": "HQ"},
                headers=dana,
            ).json()["number"]
            client.put(
                f"/api/v1/incidents/{number}/classification",
                json={"type": "intrusion"},
                headers=dana,
            ).raise_for_status()
            t0 = utcnow()
            assert fire(db, t0) == 1  # level 1: sam, on call
            [to_sam] = smtp.wait(1)
            wait_until(lambda: hook.count() == 1)
            assert fire(db, t0 + timedelta(minutes=6)) == 1  # nobody acknowledged: kim
            to_kim = smtp.wait(2)[1]
            done = client.post(ack_path(to_kim))
            assert done.status_code == 200, done.text
            assert fire(db, t0 + timedelta(hours=1)) == 0, "the escalation stopped"
            late = client.post(ack_path(to_sam))
            timeline = client.get(f"/api/v1/incidents/{number}/timeline", headers=dana).json()
            paging = client.get(f"/api/v1/incidents/{number}/paging", headers=dana).json()

    assert to_sam.recipients == ["sam@example.org"]
    assert to_sam.message["Subject"].startswith("[Murphy] P1 Intrusion paging you: Shots heard")
    assert "level 1 of 2 (P1 page), acknowledge within 5 min" in to_sam.text()
    assert to_kim.recipients == ["kim@example.org"]
    [hit] = hook.hits
    body = hit.json()
    assert hit.signed and body["event"] == "incident.paged" and body["page"]["level"] == 1
    assert body["ack_api_url"].startswith(f"{PUBLIC}/api/v1/ack/")
    assert late.status_code == 409 and "already acknowledged by kim" in late.text

    steps = [(e["kind"], (e["actor"] or {}).get("username")) for e in timeline]
    assert steps[-4:] == [
        ("paged", None),
        ("paged", None),
        ("page_acknowledged", "kim"),
        ("acknowledged", "kim"),
    ]
    assert [e["data"]["paged"] for e in timeline if e["kind"] == "paged"] == [
        [{"schedule": "SOC nights", "user": "sam"}],
        [{"user": "kim"}],
    ]
    assert (paging[0]["state"], paging[0]["acknowledged_via"]) == ("acknowledged", "link")
