"""The delivery pages: the dead-letter list for admins (`/admin/deliveries`: tabs, a
delivery's tries, "Send again" with CSRF) and each user's in-app notifications (the bell
in the header, `/notifications`: open one, mark all read). Real database, real services;
the app's own delivery worker is off so that what the services wrote stays put."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient

from murphy.core.db import Database
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentCreate
from murphy.notify import deliveries, service
from murphy.notify.schemas import DeliveryQuery, RecipientIn, RuleIn
from murphy.settings import Settings
from tests.api.test_pages import alert, sign_in, token_of
from tests.api.test_pages_triage import text
from tests.factories import Account, Factory

T0 = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
HOOK = "https://hooks.example.org/murphy"
SOC = "soc@example.org"
POLICY = deliveries.RetryPolicy(max_attempts=5, base_seconds=10, cap_seconds=60)
PAGE = "/admin/deliveries"


@pytest.fixture
def settings(database_url: str) -> Settings:
    """No delivery worker in the app: the tests move deliveries through the services."""
    return Settings(database_url=database_url, max_body_bytes=64 * 1024, delivery=False)


@pytest.fixture
def root(hq: Factory) -> Account:
    return hq.user("root", "admin", all_sites=True)


@pytest.fixture
def ana(hq: Factory) -> Account:
    return hq.user("ana", "dispatcher", ["HQ"])


@pytest.fixture
def sam(hq: Factory) -> Account:
    return hq.user("sam", "supervisor", ["HQ"])


@dataclass
class Letters:
    """What `letters` made: the incident and the ids of its deliveries by channel."""

    number: str
    ids: dict[str, int]


def report(db: Database, who: Account, title: str, at: datetime = T0) -> str:
    with db.transaction() as s:
        data = IncidentCreate(title=title, site="HQ", place={"zone": "LOBBY"})
        return incidents_service.report(s, principal=who.principal, data=data, now=at).number


def tell(db: Database, root: Account, *recipients: RecipientIn) -> None:
    """A rule: every reported incident is told to `recipients`."""
    with db.transaction() as s:
        data = RuleIn(name="told", events=["incident.reported"], recipients=list(recipients))
        service.create_rule(s, principal=root.principal, data=data)


def route(db: Database, at: datetime = T0) -> None:
    with db.transaction() as s:
        deliveries.route(s, channels=("email", "webhook"), now=at, limit=100)


def attempt(db: Database, at: datetime, fate: dict[str, dict[str, Any]]) -> None:
    """Claim what is due at `at` and record each try as `fate[channel]` says."""
    with db.transaction() as s:
        claimed = deliveries.claim(s, now=at, limit=100, lease=timedelta(seconds=60))
    outcomes = [
        deliveries.Outcome(c.id, c.attempt, at, 5, **fate[c.channel])
        for c in claimed
        if c.channel in fate
    ]
    with db.transaction() as s:
        deliveries.record(s, outcomes, now=at, policy=POLICY, rand=lambda a, b: b)


def letters(db: Database, root: Account, ana: Account) -> Letters:
    """An incident told to ana (in the app), a webhook that died on its second try and an
    email address whose server keeps asking to try later (failing)."""
    tell(db, root, RecipientIn(user="ana"), RecipientIn(external=HOOK), RecipientIn(external=SOC))
    number = report(db, ana, "Door forced at the loading bay")
    route(db)
    later = {"ok": False, "detail": "SMTP 451 4.7.1 try again later", "retry_after": 3600}
    attempt(
        db, T0, {"webhook": {"ok": False, "detail": "HTTP 503 from the receiver"}, "email": later}
    )
    gone = {"ok": False, "detail": "HTTP 410 Gone: the hook was removed", "permanent": True}
    attempt(db, T0 + timedelta(seconds=20), {"webhook": gone})
    with db.transaction(write=False) as s:
        rows = deliveries.list_deliveries(s, principal=root.principal, query=DeliveryQuery())
    return Letters(number, {d.channel: d.id for d in rows})


def delivery(db: Database, root: Account, delivery_id: int) -> Any:
    with db.transaction(write=False) as s:
        return deliveries.get_delivery(s, principal=root.principal, delivery_id=delivery_id)


def rows_of(html: str) -> dict[int, str]:
    """The text of each delivery row of the list, by id."""
    found = re.findall(r'<tr class="dl-row[^"]*" id="delivery-(\d+)">(.*?)</tr>', html, re.S)
    return {int(i): text(row) for i, row in found}


def current_tab(html: str) -> str:
    match = re.search(r'<a href="[^"]*" class="tab-(\w+)" aria-current="true">', html)
    assert match, "no tab is selected"
    return match.group(1)


def bell(html: str) -> int:
    """The bell's number in the header; 0 when its badge is hidden."""
    match = re.search(
        r'<span class="bell-count" data-bell-count( hidden)?><span data-bell-n>([^<]*)<', html
    )
    assert match, "no bell in the header"
    return 0 if match.group(1) else int(match.group(2))


def switch(web: TestClient, username: str) -> None:
    """Sign out of the browser session (forget its cookie) and sign in as `username`."""
    web.cookies.clear()
    assert sign_in(web, username).status_code == 303


def post(web: TestClient, path: str, token: str | None, **fields: str) -> Any:
    data = {"csrf_token": token, **fields} if token is not None else dict(fields)
    return web.post(path, data=data, follow_redirects=False)


def notification_ids(web: TestClient, account: Account) -> list[int]:
    r = web.get("/api/v1/notifications", headers={**account.headers, "accept": "application/json"})
    assert r.status_code == 200, r.text
    return [n["id"] for n in r.json()["items"]]


# --- the dead-letter list ------------------------------------------------------------


def test_an_admin_sees_the_dead_letters_first_with_their_error_and_send_again(
    web: TestClient, db: Database, root: Account, ana: Account
) -> None:
    made = letters(db, root, ana)
    sign_in(web, "root")
    page = web.get(PAGE)
    assert page.status_code == 200
    assert current_tab(page.text) == "dead"
    rows = rows_of(page.text)
    assert list(rows) == [made.ids["webhook"]]  # only the dead one
    dead = rows[made.ids["webhook"]]
    assert "Dead" in dead and HOOK in dead and "Webhook" in dead
    assert "HTTP 410 Gone: the hook was removed" in dead
    assert "Send again" in dead
    assert f'href="/incidents/{made.number}"' in page.text
    assert "Door forced at the loading bay" in dead
    assert re.search(
        rf'id="delivery-{made.ids["webhook"]}">.*?class="dl-tries">2<', page.text, re.S
    )
    assert 'href="/admin/deliveries"' in page.text  # the admin menu has the link


def test_the_tabs_show_failing_sent_and_all_and_the_channel_filter(
    web: TestClient, db: Database, root: Account, ana: Account
) -> None:
    made = letters(db, root, ana)
    sign_in(web, "root")
    failing = web.get(PAGE, params={"state": "failing"})
    assert current_tab(failing.text) == "failing"
    rows = rows_of(failing.text)
    assert list(rows) == [made.ids["email"]]
    assert "Failing" in rows[made.ids["email"]] and "SMTP 451" in rows[made.ids["email"]]
    assert "Send again" not in rows[made.ids["email"]]  # only a dead one is sent again
    sent = rows_of(web.get(PAGE, params={"state": "sent"}).text)
    assert list(sent) == [made.ids["in_app"]]
    everything = rows_of(web.get(PAGE, params={"state": "all"}).text)
    assert sorted(everything) == sorted(made.ids.values())
    assert list(everything) == sorted(everything, reverse=True)  # newest first
    webhooks = rows_of(web.get(PAGE, params={"state": "all", "channel": "webhook"}).text)
    assert list(webhooks) == [made.ids["webhook"]]


def test_without_dead_letters_the_page_says_so_in_a_sentence(
    web: TestClient, db: Database, root: Account
) -> None:
    sign_in(web, "root")
    page = web.get(PAGE)
    assert page.status_code == 200
    assert "No dead letters: every message was delivered or is still being tried." in page.text
    assert current_tab(page.text) == "all"
    assert rows_of(page.text) == {}


def test_send_again_makes_a_dead_letter_pending_and_says_so(
    web: TestClient, db: Database, root: Account, ana: Account
) -> None:
    made = letters(db, root, ana)
    hook = made.ids["webhook"]
    sign_in(web, "root")
    r = post(web, f"{PAGE}/{hook}/retry", token_of(web, PAGE), state="dead")
    assert r.status_code == 303
    assert r.headers["location"] == f"{PAGE}?state=dead&again={hook}"
    again = delivery(db, root, hook)
    assert again.state.value == "pending" and again.attempts == 0
    assert len(again.tries) == 2  # its history stays
    page = web.get(r.headers["location"])
    assert f"Delivery {hook} will be sent again" in text(page.text)
    assert rows_of(page.text) == {}  # nothing dead any more
    twice = post(web, f"{PAGE}/{hook}/retry", token_of(web, PAGE), state="dead")
    assert twice.status_code == 409
    assert "only a dead delivery can be sent again" in alert(twice.text)


def test_send_again_without_the_csrf_token_is_refused(
    web: TestClient, db: Database, root: Account, ana: Account
) -> None:
    made = letters(db, root, ana)
    sign_in(web, "root")
    for token in (None, "forged"):
        r = post(web, f"{PAGE}/{made.ids['webhook']}/retry", token, state="dead")
        assert r.status_code == 403
    assert delivery(db, root, made.ids["webhook"]).state.value == "dead"


def test_a_dispatcher_may_not_see_the_deliveries(
    web: TestClient, db: Database, root: Account, ana: Account
) -> None:
    made = letters(db, root, ana)
    sign_in(web, "ana")
    queue = web.get("/incidents")
    assert 'href="/admin/deliveries"' not in queue.text
    assert web.get(PAGE).status_code == 403
    assert web.get(f"{PAGE}/{made.ids['webhook']}").status_code == 403
    r = post(web, f"{PAGE}/{made.ids['webhook']}/retry", token_of(web), state="dead")
    assert r.status_code == 403
    assert delivery(db, root, made.ids["webhook"]).state.value == "dead"


def test_a_delivery_page_lists_every_try(
    web: TestClient, db: Database, root: Account, ana: Account
) -> None:
    made = letters(db, root, ana)
    sign_in(web, "root")
    page = web.get(f"{PAGE}/{made.ids['webhook']}")
    assert page.status_code == 200
    tries = re.findall(r"<tr>\s*<th scope=\"row\">(\d+)</th>(.*?)</tr>", page.text, re.S)
    assert [n for n, _ in tries] == ["1", "2"]
    first, second = text(tries[0][1]), text(tries[1][1])
    assert "5 ms" in first and "Retry" in first and "HTTP 503 from the receiver" in first
    assert "Failed" in second and "HTTP 410 Gone: the hook was removed" in second
    assert "Send again" in page.text and HOOK in page.text
    assert web.get(f"{PAGE}/999999").status_code == 404


# --- the bell and my notifications ---------------------------------------------------


def test_the_bell_counts_my_unread_notifications_and_nobody_else_s(
    web: TestClient, db: Database, root: Account, ana: Account, sam: Account
) -> None:
    letters(db, root, ana)
    report(db, ana, "Second door forced")
    route(db)
    sign_in(web, "ana")
    assert bell(web.get("/incidents").text) == 2
    switch(web, "sam")
    assert bell(web.get("/incidents").text) == 0


def test_my_notifications_are_listed_and_mark_all_read_clears_the_bell(
    web: TestClient, db: Database, root: Account, ana: Account
) -> None:
    made = letters(db, root, ana)
    sign_in(web, "ana")
    page = web.get("/notifications")
    assert page.status_code == 200
    items = re.findall(
        r'<li class="nt( nt-unread)?" id="notification-\d+">(.*?)</li>', page.text, re.S
    )
    assert len(items) == 1 and items[0][0]  # unread
    assert "Incident reported: Door forced at the loading bay" in text(items[0][1])
    assert made.number in text(items[0][1])
    assert bell(web.get("/notifications").text) == 1  # looking at the list reads nothing
    r = post(web, "/notifications/read", token_of(web))
    assert r.status_code == 303 and r.headers["location"] == "/notifications"
    after = web.get("/notifications")
    assert bell(after.text) == 0
    assert "nt-unread" not in after.text
    assert "Mark all read" not in after.text


def test_opening_one_marks_only_it_read_and_goes_to_its_incident(
    web: TestClient, db: Database, root: Account, ana: Account
) -> None:
    first = letters(db, root, ana).number
    second = report(db, ana, "Second door forced", at=T0 + timedelta(minutes=1))
    route(db, at=T0 + timedelta(minutes=1))
    newest, oldest = notification_ids(web, ana)
    sign_in(web, "ana")
    r = post(web, f"/notifications/{oldest}/open", token_of(web))
    assert r.status_code == 303
    assert r.headers["location"] == f"/incidents/{first}"
    page = web.get("/notifications")
    assert bell(page.text) == 1
    assert f'class="nt nt-unread" id="notification-{newest}"' in page.text
    assert f'class="nt" id="notification-{oldest}"' in page.text
    assert second != first


def test_another_users_notification_cannot_be_opened(
    web: TestClient, db: Database, root: Account, ana: Account, sam: Account
) -> None:
    letters(db, root, ana)
    (mine,) = notification_ids(web, ana)
    sign_in(web, "sam")
    assert post(web, f"/notifications/{mine}/open", token_of(web)).status_code == 404
    assert post(web, "/notifications/read", token_of(web)).status_code == 303  # sam's own
    switch(web, "ana")
    assert bell(web.get("/incidents").text) == 1  # still unread
    assert post(web, f"/notifications/{mine}/open", None).status_code == 403  # no token


def test_without_notifications_the_page_says_so(web: TestClient, ana: Account) -> None:
    sign_in(web, "ana")
    page = web.get("/notifications")
    assert page.status_code == 200
    assert "No notifications: when an escalation rule names you or your role" in page.text
    assert bell(page.text) == 0
    assert 'aria-current="page"' in re.search(r'<a class="bell"[^>]*>', page.text).group(0)
