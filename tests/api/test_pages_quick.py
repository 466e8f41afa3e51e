"""A phone call or a walk-up, entered by a dispatcher from the queue in a few keystrokes."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from tests.api.test_pages import alert, rows, sign_in, token_of
from tests.api.test_pages_triage import text
from tests.api.test_public_api import counts
from tests.factories import Account, Factory


@pytest.fixture
def api(hq: Factory) -> Account:
    return hq.user("api", "dispatcher", ["HQ"])


def record(web: TestClient, **fields: str):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token_of(web), "back": "queue", "site": "HQ", **fields}
    return web.post("/incidents", data=data, follow_redirects=False)


def test_a_call_goes_straight_into_the_queue_with_the_caller(
    web: TestClient, hq: Factory, api: Account
) -> None:
    sign_in(web, "dana")
    queue = web.get("/incidents").text
    assert 'id="quick"' in queue and 'name="caller_phone"' in queue and "data-quick-title" in queue
    r = record(
        web,
        title="Smoke in stairwell B",
        detail="2nd floor",
        caller_name="Lee Park",
        caller_phone="+49 30 555 0101",
        channel="phone",
        type="intrusion",
    )
    assert r.status_code == 303
    assert r.headers["location"].startswith("/incidents?recorded=INC-")
    number = r.headers["location"].split("=", 1)[1]
    page = web.get(r.headers["location"]).text
    assert f"{number} recorded" in text(page) and "Ready for the next call" in page
    assert rows(page)[0] == number  # P1 by its type: at the top of the queue
    body = web.get(f"/api/v1/incidents/{number}", headers=api.headers).json()
    assert body["channel"] == "phone" and body["priority"] == 1
    assert body["place"]["detail"] == "2nd floor"
    contact = web.get(f"/api/v1/incidents/{number}/contact", headers=api.headers).json()
    assert contact == {"name": "Lee Park", "phone": "+49 30 555 0101", "email": ""}
    shown = text(web.get(f"/incidents/{number}").text)
    assert "via phone" in shown and "Lee Park" in shown


def test_a_walk_up_without_a_type_waits_for_classification(
    web: TestClient, hq: Factory, api: Account
) -> None:
    sign_in(web, "dana")
    r = record(web, title="Lost wallet handed in", channel="walk_up")
    number = r.headers["location"].split("=", 1)[1]
    body = web.get(f"/api/v1/incidents/{number}", headers=api.headers).json()
    assert body["channel"] == "walk_up" and body["type"] is None and body["priority"] is None


def test_a_mistake_opens_the_full_form_with_everything_kept_and_stores_nothing(
    web: TestClient, hq: Factory
) -> None:
    sign_in(web, "dana")
    r = record(
        web, title="Fight at the gate", caller_name="Ana", caller_phone="call me", type="nope"
    )
    assert r.status_code == 422
    assert "use digits, spaces and +" in alert(r.text)
    assert 'value="Fight at the gate"' in r.text and 'value="Ana"' in r.text
    assert 'name="back" value="queue"' in r.text
    r = record(web, title="Fight at the gate", type="nope")
    assert r.status_code == 422 and "nope" in alert(r.text)
    assert counts(hq.db)[0] == 0


def test_officers_have_no_quick_entry(web: TestClient, hq: Factory) -> None:
    hq.user("olu", "officer", ["HQ"])
    sign_in(web, "olu")
    assert 'id="quick"' not in web.get("/incidents").text
