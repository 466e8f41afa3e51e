"""Use cases for playbook tasks. Never commits: the caller owns the transaction.

A classification turns the type's current playbook into tasks (the plugin calls
`on_classified`); a reclassification to another type replaces the open tasks and keeps
the done and skipped ones. Each change is a timeline entry: `tasks_created`,
`task_done`, `task_skipped`.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core.clock import isoformat, utcnow
from murphy.core.errors import NotFound, PermissionDenied
from murphy.incidents import playbook_link
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import Change
from murphy.playbooks import rules
from murphy.playbooks.models import Task
from murphy.playbooks.schemas import (
    Owner,
    PlaybookRef,
    TaskDoneIn,
    TaskList,
    TaskOut,
    TaskSkipIn,
    TaskState,
)
from murphy.taxonomy import service as taxonomy_service
from murphy.taxonomy.schemas import StepIn
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal


def tasks(session: Session, *, principal: Principal, number: str) -> TaskList:
    """The tasks of an incident the caller may see, with the playbook version it follows."""
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    incidents_service.require(principal, Permission.READ, "see an incident's tasks")
    return _task_list(session, incident.id)


def on_classified(session: Session, *, change: Change) -> None:
    """Turn the new type's current playbook into tasks, if the type changed.

    On the first classification steps are due from the report; on a reclassification
    from now. Open tasks of the old playbook go; done and skipped ones stay.
    """
    new_type = change.data.get("type")
    old_type = (change.data.get("before") or {}).get("type")
    if new_type == old_type or change.incident.type_id is None:
        return
    incident_id = change.incident.id
    first = old_type is None
    start = change.incident.reported_at if first else change.at
    old_book = playbook_link.followed(session, incident_id=incident_id)
    book = taxonomy_service.current_playbook(session, change.incident.type_id)
    if old_book is None and book is None:
        return
    existing = _rows(session, incident_id)
    replaced = [t for t in existing if t.state == TaskState.OPEN]
    for task in replaced:
        session.delete(task)
    session.flush()
    kept = [t for t in existing if t.state != TaskState.OPEN]
    playbook_link.follow(session, incident_id=incident_id, playbook_id=book.id if book else None)
    created = _create(session, incident_id, book, kept, start, change.at) if book else []
    data: dict[str, Any] = {
        "because": "classified" if first else "reclassified",
        "playbook": _ref(session, book),
        "tasks": _entries(session, created),
    }
    if not first:
        data["replaced"] = [{"step": t.step, "title": t.title} for t in replaced]
        data["kept"] = [{"step": t.step, "state": t.state} for t in kept]
    incidents_service.append_entry(
        session, incident_id=incident_id, kind="tasks_created", data=data, at=change.at
    )


def complete(
    session: Session,
    *,
    principal: Principal,
    number: str,
    step: str,
    data: TaskDoneIn,
    now: datetime | None = None,
) -> TaskList:
    """Mark a task done (a question with its answer); an answer may bring branch steps."""
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=True
    )
    task = _workable(session, principal, incident.id, incident.number, incident.status, step)
    rules.check_answer(task.step, task.question, data.answer)
    now = now or utcnow()
    task.state, task.answer = TaskState.DONE.value, data.answer
    task.done_at, task.done_by_id = now, principal.id
    session.flush()
    entry: dict[str, Any] = {"step": task.step, "title": task.title, "mandatory": task.mandatory}
    if task.question:
        entry["answer"] = data.answer
    incidents_service.append_entry(
        session, incident_id=incident.id, kind="task_done", data=entry, at=now, actor=principal
    )
    if task.question:
        _branch(session, incident.id, task, now, principal)
    return _task_list(session, incident.id)


def skip(
    session: Session,
    *,
    principal: Principal,
    number: str,
    step: str,
    data: TaskSkipIn,
    now: datetime | None = None,
) -> TaskList:
    """Skip a task with a reason; a mandatory one needs a dispatcher or above, and its
    timeline entry makes the escalation rules tell the supervisors."""
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=True
    )
    task = _workable(session, principal, incident.id, incident.number, incident.status, step)
    if task.mandatory and not principal.can(Permission.SKIP_MANDATORY):
        raise PermissionDenied(
            f"step {task.step} is mandatory: only a dispatcher, supervisor or admin may skip it"
        )
    now = now or utcnow()
    task.state, task.skip_reason = TaskState.SKIPPED.value, data.reason
    task.done_at, task.done_by_id = now, principal.id
    session.flush()
    entry = {
        "step": task.step,
        "title": task.title,
        "mandatory": task.mandatory,
        "reason": data.reason,
    }
    incidents_service.append_entry(
        session, incident_id=incident.id, kind="task_skipped", data=entry, at=now, actor=principal
    )
    return _task_list(session, incident.id)


def open_mandatory(session: Session, *, incident_id: int) -> list[tuple[str, str]]:
    """The mandatory tasks still open: (step, title), in playbook order."""
    rows = session.execute(
        select(Task.step, Task.title)
        .where(
            Task.incident_id == incident_id,
            Task.state == TaskState.OPEN.value,
            Task.mandatory.is_(True),
        )
        .order_by(Task.position, Task.id)
    ).all()
    return [(r.step, r.title) for r in rows]


def refusal(session: Session, *, incident_id: int, action: str) -> str | None:
    """Why a lifecycle move must wait for the playbook (resolve, close), or None."""
    if action not in ("resolve", "close"):
        return None
    return rules.refusal(open_mandatory(session, incident_id=incident_id), action)


# --- internals -----------------------------------------------------------------------


def _rows(session: Session, incident_id: int) -> Sequence[Task]:
    return session.scalars(
        select(Task).where(Task.incident_id == incident_id).order_by(Task.position, Task.id)
    ).all()


def _workable(
    session: Session, principal: Principal, incident_id: int, number: str, status: str, step: str
) -> Task:
    """The open task `step`, if the caller may work it and the incident is not final."""
    task = session.scalar(select(Task).where(Task.incident_id == incident_id, Task.step == step))
    if task is None:
        raise NotFound(f"{number} has no task {step!r}: see GET .../tasks")
    owner = rules.may_work(principal.role, principal.id, task.owner_role, task.owner_id)
    if not principal.can(Permission.READ) or not (principal.can(Permission.WORK_TASKS) or owner):
        raise PermissionDenied(f"your role ({principal.role.value}) may not work tasks")
    rules.check_workable(number, status)
    rules.check_open(number, task.step, TaskState(task.state))
    return task


def _create(
    session: Session,
    incident_id: int,
    book: taxonomy_service.Playbook,
    present: Sequence[Task],
    start: datetime,
    now: datetime,
) -> list[Task]:
    """Tasks for the steps of `book` that apply now and have no task yet."""
    steps = [StepIn.model_validate(s) for s in book.steps]
    answers = {t.step: t.answer for t in present if t.answer is not None}
    created = []
    for position, step in rules.new_steps(steps, answers, (t.step for t in present)):
        owner = rules.owner_of(step.role)
        user = users_service.get(session, username=owner.username) if owner.username else None
        created.append(
            Task(
                incident_id=incident_id,
                playbook_id=book.id,
                step=step.key,
                position=position,
                title=step.title,
                owner_role=owner.role,
                owner_id=user.id if user is not None and user.is_active else None,
                mandatory=step.mandatory,
                question=step.question,
                due_at=rules.due_at(start, step.within_minutes),
                state=TaskState.OPEN.value,
                skip_reason="",
                created_at=now,
            )
        )
    session.add_all(created)
    session.flush()
    return created


def _branch(
    session: Session, incident_id: int, answered: Task, now: datetime, actor: Principal
) -> None:
    """After an answer, the steps that waited for it become tasks, due from now."""
    playbook_id = playbook_link.followed(session, incident_id=incident_id)
    if playbook_id is None:
        return
    book = taxonomy_service.playbook(session, playbook_id)
    created = _create(session, incident_id, book, _rows(session, incident_id), now, now)
    if not created:
        return
    data = {
        "because": "answer",
        "after": {"step": answered.step, "answer": answered.answer},
        "playbook": _ref(session, book),
        "tasks": _entries(session, created),
    }
    incidents_service.append_entry(
        session, incident_id=incident_id, kind="tasks_created", data=data, at=now, actor=actor
    )


def _ref(session: Session, book: taxonomy_service.Playbook | None) -> dict[str, Any] | None:
    if book is None:
        return None
    code = taxonomy_service.codes(session, [book.type_id])[book.type_id]
    return {"id": book.id, "type": code, "version": book.version}


def _entries(session: Session, created: Sequence[Task]) -> list[dict[str, Any]]:
    """The new tasks as the timeline records them."""
    users = users_service.refs(session, [t.owner_id for t in created if t.owner_id])
    return [
        {
            "step": t.step,
            "title": t.title,
            "owner": {
                "role": t.owner_role,
                "user": users[t.owner_id].username if t.owner_id in users else None,
            },
            "mandatory": t.mandatory,
            "due_at": isoformat(t.due_at) if t.due_at else None,
            **({"question": t.question} if t.question else {}),
        }
        for t in created
    ]


def _task_list(session: Session, incident_id: int) -> TaskList:
    rows = _rows(session, incident_id)
    current = playbook_link.followed(session, incident_id=incident_id)
    books = {pid: taxonomy_service.playbook(session, pid) for pid in {t.playbook_id for t in rows}}
    if current is not None and current not in books:
        books[current] = taxonomy_service.playbook(session, current)
    people = {t.owner_id for t in rows} | {t.done_by_id for t in rows}
    users = users_service.refs(session, [i for i in people if i])
    now = utcnow()
    ordered = sorted(rows, key=lambda t: (t.playbook_id != current, t.playbook_id, t.position))
    out = [
        TaskOut(
            step=t.step,
            title=t.title,
            position=t.position,
            owner=Owner(role=t.owner_role, user=users.get(t.owner_id) if t.owner_id else None),
            mandatory=t.mandatory,
            question=t.question,
            due_at=t.due_at,
            overdue=t.state == TaskState.OPEN and t.due_at is not None and t.due_at < now,
            state=TaskState(t.state),
            answer=t.answer,
            done_at=t.done_at,
            done_by=users.get(t.done_by_id) if t.done_by_id else None,
            skip_reason=t.skip_reason,
            playbook_version=books[t.playbook_id].version,
            current=t.playbook_id == current,
        )
        for t in ordered
    ]
    ref = _ref(session, books[current]) if current is not None else None
    return TaskList(
        playbook=PlaybookRef(**ref) if ref else None,
        tasks=out,
        open_mandatory=[t.step for t in out if t.mandatory and t.state is TaskState.OPEN],
    )
