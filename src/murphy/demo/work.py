"""Work an incident's playbook and fill what its type requires, as the demo crew would.

Before the officer responds, the dispatcher ticks off the control room's steps; before
resolving, the rest are done (an optional one now and then skipped or left), questions
are answered (mostly "no"), and the fields the type requires are filled in. Each action
is timed between the incident's last entry and the move it prepares.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import AssessmentIn, IncidentUpdate
from murphy.playbooks import service as playbooks_service
from murphy.playbooks.schemas import TaskDoneIn, TaskList, TaskOut, TaskSkipIn
from murphy.reviews import service as reviews_service
from murphy.reviews.schemas import ReviewIn, ReviewStatus
from murphy.users import service as users_service
from murphy.users.schemas import Principal

SKIP_REASONS = (
    "Not needed here: covered by the officer on scene.",
    "No camera covers that spot.",
    "Already done by the previous shift.",
)
ASSESSMENT = {
    "immediate_actions": ("Officer attended, spoke with those involved and made the area safe.",),
    "risks": (
        "Low: a one-off.",
        "Could happen again at the same place; patrols increased.",
        "Staff shaken; welfare check offered.",
    ),
    "suspected_root_cause": (
        "Not known yet.",
        "Door left unsecured after a delivery.",
        "Gap in the patrol schedule.",
    ),
    "recommended_solution": (
        "Add the place to the night patrol route.",
        "Remind staff of the policy at the next briefing.",
        "Review the CCTV coverage of the area.",
    ),
}
PARTIES = ("Duty manager", "Facilities", "Line manager", "Police")


@dataclass
class Crew:
    """Who works one incident, and until when its timeline reaches."""

    number: str
    dispatcher: Principal
    officer: Principal
    supervisor: Principal
    last: datetime
    playbook: bool = False  # whether its classification brought a playbook

    def owner(self, role: str | None) -> Principal:
        """Who does a step owned by `role` (the dispatcher for anyone else's)."""
        return {"officer": self.officer, "supervisor": self.supervisor}.get(
            role or "", self.dispatcher
        )

    def next(self, until: datetime) -> datetime:
        """A time a third of the way from the last entry to `until`."""
        self.last = self.last + max((until - self.last) / 3, timedelta(seconds=1))
        return self.last


def control_room(session: Session, crew: Crew, until: datetime) -> None:
    """The dispatcher's steps, done before the officer responds."""
    _work(session, crew, until, lambda t: t.owner.role == "dispatcher")


def before_resolving(session: Session, crew: Crew, until: datetime, summary: str) -> None:
    """Every mandatory step done, the optional ones mostly, and the required fields."""
    _work(session, crew, until, lambda t: True)
    _required(session, crew, until, summary)


def _work(session: Session, crew: Crew, until: datetime, mine: Callable[[TaskOut], bool]) -> None:
    if not crew.playbook:
        return
    listed = playbooks_service.tasks(session, principal=crew.dispatcher, number=crew.number)
    seen: set[str] = set()
    while True:  # an answer may open further steps: each action returns the new list
        todo = [
            t
            for t in listed.tasks
            if t.current and t.state.value == "open" and t.step not in seen and mine(t)
        ]
        if not todo:
            return
        seen.add(todo[0].step)
        listed = _one(session, crew, todo[0], until) or listed


def _one(session: Session, crew: Crew, task: TaskOut, until: datetime) -> TaskList | None:
    """Do, skip or leave one task; the task list after it (None if left)."""
    rng = random.Random(f"{crew.number}:{task.step}")
    roll, who = rng.random(), crew.owner(task.owner.role)
    if not task.mandatory and roll > 0.85:
        return None  # left open: optional steps do not hold up resolving
    if not task.mandatory and roll > 0.7:
        skip = TaskSkipIn(reason=rng.choice(SKIP_REASONS))
        return playbooks_service.skip(
            session,
            principal=who,
            number=crew.number,
            step=task.step,
            data=skip,
            now=crew.next(until),
        )
    answer = rng.random() < 0.25 if task.question else None
    return playbooks_service.complete(
        session,
        principal=who,
        number=crew.number,
        step=task.step,
        data=TaskDoneIn(answer=answer),
        now=crew.next(until),
    )


def _required(session: Session, crew: Crew, until: datetime, summary: str) -> None:
    who = crew.officer
    incident = incidents_service.get_or_raise(session, principal=who, number=crew.number)
    missing = incidents_service.missing_fields(session, incident)
    rng = random.Random(f"{crew.number}:assessment")
    fields: dict[str, object] = {}
    for name in (f.split(".", 1)[1] for f in missing if f.startswith("assessment.")):
        if name == "parties_informed":
            fields[name] = rng.sample(PARTIES, k=rng.randint(1, 2))
        elif name == "immediate_actions" and summary:
            fields[name] = summary
        else:
            fields[name] = rng.choice(ASSESSMENT[name])
    if fields:
        data = AssessmentIn.model_validate(fields)
        triage.assess(session, principal=who, number=crew.number, data=data, now=crew.next(until))
    if "occurred_at" in missing:
        when = incident.reported_at - timedelta(minutes=rng.randint(2, 30))
        change = IncidentUpdate(occurred_at=when)
        incidents_service.update(
            session, principal=who, number=crew.number, data=change, now=crew.next(until)
        )


def before_closing(session: Session, crew: Crew, at: datetime) -> None:
    """The post-incident review the incident needs, written by its supervisor and
    approved by the GSOC duty manager (an approver must not be the only author)."""
    review = reviews_service.find(session, principal=crew.supervisor, number=crew.number)
    if review is None or review.status is ReviewStatus.APPROVED:
        return
    sections = ReviewIn(
        summary="Handled as planned; reviewed at the weekly security meeting.",
        root_causes=["See the resolution summary on the incident."],
        went_well="The control room dispatched quickly.",
        lessons="Keep the playbook as it is.",
    )
    number, boss = crew.number, crew.supervisor
    reviews_service.update(session, principal=boss, number=number, data=sections, now=at)
    reviews_service.move(session, principal=boss, number=number, action="submit", now=at)
    name = "niall.fraser" if boss.username != "niall.fraser" else "admin"  # all clearances
    board = users_service.principal(session, users_service.get_or_raise(session, username=name))
    reviews_service.move(session, principal=board, number=number, action="approve", now=at)
