"""JSON routes for an incident's playbook tasks: parse, call the service, answer.

Reads go to the reader; changes go to the writer, which answers after commit.
"""

from __future__ import annotations

from fastapi import APIRouter

from murphy.playbooks import service
from murphy.playbooks.schemas import TaskDoneIn, TaskList, TaskSkipIn
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep

router = APIRouter(prefix="/api/v1/incidents", tags=["tasks"])


@router.get("/{number}/tasks", summary="An incident's playbook tasks")
async def list_tasks(number: str, principal: CurrentUser, reader: ReaderDep) -> TaskList:
    """The tasks in playbook order with owners, due times and states, the playbook
    version the incident follows, and the mandatory steps still open."""
    return await reader.run(lambda s: service.tasks(s, principal=principal, number=number))


@router.post("/{number}/tasks/{step}/done", summary="Complete a task")
async def complete(
    number: str,
    step: str,
    principal: CurrentUser,
    writer: WriterDep,
    data: TaskDoneIn | None = None,
) -> TaskList:
    """Mark the task done; a question step needs `{"answer": true}` or false, and the
    steps that wait for that answer appear. Officers and up, or the task's owner."""
    body = data or TaskDoneIn()
    return await writer.run(
        lambda s: service.complete(s, principal=principal, number=number, step=step, data=body)
    )


@router.post("/{number}/tasks/{step}/skip", summary="Skip a task, with a reason")
async def skip(
    number: str, step: str, data: TaskSkipIn, principal: CurrentUser, writer: WriterDep
) -> TaskList:
    """Skip the task; `reason` is required. A mandatory step needs a dispatcher or above
    and notifies the supervisors (an outbox message)."""
    return await writer.run(
        lambda s: service.skip(s, principal=principal, number=number, step=step, data=data)
    )
