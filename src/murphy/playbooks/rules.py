"""Pure rules of playbook tasks: owners, due times, branches, what may be done.

No session, no I/O.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime, timedelta

from murphy.core.errors import IllegalTransition, ValidationFailed
from murphy.playbooks.schemas import TaskState
from murphy.taxonomy.schemas import StepIn
from murphy.users.schemas import Role

USER_PREFIXES = ("user:", "@")
OWNER_ROLE_LENGTH = 16  # tasks.owner_role
WORKABLE = frozenset({"new", "triaged", "responding", "resolved"})  # incident statuses


@dataclass(frozen=True)
class OwnerSpec:
    """Who a step names: a role (`officer`) or a person (`user:dana`, `@dana`)."""

    role: str | None
    username: str | None


def owner_of(text: str | None) -> OwnerSpec:
    """Read a step's `role`: a role name, or a user when prefixed `user:` or `@`."""
    value = (text or "").strip()
    for prefix in USER_PREFIXES:
        if value.lower().startswith(prefix):
            return OwnerSpec(role=None, username=value[len(prefix) :].strip().lower() or None)
    if not value:
        return OwnerSpec(role=None, username=None)
    return OwnerSpec(role=value.lower()[:OWNER_ROLE_LENGTH], username=None)


def due_at(start: datetime, within_minutes: int | None) -> datetime | None:
    """When a step is due: `within_minutes` after `start`, or never."""
    return None if within_minutes is None else start + timedelta(minutes=within_minutes)


def new_steps(
    steps: Iterable[StepIn], answers: Mapping[str, bool], present: Iterable[str]
) -> list[tuple[int, StepIn]]:
    """The steps (with their position) that apply given the answers and have no task
    yet. A step whose key an earlier task already holds is carried over, not repeated."""
    have = set(present)
    return [
        (i, s)
        for i, s in enumerate(steps)
        if s.key not in have and (s.when is None or answers.get(s.when.step) is s.when.answer)
    ]


def check_workable(number: str, status: str) -> None:
    """Tasks are worked while an incident is live or resolved, not once it is final."""
    if status not in WORKABLE:
        raise IllegalTransition(f"{number} is {status}: its tasks can no longer change")


def check_open(number: str, step: str, state: TaskState) -> None:
    """Only an open task can be completed or skipped."""
    if state is not TaskState.OPEN:
        raise IllegalTransition(f"task {step} of {number} is already {state.value}")


def check_answer(step: str, question: str, answer: bool | None) -> None:
    """A question step needs a yes/no answer; any other step takes none."""
    if question and answer is None:
        raise ValidationFailed(
            f"step {step} asks a question ({question}): send {{'answer': true}} or false"
        )
    if not question and answer is not None:
        raise ValidationFailed(f"step {step} asks no question: send no answer")


def may_work(role: Role, user_id: int, owner_role: str | None, owner_id: int | None) -> bool:
    """The owner of a task may always work it, even with a role that otherwise may not
    (an analyst's step in a cyber playbook)."""
    return owner_id == user_id or (owner_role is not None and owner_role == role.value)


def refusal(open_mandatory: list[tuple[str, str]], action: str) -> str | None:
    """Why an incident may not be resolved (or closed) yet, naming the open steps."""
    if not open_mandatory or action not in ("resolve", "close"):
        return None
    steps = "; ".join(f"{key} ({title})" for key, title in open_mandatory)
    return (
        f"mandatory playbook tasks are still open: {steps}. "
        "Complete them, or skip them with a reason"
    )
