"""Carry out the plan through the incident services, one transaction per chunk.

Besides the planned steps, the crew works each incident's playbook and fills what its
type requires, just before the move that needs it (see work.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field

from sqlalchemy.orm import Session

from murphy.core.db import Database
from murphy.demo import work
from murphy.demo.model import Acknowledge, Step
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import (
    ClassifyIn,
    IncidentCreate,
    IncidentUpdate,
    NoteIn,
    PriorityIn,
    Status,
    TransitionIn,
)
from murphy.users.schemas import Principal

CHUNK = 100  # incidents reported per transaction


@dataclass
class Progress:
    """What the plan has done so far: the numbers and crews of the incidents."""

    principals: dict[str, Principal]
    numbers: dict[int, str] = field(default_factory=dict)
    crews: dict[int, work.Crew] = field(default_factory=dict)


def execute(
    db: Database,
    steps: Sequence[Step],
    principals: dict[str, Principal],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Apply every step in order; `progress(n)` after each chunk of n new incidents."""
    done = Progress(principals)
    for chunk in _chunks(steps):
        with db.transaction() as session:
            for step in chunk:
                _apply(session, step, done)
        if progress is not None:
            progress(sum(1 for s in chunk if s.action == "report"))


def _chunks(steps: Sequence[Step]) -> Iterator[Sequence[Step]]:
    start = reports = 0
    for i, step in enumerate(steps):
        if step.action == "report":
            reports += 1
            if reports > CHUNK:
                yield steps[start:i]
                start, reports = i, 1
    if start < len(steps):
        yield steps[start:]


def _apply(session: Session, step: Step, done: Progress) -> None:
    data, who = step.data, done.principals[step.actor]
    if isinstance(data, IncidentCreate):
        _report(session, step, data, done)
        return
    number, crew = done.numbers[step.incident], done.crews[step.incident]
    if isinstance(data, TransitionIn):
        _prepare(session, crew, data, step)
        if step.merge_into is not None:
            data = data.model_copy(update={"target": done.numbers[step.merge_into]})
        incidents_service.transition(session, principal=who, number=number, data=data, now=step.at)
    elif isinstance(data, NoteIn):
        incidents_service.add_note(session, principal=who, number=number, data=data, now=step.at)
    elif isinstance(data, IncidentUpdate):
        incidents_service.update(session, principal=who, number=number, data=data, now=step.at)
    elif isinstance(data, ClassifyIn):
        incident = triage.classify(session, principal=who, number=number, data=data, now=step.at)
        crew.playbook = incident.playbook_id is not None
    elif isinstance(data, PriorityIn):
        triage.prioritize(session, principal=who, number=number, data=data, now=step.at)
    elif isinstance(data, Acknowledge):
        triage.acknowledge(session, principal=who, number=number, now=step.at)
    crew.last = max(crew.last, step.at)


def _report(session: Session, step: Step, data: IncidentCreate, done: Progress) -> None:
    who = done.principals[step.actor]
    incident = incidents_service.report(
        session, principal=who, data=data, channel=step.channel, now=step.at
    )
    done.numbers[step.incident] = incident.number
    dispatcher, officer, supervisor = (done.principals[name] for name in step.crew)
    done.crews[step.incident] = work.Crew(
        incident.number, dispatcher, officer, supervisor, last=step.at
    )


def _prepare(session: Session, crew: work.Crew, move: TransitionIn, step: Step) -> None:
    """The playbook steps and required fields a move waits for."""
    if move.to is Status.RESPONDING:
        work.control_room(session, crew, step.at)
    elif move.to is Status.RESOLVED:
        work.before_resolving(session, crew, step.at, move.reason or "")
    elif move.to is Status.CLOSED:
        work.before_closing(session, crew, step.at)
