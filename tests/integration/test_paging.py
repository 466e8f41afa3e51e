"""Paging by escalation policies, through the services on a real database: a rule that
names a policy starts a paging, the step timer pages level after level (whoever is on
call on a schedule at that moment), acknowledging or the incident ending stops it,
nobody acknowledging tells the supervisors, and the signed link acknowledges once."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import select

from murphy.core import hooks, timers
from murphy.core.clock import utcnow
from murphy.core.errors import (
    Conflict,
    Gone,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
)
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn, IncidentCreate, PriorityIn, Status, TransitionIn
from murphy.notify import deliveries, paging, policies, rules, service
from murphy.notify.models import Delivery, OutboxMessage, Paging
from murphy.notify.schemas import LevelIn, PolicyIn, RecipientIn, RuleIn, TargetIn
from murphy.oncall import service as oncall_service
from murphy.oncall.schemas import LayerIn, ScheduleIn, WindowIn


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("DC")
    return factory


@pytest.fixture
def people(org):
    return {
        "admin": org.user("root", "admin", all_sites=True),
        "dana": org.user("dana", "dispatcher", ["HQ", "DC"]),
        "sam": org.user("sam", "supervisor", ["HQ"], email="sam@example.org"),
        "kim": org.user("kim", "supervisor", ["HQ"], email="kim@example.org"),
        "olly": org.user("olly", "officer", ["DC"]),
    }


def schedule(db, people, name="SOC nights", participants=("sam",), restrictions=()):
    data = ScheduleIn(
        name=name,
        timezone="Europe/Berlin",
        layers=[
            LayerIn(
                participants=list(participants),
                start_date=date(2026, 1, 5),
                length=7,
                restrictions=list(restrictions),
            )
        ],
    )
    with db.transaction() as s:
        return oncall_service.create(s, principal=people["admin"].principal, data=data)


def policy(db, people, name="P1 page", levels=None, repeat=0):
    levels = levels or [
        LevelIn(targets=[TargetIn(schedule="SOC nights")], timeout_minutes=5),
        LevelIn(targets=[TargetIn(user="kim")], timeout_minutes=10),
    ]
    with db.transaction() as s:
        return policies.create(
            s,
            principal=people["admin"].principal,
            data=PolicyIn(name=name, levels=levels, repeat=repeat),
        )


def page_rule(db, people, name="P1 page"):
    with db.transaction() as s:
        data = RuleIn(
            name=f"page by {name}",
            events=["incident.classified", "incident.prioritized"],
            priorities=[1],
            recipients=[RecipientIn(policy=name)],
        )
        return service.create_rule(s, principal=people["admin"].principal, data=data)


def p1(db, people, site="HQ"):
    with db.transaction() as s:
        data = IncidentCreate(title="Door forced at the loading bay", site=site)
        number = incidents_service.report(s, principal=people["dana"].principal, data=data).number
    with db.transaction() as s:
        triage.classify(
            s, principal=people["dana"].principal, number=number, data=ClassifyIn(type="intrusion")
        )
    return number


def fire(db, at):
    """Fire the paging steps due at `at` (the plugin's handler, as the scheduler would);
    returns how many."""
    with db.session(write=False) as s:
        handlers = timers.collect(hooks.manager(s).hook.timer_handlers())
    with db.transaction() as s:
        return timers.fire_due(s, {paging.STEP: handlers[paging.STEP]}, now=at, limit=50)


def entries(db, people, number, kinds=("paged", "page_acknowledged", "page_exhausted")):
    with db.transaction(write=False) as s:
        found = incidents_service.timeline(s, principal=people["admin"].principal, number=number)
        return [(e.kind, e.data) for e in found if e.kind in kinds]


def outbox(db, event):
    with db.transaction(write=False) as s:
        stmt = select(OutboxMessage).where(OutboxMessage.event == event).order_by(OutboxMessage.id)
        return s.scalars(stmt).all()


def pagings(db):
    with db.transaction(write=False) as s:
        return s.scalars(select(Paging).order_by(Paging.id)).all()


@pytest.fixture
def setup(db, people):
    schedule(db, people)
    policy(db, people)
    page_rule(db, people)
    return people


def test_a_p1_pages_level_by_level_then_tells_the_supervisors(db, setup):
    number = p1(db, setup)
    (started,) = pagings(db)
    assert (started.state, started.level, started.policy_name) == ("active", -1, "P1 page")
    assert not outbox(db, "incident.paged"), "the first level is paged by the step timer"

    t0 = utcnow()
    assert fire(db, t0) == 1
    (first,) = outbox(db, "incident.paged")
    assert (first.recipient_kind, first.recipient) == ("user", "sam")
    page = first.payload["page"]
    assert (page["level"], page["levels"], page["timeout_minutes"]) == (1, 2, 5)
    [(kind, data)] = entries(db, setup, number)
    assert kind == "paged" and data["paged"] == [{"schedule": "SOC nights", "user": "sam"}]
    assert data["nobody"] == [] and data["escalates_at"] is not None

    assert fire(db, t0 + timedelta(minutes=4)) == 0, "level 1 still has time to acknowledge"
    assert fire(db, t0 + timedelta(minutes=6)) == 1
    assert [m.recipient for m in outbox(db, "incident.paged")] == ["sam", "kim"]
    assert entries(db, setup, number)[-1][1]["gives_up_at"] is not None

    assert fire(db, t0 + timedelta(minutes=17)) == 1
    (told,) = outbox(db, "incident.unacknowledged")
    assert (told.recipient_kind, told.recipient) == ("role", "supervisor")
    assert entries(db, setup, number)[-1][0] == "page_exhausted"
    assert pagings(db)[0].state == "exhausted"
    assert fire(db, t0 + timedelta(hours=5)) == 0, "nothing is left to fire"


def test_acknowledging_stops_the_escalation_and_acknowledges_the_incident(db, setup):
    number = p1(db, setup)
    t0 = utcnow()
    fire(db, t0)
    with db.transaction() as s:
        out = paging.acknowledge(s, principal=setup["sam"].principal, number=number)
    assert [(p.state, p.acknowledged_by, p.acknowledged_via) for p in out] == [
        ("acknowledged", "sam", "api")
    ]
    assert fire(db, t0 + timedelta(hours=1)) == 0, "the escalation timer was cancelled"
    assert [m.recipient for m in outbox(db, "incident.paged")] == ["sam"]
    kinds = [
        k
        for k, _ in entries(db, setup, number, kinds=("paged", "page_acknowledged", "acknowledged"))
    ]
    assert kinds == ["paged", "page_acknowledged", "acknowledged"]
    with db.transaction(write=False) as s:
        incident = incidents_service.get_or_raise(
            s, principal=setup["admin"].principal, number=number
        )
        assert incident.acknowledged_at is not None
    with db.transaction() as s, pytest.raises(Conflict, match="already acknowledged by sam"):
        paging.acknowledge(s, principal=setup["kim"].principal, number=number)


def test_acknowledging_the_incident_or_ending_it_stops_the_paging(db, setup):
    acked, cancelled = p1(db, setup), p1(db, setup)
    t0 = utcnow()
    fire(db, t0)
    with db.transaction() as s:
        triage.acknowledge(s, principal=setup["dana"].principal, number=acked)
    with db.transaction() as s:
        incidents_service.transition(
            s,
            principal=setup["dana"].principal,
            number=cancelled,
            data=TransitionIn(to=Status.CANCELLED, reason="Duplicate call"),
        )
    states = {p.incident_id: (p.state, p.acked_by, p.acked_via) for p in pagings(db)}
    assert sorted(states.values()) == [
        ("acknowledged", "dana", "incident"),
        ("stopped", None, None),
    ]
    assert fire(db, t0 + timedelta(hours=1)) == 0
    stopped = entries(db, setup, cancelled, kinds=("page_stopped",))
    assert stopped == [
        (
            "page_stopped",
            {"policy": "P1 page", "paging": stopped[0][1]["paging"], "reason": "cancel"},
        )
    ]


def test_a_paging_keeps_the_levels_it_started_with(db, setup):
    number = p1(db, setup)
    t0 = utcnow()
    fire(db, t0)
    with db.transaction() as s:
        policies.replace(
            s,
            principal=setup["admin"].principal,
            ref="P1 page",
            version=1,
            data=PolicyIn(
                name="P1 page",
                levels=[LevelIn(targets=[TargetIn(role="officer")], timeout_minutes=1)],
            ),
        )
    fire(db, t0 + timedelta(minutes=6))
    assert [m.recipient for m in outbox(db, "incident.paged")] == ["sam", "kim"]
    with db.transaction(write=False) as s:
        (out,) = paging.list_for(s, principal=setup["dana"].principal, number=number)
    assert [lvl.targets[0].name for lvl in out.levels] == ["SOC nights", "kim"]
    assert (out.level, out.round, out.state) == (2, 1, "active")


def test_a_level_that_reaches_nobody_goes_on_at_once_and_repeats_count(db, people):
    # On call only 02:00-03:00 on a weekday three days from today's: nobody now.
    today = utcnow().astimezone(ZoneInfo("Europe/Berlin")).weekday()
    never = WindowIn(days=[(today + 3) % 7], start="02:00", end="03:00")
    schedule(db, people, name="SOC nights", restrictions=[never])
    policy(
        db,
        people,
        levels=[
            LevelIn(targets=[TargetIn(schedule="SOC nights")], timeout_minutes=5),
            LevelIn(targets=[TargetIn(role="supervisor")], timeout_minutes=5),
        ],
        repeat=1,
    )
    page_rule(db, people)
    number = p1(db, people)
    t0 = utcnow()
    fire(db, t0)  # level 1: nobody on call, so level 2 is due at once
    fire(db, t0)
    kinds = entries(db, people, number)
    assert [d["level"] for _, d in kinds] == [1, 2]
    assert kinds[0][1]["nobody"] == [{"schedule": "SOC nights", "why": "nobody is on call"}]
    assert kinds[1][1]["paged"] == [{"role": "supervisor"}]
    fire(db, t0 + timedelta(minutes=6))  # round 2, level 1: nobody again
    fire(db, t0 + timedelta(minutes=6))
    rounds = [(d["round"], d["level"]) for _, d in entries(db, people, number)]
    assert rounds == [(1, 1), (1, 2), (2, 1), (2, 2)]
    assert fire(db, t0 + timedelta(minutes=12)) == 1
    assert entries(db, people, number)[-1][0] == "page_exhausted"


def test_a_second_matching_change_does_not_start_a_second_paging(db, setup):
    number = p1(db, setup)
    with db.transaction() as s:
        triage.prioritize(
            s,
            principal=setup["dana"].principal,
            number=number,
            data=PriorityIn(priority=2, reason="Contained"),
        )
    with db.transaction() as s:
        triage.prioritize(
            s,
            principal=setup["dana"].principal,
            number=number,
            data=PriorityIn(priority=1, reason="Spreading again"),
        )
    assert len(pagings(db)) == 1


def test_people_who_may_not_see_the_incident_are_not_paged(db, people):
    schedule(db, people, participants=("olly",))  # olly's scope is DC only
    policy(db, people)
    page_rule(db, people)
    number = p1(db, people, site="HQ")
    t0 = utcnow()
    fire(db, t0)
    (_, data) = entries(db, people, number)[0]
    assert data["nobody"] == [
        {"schedule": "SOC nights", "user": "olly", "why": "may not see this incident"}
    ]
    assert [m.recipient for m in outbox(db, "incident.paged")] == []
    fire(db, t0)  # so level 2 at once
    assert [m.recipient for m in outbox(db, "incident.paged")] == ["kim"]


# --- the acknowledge link ------------------------------------------------------------------


def first_email(db, now):
    with db.transaction() as s:
        deliveries.route(s, channels=["email"], now=now, limit=100)
    with db.transaction(write=False) as s:
        return s.scalars(
            select(Delivery).where(Delivery.channel == "email").order_by(Delivery.id)
        ).first()


def test_the_signed_link_acknowledges_once_as_its_recipient(db, setup):
    number = p1(db, setup)
    t0 = utcnow()
    fire(db, t0)
    email = first_email(db, t0)
    assert email.address == "sam@example.org"
    with db.transaction() as s:
        token = rules.ack_token(paging.ack_key(s), email.id, t0 + timedelta(hours=24))
    with db.transaction(write=False) as s:
        seen = paging.read_link(s, token=token)
    assert (seen.incident, seen.recipient, seen.state) == (number, "Sam", "active")
    assert pagings(db)[0].state == "active", "reading the link acknowledges nothing"

    with db.transaction() as s:
        done = paging.acknowledge_link(s, token=token)
    assert (done.state, done.acknowledged_by) == ("acknowledged", "sam")
    (kind, data) = entries(db, setup, number)[-1]
    assert kind == "page_acknowledged" and data["via"] == "link"
    with db.transaction() as s, pytest.raises(Conflict, match="already acknowledged by sam"):
        paging.acknowledge_link(s, token=token)


def test_a_tampered_expired_or_unknown_link_does_nothing(db, setup):
    p1(db, setup)
    t0 = utcnow()
    fire(db, t0)
    email = first_email(db, t0)
    with db.transaction() as s:
        key = paging.ack_key(s)
    good = rules.ack_token(key, email.id, t0 + timedelta(hours=1))
    forged = rules.ack_token(b"x" * 32, email.id, t0 + timedelta(hours=1))
    other = rules.ack_token(key, email.id + 1000, t0 + timedelta(hours=1))
    moved = good.replace(f"{email.id}.", f"{email.id + 1}.", 1)
    for bad in (forged, other, moved, "nonsense", "1.2.3"):
        with db.transaction() as s, pytest.raises(NotFound, match="not valid"):
            paging.acknowledge_link(s, token=bad)
    with db.transaction() as s, pytest.raises(Gone, match="expired"):
        paging.acknowledge_link(s, token=good, now=t0 + timedelta(hours=2))
    assert pagings(db)[0].state == "active"


def test_a_link_stops_working_for_someone_who_lost_the_scope(db, setup):
    from murphy.users.models import UserSite

    p1(db, setup)
    t0 = utcnow()
    fire(db, t0)
    email = first_email(db, t0)
    with db.transaction() as s:
        token = rules.ack_token(paging.ack_key(s), email.id, t0 + timedelta(hours=1))
        for row in s.scalars(select(UserSite).where(UserSite.user_id == setup["sam"].principal.id)):
            s.delete(row)
    with db.transaction() as s, pytest.raises(NotFound):
        paging.acknowledge_link(s, token=token)
    assert pagings(db)[0].state == "active"


# --- policies --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("target", "needle"),
    [
        (TargetIn(user="ghost"), "no active user 'ghost'"),
        (TargetIn(schedule="Nope"), "no on-call schedule 'Nope'"),
        (TargetIn(role="janitor"), "unknown role 'janitor'"),
    ],
)
def test_a_policy_naming_what_does_not_exist_is_refused(db, people, target, needle):
    schedule(db, people)
    levels = [
        LevelIn(targets=[TargetIn(user="sam")], timeout_minutes=5),
        LevelIn(targets=[target], timeout_minutes=5),
    ]
    with db.transaction() as s, pytest.raises(ValidationFailed, match=f"level 2: {needle}"):
        policies.create(
            s, principal=people["admin"].principal, data=PolicyIn(name="x", levels=levels)
        )
    with db.transaction(write=False) as s:
        assert policies.list_policies(s, principal=people["dana"].principal) == []


def test_who_may_change_policies_and_what_protects_them(db, setup):
    levels = [LevelIn(targets=[TargetIn(user="sam")], timeout_minutes=5)]
    with db.transaction() as s, pytest.raises(PermissionDenied, match="supervisors and admins"):
        policies.create(
            s, principal=setup["dana"].principal, data=PolicyIn(name="mine", levels=levels)
        )
    with (
        db.transaction() as s,
        pytest.raises(PreconditionFailed, match="changed since you read it"),
    ):
        policies.replace(
            s,
            principal=setup["sam"].principal,
            ref="P1 page",
            version=7,
            data=PolicyIn(name="P1 page", levels=levels),
        )
    with db.transaction() as s, pytest.raises(Conflict, match="names this policy"):
        policies.replace(
            s,
            principal=setup["sam"].principal,
            ref="P1 page",
            version=1,
            data=PolicyIn(name="Renamed", levels=levels),
        )
    with db.transaction() as s, pytest.raises(Conflict, match="page by P1 page"):
        policies.remove(s, principal=setup["admin"].principal, ref="P1 page")
    with db.transaction() as s, pytest.raises(ValidationFailed, match="unknown escalation policy"):
        service.create_rule(
            s,
            principal=setup["admin"].principal,
            data=RuleIn(
                name="bad", events=["incident.reported"], recipients=[RecipientIn(policy="Nope")]
            ),
        )
    with db.transaction(write=False) as s:
        (out,) = policies.list_policies(s, principal=setup["dana"].principal)
    assert (out.name, out.version, out.levels[0].targets[0].kind) == ("P1 page", 1, "schedule")


def test_next_step_walks_levels_then_rounds():
    steps, at = [], (-1, 0)
    while (at := rules.next_step(*at, levels=3, repeat=1)) is not None:
        steps.append(at)
    assert steps == [(0, 0), (1, 0), (2, 0), (0, 1), (1, 1), (2, 1)]


def test_ack_tokens_are_bound_to_key_delivery_and_expiry():
    key, at = b"k" * 32, datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
    token = rules.ack_token(key, 42, at)
    assert rules.read_ack_token(key, token, now=at - timedelta(seconds=1)) == 42
    assert rules.ack_expiry(token) == at
    with pytest.raises(Gone):
        rules.read_ack_token(key, token, now=at)
    later = token.replace(str(int(at.timestamp())), str(int(at.timestamp()) + 3600))
    with pytest.raises(NotFound):
        rules.read_ack_token(key, later, now=at - timedelta(seconds=1))
