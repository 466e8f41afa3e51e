"""A P1 incident reaches people through the built-in channels, end to end: the API
commits the change and its outbox rows, the worker in `murphy serve` routes and sends
them, a real SMTP server receives the supervisor's email and a real HTTP receiver the
signed webhook; people also find it in the app."""

from __future__ import annotations

import time

import pytest
from fastapi.testclient import TestClient

from murphy.app import create_app
from murphy.notify import render, service
from murphy.notify.schemas import RecipientIn, RuleIn
from tests.receivers import http_receiver, smtp_server

SECRET = "flow-secret"


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ")
    return factory


def wait_until(predicate, timeout=10.0):
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.01)


def test_a_p1_pages_the_supervisor_by_email_and_the_soc_by_webhook(db, org, settings):
    admin = org.user("root", "admin", all_sites=True)
    dana = org.user("dana", "dispatcher", ["HQ"])
    sam = org.user("sam", "supervisor", ["HQ"], email="sam@example.org")
    with smtp_server() as smtp, http_receiver(secret=SECRET) as hook:
        with db.transaction() as s:
            data = RuleIn(
                name="P1 to supervisors and the SOC",
                events=["incident.classified"],
                priorities=[1],
                recipients=[RecipientIn(role="supervisor"), RecipientIn(external=hook.url)],
            )
            service.create_rule(s, principal=admin.principal, data=data)
        configured = settings.model_copy(
            update={
                "delivery": True,
                "smtp_host": smtp.host,
                "smtp_port": smtp.port,
                "smtp_security": "none",
                "smtp_from": "Murphy <murphy@example.org>",
                "webhook_secret": SECRET,
                "public_url": "https://murphy.example.org",
            }
        )
        with TestClient(create_app(configured, db=db)) as client:
            r = client.post(
                "/api/v1/incidents",
                json={"title": "Intruder <armed> at the loading bay", "site": "HQ"},
                headers=dana.headers,
            )
            number = r.json()["number"]
            client.put(
                f"/api/v1/incidents/{number}/classification",
                json={"type": "intrusion", "impact": 1, "urgency": 1},
                headers=dana.headers,
            ).raise_for_status()
            [mail] = smtp.wait(1)
            wait_until(lambda: hook.count() == 1)
            bell = client.get("/api/v1/notifications", headers=sam.headers).json()

    assert mail.recipients == ["sam@example.org"]
    assert mail.message["Subject"] == (
        f"[Murphy] P1 Intrusion classified: Intruder <armed> at the loading bay ({number}, HQ)"
    )
    link = f"https://murphy.example.org/incidents/{number}"
    assert link in mail.text()
    assert f'href="{link}"' in mail.html() and "Intruder &lt;armed&gt;" in mail.html()
    key = mail.message["X-Murphy-Key"]
    assert key.startswith(f"incident.classified:{number}:") and key.endswith(":email")
    assert mail.message["Message-ID"] == render.message_id(key, "example.org")

    [hit] = hook.hits
    assert hit.signed is True
    body = hit.json()
    assert (body["event"], body["incident"]["number"], body["incident"]["priority"]) == (
        "incident.classified",
        number,
        1,
    )
    assert body["url"] == link and hit.headers["Idempotency-Key"] == body["delivery_key"]

    assert bell["unread"] == 1
    assert bell["items"][0]["path"] == f"/incidents/{number}"


def test_without_a_mail_server_people_are_still_told_in_the_app(db, org, settings):
    admin = org.user("root", "admin", all_sites=True)
    dana = org.user("dana", "dispatcher", ["HQ"])
    sam = org.user("sam", "supervisor", ["HQ"], email="sam@example.org")
    with db.transaction() as s:
        data = RuleIn(
            name="all", events=["incident.reported"], recipients=[RecipientIn(role="supervisor")]
        )
        service.create_rule(s, principal=admin.principal, data=data)
    served = settings.model_copy(update={"delivery": True})  # and no MURPHY_SMTP_HOST
    with TestClient(create_app(served, db=db)) as client:
        client.post(
            "/api/v1/incidents", json={"title": "Alarm", "site": "HQ"}, headers=dana.headers
        ).raise_for_status()
        wait_until(
            lambda: client.get("/api/v1/notifications", headers=sam.headers).json()["unread"] == 1
        )
        listed = client.get("/api/v1/deliveries", headers=admin.headers).json()
    assert [d["channel"] for d in listed] == ["in_app"]  # no email delivery made to fail
