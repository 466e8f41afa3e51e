"""Pure rules of reviews: who needs one, the status machines, the rebuilt timeline."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from itertools import pairwise
from typing import Any

from murphy.core.errors import IllegalTransition, ValidationFailed
from murphy.reviews.schemas import ActionStatus, Gap, Milestone, ReviewStatus, Step

S, A = ReviewStatus, ActionStatus

REVIEW_MOVES: dict[str, tuple[ReviewStatus, ReviewStatus]] = {
    "submit": (S.DRAFT, S.SUBMITTED),
    "approve": (S.SUBMITTED, S.APPROVED),
    "return": (S.SUBMITTED, S.DRAFT),
}

ACTION_MOVES: dict[ActionStatus, frozenset[ActionStatus]] = {
    A.OPEN: frozenset({A.IN_PROGRESS, A.DONE, A.CANCELLED}),
    A.IN_PROGRESS: frozenset({A.OPEN, A.DONE, A.CANCELLED}),
    A.DONE: frozenset(),
    A.CANCELLED: frozenset(),
}

MILESTONES = (
    "reported",
    "triaged",
    "acknowledged",
    "first unit dispatched",
    "on scene",
    "resolved",
)
ENDED = frozenset({"resolved", "closed", "cancelled", "merged"})


@dataclass(frozen=True)
class Policy:
    """Which incidents need a review: these priorities, these types (ids, subtypes
    included), and every major incident."""

    priorities: frozenset[int] = frozenset({1, 2})
    type_ids: frozenset[int] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Entry:
    """A timeline entry as the reconstruction sees it."""

    at: datetime
    kind: str
    actor: str | None
    data: dict[str, Any]


def requires_review(
    policy: Policy, *, priority: int | None, type_id: int | None, major: bool
) -> bool:
    """Whether an incident with these facts needs an approved review before closing."""
    if major:
        return True
    if priority is not None and priority in policy.priorities:
        return True
    return type_id is not None and type_id in policy.type_ids


def review_move(current: ReviewStatus, action: str) -> ReviewStatus:
    """The status after `action` (submit, approve, return), or a clear refusal."""
    source, target = REVIEW_MOVES[action]
    if current is not source:
        raise IllegalTransition(
            f"cannot {action} a review that is {current.value} (only a {source.value} one)"
        )
    return target


def check_approver(approver: str, authors: Sequence[str]) -> None:
    """Refuse an approval by the review's only author: someone else must look at it."""
    if set(authors) == {approver}:
        raise IllegalTransition("you wrote this review alone; another supervisor must approve it")


def check_editable(status: ReviewStatus) -> None:
    """Only a draft's sections may change."""
    if status is not S.DRAFT:
        raise IllegalTransition(
            f"the review is {status.value}; it can be edited only as a draft "
            "(the approver may return it to draft)"
        )


def check_submittable(summary: str, root_causes: Sequence[str]) -> None:
    """A review goes for approval with a summary and at least one root cause."""
    missing = [
        n for n, v in (("a summary", summary.strip()), ("a root cause", root_causes)) if not v
    ]
    if missing:
        raise ValidationFailed(f"the review needs {' and '.join(missing)} before it is submitted")


def action_move(current: ActionStatus, target: ActionStatus, note: str) -> ActionStatus:
    """Check a corrective action's status change (a cancel needs a reason)."""
    if target is current:
        return current
    if target not in ACTION_MOVES[current]:
        raise IllegalTransition(f"a {current.value} action cannot become {target.value}")
    if target is A.CANCELLED and not note.strip():
        raise ValidationFailed("say why the action is cancelled")
    return target


LIVE = (A.OPEN, A.IN_PROGRESS)  # an action still to do


def is_overdue(due_on: date, status: ActionStatus, today: date) -> bool:
    """An action still to do after its due date."""
    return status in LIVE and today > due_on


def milestones(reported_at: datetime, entries: Iterable[Entry]) -> list[Milestone]:
    """The first time of each milestone, and how many minutes after the report."""
    found: dict[str, datetime] = {"reported": reported_at}
    for e in sorted(entries, key=lambda e: e.at):
        name = _milestone_of(e)
        if name is not None and name not in found:
            found[name] = e.at
    return [
        Milestone(
            name=n,
            at=found.get(n),
            after_minutes=_minutes(reported_at, found[n]) if n in found else None,
        )
        for n in MILESTONES
    ]


def gaps(
    start: datetime, entries: Iterable[Entry], *, end: datetime, threshold_minutes: int
) -> list[Gap]:
    """Silences longer than the threshold between `start` and the incident's end (its
    first resolution or other ending, else `end`)."""
    times = [start]
    stop = end
    for e in sorted(entries, key=lambda e: e.at):
        if e.at < start:
            continue
        if e.at > stop:
            break
        times.append(e.at)
        if e.kind == "transition" and e.data.get("to") in ENDED:
            stop = e.at
            break
    times.append(stop)
    out = []
    for a, b in pairwise(times):
        if (b - a).total_seconds() > threshold_minutes * 60:
            out.append(Gap(start=a, end=b, minutes=_minutes(a, b)))
    return out


def steps(entries: Iterable[Entry]) -> list[Step]:
    """Who did what when, one line per entry."""
    return [
        Step(at=e.at, actor=e.actor, what=describe(e)) for e in sorted(entries, key=lambda e: e.at)
    ]


def describe(e: Entry) -> str:
    """A timeline entry in a few words."""
    d = e.data
    if e.kind == "transition":
        text = f"{d.get('action', 'moved')}: {d.get('from', '?')} → {d.get('to', '?')}"
        return text + (f" ({d['reason']})" if d.get("reason") else "")
    if e.kind == "unit_dispatched":
        return f"unit {d.get('unit', '')} dispatched".replace("  ", " ")
    if e.kind == "unit_status":
        return f"unit {d.get('unit', '')} {str(d.get('status', '')).replace('_', ' ')}"
    if e.kind == "note":
        return f"note: {str(d.get('body', ''))[:120]}"
    return e.kind.replace("_", " ")


def _milestone_of(e: Entry) -> str | None:
    if e.kind == "transition":
        return {"triaged": "triaged", "resolved": "resolved"}.get(str(e.data.get("to")))
    if e.kind == "acknowledged":
        return "acknowledged"
    if e.kind == "unit_dispatched":
        return "first unit dispatched"
    if e.kind == "unit_status" and e.data.get("status") == "on_scene":
        return "on scene"
    return None


def _minutes(a: datetime, b: datetime) -> int:
    return int((b - a).total_seconds() // 60)
