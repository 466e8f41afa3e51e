"""No pager storms: each person's contact methods, channels per priority, quiet hours
and hourly limit decide which deliveries routing makes, and which wait to go out as
one digest. Through the services and the API, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select

from murphy.core.clock import utcnow
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn, IncidentCreate
from murphy.notify import deliveries, preferences, render, rules, service
from murphy.notify.models import Delivery, OutboxMessage
from murphy.notify.schemas import ContactMethodIn, PreferencesIn, RecipientIn, RuleIn

USABLE = ["email", "sms", "voice", "webhook"]


@pytest.fixture
def people(factory):
    factory.taxonomy()
    factory.site("HQ")
    return {
        "admin": factory.user("root", "admin", all_sites=True),
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "sam": factory.user("sam", "supervisor", ["HQ"], email="sam@example.org"),
    }


@pytest.fixture
def told(db, people):
    """Sam is told of every report and classification, and has a phone for SMS."""
    with db.transaction() as s:
        service.create_rule(
            s,
            principal=people["admin"].principal,
            data=RuleIn(
                name="everything to sam",
                events=["incident.reported", "incident.classified"],
                recipients=[RecipientIn(user="sam")],
            ),
        )
        preferences.add_method(
            s,
            principal=people["sam"].principal,
            data=ContactMethodIn(channel="sms", address="+4915112345678", label="Work phone"),
        )
    return people


def report(db, people, type=None):
    with db.transaction() as s:
        data = IncidentCreate(title="Broken window", site="HQ")
        number = incidents_service.report(s, principal=people["dana"].principal, data=data).number
    if type:
        with db.transaction() as s:
            triage.classify(
                s, principal=people["dana"].principal, number=number, data=ClassifyIn(type=type)
            )
    return number


def route(db, now):
    with db.transaction() as s:
        deliveries.route(s, channels=USABLE, now=now, limit=500)


def made(db):
    """(event, channel, state) of every delivery but the in-app ones, in order."""
    with db.transaction(write=False) as s:
        rows = s.execute(
            select(OutboxMessage.event, Delivery.channel, Delivery.state, Delivery.due_at)
            .join(OutboxMessage, OutboxMessage.id == Delivery.outbox_id)
            .where(Delivery.channel != deliveries.IN_APP)
            .order_by(Delivery.id)
        ).all()
    return [tuple(r) for r in rows]


def prefs(db, people, **fields):
    fields.setdefault("channels", {})
    with db.transaction() as s:
        return preferences.put(s, principal=people["sam"].principal, data=PreferencesIn(**fields))


def test_by_default_p1_reaches_every_method_and_p3_only_email(db, told):
    report(db, told, type="intrusion")  # reported (no priority: P3), then classified P1
    route(db, utcnow())
    assert [(e, c, st) for e, c, st, _ in made(db)] == [
        ("incident.reported", "email", "pending"),
        ("incident.classified", "email", "pending"),
        ("incident.classified", "sms", "pending"),
    ]
    with db.transaction(write=False) as s:
        keys = s.scalars(select(Delivery.dedup_key).order_by(Delivery.id)).all()
    assert any(k.endswith(":email") for k in keys)
    assert any(":sms#" in k for k in keys), "a contact method's key names it"


def test_channels_per_priority_are_each_person_s_choice(db, told):
    prefs(db, told, channels={1: ["sms"], 3: []})
    report(db, told, type="intrusion")
    route(db, utcnow())
    assert [(e, c) for e, c, _, _ in made(db)] == [("incident.classified", "sms")]
    with db.transaction(write=False) as s:
        bell = deliveries.unread_count(s, principal=told["sam"].principal)
    assert bell == 2, "the app always tells"


def test_quiet_hours_hold_low_priorities_for_one_digest(db, told):
    now = utcnow()
    start = (now - timedelta(hours=1)).strftime("%H:%M")
    end = (now + timedelta(hours=2)).strftime("%H:%M")
    prefs(db, told, quiet_start=start, quiet_end=end, timezone="UTC")
    for _ in range(3):
        report(db, told)  # P3 reports: held
    report(db, told, type="intrusion")  # reported (held) and a P1 (goes now)
    route(db, now)
    rows = made(db)
    held = [r for r in rows if r[2] == "held"]
    assert len(held) == 4 and {r[0] for r in held} == {"incident.reported"}
    assert {r[3].replace(second=0, microsecond=0) for r in held} == {
        (now + timedelta(hours=2)).replace(second=0, microsecond=0)
    }
    assert [(e, c, st) for e, c, st, _ in rows if st != "held"] == [
        ("incident.classified", "email", "pending"),
        ("incident.classified", "sms", "pending"),
    ]

    with db.transaction() as s:
        assert deliveries.release(s, now=now + timedelta(hours=1)) == 0, "still quiet"
    with db.transaction() as s:
        assert deliveries.release(s, now=now + timedelta(hours=2, minutes=1)) == 1
    after = made(db)
    assert [r[2] for r in after].count("digested") == 4
    (digest,) = [r for r in after if r[0] == "digest"]
    assert (digest[1], digest[2]) == ("email", "pending")
    with db.transaction(write=False) as s:
        body = s.scalars(select(OutboxMessage).where(OutboxMessage.event == "digest")).one().payload
    assert body["count"] == 4 and render.headline(body) == "4 messages held for you"
    assert [label for label, _ in render.facts(body)] == [i["number"] for i in body["items"]]


def test_the_hourly_limit_folds_the_rest_into_a_digest(db, told):
    prefs(db, told, hourly_limit=2)
    now = utcnow()
    for _ in range(5):
        report(db, told)
    route(db, now)
    states = [st for _, c, st, _ in made(db) if c == "email"]
    assert states == ["pending", "pending", "held", "held", "held"]
    with db.transaction() as s:
        assert deliveries.release(s, now=now + timedelta(minutes=61)) == 1
    (digest,) = [r for r in made(db) if r[0] == "digest"]
    assert digest[2] == "pending"


def test_pages_and_p1_are_never_held():
    now = datetime(2026, 11, 28, 3, 0, tzinfo=UTC)
    strict = rules.Prefs(
        channels=rules.DEFAULT_CHANNELS, quiet=("00:00", "23:59"), quiet_from=2, hourly_limit=1
    )
    over = {"now": now, "sent_last_hour": 5, "oldest_in_hour": now - timedelta(minutes=10)}
    assert rules.hold_until(strict, priority=4, page=True, **over) is None
    assert rules.hold_until(strict, priority=1, page=False, **over) is None
    assert rules.hold_until(strict, priority=2, page=False, **over) == datetime(
        2026, 11, 28, 23, 59, tzinfo=UTC
    ), "the later of the quiet hours' end and the hour freeing up"


def test_contact_methods_and_preferences_over_the_api(client, people):
    sam = people["sam"].headers
    r = client.post(
        "/api/v1/me/contact-methods", json={"channel": "sms", "address": "0151 123"}, headers=sam
    )
    assert r.status_code == 422 and "international form" in r.json()["detail"]
    r = client.post(
        "/api/v1/me/contact-methods",
        json={"channel": "voice", "address": "+4915112345678", "label": "Mobile"},
        headers=sam,
    )
    assert r.status_code == 201, r.text
    method = r.json()
    again = client.post(
        "/api/v1/me/contact-methods",
        json={"channel": "voice", "address": "+4915112345678"},
        headers=sam,
    )
    assert again.status_code == 409
    other = client.delete(
        f"/api/v1/me/contact-methods/{method['id']}", headers=people["dana"].headers
    )
    assert other.status_code == 404

    r = client.put(
        "/api/v1/me/notification-preferences",
        json={
            "channels": {"4": [], "5": []},
            "quiet_start": "22:00",
            "quiet_end": "07:00",
            "timezone": "Europe/Berlin",
        },
        headers=sam,
    )
    assert r.status_code == 200, r.text
    got = client.get("/api/v1/me/notification-preferences", headers=sam).json()
    assert got["channels"]["4"] == [] and got["channels"]["1"] == sorted(rules.PERSONAL_CHANNELS)
    assert (got["quiet_start"], got["quiet_end"], got["timezone"]) == (
        "22:00",
        "07:00",
        "Europe/Berlin",
    )
    assert [(m["id"], m["channel"], m["label"]) for m in got["methods"]] == [
        (0, "email", "Account email"),
        (method["id"], "voice", "Mobile"),
    ]
    for bad, needle in [
        ({"channels": {}, "timezone": "Mars/Base"}, "Mars/Base"),
        ({"channels": {}, "quiet_start": "22:00"}, "quiet_end"),
        ({"channels": {"9": ["email"]}}, "1 to 5"),
        ({"channels": {"1": ["pigeon"]}}, "channels.1.0"),
    ]:
        r = client.put("/api/v1/me/notification-preferences", json=bad, headers=sam)
        assert r.status_code == 422 and needle in r.text, r.text
    assert client.get("/api/v1/me/notification-preferences", headers=sam).json() == got
    assert (
        client.delete(f"/api/v1/me/contact-methods/{method['id']}", headers=sam).status_code == 204
    )


@pytest.mark.parametrize(
    ("local", "window", "ends"),
    [
        ("2026-11-28 23:30", ("22:00", "07:00"), "2026-11-29 07:00"),
        ("2026-11-29 06:59", ("22:00", "07:00"), "2026-11-29 07:00"),
        ("2026-11-29 07:00", ("22:00", "07:00"), None),
        ("2026-11-28 12:00", ("22:00", "07:00"), None),
        ("2026-11-28 12:00", ("09:00", "17:00"), "2026-11-28 17:00"),
        ("2026-11-28 08:59", ("09:00", "17:00"), None),
        ("2026-03-29 01:30", ("01:00", "04:00"), "2026-03-29 04:00"),  # the spring change
    ],
)
def test_quiet_hours_end_in_local_time(local, window, ends):
    from zoneinfo import ZoneInfo

    zone = ZoneInfo("Europe/Berlin")
    now = datetime.strptime(local, "%Y-%m-%d %H:%M").replace(tzinfo=zone).astimezone(UTC)
    found = rules.quiet_end(window, "Europe/Berlin", now)
    expected = (
        datetime.strptime(ends, "%Y-%m-%d %H:%M").replace(tzinfo=zone).astimezone(UTC)
        if ends
        else None
    )
    assert found == expected


def test_the_reach_page_adds_methods_and_saves_preferences(client, people):
    from tests.api.test_pages import alert, sign_in, token_of
    from tests.api.test_pages_triage import text

    assert sign_in(client, "sam").status_code == 303
    page = text(client.get("/settings/reach").text)
    assert "sam@example.org · Account email" in page
    csrf = token_of(client, "/settings/reach")

    bad = client.post(
        "/settings/reach/methods",
        data={"csrf_token": csrf, "channel": "sms", "address": "0151 123", "label": "Work"},
    )
    assert bad.status_code == 422
    assert "international form" in alert(bad.text)
    assert 'value="0151 123"' in bad.text, "what was typed is kept"
    sam = people["sam"].headers
    assert (
        len(client.get("/api/v1/me/notification-preferences", headers=sam).json()["methods"]) == 1
    )

    ok = client.post(
        "/settings/reach/methods",
        data={"csrf_token": csrf, "channel": "sms", "address": "+4915112345678", "label": "Work"},
        follow_redirects=False,
    )
    assert ok.status_code == 303
    form = {
        "csrf_token": csrf,
        "p1": ["email", "sms"],
        "p2": ["sms"],
        "quiet_start": "22:00",
        "quiet_end": "07:00",
        "timezone": "Europe/Berlin",
        "quiet_from": "3",
        "hourly_limit": "4",
    }
    saved = client.post("/settings/reach", data=form, follow_redirects=False)
    assert saved.status_code == 303
    got = client.get("/api/v1/me/notification-preferences", headers=sam).json()
    assert got["channels"]["1"] == ["email", "sms"] and got["channels"]["2"] == ["sms"]
    assert got["channels"]["3"] == [], "an unticked row is no channel, not the default"
    assert (got["quiet_start"], got["hourly_limit"]) == ("22:00", 4)

    wrong = client.post("/settings/reach", data={**form, "timezone": "Mars/Base"})
    assert wrong.status_code == 422 and "Mars/Base" in alert(wrong.text)
    assert client.get("/api/v1/me/notification-preferences", headers=sam).json() == got
    forged = client.post("/settings/reach", data={**form, "csrf_token": "nope"})
    assert forged.status_code == 403
