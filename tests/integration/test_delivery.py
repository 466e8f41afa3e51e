"""Delivery of the outbox, through the services and the worker, on a real database:
routing to people and channels, in-app notifications, claims and leases, retries with
backoff, the dead-letter list, and workers that never send the same message at once.

The channel here is a plugin-style channel that records what it is given (the way a
third-party channel would plug in); the built-in channels meet a real SMTP server and
HTTP receivers in test_channels.py and test_delivery_flow.py.
"""

from __future__ import annotations

import asyncio
import time
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from murphy.core.errors import Conflict, PermissionDenied
from murphy.core.events import EventBus
from murphy.core.writer import Writer
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn, IncidentCreate
from murphy.notify import deliveries, service
from murphy.notify.channels import Outgoing, Result
from murphy.notify.models import Delivery, DeliveryAttempt, Notification, OutboxMessage
from murphy.notify.schemas import DeliveryQuery, DeliveryState, RecipientIn, RuleIn
from murphy.notify.worker import Deliverer, collect

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
POLICY = deliveries.RetryPolicy(max_attempts=3, base_seconds=10, cap_seconds=60)
HOOK = "https://hooks.example.org/murphy"


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
    return org.user("dana", "dispatcher", ["HQ", "DC"])


def rule(db, admin, *recipients, events=("incident.reported",), **fields):
    with db.transaction() as s:
        data = RuleIn(name="r", events=list(events), recipients=list(recipients), **fields)
        return service.create_rule(s, principal=admin.principal, data=data)


def report(db, account, site="HQ", title="Door forced at the loading bay"):
    with db.transaction() as s:
        data = IncidentCreate(title=title, site=site, place={"zone": "LOBBY"})
        return incidents_service.report(s, principal=account.principal, data=data, now=T0).number


def route(db, channels=("email", "webhook", "sms"), now=T0):
    with db.transaction() as s:
        return deliveries.route(s, channels=channels, now=now, limit=100)


def claim(db, now=T0, limit=100, lease=60):
    with db.transaction() as s:
        return deliveries.claim(s, now=now, limit=limit, lease=timedelta(seconds=lease))


def record(db, *outcomes, now=T0):
    with db.transaction() as s:
        deliveries.record(s, outcomes, now=now, policy=POLICY, rand=lambda a, b: b)


def outcome(item, ok=True, **kw):
    return deliveries.Outcome(item.id, item.attempt, T0, 5, ok, **kw)


def rows(db, model, *where):
    with db.transaction(write=False) as s:
        return s.scalars(select(model).where(*where).order_by(model.id)).all()


# --- routing ------------------------------------------------------------------------


def test_a_message_reaches_each_person_on_their_channels_and_outsiders_on_theirs(
    db, org, admin, dana
):
    sam = org.user("sam", "supervisor", ["HQ"], email="sam@example.org")
    org.user("dee", "supervisor", ["DC"], email="dee@example.org")  # not at HQ
    rule(
        db,
        admin,
        RecipientIn(role="supervisor"),
        RecipientIn(user="dana"),
        RecipientIn(external="soc@example.org"),
        RecipientIn(external=HOOK),
        RecipientIn(external="+4930123456"),
    )
    number = report(db, dana)
    assert route(db) == 5
    made = {(d.channel, d.address): d for d in rows(db, Delivery)}
    assert set(made) == {
        ("in_app", f"user:{sam.principal.id}"),
        ("email", "sam@example.org"),
        ("in_app", f"user:{dana.principal.id}"),  # dana has no email address
        ("email", "soc@example.org"),
        ("webhook", HOOK),
        ("sms", "+4930123456"),
    }
    role_key = f"incident.reported:{number}:1:role:supervisor>u{sam.principal.id}"
    assert made[("email", "sam@example.org")].dedup_key == f"{role_key}:email"
    assert made[("webhook", HOOK)].dedup_key.endswith(":webhook")
    # in-app notifications are written at once and their deliveries are born sent
    assert made[("in_app", f"user:{sam.principal.id}")].state == "sent"
    assert made[("email", "sam@example.org")].state == "pending"
    told = rows(db, Notification)
    assert sorted(n.user_id for n in told) == sorted([sam.principal.id, dana.principal.id])
    assert told[0].title == "Incident reported: Door forced at the loading bay"
    assert told[0].path == f"/incidents/{number}"
    assert {m.state for m in rows(db, OutboxMessage)} == {"routed"}
    assert route(db) == 0  # routed rows are not routed again


def test_email_is_only_used_for_people_when_the_channel_can_send(db, org, admin, dana):
    org.user("sam", "supervisor", ["HQ"], email="sam@example.org")
    rule(db, admin, RecipientIn(role="supervisor"))
    report(db, dana)
    route(db, channels=())
    assert [d.channel for d in rows(db, Delivery)] == ["in_app"]


def test_a_role_nobody_holds_at_the_site_leaves_the_message_unrouted(db, org, admin, dana):
    org.user("dee", "supervisor", ["DC"], email="dee@example.org")
    rule(db, admin, RecipientIn(role="supervisor"))
    report(db, dana)
    route(db)
    assert [m.state for m in rows(db, OutboxMessage)] == ["unrouted"]
    assert rows(db, Delivery) == []


def test_a_restricted_incident_reaches_only_cleared_members_and_says_nothing(db, org, admin, dana):
    cleared = org.user(
        "cleo", "supervisor", ["HQ"], clearances=["safeguarding"], email="c@example.org"
    )
    org.user("sam", "supervisor", ["HQ"], email="sam@example.org")
    reporter = org.user("hana", "dispatcher", ["HQ"], clearances=["safeguarding"])
    rule(db, admin, RecipientIn(role="supervisor"), events=["incident.classified"])
    number = report(db, reporter, title="Complaint against a colleague")
    with db.transaction() as s:
        triage.classify(
            s, principal=reporter.principal, number=number, data=ClassifyIn(type="assault")
        )
    route(db)
    told = rows(db, Notification)
    assert [n.user_id for n in told] == [cleared.principal.id]
    assert "Complaint" not in told[0].title and "Restricted incident" in told[0].title
    assert {d.address for d in rows(db, Delivery)} == {
        f"user:{cleared.principal.id}",
        "c@example.org",
    }


# --- claims, results, retries --------------------------------------------------------


def test_a_sent_delivery_is_recorded_with_its_try(db, org, admin, dana):
    rule(db, admin, RecipientIn(external=HOOK))
    report(db, dana)
    route(db)
    [item] = claim(db)
    assert (item.channel, item.address, item.attempt) == ("webhook", HOOK, 1)
    assert item.payload["event"] == "incident.reported"
    assert claim(db) == []  # owned by its worker until the lease ends
    record(db, outcome(item, detail="HTTP 204"))
    [d] = rows(db, Delivery)
    assert (d.state, d.attempts, d.sent_at) == ("sent", 1, T0)
    [a] = rows(db, DeliveryAttempt)
    assert (a.number, a.outcome, a.detail) == (1, "sent", "HTTP 204")


def test_failures_back_off_exponentially_then_go_to_the_dead_letters(db, org, admin, dana):
    rule(db, admin, RecipientIn(external=HOOK))
    report(db, dana)
    route(db)
    now, waits = T0, []
    for _ in range(POLICY.max_attempts):
        [item] = claim(db, now=now)
        record(db, outcome(item, ok=False, detail="HTTP 503"), now=now)
        [d] = rows(db, Delivery)
        if d.state == "pending":
            waits.append((d.due_at - now).total_seconds())
            assert claim(db, now=d.due_at - timedelta(seconds=1)) == []  # not yet due
            now = d.due_at
    assert waits == [10, 20]  # rand gives the top of the jitter band: base, then doubled
    [d] = rows(db, Delivery)
    assert (d.state, d.attempts, d.last_error) == ("dead", 3, "HTTP 503")
    assert [a.outcome for a in rows(db, DeliveryAttempt)] == ["retry", "retry", "failed"]


def test_a_permanent_failure_goes_to_the_dead_letters_at_once(db, org, admin, dana):
    rule(db, admin, RecipientIn(external=HOOK))
    report(db, dana)
    route(db)
    [item] = claim(db)
    record(db, outcome(item, ok=False, permanent=True, detail="HTTP 410 Gone"))
    [d] = rows(db, Delivery)
    assert (d.state, d.last_error) == ("dead", "HTTP 410 Gone")


def test_retry_after_from_the_receiver_is_honoured(db, org, admin, dana):
    rule(db, admin, RecipientIn(external=HOOK))
    report(db, dana)
    route(db)
    [item] = claim(db)
    record(db, outcome(item, ok=False, detail="HTTP 429", retry_after=45))
    [d] = rows(db, Delivery)
    assert (d.due_at - T0).total_seconds() == 45


def test_a_dead_worker_s_claim_is_taken_again_after_its_lease(db, org, admin, dana):
    rule(db, admin, RecipientIn(external=HOOK))
    report(db, dana)
    route(db)
    [first] = claim(db, lease=60)
    assert claim(db, now=T0 + timedelta(seconds=59)) == []
    [again] = claim(db, now=T0 + timedelta(seconds=61))
    assert (again.id, again.key, again.attempt) == (first.id, first.key, 2)
    # the first worker wakes up late: its result is kept but moves nothing
    record(db, outcome(first, ok=False, detail="HTTP 500"))
    assert rows(db, Delivery)[0].state == "sending"
    record(db, outcome(again, detail="HTTP 200"))
    assert rows(db, Delivery)[0].state == "sent"
    assert [(a.number, a.outcome) for a in rows(db, DeliveryAttempt)] == [
        (1, "lost"),
        (1, "retry"),
        (2, "sent"),
    ]


def test_two_workers_never_claim_the_same_delivery(db, org, admin, dana):
    """On PostgreSQL a claim skips rows another open transaction holds; on SQLite the one
    writer serializes claims. Either way the two sets are disjoint and cover all."""
    rule(db, admin, RecipientIn(external=HOOK))
    for _ in range(6):
        report(db, dana)
    route(db)
    lease = timedelta(seconds=60)
    if db.is_sqlite:
        first, second = claim(db, limit=4), claim(db, limit=4)
    else:
        with db.session(write=True) as a, db.session(write=True) as b:
            first = deliveries.claim(a, now=T0, limit=4, lease=lease)  # a holds 4 rows
            second = deliveries.claim(b, now=T0, limit=4, lease=lease)  # b skips them
            b.commit()
            a.commit()
    assert len(first) == 4 and len(second) == 2
    assert not {c.id for c in first} & {c.id for c in second}


def test_admins_see_the_dead_letters_and_send_them_again(db, org, admin, dana):
    rule(db, admin, RecipientIn(external=HOOK))
    report(db, dana)
    route(db)
    [item] = claim(db)
    record(db, outcome(item, ok=False, permanent=True, detail="HTTP 404"))
    with db.transaction() as s:
        query = DeliveryQuery(state=DeliveryState.DEAD)
        [dead] = deliveries.list_deliveries(s, principal=admin.principal, query=query)
        assert (dead.channel, dead.last_error, dead.headline) == (
            "webhook",
            "HTTP 404",
            "Incident reported: Door forced at the loading bay",
        )
        with pytest.raises(PermissionDenied):
            deliveries.retry(s, principal=dana.principal, delivery_id=dead.id)
        again = deliveries.retry(s, principal=admin.principal, delivery_id=dead.id, now=T0)
        assert (again.state, again.attempts) == (DeliveryState.PENDING, 0)
        assert [t.outcome for t in again.tries] == ["failed"]  # the history stays
        with pytest.raises(Conflict):
            deliveries.retry(s, principal=admin.principal, delivery_id=dead.id)
    [item] = claim(db)
    assert item.attempt == 1


def test_notifications_are_listed_counted_and_marked_read(db, org, admin, dana):
    rule(db, admin, RecipientIn(user="dana"))
    report(db, dana)
    report(db, dana, title="Second")
    route(db)
    with db.transaction() as s:
        assert deliveries.unread_count(s, principal=dana.principal) == 2
        newest, oldest = deliveries.notifications(s, principal=dana.principal)
        assert newest.title.endswith("Second")
        assert deliveries.mark_read(s, principal=dana.principal, ids=[oldest.id], now=T0) == 1
        assert deliveries.mark_read(s, principal=admin.principal, ids=[newest.id]) == 0
        assert [
            n.id for n in deliveries.notifications(s, principal=dana.principal, unread=True)
        ] == [newest.id]
        assert deliveries.mark_read(s, principal=dana.principal) == 1
        assert deliveries.unread_count(s, principal=dana.principal) == 0


# --- the worker ----------------------------------------------------------------------


class Recorder:
    """A channel that records what it is asked to send and answers from a script."""

    def __init__(self, name="webhook", answers=(), delay=0.0):
        self.name = name
        self.problem = None
        self.sent: list[Outgoing] = []
        self.answers = list(answers)
        self.delay = delay
        self.closed = False

    async def send(self, message):
        if self.delay:
            await asyncio.sleep(self.delay)
        self.sent.append(message)
        return self.answers.pop(0) if self.answers else Result(ok=True, detail="ok")

    async def close(self):
        self.closed = True


def run_worker(db, channels, **kw):
    async def go():
        writer = Writer(db, EventBus())
        writer.start()
        worker = Deliverer(
            db, writer, collect([channels]), public_url="https://m.example.org/", **kw
        )
        try:
            return await worker.drain(), worker
        finally:
            await worker.stop()
            writer.stop()

    return asyncio.run(go())


def test_the_worker_routes_sends_and_records(db, org, admin, dana):
    rule(db, admin, RecipientIn(external=HOOK), RecipientIn(user="dana"))
    numbers = [report(db, dana) for _ in range(3)]
    hook = Recorder()
    sent, worker = run_worker(db, [hook], concurrency=2, policy=POLICY)
    assert sent == 3 and worker.sent == 3 and hook.closed
    assert sorted(m.payload["incident"]["number"] for m in hook.sent) == sorted(numbers)
    assert hook.sent[0].link.startswith("https://m.example.org/incidents/INC-")
    assert {d.state for d in rows(db, Delivery)} == {"sent"}
    assert len(rows(db, Notification)) == 3


def test_a_channel_that_raises_costs_a_try_not_the_message(db, org, admin, dana):
    class Broken(Recorder):
        async def send(self, message):
            raise RuntimeError("bug in a plugin")

    rule(db, admin, RecipientIn(external=HOOK))
    report(db, dana)
    run_worker(db, [Broken()], policy=POLICY)
    [d] = rows(db, Delivery)
    assert (d.state, d.attempts) == ("pending", 1)
    assert "bug in a plugin" in d.last_error


def test_a_channel_with_no_sender_sends_to_the_dead_letters_with_the_reason(db, org, admin, dana):
    rule(db, admin, RecipientIn(external="+4930123456"))
    report(db, dana)
    run_worker(db, [Recorder()], policy=POLICY)  # there is no "sms" channel at all
    [d] = rows(db, Delivery)
    assert (d.state, d.last_error) == ("dead", "no channel 'sms'")


def test_two_channels_of_one_name_are_refused():
    with pytest.raises(ValueError, match="two notification channels named 'webhook'"):
        collect([[Recorder()], [Recorder()]])
    with pytest.raises(ValueError, match="in_app"):
        collect([[Recorder(name="in_app")]])


def test_the_served_app_delivers_what_its_requests_commit(db, org, admin, dana, settings):
    """`murphy serve` runs the worker: a report through the API reaches the channel."""
    from fastapi.testclient import TestClient

    from murphy.app import create_app

    rule(db, admin, RecipientIn(external=HOOK))
    hook = Recorder()
    app = create_app(settings.model_copy(update={"delivery": True}), db=db)
    app.state.deliverer.channels = {"webhook": hook}
    app.state.deliverer.usable = ["webhook"]
    with TestClient(app) as client:
        r = client.post(
            "/api/v1/incidents", json={"title": "Door forced", "site": "HQ"}, headers=dana.headers
        )
        assert r.status_code == 201
        for _ in range(500):
            if hook.sent:
                break
            time.sleep(0.01)
    assert [m.payload["incident"]["number"] for m in hook.sent] == [r.json()["number"]]
    assert rows(db, Delivery)[0].state == "sent"  # recorded, at the latest on shutdown
