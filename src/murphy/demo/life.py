"""The life of one incident after its report: triage, response, notes, resolution, closure.

Or a cancellation, an edit on the way, and now and then a reopening days later.
"""

from __future__ import annotations

from datetime import datetime, timedelta

from murphy.demo.model import Acknowledge, Story
from murphy.demo.people import Person
from murphy.demo.stories import (
    CANCEL_REASONS,
    DISPATCH_NOTES,
    FOLLOW_UPS,
    GENERIC_SUMMARIES,
    PATROL_NOTES,
    REOPEN_NOTES,
    REOPEN_REASONS,
    Code,
    Texts,
    fits,
    untag,
)
from murphy.demo.timing import RESPOND, TRIAGE, minutes, on_shift
from murphy.incidents.schemas import (
    ClassifyIn,
    IncidentUpdate,
    NoteIn,
    PriorityIn,
    Status,
    TransitionIn,
)
from murphy.sites.schemas import PlaceIn

S = Status
OVERRIDES = (
    (1, "Third report from this place this week: raised."),
    (2, "Vulnerable reporter, on their own: raised."),
    (2, "Board visit on site today: raised."),
    (4, "Called back: nobody at risk, nothing taken. Lowered."),
)


def live(story: Story) -> None:
    """Plan what happens to a reported incident, up to its closure (or cancellation)."""
    rng, kind, desk = story.rng, story.kind, story.cast.dispatcher
    cancel = rng.random() < kind.cancel
    at = story.last + minutes(rng, TRIAGE[kind.urgency])
    if cancel and rng.random() < 0.5:
        _cancel(story, at)
        return
    categorize(story, at)
    move(story, at, desk, S.TRIAGED)
    if kind.source != "alarm" and rng.random() < 0.06:
        _relocate(story, desk)
    if rng.random() < 0.2:
        note(story, desk, story.slots.pick(DISPATCH_NOTES), (0.5, 5))
    if cancel:
        _cancel(story, story.last + minutes(rng, (1, 30)))
        return
    _respond(story)
    _close(story)
    if rng.random() < kind.reopens:
        _reopen(story)


def categorize(story: Story, before: datetime) -> None:
    """Plan what the control room does before triage: perhaps an acknowledgement first
    (a routine call may wait), the classification, now and then a priority override."""
    rng, desk = story.rng, story.cast.dispatcher.username
    gap = before - story.last
    if story.kind.urgency == 3 and rng.random() < 0.3:
        story.add(story.last + gap * 0.2, desk, "acknowledge", Acknowledge())
    urgency = None
    if rng.random() < 0.3:  # the caller's account makes it more or less pressing
        urgency = min(5, story.kind.urgency + rng.choice((0, 1, 1, 2)))
    data = ClassifyIn(type=story.type_code, urgency=urgency)
    story.add(story.last + (before - story.last) * 0.6, desk, "classify", data)
    if rng.random() < 0.03:
        priority, reason = rng.choice(OVERRIDES)
        override = PriorityIn(priority=priority, reason=reason)
        story.add(story.last + (before - story.last) * 0.5, desk, "prioritize", override)


def move(
    story: Story,
    at: datetime,
    who: Person,
    to: Status,
    *,
    merge_into: int | None = None,
    **extra: object,
) -> None:
    """Plan a transition by `who` at `at` (or just after the previous step).

    A merge names the incident by its index in the plan; its number is known only
    when the plan is carried out.
    """
    at = max(at, story.last + timedelta(seconds=story.rng.randint(20, 90)))
    target = {"target": "planned"} if merge_into is not None else {}
    data = TransitionIn.model_validate({"to": to, **target, **extra})
    story.add(at, who.username, "move", data, merge_into=merge_into)


def note(story: Story, who: Person, body: str, after: tuple[float, float]) -> None:
    """Plan a note by `who`, a few minutes (within `after`) after the previous step."""
    story.add(story.last + minutes(story.rng, after), who.username, "note", NoteIn(body=body))


def _cancel(story: Story, at: datetime) -> None:
    reasons = CANCEL_REASONS["alarm" if story.kind.source == "alarm" else "other"]
    move(story, at, story.cast.dispatcher, S.CANCELLED, reason=story.slots.pick(reasons))


def _relocate(story: Story, who: Person) -> None:
    """The control room corrects the place after calling the reporter back."""
    facts = story.facts()
    others = [untag(z) for z in story.kind.zones if fits(z, facts) and untag(z) != story.zone]
    if others:
        change = IncidentUpdate(place=PlaceIn(zone=story.rng.choice(others)))
        story.add(story.last + minutes(story.rng, (1, 8)), who.username, "update", change)


def _respond(story: Story) -> None:
    rng, kind, officer = story.rng, story.kind, story.cast.officer
    move(story, story.last + minutes(rng, RESPOND[kind.urgency]), officer, S.RESPONDING)
    start, work = story.last, minutes(rng, kind.work)
    if kind.source != "alarm" and rng.random() < 0.1:
        # Some incidents wait for a repair, a statement or a call back before they end.
        note(story, officer, story.slots.pick(FOLLOW_UPS), (2, 20))
        work += minutes(rng, (240, 2160))
    story.outcome = rng.choices(
        [c for c, _ in kind.outcomes], weights=[w for _, w in kind.outcomes]
    )[0]
    texts = _notes(story)
    for i, text in enumerate(texts, start=1):
        at = start + work * i / (len(texts) + 1)
        story.add(at, officer.username, "note", NoteIn(body=story.slots.fill(text)))
    if kind.lag[1] > 10 and rng.random() < 0.08:
        # The officer narrows down when it happened, from CCTV or a witness.
        earlier = story.steps[0].at - minutes(rng, kind.lag)
        at = story.last + minutes(rng, (1, 5))
        story.add(at, officer.username, "update", IncidentUpdate(occurred_at=earlier))
    story.summary = _summary(story, story.outcome)
    resolver = story.cast.supervisor if kind.resolver == "supervisor" else officer
    _resolve(story, start + work, resolver)


def _resolve(story: Story, at: datetime, who: Person) -> None:
    move(story, at, who, S.RESOLVED, resolution_code=story.outcome, reason=story.summary)
    story.resolved_at = story.last


def _notes(story: Story) -> list[str]:
    """A few of the kind's notes that fit the title and outcome, in their narrative order."""
    rng, facts = story.rng, story.facts()
    fitting = [t for t in story.kind.notes if fits(t, facts)]
    wanted = rng.choice((0, 1, 1, 2, 2, 3)) + (1 if story.kind.urgency == 1 else 0)
    chosen = sorted(rng.sample(range(len(fitting)), k=min(wanted, len(fitting))))
    texts = [fitting[i] for i in chosen]
    if rng.random() < 0.2:
        texts.insert(0, rng.choice(PATROL_NOTES))
    return [untag(t) for t in texts]


def _summary(story: Story, code: Code) -> str:
    facts = story.facts()
    own: Texts = tuple(t for c, t in story.kind.summaries if c is code and fits(t, facts))
    if own and story.rng.random() < 0.75:
        return story.slots.pick(own)
    return story.slots.pick(GENERIC_SUMMARIES[code])


def _close(story: Story) -> None:
    boss = story.cast.supervisor
    at = on_shift(boss, story.last + minutes(story.rng, (60, 2160)), story.rng)
    move(story, at, boss, S.CLOSED)


def _reopen(story: Story) -> None:
    rng, boss, officer = story.rng, story.cast.supervisor, story.cast.officer
    at = on_shift(boss, story.last + minutes(rng, (600, 7200)), rng)
    reason = story.slots.pick(REOPEN_REASONS, story.facts())
    move(story, at, boss, S.TRIAGED, reason=reason)
    move(story, story.last + minutes(rng, (30, 600)), officer, S.RESPONDING)
    note(story, officer, story.slots.pick(REOPEN_NOTES, story.facts()), (10, 240))
    _resolve(story, story.last + minutes(rng, (5, 60)), officer)
    _close(story)
