"""HTML routes to categorize and assess: classify, set the priority, acknowledge, and the
assessment record. Each calls the same `triage` use case as the JSON API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from murphy.core.errors import MurphyError, NotFound, ValidationFailed
from murphy.incidents import rules, service, triage
from murphy.incidents.pages_shared import checked, failed, see
from murphy.incidents.schemas import AssessmentIn, ClassifyIn, PriorityIn
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel

router = APIRouter(include_in_schema=False)

FORMS = ("classify", "priority", "acknowledge", "assessment")
MAX_PARTIES = 50


class ClassifyForm(FormModel):
    """The type picker with impact and urgency ('' = the type's default)."""

    type: str = ""
    suggested: str = ""  # a one-click suggestion: this type, its default impact and urgency
    impact: str = ""
    urgency: str = ""


class PriorityForm(FormModel):
    """Impact and urgency, or a priority override with its reason."""

    impact: str = ""
    urgency: str = ""
    priority: str = ""
    reason: str = ""


class AssessmentForm(FormModel):
    """The assessment record; parties informed one per line."""

    immediate_actions: str = ""
    risks: str = ""
    suspected_root_cause: str = ""
    recommended_solution: str = ""
    parties_informed: str = ""


@router.post("/incidents/{number}/classify")
def classify(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[ClassifyForm, Form()],
) -> Response:
    """Say what kind of incident it is; the priority follows from impact and urgency."""
    check_csrf(request, form.csrf_token)
    try:
        code = form.suggested.strip() or form.type.strip()
        if not code:
            raise ValidationFailed("choose the type of incident from the list")
        if form.suggested.strip():  # the type's defaults, not what the selects showed
            data = checked(ClassifyIn, type=code)
        else:
            data = checked(
                ClassifyIn, type=code, impact=_scale(form.impact), urgency=_scale(form.urgency)
            )
        incident = triage.classify(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Not classified", classify=form)
    try:
        service.get_or_raise(session, principal=principal, number=incident.number)
    except NotFound:
        # A restricted type the caller is not cleared for: the incident leaves their sight.
        return RedirectResponse(f"/incidents?restricted={incident.number}", 303)
    return see(incident.number)


@router.post("/incidents/{number}/priority")
def prioritize(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[PriorityForm, Form()],
) -> Response:
    """New impact and urgency (the matrix decides), or an override with a reason."""
    check_csrf(request, form.csrf_token)
    try:
        override = _scale(form.priority)
        if override is not None and not form.reason.strip():
            raise ValidationFailed("overriding the priority needs a reason: say why")
        data = checked(
            PriorityIn,
            impact=_scale(form.impact),
            urgency=_scale(form.urgency),
            priority=override,
            reason=form.reason if override is not None else "",
        )
        incident = triage.prioritize(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        what = "Priority not changed"
        return failed(request, session, principal, number, exc, what, priority=form)
    return see(incident.number)


@router.post("/incidents/{number}/acknowledge")
def acknowledge(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[FormModel, Form()],
) -> Response:
    """Say the control room has seen it (stops the acknowledge clock)."""
    check_csrf(request, form.csrf_token)
    try:
        incident = triage.acknowledge(session, principal=principal, number=number)
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Not acknowledged")
    return see(incident.number)


@router.post("/incidents/{number}/assessment")
def assess(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[AssessmentForm, Form()],
) -> Response:
    """Record immediate actions, risks, root cause, solution and parties informed."""
    check_csrf(request, form.csrf_token)
    try:
        parties = [p.strip() for p in form.parties_informed.splitlines() if p.strip()]
        if len(parties) > MAX_PARTIES:
            raise ValidationFailed(f"list at most {MAX_PARTIES} parties informed, one per line")
        data = checked(
            AssessmentIn,
            immediate_actions=form.immediate_actions,
            risks=form.risks,
            suspected_root_cause=form.suspected_root_cause,
            recommended_solution=form.recommended_solution,
            parties_informed=parties,
        )
        triage.assess(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        what = "Assessment not saved"
        return failed(request, session, principal, number, exc, what, assessment=form)
    return see(rules.parse_number(number) or number, anchor="assessment")


def _scale(text: str) -> int | None:
    """A 1-5 value from a select ('' for none); anything else is a damaged form."""
    value = text.strip().upper().removeprefix("P")
    if not value:
        return None
    if value not in {"1", "2", "3", "4", "5"}:
        raise ValidationFailed(f"{text!r} is not a value from 1 to 5: choose one from the list")
    return int(value)
