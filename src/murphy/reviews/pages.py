"""The review pages: `/incidents/{number}/review` (the rebuilt timeline with its
milestones and gaps, the sections as a form, the corrective actions, the submit,
approve and return buttons) and `/reviews` (what needs work or approval, overdue
actions, mine first). The same service functions as the JSON API; a refused form comes
back with its error beside it and what was typed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.core.clock import parse_date
from murphy.core.errors import MurphyError, ValidationFailed
from murphy.reviews import service, views
from murphy.reviews.schemas import ActionIn, ActionPatch, ReturnIn, ReviewIn
from murphy.users.schemas import Principal
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, render, validated, version

router = APIRouter(include_in_schema=False)

PATH = "/incidents/{number}/review"
LABELS = {
    "summary": "Summary",
    "root_causes": "Root causes",
    "contributing_factors": "Contributing factors",
    "went_well": "What went well",
    "went_badly": "What did not",
    "lessons": "Lessons",
    "title": "Action",
    "owner": "Owner",
    "due_on": "Due date",
    "reason": "Reason",
    "note": "Note",
    "status": "Status",
}


class SectionsForm(FormModel):
    """The sections as typed: lists one item a line."""

    summary: str = ""
    root_causes: str = ""
    contributing_factors: str = ""
    went_well: str = ""
    went_badly: str = ""
    lessons: str = ""
    version: str = ""


class MoveForm(FormModel):
    """Submit, approve or return (with a reason)."""

    reason: str = ""
    version: str = ""


class ActionForm(FormModel):
    """A new corrective action."""

    title: str = ""
    owner: str = ""
    due_on: str = ""


class ActionUpdateForm(FormModel):
    """A corrective action's new status and note."""

    status: str = ""
    note: str = ""
    version: str = ""


@router.get("/reviews")
def reviews_page(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """Reviews to approve, drafts, overdue actions and mine."""
    page = views.reviews_page(session, principal=principal)
    return render(
        request, "reviews.html", {"nav": "reviews", "page": page, "me_name": principal.username}
    )


@router.get(PATH)
def review_page(
    number: str, request: Request, session: SessionDep, principal: PageUser, done: str = ""
) -> Response:
    """The review of one incident."""
    return _page(request, session, principal, number, done=done)


@router.post(f"{PATH}/open")
def open_review(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[FormModel, Form()],
) -> Response:
    """Open the review on demand."""
    check_csrf(request, form.csrf_token)
    service.open(session, principal=principal, number=number)
    return _back(number, "opened")


@router.post(PATH)
def save_sections(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[SectionsForm, Form()],
) -> Response:
    """Save the draft's sections."""
    check_csrf(request, form.csrf_token)

    def act() -> None:
        fields = form.model_dump(exclude={"csrf_token", "version"})
        for name in ("root_causes", "contributing_factors"):
            fields[name] = fields[name].splitlines()
        data = validated(ReviewIn, LABELS, **fields)
        service.update(
            session,
            principal=principal,
            number=number,
            data=data,
            expected_version=version(form.version),
        )

    return _try(request, session, principal, number, act, "saved", ("sections", form))


@router.post(f"{PATH}/{{action}}")
def move_review(
    number: str,
    action: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[MoveForm, Form()],
) -> Response:
    """Submit, approve or return the review."""
    check_csrf(request, form.csrf_token)
    if action not in ("submit", "approve", "return"):
        raise ValidationFailed("unknown review action")

    def act() -> None:
        reason = validated(ReturnIn, LABELS, reason=form.reason) if action == "return" else None
        service.move(
            session,
            principal=principal,
            number=number,
            action=action,
            reason=reason,
            expected_version=version(form.version),
        )

    return _try(request, session, principal, number, act, action, ("move", form))


@router.post(f"{PATH}/actions/new")
def add_action(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[ActionForm, Form()],
) -> Response:
    """Add a corrective action."""
    check_csrf(request, form.csrf_token)

    def act() -> None:
        due = parse_date(form.due_on, "Due date")
        data = validated(ActionIn, LABELS, title=form.title, owner=form.owner, due_on=due)
        service.add_action(session, principal=principal, number=number, data=data)

    return _try(request, session, principal, number, act, "action_added", ("action", form))


@router.post(f"{PATH}/actions/{{action_id}}")
def update_action(
    number: str,
    action_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[ActionUpdateForm, Form()],
) -> Response:
    """Change a corrective action's status."""
    check_csrf(request, form.csrf_token)

    def act() -> None:
        data = validated(ActionPatch, LABELS, status=form.status or None, note=form.note)
        service.patch_action(
            session,
            principal=principal,
            action_id=action_id,
            data=data,
            expected_version=version(form.version),
        )

    problem_key = (f"action-{action_id}", form)
    return _try(request, session, principal, number, act, "action_updated", problem_key)


def _try(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    act: Any,
    done: str,
    where: tuple[str, FormModel],
) -> Response:
    try:
        act()
    except MurphyError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        problem = {"where": where[0], "error": exc.detail, "form": where[1]}
        return _page(request, session, principal, number, problem=problem, status=exc.status)
    return _back(number, done)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    *,
    done: str = "",
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    page = views.review_page(session, principal=principal, number=number)
    context = {"nav": "queue", "page": page, "tz": page.tz, "done": done, "problem": problem or {}}
    return render(request, "review.html", context, status)


def _back(number: str, done: str) -> Response:
    return RedirectResponse(f"/incidents/{number}/review?done={done}", status_code=303)
