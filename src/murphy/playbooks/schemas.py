"""Pydantic models for playbook tasks, in and out, and the task vocabulary."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field

from murphy.users.schemas import UserRef


class TaskState(StrEnum):
    """Where a task is: still to do, done, or skipped with a reason."""

    OPEN = "open"
    DONE = "done"
    SKIPPED = "skipped"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class TaskDoneIn(_In):
    """Completing a task; a question step needs its yes/no answer."""

    answer: bool | None = Field(
        default=None, description="The answer to the step's yes/no question (only for questions)"
    )


class TaskSkipIn(_In):
    """Skipping a task: always with a reason (a mandatory one also tells the supervisors)."""

    reason: str = Field(min_length=1, max_length=2_000, description="Why the step is not done")


class Owner(BaseModel):
    """Who does a task: a role, or a named person."""

    role: str | None = None
    user: UserRef | None = None


class PlaybookRef(BaseModel):
    """The playbook version an incident follows."""

    id: int
    type: str = Field(description="Type code")
    version: int


class TaskOut(BaseModel):
    """One task of an incident."""

    step: str
    title: str
    position: int
    owner: Owner
    mandatory: bool
    question: str = ""
    due_at: datetime | None = None
    overdue: bool = False
    state: TaskState
    answer: bool | None = None
    done_at: datetime | None = Field(default=None, description="When it was done or skipped")
    done_by: UserRef | None = None
    skip_reason: str = ""
    playbook_version: int
    current: bool = Field(
        description="Part of the playbook the incident follows now (false: kept from an "
        "earlier classification)"
    )


class TaskList(BaseModel):
    """An incident's tasks in playbook order, and what still blocks resolving."""

    playbook: PlaybookRef | None
    tasks: list[TaskOut]
    open_mandatory: list[str] = Field(description="Keys of the mandatory steps still open")
