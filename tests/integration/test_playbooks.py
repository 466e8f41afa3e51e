"""Playbooks become tasks: owners, due times, branches, reclassification, versions,
and resolving waits for the mandatory steps. Through the services, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select

from murphy.core.errors import IllegalTransition, PermissionDenied, ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import AssessmentIn, ClassifyIn, IncidentCreate, Status, TransitionIn
from murphy.notify.models import OutboxMessage
from murphy.playbooks import service
from murphy.playbooks.models import Task
from murphy.playbooks.schemas import TaskDoneIn, TaskSkipIn, TaskState
from murphy.taxonomy import service as taxonomy_service
from tests.factories import TEST_PACK

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("DC")
    return factory


@pytest.fixture
def dana(org):
    return org.user("dana", "dispatcher", ["HQ"])


@pytest.fixture
def olu(org):
    return org.user("olu", "officer", ["HQ"])


def report(db, account, at=T0):
    with db.transaction() as s:
        data = IncidentCreate(title="Intruder seen in the lobby", site="HQ")
        return incidents_service.report(s, principal=account.principal, data=data, now=at).number


def classify(db, account, number, type="intrusion", at=None, **extra):
    with db.transaction() as s:
        triage.classify(
            s,
            principal=account.principal,
            number=number,
            data=ClassifyIn(type=type, **extra),
            now=at or T0 + timedelta(minutes=3),
        )


def tasks(db, account, number):
    with db.transaction(write=False) as s:
        return service.tasks(s, principal=account.principal, number=number)


def done(db, account, number, step, answer=None, at=None):
    with db.transaction() as s:
        return service.complete(
            s,
            principal=account.principal,
            number=number,
            step=step,
            data=TaskDoneIn(answer=answer),
            now=at or T0 + timedelta(minutes=5),
        )


def skip(db, account, number, step, reason="Not needed here"):
    with db.transaction() as s:
        return service.skip(
            s, principal=account.principal, number=number, step=step, data=TaskSkipIn(reason=reason)
        )


def entries(db, account, number, kind=None):
    with db.transaction(write=False) as s:
        found = incidents_service.timeline(s, principal=account.principal, number=number)
        return [(e.kind, e.data) for e in found if kind is None or e.kind == kind]


def test_classification_turns_the_playbook_into_tasks_due_from_the_report(db, dana):
    number = report(db, dana)
    classify(db, dana, number)
    out = tasks(db, dana, number)
    assert out.playbook is not None and (out.playbook.type, out.playbook.version) == (
        "intrusion",
        1,
    )
    assert [t.step for t in out.tasks] == ["secure", "armed", "review"], "the branch waits"
    secure, armed, review = out.tasks
    assert secure.due_at == T0 + timedelta(minutes=10), "due from the report, not from triage"
    assert secure.owner.role == "officer" and secure.mandatory and secure.state is TaskState.OPEN
    assert armed.question == "Is the intruder armed?" and armed.due_at is None
    assert review.mandatory is False
    assert out.open_mandatory == ["secure", "armed"]
    ((_, data),) = entries(db, dana, number, "tasks_created")
    assert data["because"] == "classified"
    assert data["playbook"]["version"] == 1
    assert [t["step"] for t in data["tasks"]] == ["secure", "armed", "review"]
    assert data["tasks"][0]["due_at"] == "2026-11-28T09:10:00.000000Z"
    with db.transaction(write=False) as s:
        book = taxonomy_service.current_playbook(
            s, taxonomy_service.get_or_raise(s, code="intrusion").id
        )
        followed = incidents_service.get_or_raise(s, principal=dana.principal, number=number)
        assert followed.playbook_id == book.id == out.playbook.id


def test_a_type_without_a_playbook_makes_no_tasks(db, dana):
    number = report(db, dana)
    classify(db, dana, number, type="theft")
    assert tasks(db, dana, number).tasks == []
    assert entries(db, dana, number, "tasks_created") == []


def test_a_branch_appears_once_its_question_is_answered_that_way(db, dana):
    yes, no = report(db, dana), report(db, dana)
    classify(db, dana, yes)
    classify(db, dana, no)
    answered_at = T0 + timedelta(minutes=7)
    out = done(db, dana, yes, "armed", answer=True, at=answered_at)
    police = next(t for t in out.tasks if t.step == "police")
    assert police.due_at == answered_at + timedelta(minutes=5), "due from the answer"
    assert police.owner.role == "dispatcher" and police.state is TaskState.OPEN
    assert out.open_mandatory == ["secure", "police"]
    kinds = [k for k, _ in entries(db, dana, yes)]
    assert kinds[-2:] == ["task_done", "tasks_created"]
    last = entries(db, dana, yes, "tasks_created")[-1][1]
    assert last["because"] == "answer" and last["after"] == {"step": "armed", "answer": True}
    assert entries(db, dana, yes, "task_done")[0][1]["answer"] is True
    out = done(db, dana, no, "armed", answer=False)
    assert "police" not in [t.step for t in out.tasks]
    assert len(entries(db, dana, no, "tasks_created")) == 1


def test_a_question_needs_its_answer_and_other_steps_take_none(db, dana):
    number = report(db, dana)
    classify(db, dana, number)
    with pytest.raises(ValidationFailed, match="answer"):
        done(db, dana, number, "armed")
    with pytest.raises(ValidationFailed, match="no question"):
        done(db, dana, number, "secure", answer=True)
    done(db, dana, number, "secure")
    with pytest.raises(IllegalTransition, match="already done"):
        done(db, dana, number, "secure")


def test_reclassification_replaces_open_tasks_and_keeps_done_ones(db, dana):
    number = report(db, dana)
    classify(db, dana, number)
    done(db, dana, number, "secure")
    classify(db, dana, number, type="theft", at=T0 + timedelta(minutes=20))
    out = tasks(db, dana, number)
    assert out.playbook is None
    assert [(t.step, t.state, t.current) for t in out.tasks] == [("secure", TaskState.DONE, False)]
    data = entries(db, dana, number, "tasks_created")[-1][1]
    assert data["because"] == "reclassified" and data["playbook"] is None
    assert [r["step"] for r in data["replaced"]] == ["armed", "review"]
    assert data["kept"] == [{"step": "secure", "state": "done"}]
    back = T0 + timedelta(minutes=30)
    classify(db, dana, number, type="intrusion", at=back)
    out = tasks(db, dana, number)
    assert [(t.step, t.state) for t in out.tasks] == [
        ("secure", TaskState.DONE),  # done once under this playbook: carried over, not repeated
        ("armed", TaskState.OPEN),
        ("review", TaskState.OPEN),
    ]
    last = entries(db, dana, number, "tasks_created")[-1][1]
    assert [t["step"] for t in last["tasks"]] == ["armed", "review"]
    assert out.open_mandatory == ["armed"]


def test_after_a_reclassification_new_steps_are_due_from_then(db, dana):
    number = report(db, dana)
    classify(db, dana, number, type="theft")
    later = T0 + timedelta(hours=1)
    classify(db, dana, number, type="intrusion", at=later)
    secure = tasks(db, dana, number).tasks[0]
    assert secure.step == "secure" and secure.due_at == later + timedelta(minutes=10)


def test_a_new_playbook_version_leaves_incidents_on_the_old_one(db, dana):
    before = report(db, dana)
    classify(db, dana, before)
    with db.transaction() as s:
        newer = TEST_PACK.replace(
            "          - {key: review,",
            "          - {key: lock, title: Lock the doors, role: officer, within_minutes: 15}\n"
            "          - {key: review,",
        )
        assert taxonomy_service.load_yaml(s, text=newer).playbooks == 1
    classify(db, dana, before, impact=1, urgency=1)  # same type: same playbook
    old = tasks(db, dana, before)
    assert old.playbook.version == 1 and "lock" not in [t.step for t in old.tasks]
    after = report(db, dana)
    classify(db, dana, after)
    new = tasks(db, dana, after)
    assert new.playbook.version == 2 and "lock" in [t.step for t in new.tasks]


def test_resolving_waits_for_the_mandatory_tasks(db, dana):
    number = report(db, dana)
    classify(db, dana, number)
    with db.transaction() as s:
        triage.assess(
            s,
            principal=dana.principal,
            number=number,
            data=AssessmentIn(immediate_actions="Locked"),
        )

    def move(to, **kw):
        with db.transaction() as s:
            incidents_service.transition(
                s, principal=dana.principal, number=number, data=TransitionIn(to=to, **kw)
            )

    move(Status.TRIAGED)
    move(Status.RESPONDING)
    with pytest.raises(IllegalTransition) as refused:
        move(Status.RESOLVED, resolution_code="resolved")
    assert "secure (Secure the area)" in refused.value.detail
    assert "armed (Check whether the intruder is armed)" in refused.value.detail
    assert "review" not in refused.value.detail, "optional steps do not block"
    done(db, dana, number, "secure")
    skip(db, dana, number, "armed", reason="Intruder left before we arrived")
    move(Status.RESOLVED, resolution_code="resolved")


def test_skipping_a_mandatory_step_needs_a_dispatcher_and_tells_the_supervisors(db, dana, olu):
    number = report(db, dana)
    classify(db, dana, number)
    with pytest.raises(PermissionDenied, match="mandatory"):
        skip(db, olu, number, "secure")
    skip(db, olu, number, "review", reason="No cameras there")  # optional: an officer may
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 0
    out = skip(db, dana, number, "secure", reason="Police secured it")
    assert next(t for t in out.tasks if t.step == "secure").skip_reason == "Police secured it"
    data = entries(db, dana, number, "task_skipped")[-1][1]
    assert data == {
        "step": "secure",
        "title": "Secure the area",
        "mandatory": True,
        "reason": "Police secured it",
    }
    with db.transaction(write=False) as s:
        (message,) = s.scalars(select(OutboxMessage)).all()
    assert (message.event, message.recipient_kind, message.recipient) == (
        "task.skipped",
        "role",
        "supervisor",
    )
    assert message.rule_id is None and message.state == "pending"
    assert message.payload["change"]["data"]["reason"] == "Police secured it"


def test_officers_complete_tasks_reporters_and_analysts_do_not(db, org, dana, olu):
    reporter = org.user("rita", "reporter", ["HQ"])
    analyst = org.user("ana", "analyst", ["HQ"])
    number = report(db, reporter)
    classify(db, dana, number)
    for account in (reporter, analyst):
        with pytest.raises(PermissionDenied):
            done(db, account, number, "secure")
    out = done(db, olu, number, "secure")
    secure = next(t for t in out.tasks if t.step == "secure")
    assert secure.done_by.username == "olu" and secure.state is TaskState.DONE


def test_a_step_may_name_a_person_and_the_owner_may_work_it(db, org, dana):
    analyst = org.user("ana", "analyst", ["HQ"])
    pack = """
pack: extra
categories:
  - code: cyber
    name: Cyber
    children:
      - code: phishing
        name: Phishing
        playbook:
          - {key: triage-mail, title: Look at the mail, role: "user:ana", within_minutes: 30}
          - {key: block, title: Block the sender, role: analyst, mandatory: false}
"""
    with db.transaction() as s:
        taxonomy_service.load_yaml(s, text=pack)
    number = report(db, dana)
    classify(db, dana, number, type="phishing")
    out = tasks(db, dana, number)
    first, second = out.tasks
    assert first.owner.user.username == "ana" and first.owner.role is None
    assert second.owner.role == "analyst"
    done(db, analyst, number, "triage-mail")  # her own step, though analysts do no tasks
    skip(db, analyst, number, "block", reason="Already blocked upstream")  # her role's step


def test_a_rolled_back_classification_leaves_no_tasks(db, dana):
    number = report(db, dana)
    with pytest.raises(RuntimeError), db.transaction() as s:
        triage.classify(
            s, principal=dana.principal, number=number, data=ClassifyIn(type="intrusion")
        )
        assert s.scalar(select(func.count()).select_from(Task)) == 3
        raise RuntimeError("the request failed after classifying")
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Task)) == 0
    assert tasks(db, dana, number).playbook is None


def test_tasks_of_another_sites_incident_are_not_found(db, org, dana):
    other = org.user("dora", "dispatcher", ["DC"])
    number = report(db, dana)
    classify(db, dana, number)
    from murphy.core.errors import NotFound

    with pytest.raises(NotFound):
        tasks(db, other, number)
    with pytest.raises(NotFound):
        done(db, other, number, "secure")
