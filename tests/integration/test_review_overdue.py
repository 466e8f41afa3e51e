"""The overdue timer of corrective actions: the owner and the supervisors are told once,
and an action done in time is never flagged."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import select

from murphy.core import hooks, timers
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import (
    ClassifyIn,
    IncidentCreate,
    ResolutionCode,
    Status,
    TransitionIn,
)
from murphy.notify.models import OutboxMessage
from murphy.reviews import service
from murphy.reviews.schemas import ActionIn, ActionPatch, ActionStatus


@pytest.fixture
def people(factory):
    factory.taxonomy()
    factory.site("HQ")
    return {
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "ann": factory.user("ann", "analyst", ["HQ"]),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
    }


def resolved(db, people) -> str:
    dana = people["dana"].principal
    with db.transaction() as s:
        number = incidents_service.report(
            s, principal=dana, data=IncidentCreate(title="Fence cut", site="HQ")
        ).number
        triage.classify(
            s, principal=dana, number=number, data=ClassifyIn(type="theft", impact=1, urgency=1)
        )
        for to in (Status.TRIAGED, Status.RESPONDING):
            incidents_service.transition(s, principal=dana, number=number, data=TransitionIn(to=to))
        done = TransitionIn(
            to=Status.RESOLVED, resolution_code=ResolutionCode.RESOLVED, reason="ok"
        )
        incidents_service.transition(s, principal=dana, number=number, data=done)
    return number


def add(db, people, number, due: date) -> int:
    with db.transaction() as s:
        return service.add_action(
            s,
            principal=people["ann"].principal,
            number=number,
            data=ActionIn(title="Repair fence", owner="dana", due_on=due),
        ).id


def fire(db, at) -> int:
    with db.session(write=False) as s:
        handlers = timers.collect(hooks.manager(s).hook.timer_handlers())
    with db.transaction() as s:
        return timers.fire_due(s, {service.OVERDUE: handlers[service.OVERDUE]}, now=at, limit=50)


def told(db) -> list[tuple[str, str]]:
    with db.session(write=False) as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.event == service.OVERDUE_EVENT)
        ).all()
        return sorted((r.recipient_kind, r.recipient) for r in rows)


def test_overdue_action_tells_owner_and_supervisors_once(db, people):
    number = resolved(db, people)
    due = date(2026, 12, 1)
    add(db, people, number, due)
    day_after = datetime(2026, 12, 2, 0, 5, tzinfo=UTC)
    assert fire(db, day_after - timedelta(hours=1)) == 0, "still due today"
    assert fire(db, day_after) == 1
    assert told(db) == [("role", "supervisor"), ("user", "dana")]
    assert fire(db, day_after + timedelta(days=3)) == 0
    assert len(told(db)) == 2
    with db.session(write=False) as s:
        kinds = [
            e.kind
            for e in incidents_service.timeline(s, principal=people["sam"].principal, number=number)
        ]
    assert kinds.count("review_action_overdue") == 1


def test_action_done_in_time_is_never_flagged(db, people):
    number = resolved(db, people)
    action_id = add(db, people, number, date(2026, 12, 1))
    with db.transaction() as s:
        service.patch_action(
            s,
            principal=people["dana"].principal,
            action_id=action_id,
            data=ActionPatch(status=ActionStatus.DONE, note="Welded"),
        )
    assert fire(db, datetime(2026, 12, 5, tzinfo=UTC)) == 0
    assert told(db) == []
