"""The problems pages: `/problems` (problems needing work, and the incidents that keep
coming back, with the evidence and a button to open a problem from them) and
`/problems/{ref}` (one problem: its root cause, fix, incidents and links, and the forms
that move it on). The same service functions as the JSON API; a refused form comes
back with its error beside it and what was typed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError
from murphy.problems import recurrence, rules, service
from murphy.problems.schemas import (
    LinkIn,
    LinkKind,
    ProblemIn,
    ProblemStatus,
    ProblemUpdate,
    StatusIn,
)
from murphy.sites import service as sites_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, comma_list, render, validated

router = APIRouter(include_in_schema=False)

PATH = "/problems"


class NewForm(FormModel):
    title: str = ""
    site: str = ""
    place: str = ""
    type: str = ""
    owner: str = ""
    incidents: str = ""
    description: str = ""


class EditForm(FormModel):
    description: str = ""
    root_cause: str = ""
    workaround: str = ""
    owner: str = ""
    version: str = ""


class MoveForm(FormModel):
    status: str = ""
    note: str = ""


class LinkForm(FormModel):
    kind: str = ""
    ref: str = ""
    title: str = ""
    url: str = ""


class IncidentsForm(FormModel):
    incidents: str = ""


@router.get(PATH)
def problems_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    site: str = "",
    days: int = 90,
    min_count: int = 4,
) -> Response:
    """Problems of my sites, and the candidates: incidents that keep coming back."""
    return _list(request, session, principal, {"site": site, "days": days, "min_count": min_count})


@router.post(PATH)
def open_problem(
    request: Request, session: SessionDep, principal: PageUser, form: Annotated[NewForm, Form()]
) -> Response:
    """Open a problem (usually from a candidate, with its incidents)."""
    check_csrf(request, form.csrf_token)
    service.require_writer(principal)
    fields = form.model_dump(exclude={"csrf_token", "incidents"})
    fields = {k: (v or None) for k, v in fields.items()} | {"incidents": comma_list(form.incidents)}
    fields["description"] = form.description
    try:
        data = validated(ProblemIn, {"title": "Title"}, **fields)
        out = service.create(session, principal=principal, data=data)
    except MurphyError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        return _list(
            request,
            session,
            principal,
            {},
            problem={"error": exc.detail, "form": form},
            status=exc.status,
        )
    return RedirectResponse(f"{PATH}/{out.ref}?done=opened", status_code=303)


@router.get(PATH + "/{ref}")
def problem_page(
    ref: str, request: Request, session: SessionDep, principal: PageUser, done: str = ""
) -> Response:
    """One problem: what it is, where it is watched, its incidents and links."""
    return _detail(request, session, principal, ref, done=done)


@router.post(PATH + "/{ref}/edit")
def edit_problem(
    ref: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[EditForm, Form()],
) -> Response:
    """Change the description, root cause, workaround or owner."""
    check_csrf(request, form.csrf_token)
    version = int(form.version) if form.version.isdigit() else None
    fields = {
        "description": form.description,
        "root_cause": form.root_cause,
        "workaround": form.workaround,
        "owner": form.owner or None,
    }
    return _act(
        request,
        session,
        principal,
        ref,
        "edit",
        form,
        lambda: service.update(
            session,
            principal=principal,
            ref=ref,
            data=validated(ProblemUpdate, None, **fields),
            version=version,
        ),
    )


@router.post(PATH + "/{ref}/status")
def move_problem(
    ref: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[MoveForm, Form()],
) -> Response:
    """Known error, fixed (with what fixed it), closed, or open again."""
    check_csrf(request, form.csrf_token)
    return _act(
        request,
        session,
        principal,
        ref,
        "status",
        form,
        lambda: service.move(
            session,
            principal=principal,
            ref=ref,
            data=validated(StatusIn, {"status": "Status"}, status=form.status, note=form.note),
        ),
    )


@router.post(PATH + "/{ref}/links")
def link_problem(
    ref: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[LinkForm, Form()],
) -> Response:
    """Link a corrective action, a change record or a document."""
    check_csrf(request, form.csrf_token)
    fields = form.model_dump(exclude={"csrf_token"})
    return _act(
        request,
        session,
        principal,
        ref,
        "link",
        form,
        lambda: service.add_link(
            session,
            principal=principal,
            ref=ref,
            data=validated(LinkIn, {"ref": "Number or id"}, **fields),
        ),
    )


@router.post(PATH + "/{ref}/incidents")
def group_incidents(
    ref: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[IncidentsForm, Form()],
) -> Response:
    """Group more incidents under the problem."""
    check_csrf(request, form.csrf_token)
    return _act(
        request,
        session,
        principal,
        ref,
        "incidents",
        form,
        lambda: service.link_incidents(
            session, principal=principal, ref=ref, numbers=comma_list(form.incidents)
        ),
    )


def _act(
    request: Request,
    session: Session,
    principal: Principal,
    ref: str,
    what: str,
    form: Any,
    do: Any,
) -> Response:
    try:
        out = do()
    except MurphyError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        problem = {"what": what, "error": exc.detail, "form": form}
        return _detail(request, session, principal, ref, problem=problem, status=exc.status)
    return RedirectResponse(f"{PATH}/{out.ref}?done={what}#{what}", status_code=303)


def _list(
    request: Request,
    session: Session,
    principal: Principal,
    query: dict[str, Any],
    *,
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    service.require_reader(principal)
    days = min(max(int(query.get("days") or 90), 7), service.MAX_DAYS)
    min_count = min(max(int(query.get("min_count") or 4), 2), 1000)
    site = query.get("site") or None
    context = {
        "nav": "reviews",
        "problems": service.list(session, principal=principal),
        "candidates": recurrence.candidates(
            session, principal=principal, days=days, min_count=min_count, site=site
        )[:30],
        "query": {"site": site or "", "days": days, "min_count": min_count},
        "sites": sites_service.visible(session, principal=principal),
        "writer": principal.can(Permission.REVIEW),
        "problem": problem or {},
        "statuses": ProblemStatus,
    }
    return render(request, "problems.html", context, status)


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    ref: str,
    *,
    done: str = "",
    problem: dict[str, Any] | None = None,
    status: int = 200,
) -> Response:
    out = service.detail(session, principal=principal, ref=ref)
    current = ProblemStatus(out.status)
    context = {
        "nav": "reviews",
        "p": out,
        "moves": [s for s in ProblemStatus if s in rules.MOVES[current]],
        "kinds": LinkKind,
        "people": [u for u in users_service.list(session) if u.is_active],
        "writer": principal.can(Permission.REVIEW),
        "done": done,
        "problem": problem or {},
    }
    return render(request, "problem.html", context, status)
