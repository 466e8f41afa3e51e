"""The statements pages: `/incidents/{n}/statements` (the incident's statements and the form
to take one on the phone: typed or dictated, saved as a draft or submitted with the
person's sign-off) and `/incidents/{n}/statements/{id}` (one statement, its digest, its
amendments, and the forms to finish a draft or add an amendment)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError, NotFound
from murphy.incidents import service as incidents_service
from murphy.sites import service as sites_service
from murphy.statements import rules, service
from murphy.statements.schemas import (
    AmendmentIn,
    Giver,
    Method,
    SignOff,
    StatementEdit,
    StatementIn,
    Status,
    SubmitIn,
)
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, render, validated

router = APIRouter(include_in_schema=False)
PATH = "/incidents/{number}/statements"
LABELS = {
    "giver": "Who gives it",
    "name": "Their name",
    "body": "What they said",
    "sign_off": "Signed",
    "signed_name": "Name typed to sign",
}
GIVERS = {g.value: g.value.replace("_", " ").capitalize() for g in Giver}
SIGN_OFFS = {
    SignOff.SIGNED.value: "Read it and signed (types their name)",
    SignOff.DECLINED.value: "Was here and would not sign",
    SignOff.ABSENT.value: "Not here to sign (telephone, left)",
}


class TakeForm(FormModel):
    giver: str = "witness"
    name: str = ""
    contact: str = ""
    method: str = "typed"
    place: str = ""
    body: str = ""
    sign_off: str = ""
    signed_name: str = ""
    then: str = "draft"  # draft | submit


class AmendForm(FormModel):
    body: str = ""
    sign_off: str = ""
    signed_name: str = ""


@router.get(PATH)
def statements_page(
    number: str, request: Request, session: SessionDep, principal: PageUser, done: str = ""
) -> Response:
    """The incident's statements and the form to take one."""
    return _list(request, session, principal, number, done=done)


@router.post(PATH)
def take(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[TakeForm, Form()],
) -> Response:
    """A statement saved as a draft, or submitted with its sign-off."""
    check_csrf(request, form.csrf_token)
    fields = form.model_dump(include={"giver", "name", "contact", "method", "place", "body"})
    try:
        data = validated(StatementIn, LABELS, **fields)
        sign = None
        if form.then == "submit":
            sign = validated(
                SubmitIn, LABELS, sign_off=form.sign_off or None, signed_name=form.signed_name
            )
        out = service.take(session, principal=principal, number=number, data=data, submit=sign)
    except MurphyError as exc:
        return _list(request, session, principal, number, error=exc, kept=form)
    return RedirectResponse(f"/incidents/{number}/statements/{out.id}?done={form.then}", 303)


@router.get(PATH + "/{statement_id}")
def statement_page(
    number: str,
    statement_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    done: str = "",
) -> Response:
    """One statement."""
    return _detail(request, session, principal, number, statement_id, done=done)


@router.post(PATH + "/{statement_id}")
def finish(
    number: str,
    statement_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[TakeForm, Form()],
) -> Response:
    """Save a corrected draft, or submit it."""
    check_csrf(request, form.csrf_token)
    try:
        edit = validated(
            StatementEdit, LABELS, body=form.body, contact=form.contact, place=form.place
        )
        service.edit(
            session, principal=principal, number=number, statement_id=statement_id, data=edit
        )
        if form.then == "submit":
            sign = validated(
                SubmitIn, LABELS, sign_off=form.sign_off or None, signed_name=form.signed_name
            )
            service.submit(
                session, principal=principal, number=number, statement_id=statement_id, data=sign
            )
    except MurphyError as exc:
        return _detail(request, session, principal, number, statement_id, error=exc, kept=form)
    return RedirectResponse(f"/incidents/{number}/statements/{statement_id}?done={form.then}", 303)


@router.post(PATH + "/{statement_id}/amendments")
def amend(
    number: str,
    statement_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[AmendForm, Form()],
) -> Response:
    """An amendment, submitted with its sign-off."""
    check_csrf(request, form.csrf_token)
    try:
        data = validated(
            AmendmentIn,
            LABELS,
            body=form.body,
            sign_off=form.sign_off or None,
            signed_name=form.signed_name,
        )
        out = service.amend(
            session, principal=principal, number=number, statement_id=statement_id, data=data
        )
    except MurphyError as exc:
        return _detail(request, session, principal, number, statement_id, error=exc, amend=form)
    return RedirectResponse(f"/incidents/{number}/statements/{out.id}?done=amended", 303)


def _common(session: Session, principal: Principal, number: str) -> dict[str, Any]:
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    site = sites_service.get_by_ids(session, [incident.site_id])[incident.site_id]
    return {
        "number": incident.number,
        "title": incident.title,
        "tz": site.timezone,
        "givers": GIVERS,
        "methods": [m.value for m in Method],
        "sign_offs": SIGN_OFFS,
        "can_take": principal.can(Permission.NOTE) and incident.status != "merged",
    }


def _list(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    *,
    done: str = "",
    error: MurphyError | None = None,
    kept: TakeForm | None = None,
) -> Response:
    context = {
        **_common(session, principal, number),
        "statements": service.list(session, principal=principal, number=number),
        "done": done,
        "error": str(error) if error else "",
        "f": kept or TakeForm(),
    }
    return render(request, "statements.html", context, error.status if error else 200)


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    statement_id: int,
    *,
    done: str = "",
    error: MurphyError | None = None,
    kept: TakeForm | None = None,
    amend: AmendForm | None = None,
) -> Response:
    everything = service.list(session, principal=principal, number=number)
    found = next((s for s in everything if s.id == statement_id), None)
    if found is None:
        raise NotFound(f"no statement {statement_id} on {number}")
    context = {
        **_common(session, principal, number),
        "s": found,
        "amendments": [a for a in everything if a.amends == found.id],
        "original": next((a for a in everything if a.id == found.amends), None),
        "may_finish": found.status is Status.DRAFT
        and rules.may_change(found.taken_by, principal.username),
        "done": done,
        "error": str(error) if error and amend is None else "",
        "amend_error": str(error) if error and amend is not None else "",
        "f": kept or TakeForm(body=found.body, contact=found.contact, place=found.place),
        "a": amend or AmendForm(),
    }
    return render(request, "statement.html", context, error.status if error else 200)
