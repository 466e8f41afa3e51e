"""The public report pages, without an account: /report (the form), the thank-you page
with the follow-up code, and /report/status (check, and add information).

Plain HTML forms that work on a phone and without JavaScript; photos are uploaded as
multipart files. The same service and the same per-address limits as the JSON API.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError, TooManyRequests
from murphy.incidents.schemas import ContactIn
from murphy.public import service, throttle
from murphy.public.schemas import AdditionIn, PublicReportIn
from murphy.web.deps import SessionDep, SettingsDep
from murphy.web.forms import photos, render, validated

router = APIRouter(include_in_schema=False)

UPLOADS = ("/report", "/api/v1/public/")  # routes that take photos: the larger body limit
LABELS = {
    "title": "What happened",
    "description": "Details",
    "site": "Site",
    "where": "Where exactly",
    "occurred_at": "When it happened",
    "name": "Your name",
    "phone": "Phone",
    "email": "Email",
    "text": "What you want to add",
    "code": "Follow-up code",
}


@router.get("/report")
def report_form(request: Request, session: SessionDep) -> Response:
    """The public report form."""
    return _form(request, session)


@router.post("/report")
async def report(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    title: Annotated[str, Form()] = "",
    description: Annotated[str, Form()] = "",
    site: Annotated[str, Form()] = "",
    where: Annotated[str, Form()] = "",
    occurred_at: Annotated[str, Form()] = "",
    name: Annotated[str, Form()] = "",
    phone: Annotated[str, Form()] = "",
    email: Annotated[str, Form()] = "",
    keep_location: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    """Record the report; the thank-you page shows the follow-up code once."""
    typed = {
        "title": title,
        "description": description,
        "site": site,
        "where": where,
        "occurred_at": occurred_at,
        "name": name,
        "phone": phone,
        "email": email,
        "keep_location": keep_location,
    }
    try:
        if website:
            raise throttle.trapped(request, settings)
        throttle.check_write(request, settings)
        data = validated(
            PublicReportIn,
            LABELS,
            title=title,
            description=description,
            site=site,
            where=where,
            occurred_at=occurred_at or None,
            contact=validated(ContactIn, LABELS, name=name, phone=phone, email=email),
            keep_location=keep_location == "on",
        )
        files = await photos(request, service.MAX_PHOTO_BYTES)
        out = service.report(session, data=data, photos=files)
    except MurphyError as exc:
        session.rollback()
        return _form(request, session, error=exc, typed=typed)
    return render(request, "public_thanks.html", {"out": out}, 201)


@router.get("/report/status")
def status_form(request: Request) -> Response:
    """Where a reporter types their follow-up code."""
    return render(request, "public_status.html", {"status": None, "code": ""})


@router.post("/report/status")
def status(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str, Form()] = "",
) -> Response:
    """The status of the report with this code."""
    try:
        throttle.check_lookup(request, settings)
        found = service.status(session, code=code)
    except MurphyError as exc:
        session.rollback()
        return _status_page(request, code=code, error=exc)
    return _status_page(request, code=code, found=found)


@router.post("/report/status/add")
async def add(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    code: Annotated[str, Form()] = "",
    text: Annotated[str, Form()] = "",
    keep_location: Annotated[str, Form()] = "",
    website: Annotated[str, Form()] = "",
) -> Response:
    """More text and photos for an open report."""
    try:
        if website:
            raise throttle.trapped(request, settings)
        throttle.check_lookup(request, settings)
        throttle.check_write(request, settings)
        data = validated(
            AdditionIn, LABELS, code=code, text=text, keep_location=keep_location == "on"
        )
        files = await photos(request, service.MAX_PHOTO_BYTES)
        found = service.add(session, data=data, photos=files)
    except MurphyError as exc:
        session.rollback()
        kept = text
        try:
            current = service.status(session, code=code)
        except MurphyError:
            current = None
        return _status_page(request, code=code, found=current, error=exc, kept=kept)
    return _status_page(request, code=code, found=found, added=True)


# --- internals -----------------------------------------------------------------------


def _form(
    request: Request,
    session: Session,
    *,
    error: MurphyError | None = None,
    typed: dict[str, str] | None = None,
) -> Response:
    context = {
        "sites": service.sites(session),
        "typed": typed or {},
        "error": error.detail if error else "",
        "max_photos": service.MAX_PHOTOS,
    }
    return _page(request, "public_report.html", context, error)


def _status_page(
    request: Request,
    *,
    code: str,
    found: Any = None,
    error: MurphyError | None = None,
    added: bool = False,
    kept: str = "",
) -> Response:
    context = {
        "status": found,
        "code": code,
        "error": error.detail if error else "",
        "added": added,
        "kept": kept,
    }
    return _page(request, "public_status.html", context, error)


def _page(
    request: Request, template: str, context: dict[str, Any], error: MurphyError | None
) -> Response:
    """The page, with the error's status (and Retry-After when the error says to wait)."""
    response = render(request, template, context, error.status if error else 200)
    if isinstance(error, TooManyRequests):
        response.headers["Retry-After"] = str(error.retry_after)
    return response
