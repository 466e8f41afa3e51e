"""Major incidents under NIMS/ICS: declaring, the roster (current and relieved), the
operational periods, and every change on the timeline. Through the services."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from murphy.core.errors import Conflict, IllegalTransition, PermissionDenied, ValidationFailed
from murphy.ics import service
from murphy.ics.schemas import AssignIn, ComplexityIn, DeclareIn, IcsRole, PeriodIn, RelieveIn
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentCreate, Status, TransitionIn
from murphy.notify import service as notify_service
from murphy.notify.models import OutboxMessage
from murphy.notify.schemas import RecipientIn, RuleIn

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ", timezone="Europe/Berlin")
    factory.site("DC")
    return factory


@pytest.fixture
def sam(org):
    return org.user("sam", "supervisor", ["HQ"])


@pytest.fixture
def number(db, sam):
    with db.transaction() as s:
        data = IncidentCreate(title="Fire in the data hall", site="HQ")
        return incidents_service.report(s, principal=sam.principal, data=data, now=T0).number


def run(db, fn, account, number, data=None, at=None, **kw):
    with db.transaction() as s:
        if data is not None:
            kw["data"] = data
        return fn(s, principal=account.principal, number=number, now=at, **kw)


def roster(db, account, number):
    with db.transaction(write=False) as s:
        return service.roster(s, principal=account.principal, number=number)


def entries(db, account, number, *kinds):
    with db.transaction(write=False) as s:
        found = incidents_service.timeline(s, principal=account.principal, number=number)
        return [(e.kind, e.data) for e in found if e.kind in kinds]


def declare(db, sam, number, at=T0 + timedelta(minutes=5), **commander):
    data = DeclareIn(commander=commander or {"user": "sam"}, complexity=3)
    return run(db, service.declare, sam, number, data, at=at)


def test_declaring_makes_the_incident_major_with_its_commander(db, sam, number):
    out = declare(db, sam, number)
    assert out.major and out.complexity == 3
    assert out.commander.user.username == "sam" and out.commander.name == "Sam"
    assert out.commander.assigned_at == T0 + timedelta(minutes=5)
    with db.transaction(write=False) as s:
        incident = incidents_service.get_or_raise(s, principal=sam.principal, number=number)
        assert incident.major is True and incident.complexity == 3
    ((_, data),) = entries(db, sam, number, "ics_declared")
    assert data == {"complexity": 3, "commander": {"user": "sam", "name": "Sam"}}
    with pytest.raises(Conflict, match="already a major incident"):
        declare(db, sam, number)


def test_the_roster_keeps_who_held_each_role_and_when(db, org, sam, number):
    org.user("dana", "dispatcher", ["HQ"])
    declare(db, sam, number)
    t1, t2, t3 = (T0 + timedelta(minutes=m) for m in (10, 20, 30))
    run(db, service.assign, sam, number, AssignIn(role=IcsRole.SAFETY_OFFICER, user="dana"), at=t1)
    run(
        db,
        service.assign,
        sam,
        number,
        AssignIn(role=IcsRole.INCIDENT_COMMANDER, name="Chief Miller, City Fire Dept"),
        at=t2,
    )
    run(
        db,
        service.relieve,
        sam,
        number,
        RelieveIn(reason="Fire out"),
        at=t3,
        role=IcsRole.SAFETY_OFFICER,
    )
    out = roster(db, sam, number)
    assert out.commander.name == "Chief Miller, City Fire Dept" and out.commander.user is None
    assert [(a.role, a.name, a.assigned_at, a.relieved_at, a.current) for a in out.roster] == [
        (IcsRole.INCIDENT_COMMANDER, "Sam", T0 + timedelta(minutes=5), t2, False),
        (IcsRole.INCIDENT_COMMANDER, "Chief Miller, City Fire Dept", t2, None, True),
        (IcsRole.SAFETY_OFFICER, "Dana", t1, t3, False),
    ]
    changes = [d for _, d in entries(db, sam, number, "ics_role")]
    assert changes[0]["assigned"] == {"user": "dana", "name": "Dana"}
    assert changes[0]["relieved"] is None and changes[0]["title"] == "Safety Officer"
    assert changes[1]["relieved"] == {
        "user": "sam",
        "name": "Sam",
        "since": "2026-11-28T09:05:00.000000Z",
    }, "a transfer of command relieves the commander in the same entry"
    assert changes[2]["assigned"] is None and changes[2]["reason"] == "Fire out"


def test_command_never_lapses_and_an_empty_role_cannot_be_relieved(db, sam, number):
    declare(db, sam, number)
    with pytest.raises(Conflict, match="assign the next incident commander"):
        run(db, service.relieve, sam, number, RelieveIn(), role=IcsRole.INCIDENT_COMMANDER)
    with pytest.raises(Conflict, match="nobody holds"):
        run(db, service.relieve, sam, number, RelieveIn(), role=IcsRole.LIAISON_OFFICER)


def test_assigning_the_holder_again_changes_nothing(db, sam, number):
    declare(db, sam, number)
    run(db, service.assign, sam, number, AssignIn(role=IcsRole.INCIDENT_COMMANDER, user="sam"))
    assert len(roster(db, sam, number).roster) == 1
    assert entries(db, sam, number, "ics_role") == []


def test_roles_need_a_major_incident_that_is_not_final(db, sam, number):
    assignment = AssignIn(role=IcsRole.PLANNING_SECTION_CHIEF, name="Pat")
    with pytest.raises(IllegalTransition, match="declare it major first"):
        run(db, service.assign, sam, number, assignment)
    declare(db, sam, number)
    with db.transaction() as s:
        incidents_service.transition(
            s,
            principal=sam.principal,
            number=number,
            data=TransitionIn(to=Status.CANCELLED, reason="Exercise"),
        )
    with pytest.raises(IllegalTransition, match="cancelled"):
        run(db, service.assign, sam, number, assignment)


def test_assignees_must_be_able_to_see_the_incident(db, org, sam, number):
    org.user("dora", "dispatcher", ["DC"])
    org.user("rita", "reporter", ["HQ"])
    declare(db, sam, number)
    for name in ("dora", "rita", "nobody"):
        with pytest.raises(ValidationFailed):
            run(db, service.assign, sam, number, AssignIn(role=IcsRole.LIAISON_OFFICER, user=name))


def test_only_supervisors_and_admins_command(db, org, number):
    dana = org.user("dana", "dispatcher", ["HQ"])
    with pytest.raises(PermissionDenied):
        run(db, service.declare, dana, number, DeclareIn(commander={"user": "dana"}, complexity=4))
    admin = org.user("root", "admin", all_sites=True)
    assert run(
        db, service.declare, admin, number, DeclareIn(commander={"name": "X"}, complexity=4)
    ).major


def test_complexity_changes_are_on_the_timeline(db, sam, number):
    declare(db, sam, number)
    out = run(db, service.set_complexity, sam, number, ComplexityIn(complexity=1, reason="Spread"))
    assert out.complexity == 1
    ((_, data),) = entries(db, sam, number, "ics_complexity")
    assert data == {"complexity": 1, "before": 3, "reason": "Spread"}


def test_operational_periods_follow_one_another(db, sam, number):
    declare(db, sam, number)
    local = datetime(2026, 11, 28, 12, 0)  # no offset: Berlin time, 11:00 UTC
    first = PeriodIn(starts_at=local, ends_at=local + timedelta(hours=12), objectives="Contain")
    out = run(db, service.add_period, sam, number, first)
    (period,) = out.periods
    assert period.number == 1 and period.starts_at == datetime(2026, 11, 28, 11, 0, tzinfo=UTC)
    overlapping = PeriodIn(
        starts_at=local + timedelta(hours=6), ends_at=local + timedelta(hours=18), objectives="x"
    )
    with pytest.raises(ValidationFailed, match="previous one ends"):
        run(db, service.add_period, sam, number, overlapping)
    backwards = PeriodIn(starts_at=local + timedelta(hours=30), ends_at=local, objectives="x")
    with pytest.raises(ValidationFailed, match="end after it starts"):
        run(db, service.add_period, sam, number, backwards)
    second = PeriodIn(
        starts_at=local + timedelta(hours=12),
        ends_at=local + timedelta(hours=24),
        objectives="Recover the data hall",
    )
    assert [p.number for p in run(db, service.add_period, sam, number, second).periods] == [1, 2]
    data = [d for _, d in entries(db, sam, number, "ics_period")]
    assert data[0] == {
        "period": 1,
        "starts_at": "2026-11-28T11:00:00.000000Z",
        "ends_at": "2026-11-28T23:00:00.000000Z",
        "objectives": "Contain",
    }
    assert data[1]["period"] == 2


def test_declaring_is_an_event_for_the_escalation_rules(db, org, sam, number):
    admin = org.user("root", "admin", all_sites=True)
    with db.transaction() as s:
        notify_service.create_rule(
            s,
            principal=admin.principal,
            data=RuleIn(
                name="major", events=["ics.declared"], recipients=[RecipientIn(role="admin")]
            ),
        )
    declare(db, sam, number)
    with db.transaction(write=False) as s:
        (message,) = s.query(OutboxMessage).all()
    assert message.event == "ics.declared"
    assert message.payload["incident"]["major"] is True
    assert message.payload["change"]["data"]["complexity"] == 3
