"""HTML routes for the queue, the report form and the incident page.

Handlers parse the form, call the same services as the JSON API and render. A service
error in a form post rolls the transaction back and shows the form again with the
message and what was typed; an incident outside the caller's scope stays a 404 page.
The classification, priority, acknowledgement and assessment forms are in
`pages_triage`; what the pages share is in `pages_shared`.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError, NotFound, ValidationFailed
from murphy.incidents import pages_dispatch, pages_triage, pages_work, rules, service, triage
from murphy.incidents.pages_shared import (
    checked,
    failed,
    incident_page,
    my_site_details,
    my_sites,
    plain,
    see,
    type_groups,
)
from murphy.incidents.schemas import (
    Action,
    Channel,
    ClassifyIn,
    ContactIn,
    IncidentCreate,
    IncidentQuery,
    IncidentUpdate,
    NoteIn,
    Sort,
    Status,
    TransitionIn,
)
from murphy.sites import service as sites_service
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
PRIORITIES = ("1", "2", "3", "4", "5")
FORMS = frozenset(
    {"transitions", "notes", "edit", *pages_triage.FORMS, *pages_work.FORMS, *pages_dispatch.FORMS}
)


class ReportForm(FormModel):
    """What the report form posts; checked by IncidentCreate."""

    title: str = ""
    description: str = ""
    site: str = ""
    place: str = ""
    detail: str = ""
    occurred_at: str = ""
    channel: str = ""  # on someone's behalf: "phone" or "walk_up"
    caller_name: str = ""
    caller_phone: str = ""
    type: str = ""  # classify it at once (dispatchers)
    exercise: str = ""  # "on": a drill
    back: str = ""  # "queue": return to the queue for the next call


ON_BEHALF = {"phone": Channel.PHONE, "walk_up": Channel.WALK_UP}


class TransitionForm(FormModel):
    """One lifecycle button's form."""

    to: str = ""
    action: str = ""
    reason: str = ""
    target: str = ""
    resolution_code: str = ""
    effective: str = ""  # the effectiveness evaluation, when resolving
    effectiveness_note: str = ""
    follow_up_on: str = ""
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
    type: str = "",
    priority: str = "",
    q: str = "",
    cursor: str = "",
    restricted: str = "",
    recorded: str = "",
) -> Response:
    """The queue: open incidents by priority then age (others newest first), filtered
    by site, type and priority, and searched."""
    if status not in STATUS_FILTERS:
        raise ValidationFailed(f"unknown status filter {status!r}: use one of the tabs")
    if priority and priority not in PRIORITIES:
        raise ValidationFailed(f"unknown priority {priority!r}: choose P1 to P5")
    wanted = STATUS_FILTERS[status][1]
    by_priority = bool(wanted) and all(s in OPEN for s in wanted)
    query = checked(
        IncidentQuery,
        status=wanted,
        site=[site] if site else [],
        type=[type] if type else [],
        priority=[int(priority)] if priority else [],
        q=q.strip() or None,
        sort=Sort.PRIORITY if by_priority else Sort.NEWEST,
        cursor=cursor or None,
        limit=PAGE_SIZE,
    )
    page = service.list(session, principal=principal, query=query)
    sites = my_sites(session, principal)
    filters = {"status": status, "site": site, "type": type, "priority": priority, "q": q.strip()}
    older = f"/incidents?{urlencode({**filters, 'cursor': page.next_cursor})}"
    context = {
        "page": page,
        "sites": sites,
        "types": type_groups(session),
        "zones": {s.code: s.timezone for s in sites},
        "filters": filters,
        "by_priority": by_priority,
        "restricted": rules.parse_number(restricted) if restricted else None,
        "recorded": rules.parse_number(recorded) if recorded else None,
        "quick": _quick(session, principal),
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
        contact = checked(ContactIn, name=form.caller_name, phone=form.caller_phone)
        data = checked(
            IncidentCreate,
            title=form.title,
            description=form.description,
            site=form.site,
            place=place,
            occurred_at=form.occurred_at or None,
            contact=contact,
            exercise=form.exercise == "on",
        )
        channel = ON_BEHALF.get(form.channel, Channel.WEB)
        incident = service.report(session, principal=principal, data=data, channel=channel)
        if form.type.strip():
            triage.classify(
                session,
                principal=principal,
                number=incident.number,
                data=checked(ClassifyIn, type=form.type.strip()),
            )
    except MurphyError as exc:
        session.rollback()
        return _report_page(request, session, principal, form, error=plain(exc), status=exc.status)
    if form.back == "queue":  # the next call: stay in the queue, which says what was recorded
        return RedirectResponse(f"/incidents?{urlencode({'recorded': incident.number})}", 303)
    return see(incident.number)


@router.get("/incidents/{number}")
def show_incident(
    number: str, request: Request, session: SessionDep, principal: PageUser
) -> Response:
    """One incident: next step, classification, assessment, timeline, note and edit forms."""
    return incident_page(request, session, principal, number)


@router.get("/incidents/{number}/attachments/{attachment_id}")
def attachment(
    number: str, attachment_id: int, session: SessionDep, principal: PageUser
) -> Response:
    """A photo of an incident, for those who may read it; never executed or sniffed."""
    name, media_type, data = service.attachment(
        session, principal=principal, number=number, attachment_id=attachment_id
    )
    headers = {
        "Content-Disposition": f'inline; filename="{name}"',
        "Cache-Control": "private, max-age=3600",
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(data, media_type=media_type, headers=headers)


@router.get("/incidents/{number}/{form:path}")
def form_target(number: str, form: str) -> Response:
    """A form's address opened directly (say after signing in again): show the incident."""
    if form.split("/", 1)[0] not in FORMS:
        raise NotFound(f"no page {form!r} for an incident")
    return see(rules.parse_number(number) or number)


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
        data = checked(
            TransitionIn,
            to=form.to,
            reason=form.reason or None,
            target=form.target or None,
            resolution_code=form.resolution_code or None,
            effectiveness=_effectiveness(form),
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
        return failed(request, session, principal, number, exc, what, transition=form)
    return see(incident.number)


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
        data = checked(NoteIn, body=form.body)
        entry = service.add_note(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Could not add the note", note=form)
    return see(rules.parse_number(number) or number, anchor=f"entry-{entry.seq}")


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
        data = checked(IncidentUpdate, title=form.title, description=form.description, place=place)
        incident = service.update(
            session,
            principal=principal,
            number=number,
            data=data,
            expected_version=forms.version(form.version),
        )
    except MurphyError as exc:
        return failed(
            request, session, principal, number, exc, "Could not save the changes", edit=form
        )
    return see(incident.number)


# --- helpers ------------------------------------------------------------------------


def _quick(session: Session, principal: Principal) -> dict[str, Any] | None:
    """The quick-entry form of the queue, for those who take calls (dispatchers and up)."""
    if not (principal.can(Permission.REPORT) and principal.can(Permission.TRIAGE)):
        return None
    return {"sites": my_site_details(session, principal)}


def _report_page(
    request: Request,
    session: Session,
    principal: Principal,
    form: ReportForm,
    *,
    error: str = "",
    status: int = 200,
) -> Response:
    sites = my_site_details(session, principal)
    if not form.site and len(sites) == 1:
        form.site = sites[0].code
    context = {"form": form, "sites": sites, "error": error}
    return render(request, "report.html", context, status)


def _action_name(action: str) -> str:
    """The button's verb for an error title; only known verbs are echoed."""
    return action if action in set(Action) else "change the status"


router.include_router(pages_triage.router)
router.include_router(pages_work.router)
router.include_router(pages_dispatch.router)


def _effectiveness(form: TransitionForm) -> dict[str, str | None] | None:
    """The evaluation as typed, if any part of it was (the service checks it)."""
    if not (form.effective or form.effectiveness_note.strip() or form.follow_up_on):
        return None
    return {
        "effective": form.effective or None,
        "note": form.effectiveness_note,
        "follow_up_on": form.follow_up_on or None,
    }
