"""Carry out the plan through the incident services, one transaction per chunk."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence

from sqlalchemy.orm import Session

from murphy.core.db import Database
from murphy.demo.model import Step
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentCreate, IncidentUpdate, NoteIn, TransitionIn
from murphy.users.schemas import Principal

CHUNK = 100  # incidents reported per transaction


def execute(
    db: Database,
    steps: Sequence[Step],
    principals: dict[str, Principal],
    progress: Callable[[int], None] | None = None,
) -> None:
    """Apply every step in order; `progress(n)` after each chunk of n new incidents."""
    numbers: dict[int, str] = {}
    for chunk in _chunks(steps):
        with db.transaction() as session:
            for step in chunk:
                _apply(session, step, principals[step.actor], numbers)
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


def _apply(session: Session, step: Step, who: Principal, numbers: dict[int, str]) -> None:
    data = step.data
    if isinstance(data, IncidentCreate):
        incident = incidents_service.report(
            session, principal=who, data=data, channel=step.channel, now=step.at
        )
        numbers[step.incident] = incident.number
        return
    number = numbers[step.incident]
    if isinstance(data, TransitionIn):
        if step.merge_into is not None:
            data = data.model_copy(update={"target": numbers[step.merge_into]})
        incidents_service.transition(session, principal=who, number=number, data=data, now=step.at)
    elif isinstance(data, NoteIn):
        incidents_service.add_note(session, principal=who, number=number, data=data, now=step.at)
    elif isinstance(data, IncidentUpdate):
        incidents_service.update(session, principal=who, number=number, data=data, now=step.at)
