"""The effectiveness evaluation: a type that asks for one cannot be resolved without
"did the action fix it?"; a follow-up date arms a reminder at 09:00 of the site's day,
which writes `follow_up_due` on the timeline and tells whoever resolved it; reopening
forgets the evaluation and cancels the reminder. Also the resolve form on the page."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from murphy.app import create_app
from murphy.core import hooks, timers
from murphy.core.clock import utcnow
from murphy.core.errors import ValidationFailed
from murphy.core.models import Timer
from murphy.incidents import rules, triage
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import ClassifyIn, IncidentCreate, Status, TransitionIn
from murphy.notify.models import OutboxMessage
from murphy.settings import Settings
from murphy.taxonomy import service as taxonomy_service
from murphy.taxonomy.schemas import TypeUpdate
from tests.api.test_pages import sign_in, token_of
from tests.api.test_pages_triage import text

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.fixture
def people(factory, db):
    factory.taxonomy()
    factory.site("HQ")  # Europe/Berlin
    with db.transaction() as s:
        fields = ["resolution.effectiveness"]
        taxonomy_service.update(s, code="theft", data=TypeUpdate(required_fields=fields))
    return {
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
    }


def responding(db, who, kind="theft"):
    """An incident of `kind` on its way: reported, classified, triaged, responding."""
    with db.transaction() as s:
        data = IncidentCreate(title="Laptop stolen from the office", site="HQ")
        number = incidents_service.report(s, principal=who.principal, data=data).number
    with db.transaction() as s:
        triage.classify(s, principal=who.principal, number=number, data=ClassifyIn(type=kind))
    for to in (Status.TRIAGED, Status.RESPONDING):
        move(db, who, number, to=to)
    return number


def move(db, who, number, **data):
    with db.transaction() as s:
        incident = incidents_service.transition(
            s, principal=who.principal, number=number, data=TransitionIn(**data)
        )
        return incident.status, incident.effective, incident.follow_up_on


def resolve(db, who, number, **effectiveness):
    body = {"effectiveness": effectiveness} if effectiveness else {}
    return move(db, who, number, to=Status.RESOLVED, resolution_code="resolved", **body)


def fire(db, at):
    with db.session(write=False) as s:
        handlers = timers.collect(hooks.manager(s).hook.timer_handlers())
    with db.transaction() as s:
        return timers.fire_due(s, {rules.FOLLOW_UP: handlers[rules.FOLLOW_UP]}, now=at, limit=10)


def kinds(db, who, number):
    with db.transaction(write=False) as s:
        found = incidents_service.timeline(s, principal=who.principal, number=number)
        return [(e.kind, e.data) for e in found]


def test_a_type_that_asks_cannot_be_resolved_without_an_evaluation(db, people):
    number = responding(db, people["dana"])
    with pytest.raises(ValidationFailed, match="needs an effectiveness evaluation"):
        resolve(db, people["dana"], number)
    today = utcnow().astimezone(BERLIN).date()
    with pytest.raises(ValidationFailed, match="after today"):
        resolve(db, people["dana"], number, effective="yes", follow_up_on=today.isoformat())
    with db.transaction(write=False) as s:  # nothing of the refused moves was kept
        incident = incidents_service.get_or_raise(
            s, principal=people["sam"].principal, number=number
        )
        assert (incident.status, incident.effective) == ("responding", None)
    other = responding(db, people["dana"], kind="theft.vehicle")  # a subtype does not inherit it
    assert resolve(db, people["dana"], other)[0] == "resolved"


def test_a_follow_up_reminds_whoever_resolved_it_at_nine_on_the_day(db, people):
    number = responding(db, people["dana"])
    day = utcnow().astimezone(BERLIN).date() + timedelta(days=14)
    done = resolve(
        db,
        people["dana"],
        number,
        effective="partly",
        note="CCTV fixed",
        follow_up_on=day.isoformat(),
    )
    assert done == ("resolved", "partly", day)
    resolved = [d for k, d in kinds(db, people["sam"], number) if k == "transition"][-1]
    assert resolved["effectiveness"] == {
        "effective": "partly",
        "note": "CCTV fixed",
        "follow_up_on": day.isoformat(),
    }
    with db.transaction(write=False) as s:
        timer = s.scalars(select(Timer).where(Timer.kind == rules.FOLLOW_UP)).one()
    due = datetime.combine(day, datetime.min.time(), tzinfo=BERLIN).replace(hour=9)
    assert timer.due_at == due and timer.state == "pending"
    assert fire(db, due - timedelta(minutes=1)) == 0
    assert fire(db, due) == 1
    (entry,) = [d for k, d in kinds(db, people["sam"], number) if k == "follow_up_due"]
    assert entry == {
        "effective": "partly",
        "note": "CCTV fixed",
        "follow_up_on": day.isoformat(),
        "resolved_by": "dana",
    }
    with db.transaction(write=False) as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.event == "incident.follow_up")
        ).all()
    assert [(m.recipient_kind, m.recipient) for m in rows] == [("user", "dana")]


def test_reopening_forgets_the_evaluation_and_its_reminder(db, people):
    number = responding(db, people["dana"])
    day = utcnow().astimezone(BERLIN).date() + timedelta(days=3)
    resolve(db, people["dana"], number, effective="yes", follow_up_on=day.isoformat())
    assert move(db, people["dana"], number, to=Status.TRIAGED, reason="It happened again") == (
        "triaged",
        None,
        None,
    )
    with db.transaction(write=False) as s:
        assert (
            s.scalars(select(Timer.state).where(Timer.kind == rules.FOLLOW_UP)).one() == "cancelled"
        )
    assert fire(db, utcnow() + timedelta(days=30)) == 0
    assert "follow_up_due" not in [k for k, _ in kinds(db, people["sam"], number)]


@pytest.fixture
def client(database_url, db):
    settings = Settings(database_url=database_url, delivery=False, scheduler=False)
    with TestClient(create_app(settings, db=db), raise_server_exceptions=False) as c:
        yield c


def test_the_resolve_form_asks_and_keeps_what_was_typed(client, db, people):
    number = responding(db, people["dana"])
    assert sign_in(client, "dana").status_code == 303
    page = text(client.get(f"/incidents/{number}").text)
    assert "Did it fix it? required for this type" in page
    csrf = token_of(client, f"/incidents/{number}")
    form = {
        "csrf_token": csrf,
        "to": "resolved",
        "action": "resolve",
        "resolution_code": "resolved",
        "effectiveness_note": "New lock fitted",
    }
    r = client.post(f"/incidents/{number}/transitions", data=form)
    assert r.status_code == 422 and "Did it fix it?" in text(r.text)
    assert "New lock fitted" in r.text
    r = client.post(
        f"/incidents/{number}/transitions", data=form | {"effective": "yes"}, follow_redirects=False
    )
    assert r.status_code == 303
    with db.transaction(write=False) as s:
        incident = incidents_service.get_or_raise(
            s, principal=people["sam"].principal, number=number
        )
        assert (incident.status, incident.effective, incident.effectiveness_note) == (
            "resolved",
            "yes",
            "New lock fitted",
        )
