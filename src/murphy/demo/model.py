"""The planned history: steps (one service call each) and the incident stories they tell."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime

from murphy.demo.cast import Cast
from murphy.demo.stories import Kind, Slots
from murphy.incidents.schemas import (
    Channel,
    ClassifyIn,
    IncidentCreate,
    IncidentUpdate,
    NoteIn,
    PriorityIn,
    ResolutionCode,
    TransitionIn,
)


@dataclass(frozen=True)
class Acknowledge:
    """The control room has seen it (no data)."""


Payload = (
    IncidentCreate | TransitionIn | NoteIn | IncidentUpdate | ClassifyIn | PriorityIn | Acknowledge
)


@dataclass(frozen=True)
class Step:
    """One call to the incidents service."""

    at: datetime
    incident: int  # index of the incident in the plan
    seq: int  # order within the incident
    actor: str  # username
    action: str  # report | move | note | update | classify | prioritize | acknowledge
    data: Payload
    channel: Channel = Channel.WEB
    merge_into: int | None = None  # index of the incident to merge into
    crew: tuple[str, ...] = ()  # on the report: its dispatcher, officer and supervisor


@dataclass
class Story:
    """One incident being planned."""

    index: int
    site: str
    kind: Kind
    zone: str
    cast: Cast
    slots: Slots
    rng: random.Random
    title: int = 0  # index of the title template, for texts tagged with it
    type_code: str = ""  # what kind of incident it is in the taxonomy (types.py)
    steps: list[Step] = field(default_factory=list)
    resolved_at: datetime | None = None
    outcome: ResolutionCode | None = None
    summary: str = ""

    def add(
        self,
        at: datetime,
        actor: str,
        action: str,
        data: Payload,
        *,
        channel: Channel = Channel.WEB,
        merge_into: int | None = None,
        crew: tuple[str, ...] = (),
    ) -> None:
        """Append a step; the times of one incident only ever increase."""
        if self.steps and at <= self.last:
            raise ValueError("steps of an incident must be planned in time order")
        step = Step(at, self.index, len(self.steps), actor, action, data, channel, merge_into, crew)
        self.steps.append(step)

    def facts(self) -> frozenset[str]:
        """What tagged texts are matched against: the title and, once known, the outcome."""
        told = {f"t{self.title}"}
        if self.outcome is not None:
            told.add(self.outcome.value)
        return frozenset(told)

    @property
    def last(self) -> datetime:
        """The time of the latest step."""
        return self.steps[-1].at
