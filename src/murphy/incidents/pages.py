"""HTML routes for the queue, the report form and the incident page.

Handlers parse the form, call the same services as the JSON API and render. A service
error in a form post rolls the transaction back and shows the form again with the
message and what was typed; an incident outside the caller's scope stays a 404 page.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal, TypeVar
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError, NotFound, ValidationFailed
from murphy.incidents import rules, service, views, wording
from murphy.incidents.schemas import (
    Action,
    Channel,
    IncidentCreate,
    IncidentQuery,
    IncidentUpdate,
    NoteIn,
    Status,
    TransitionIn,
)
from murphy.sites import service as sites_service
from murphy.sites.schemas import SiteDetail, SiteOut
from murphy.users.schemas import Permission, Principal
from murphy.web import forms, places
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, render
from murphy.web.templating import humanize

router = APIRouter(include_in_schema=False)

PAGE_SIZE = 50
OPEN = [Status.NEW, Status.TRIAGED, Status.RESPONDING]
STATUS_FILTERS: dict[str, tuple[str, list[Status]]] = {
    "open": ("Open", OPEN),
    "all": ("All", []),
    **{s.value: (humanize(s), [s]) for s in Status},
}
BUTTONS = {**rules.LABELS, Action.CANCEL: "Cancel incident"}
PRIMARY = frozenset({Action.TRIAGE, Action.RESPOND, Action.RESOLVE, Action.CLOSE})

M = TypeVar("M", bound=BaseModel)


class ReportForm(FormModel):
    """What the report form posts; checked by IncidentCreate."""

    title: str = ""
    description: str = ""
    site: str = ""
    place: str = ""
    detail: str = ""
    occurred_at: str = ""


class TransitionForm(FormModel):
    """One lifecycle button's form."""

    to: str = ""
    action: str = ""
    reason: str = ""
    target: str = ""
    resolution_code: str = ""
    version: str = ""


class NoteForm(FormModel):
    """The note form."""

    body: str = ""


class EditForm(FormModel):
    """The edit form: title, description and place."""

    title: str = ""
    description: str = ""
    place: str = ""
    detail: str = ""
    version: str = ""


@router.get("/")
def home() -> Response:
    """The queue is the home page."""
    return RedirectResponse("/incidents", status_code=303)


@router.get("/incidents")
def queue(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    status: str = "open",
    site: str = "",
    q: str = "",
    cursor: str = "",
) -> Response:
    """The queue: open incidents by default, newest first, filtered and searched."""
    if status not in STATUS_FILTERS:
        raise ValidationFailed(f"unknown status filter {status!r}: use one of the tabs")
    query = _checked(
        IncidentQuery,
        status=STATUS_FILTERS[status][1],
        site=[site] if site else [],
        q=q.strip() or None,
        cursor=cursor or None,
        limit=PAGE_SIZE,
    )
    page = service.list(session, principal=principal, query=query)
    sites = _my_sites(session, principal)
    filters = {"status": status, "site": site, "q": q.strip()}
    older = f"/incidents?{urlencode({**filters, 'cursor': page.next_cursor})}"
    context = {
        "page": page,
        "sites": sites,
        "zones": {s.code: s.timezone for s in sites},
        "filters": filters,
        "status_filters": {k: v[0] for k, v in STATUS_FILTERS.items()},
        "tab_url": lambda key: f"/incidents?{urlencode({**filters, 'status': key})}",
        "older_url": older if page.next_cursor else "",
        "first_page_url": f"/incidents?{urlencode(filters)}" if cursor else "",
    }
    return render(request, "queue.html", context)


@router.get("/incidents/new")
def report_form(
    request: Request, session: SessionDep, principal: PageUser, site: str = ""
) -> Response:
    """The report form."""
    service.require(principal, Permission.REPORT, "report incidents")
    return _report_page(request, session, principal, ReportForm(site=site.strip().upper()))


@router.post("/incidents")
def report(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[ReportForm, Form()],
) -> Response:
    """Record the report and show its page."""
    check_csrf(request, form.csrf_token)
    try:
        place = places.parse(form.place, form.detail, site=form.site)
        data = _checked(
            IncidentCreate,
            title=form.title,
            description=form.description,
            site=form.site,
            place=place,
            occurred_at=form.occurred_at or None,
        )
        incident = service.report(session, principal=principal, data=data, channel=Channel.WEB)
    except MurphyError as exc:
        session.rollback()
        return _report_page(request, session, principal, form, error=_plain(exc), status=exc.status)
    return _see(incident.number)


@router.get("/incidents/{number}")
def incident_page(
    number: str, request: Request, session: SessionDep, principal: PageUser
) -> Response:
    """One incident: details, actions, timeline, note and edit forms."""
    return _incident_page(request, session, principal, number)


@router.get("/incidents/{number}/{form}")
def form_target(number: str, form: Literal["transitions", "notes", "edit"]) -> Response:
    """A form's address opened directly (say after signing in again): show the incident."""
    return _see(rules.parse_number(number) or number)


@router.post("/incidents/{number}/transitions")
def transition(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[TransitionForm, Form()],
) -> Response:
    """Make one lifecycle move."""
    check_csrf(request, form.csrf_token)
    try:
        data = _checked(
            TransitionIn,
            to=form.to,
            reason=form.reason or None,
            target=form.target or None,
            resolution_code=form.resolution_code or None,
        )
        incident = service.transition(
            session,
            principal=principal,
            number=number,
            data=data,
            expected_version=forms.version(form.version),
        )
    except MurphyError as exc:
        what = f"Could not {_action_name(form.action)}"
        return _failed(request, session, principal, number, exc, what, transition=form)
    return _see(incident.number)


@router.post("/incidents/{number}/notes")
def add_note(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[NoteForm, Form()],
) -> Response:
    """Add a note to the timeline."""
    check_csrf(request, form.csrf_token)
    try:
        data = _checked(NoteIn, body=form.body)
        entry = service.add_note(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        return _failed(
            request, session, principal, number, exc, "Could not add the note", note=form
        )
    return _see(rules.parse_number(number) or number, anchor=f"entry-{entry.seq}")


@router.post("/incidents/{number}/edit")
def edit(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[EditForm, Form()],
) -> Response:
    """Change the title, description or place."""
    check_csrf(request, form.csrf_token)
    try:
        current = service.get_or_raise(session, principal=principal, number=number)
        site = sites_service.get_by_ids(session, [current.site_id])[current.site_id]
        place = places.parse(form.place, form.detail, site=site.code)
        data = _checked(IncidentUpdate, title=form.title, description=form.description, place=place)
        incident = service.update(
            session,
            principal=principal,
            number=number,
            data=data,
            expected_version=forms.version(form.version),
        )
    except MurphyError as exc:
        return _failed(
            request, session, principal, number, exc, "Could not save the changes", edit=form
        )
    return _see(incident.number)


# --- helpers ------------------------------------------------------------------------


def _see(number: str, anchor: str = "") -> Response:
    """Post/redirect/get to an incident's page."""
    return RedirectResponse(f"/incidents/{number}" + (f"#{anchor}" if anchor else ""), 303)


def _failed(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    exc: MurphyError,
    what: str,
    **kept: FormModel,
) -> Response:
    """Undo the attempt and show the incident again with the message and the typed input."""
    if isinstance(exc, NotFound):
        raise exc
    session.rollback()
    return _incident_page(
        request,
        session,
        principal,
        number,
        error=_plain(exc),
        error_title=what,
        status=exc.status,
        kept=kept,
    )


def _report_page(
    request: Request,
    session: Session,
    principal: Principal,
    form: ReportForm,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    sites = _my_site_details(session, principal)
    if not form.site and len(sites) == 1:
        form.site = sites[0].code
    context = {"form": form, "sites": sites, "error": error}
    return render(request, "report.html", context, status)


def _incident_page(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    *,
    error: str = "",
    error_title: str = "",
    status: int = 200,
    kept: dict[str, FormModel] | None = None,
) -> Response:
    incident = service.get_or_raise(session, principal=principal, number=number)
    out = views.incident_out(session, principal=principal, incident=incident)
    entries = service.timeline(session, principal=principal, number=incident.number)
    site = sites_service.get_by_ids(session, [incident.site_id])[incident.site_id]
    detail = sites_service.detail(session, site=site)
    moves = out.allowed_transitions
    context = {
        "incident": out,
        "tz": out.site.timezone,
        "timeline": views.timeline_out(session, entries),
        "site_detail": detail,
        "place_value": places.value(out.site.code, out.place),
        "place_text": places.describer(detail),
        "primary_moves": [m for m in moves if m.action in PRIMARY],
        "other_moves": [m for m in moves if m.action not in PRIMARY],
        "can_note": principal.can(Permission.NOTE) and out.status is not Status.MERGED,
        "can_edit": principal.can(Permission.EDIT) and out.status in rules.EDITABLE,
        "labels": BUTTONS,
        "done": wording.DONE,
        "resolution_labels": wording.RESOLUTIONS,
        "channel_labels": wording.CHANNELS,
        "error": error,
        "error_title": error_title,
        "kept": kept or {},
    }
    return render(request, "incident.html", context, status)


def _my_sites(session: Session, principal: Principal) -> list[SiteOut]:
    """The sites the caller may see, by code."""
    return [
        sites_service.to_out(s) for s in sites_service.list(session) if principal.sees_site(s.id)
    ]


def _my_site_details(session: Session, principal: Principal) -> list[SiteDetail]:
    """The caller's sites with their buildings, floors and zones, for the place picker."""
    return [
        sites_service.detail(session, site=s)
        for s in sites_service.list(session)
        if principal.sees_site(s.id)
    ]


def _checked(model: type[M], **fields: Any) -> M:
    """`model` from form fields; problems named with this page's field labels."""
    return forms.validated(model, wording.FIELDS, **fields)


def _plain(exc: MurphyError) -> str:
    return forms.plain(exc.detail, wording.MESSAGE_WORDS)


def _action_name(action: str) -> str:
    """The button's verb for an error title; only known verbs are echoed."""
    return action if action in set(Action) else "change the status"
