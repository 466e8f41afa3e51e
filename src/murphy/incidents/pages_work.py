"""HTML routes to work an incident: its playbook checklist (done, answer, skip) and, for
a major incident, the ICS command (declare, assign and relieve roles, complexity).
Each calls the same service as the JSON API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from murphy.core.clock import utcnow
from murphy.core.errors import MurphyError, ValidationFailed
from murphy.ics import service as ics_service
from murphy.ics.schemas import (
    AssignIn,
    ComplexityIn,
    DeclareIn,
    IcsRole,
    PeriodIn,
    PersonIn,
    RelieveIn,
)
from murphy.incidents import rules, service
from murphy.incidents.pages_shared import checked, failed, see
from murphy.playbooks import service as playbooks_service
from murphy.playbooks.schemas import TaskDoneIn, TaskSkipIn
from murphy.sla import service as sla_service
from murphy.sla.schemas import PauseIn
from murphy.users.schemas import Permission
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel

router = APIRouter(include_in_schema=False)

FORMS = ("tasks", "ics", "clocks")
ANSWERS = {"": None, "yes": True, "no": False}


class TaskForm(FormModel):
    """Done (with the answer to a question), or skipped with a reason."""

    step: str = ""
    answer: str = ""
    reason: str = ""


class PauseForm(FormModel):
    """Why the clocks stop."""

    reason: str = ""


class CommandForm(FormModel):
    """Declare a major incident, or put someone in an ICS role."""

    role: str = ""
    user: str = ""
    name: str = ""
    complexity: str = ""
    reason: str = ""
    starts_at: str = ""
    ends_at: str = ""
    objectives: str = ""


@router.post("/incidents/{number}/tasks/{step}/done")
def task_done(
    number: str,
    step: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[TaskForm, Form()],
) -> Response:
    """Tick a playbook step off; a question step takes its yes or no."""
    check_csrf(request, form.csrf_token)
    try:
        if form.answer not in ANSWERS:
            raise ValidationFailed("answer the question with Yes or No")
        data = checked(TaskDoneIn, answer=ANSWERS[form.answer])
        playbooks_service.complete(
            session, principal=principal, number=number, step=step, data=data
        )
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Step not done", task=form)
    return see(rules.parse_number(number) or number, anchor="tasks")


@router.post("/incidents/{number}/tasks/{step}/skip")
def task_skip(
    number: str,
    step: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[TaskForm, Form()],
) -> Response:
    """Skip a playbook step, saying why (a mandatory one tells the supervisors)."""
    check_csrf(request, form.csrf_token)
    try:
        if not form.reason.strip():
            raise ValidationFailed(f"say why step {step} is skipped: a reason is required")
        data = checked(TaskSkipIn, reason=form.reason)
        playbooks_service.skip(session, principal=principal, number=number, step=step, data=data)
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Step not skipped", task=form)
    return see(rules.parse_number(number) or number, anchor="tasks")


@router.post("/incidents/{number}/clocks/pause")
def pause_clocks(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[PauseForm, Form()],
) -> Response:
    """Stop the service-target clocks while waiting on a third party, saying for whom."""
    check_csrf(request, form.csrf_token)
    try:
        if not form.reason.strip():
            raise ValidationFailed("say who or what you are waiting for: a reason is required")
        data = checked(PauseIn, reason=form.reason)
        incident = service.get_or_raise(
            session, principal=principal, number=number, for_update=True
        )
        service.require(principal, Permission.TRIAGE, "pause service-target clocks")
        facts, now = service.facts(incident), utcnow()
        kinds = sla_service.pause(session, incident=facts, reason=data.reason, now=now)
        entry = {"reason": data.reason, "clocks": kinds}
        service.append_entry(
            session, incident_id=facts.id, kind="sla_paused", data=entry, at=now, actor=principal
        )
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Clocks not paused", pause=form)
    return see(incident.number, anchor="clocks")


@router.post("/incidents/{number}/clocks/resume")
def resume_clocks(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[FormModel, Form()],
) -> Response:
    """Start the paused clocks again; their due times move by the length of the pause."""
    check_csrf(request, form.csrf_token)
    try:
        incident = service.get_or_raise(
            session, principal=principal, number=number, for_update=True
        )
        service.require(principal, Permission.TRIAGE, "resume service-target clocks")
        facts, now = service.facts(incident), utcnow()
        entry = sla_service.resume(session, incident=facts, now=now)
        service.append_entry(
            session, incident_id=facts.id, kind="sla_resumed", data=entry, at=now, actor=principal
        )
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Clocks not resumed")
    return see(incident.number, anchor="clocks")


@router.post("/incidents/{number}/ics/declare")
def declare(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[CommandForm, Form()],
) -> Response:
    """Declare a major incident with its incident commander and complexity type."""
    check_csrf(request, form.csrf_token)
    try:
        data = checked(DeclareIn, commander=_person(form), complexity=_complexity(form))
        ics_service.declare(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Not declared", command=form)
    return see(rules.parse_number(number) or number, anchor="ics")


@router.post("/incidents/{number}/ics/roles")
def assign(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[CommandForm, Form()],
) -> Response:
    """Put someone in an ICS role; whoever held it is relieved."""
    check_csrf(request, form.csrf_token)
    try:
        person = _person(form)
        data = checked(AssignIn, role=form.role, user=person.user, name=person.name)
        ics_service.assign(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Role not assigned", command=form)
    return see(rules.parse_number(number) or number, anchor="ics")


@router.post("/incidents/{number}/ics/roles/{role}/relieve")
def relieve(
    number: str,
    role: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[CommandForm, Form()],
) -> Response:
    """Leave an ICS role empty (not the incident commander's)."""
    check_csrf(request, form.csrf_token)
    try:
        if role not in set(IcsRole):
            raise ValidationFailed(f"unknown ICS role {role!r}")
        data = checked(RelieveIn, reason=form.reason)
        ics_service.relieve(
            session, principal=principal, number=number, role=IcsRole(role), data=data
        )
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Not relieved")
    return see(rules.parse_number(number) or number, anchor="ics")


@router.post("/incidents/{number}/ics/complexity")
def complexity(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[CommandForm, Form()],
) -> Response:
    """A new complexity type for a major incident."""
    check_csrf(request, form.csrf_token)
    try:
        data = checked(ComplexityIn, complexity=_complexity(form), reason=form.reason)
        ics_service.set_complexity(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        what = "Complexity not changed"
        return failed(request, session, principal, number, exc, what, command=form)
    return see(rules.parse_number(number) or number, anchor="ics")


@router.post("/incidents/{number}/ics/periods")
def period(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[CommandForm, Form()],
) -> Response:
    """The next operational period and its objectives (times in the site's zone)."""
    check_csrf(request, form.csrf_token)
    try:
        data = checked(
            PeriodIn, starts_at=form.starts_at, ends_at=form.ends_at, objectives=form.objectives
        )
        ics_service.add_period(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Period not added", command=form)
    return see(rules.parse_number(number) or number, anchor="ics")


def _person(form: CommandForm) -> PersonIn:
    """A Murphy user picked from the list, or the name of someone without an account."""
    user, name = form.user.strip(), form.name.strip()
    if bool(user) == bool(name):
        raise ValidationFailed("pick a person from the list, or type the name of an outsider")
    return checked(PersonIn, user=user or None, name=name or None)


def _complexity(form: CommandForm) -> int:
    value = form.complexity.strip()
    if value not in {"1", "2", "3", "4", "5"}:
        raise ValidationFailed("choose the complexity type, from 5 (simplest) to 1")
    return int(value)
