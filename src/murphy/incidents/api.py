"""JSON routes for incidents: parse, call the service, shape the answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from murphy.incidents import service, views
from murphy.incidents.schemas import (
    Channel,
    IncidentCreate,
    IncidentOut,
    IncidentPage,
    IncidentQuery,
    IncidentUpdate,
    NoteIn,
    TimelineEntryOut,
    TransitionIn,
)
from murphy.web.deps import CurrentUser, SessionDep
from murphy.web.http import if_match, set_etag

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


@router.post("", status_code=201, summary="Report an incident")
def report(
    data: IncidentCreate, session: SessionDep, principal: CurrentUser, response: Response
) -> IncidentOut:
    """Record a new incident. It is stored before this answers, with its number."""
    incident = service.report(session, principal=principal, data=data, channel=Channel.API)
    response.headers["Location"] = f"/api/v1/incidents/{incident.number}"
    set_etag(response, incident.version)
    return views.incident_out(session, principal=principal, incident=incident)


@router.get("", summary="List and search incidents")
def list_incidents(
    query: Annotated[IncidentQuery, Query()], session: SessionDep, principal: CurrentUser
) -> IncidentPage:
    """Incidents the caller may see, newest first; follow `next_cursor` for the next page."""
    return service.list(session, principal=principal, query=query)


@router.get("/{number}", summary="Get an incident")
def get(number: str, session: SessionDep, principal: CurrentUser, response: Response) -> IncidentOut:
    """One incident, with the transitions the caller may make now."""
    incident = service.get_or_raise(session, principal=principal, number=number)
    set_etag(response, incident.version)
    return views.incident_out(session, principal=principal, incident=incident)


@router.patch("/{number}", summary="Change an incident's details")
def update(
    number: str,
    data: IncidentUpdate,
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    response: Response,
) -> IncidentOut:
    """Change the fields sent; send `If-Match` with the ETag to refuse a lost update."""
    incident = service.update(
        session, principal=principal, number=number, data=data, expected_version=if_match(request)
    )
    set_etag(response, incident.version)
    return views.incident_out(session, principal=principal, incident=incident)


@router.post("/{number}/transitions", summary="Move an incident through its lifecycle")
def transition(
    number: str,
    data: TransitionIn,
    request: Request,
    session: SessionDep,
    principal: CurrentUser,
    response: Response,
) -> IncidentOut:
    """Triage, respond, resolve, close, reopen, cancel or merge; 409 if not allowed from here."""
    incident = service.transition(
        session, principal=principal, number=number, data=data, expected_version=if_match(request)
    )
    set_etag(response, incident.version)
    return views.incident_out(session, principal=principal, incident=incident)


@router.get("/{number}/timeline", summary="An incident's timeline")
def timeline(number: str, session: SessionDep, principal: CurrentUser) -> list[TimelineEntryOut]:
    """Every entry the caller may see, oldest first, with its hash and the previous hash."""
    entries = service.timeline(session, principal=principal, number=number)
    return views.timeline_out(session, entries)


@router.post("/{number}/notes", status_code=201, summary="Add a note")
def add_note(
    number: str, data: NoteIn, session: SessionDep, principal: CurrentUser
) -> TimelineEntryOut:
    """Append a note to the timeline."""
    entry = service.add_note(session, principal=principal, number=number, data=data)
    session.flush()
    return views.timeline_out(session, [entry])[0]
