"""JSON routes for incidents: parse, call the service, shape the answer.

Reads go to the reader (a read-only session on the thread pool); changes go to the
writer, which answers after commit.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from functools import partial
from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import StreamingResponse
from sqlalchemy.orm import Session

from murphy.core.clock import isoformat
from murphy.incidents import cap_export, export, service, triage, views
from murphy.incidents.schemas import (
    AssessmentIn,
    AssessmentOut,
    AttachmentOut,
    Channel,
    ClassifyIn,
    ContactOut,
    IncidentCreate,
    IncidentOut,
    IncidentPage,
    IncidentQuery,
    IncidentUpdate,
    NoteIn,
    PriorityIn,
    TimelineEntryOut,
    TransitionIn,
)
from murphy.web.deps import CurrentUser, ReaderDep, SettingsDep, WriterDep
from murphy.web.http import if_match, set_etag

router = APIRouter(prefix="/api/v1/incidents", tags=["incidents"])


@router.post("", status_code=201, summary="Report an incident")
async def report(
    data: IncidentCreate, principal: CurrentUser, writer: WriterDep, response: Response
) -> IncidentOut:
    """Record a new incident. It is stored before this answers, with its number."""

    def work(session: Session) -> IncidentOut:
        incident = service.report(session, principal=principal, data=data, channel=Channel.API)
        return views.incident_out(session, principal=principal, incident=incident)

    out = await writer.run(work)
    response.headers["Location"] = f"/api/v1/incidents/{out.number}"
    set_etag(response, out.version)
    return out


@router.get("", summary="List and search incidents")
async def list_incidents(
    query: Annotated[IncidentQuery, Query()], principal: CurrentUser, reader: ReaderDep
) -> IncidentPage:
    """Incidents the caller may see, newest first; follow `next_cursor` for the next page."""
    return await reader.run(lambda s: service.list(s, principal=principal, query=query))


@router.get(
    "/export",
    summary="Export the incidents changed in a window (CSV, JSON, NDJSON)",
    response_class=StreamingResponse,
)
async def export_incidents(
    principal: CurrentUser,
    reader: ReaderDep,
    updated_since: Annotated[str, Query(description="Inclusive; an instant with its offset")],
    until: Annotated[str | None, Query(description="Exclusive; default: 5 s ago")] = None,
    site: Annotated[str | None, Query(description="Only this site (code)")] = None,
    format: Annotated[str, Query(description="csv, json or ndjson")] = "csv",
) -> StreamingResponse:
    """Incidents with `updated_since <= updated_at < until`, by (updated_at, id), streamed;
    pass the `Murphy-Next-Updated-Since` header as the next `updated_since`."""
    window = await reader.run(
        lambda s: export.window(
            s, principal=principal, since=updated_since, until=until, site=site, fmt=format
        )
    )

    async def body() -> AsyncIterator[str]:
        yield export.head(window.format)
        after, first = None, True
        while True:
            found = await reader.run(
                partial(export.batch, principal=principal, window=window, after=after)
            )
            if not found:
                break
            yield export.encode(window.format, found, first=first)
            after, first = found[-1]["_key"], False
        yield export.tail(window.format)

    headers = {"Murphy-Next-Updated-Since": isoformat(window.until)}
    return StreamingResponse(body(), media_type=export.MEDIA_TYPES[window.format], headers=headers)


@router.get("/{number}", summary="Get an incident")
async def get(
    number: str, principal: CurrentUser, reader: ReaderDep, response: Response
) -> IncidentOut:
    """One incident, with the transitions the caller may make now."""

    def work(session: Session) -> IncidentOut:
        incident = service.get_or_raise(session, principal=principal, number=number)
        return views.incident_out(session, principal=principal, incident=incident)

    out = await reader.run(work)
    set_etag(response, out.version)
    return out


@router.patch("/{number}", summary="Change an incident's details")
async def update(
    number: str,
    data: IncidentUpdate,
    request: Request,
    principal: CurrentUser,
    writer: WriterDep,
    response: Response,
) -> IncidentOut:
    """Change the fields sent; send `If-Match` with the ETag to refuse a lost update."""
    version = if_match(request)

    def work(session: Session) -> IncidentOut:
        incident = service.update(
            session, principal=principal, number=number, data=data, expected_version=version
        )
        return views.incident_out(session, principal=principal, incident=incident)

    out = await writer.run(work)
    set_etag(response, out.version)
    return out


@router.post("/{number}/transitions", summary="Move an incident through its lifecycle")
async def transition(
    number: str,
    data: TransitionIn,
    request: Request,
    principal: CurrentUser,
    writer: WriterDep,
    response: Response,
) -> IncidentOut:
    """Triage, respond, resolve, close, reopen, cancel or merge; 409 if not allowed from here."""
    version = if_match(request)

    def work(session: Session) -> IncidentOut:
        incident = service.transition(
            session, principal=principal, number=number, data=data, expected_version=version
        )
        return views.incident_out(session, principal=principal, incident=incident)

    out = await writer.run(work)
    set_etag(response, out.version)
    return out


@router.get(
    "/{number}/cap",
    summary="An incident as a CAP 1.2 alert",
    response_class=Response,
    responses={200: {"content": {"application/xml": {}}}},
)
async def cap_alert(
    number: str,
    principal: CurrentUser,
    reader: ReaderDep,
    settings: SettingsDep,
    request: Request,
) -> Response:
    """The incident as an OASIS CAP 1.2 `alert` (status Exercise for an exercise), for any
    system that reads CAP; see `murphy.incidents.cap_export` for how fields map."""
    link = str(request.url_for("show_incident", number=number))

    def work(session: Session) -> bytes:
        incident = service.get_or_raise(session, principal=principal, number=number)
        out = views.incident_out(session, principal=principal, incident=incident)
        return cap_export.document(out, sender=settings.cap_sender, link=link)

    document = await reader.run(work)
    return Response(
        document,
        media_type="application/xml",
        headers={"Content-Disposition": f'inline; filename="{number}.cap.xml"'},
    )


@router.get("/{number}/timeline", summary="An incident's timeline")
async def timeline(
    number: str, principal: CurrentUser, reader: ReaderDep
) -> list[TimelineEntryOut]:
    """Every entry the caller may see, oldest first, with its hash and the previous hash."""

    def work(session: Session) -> list[TimelineEntryOut]:
        entries = service.timeline(session, principal=principal, number=number)
        return views.timeline_out(session, entries)

    return await reader.run(work)


@router.get("/{number}/contact", summary="How to reach the reporter")
async def contact(number: str, principal: CurrentUser, reader: ReaderDep) -> ContactOut | None:
    """The caller's or public reporter's contact details, if they gave any (null if not).
    Kept off the hash-chained timeline, which only records that details were given."""
    return await reader.run(
        lambda s: service.reporter_contact(s, principal=principal, number=number)
    )


@router.get("/{number}/attachments", summary="An incident's photos")
async def attachments(
    number: str, principal: CurrentUser, reader: ReaderDep
) -> list[AttachmentOut]:
    """Every photo (without its bytes: those are at `url`), oldest first."""
    return await reader.run(lambda s: service.photos(s, principal=principal, number=number))


@router.get("/{number}/attachments/{attachment_id}", summary="One photo's bytes")
async def attachment(
    number: str, attachment_id: int, principal: CurrentUser, reader: ReaderDep
) -> Response:
    """The photo as stored (metadata already stripped unless the reporter kept it); its
    SHA-256 is on the timeline entry that added it."""
    name, media_type, data = await reader.run(
        lambda s: service.attachment(
            s, principal=principal, number=number, attachment_id=attachment_id
        )
    )
    headers = {
        "Content-Disposition": f'attachment; filename="{name}"',
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": "private, no-store",
    }
    return Response(data, media_type=media_type, headers=headers)


@router.post("/{number}/notes", status_code=201, summary="Add a note")
async def add_note(
    number: str, data: NoteIn, principal: CurrentUser, writer: WriterDep
) -> TimelineEntryOut:
    """Append a note to the timeline."""

    def work(session: Session) -> TimelineEntryOut:
        entry = service.add_note(session, principal=principal, number=number, data=data)
        session.flush()
        return views.timeline_out(session, [entry])[0]

    return await writer.run(work)


@router.put("/{number}/classification", summary="Classify an incident")
async def classify(
    number: str, data: ClassifyIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> IncidentOut:
    """Set (or change) the type; impact and urgency default to the type's and the
    priority follows from the matrix. A reclassification is a timeline entry."""

    def work(session: Session) -> IncidentOut:
        incident = triage.classify(session, principal=principal, number=number, data=data)
        return views.incident_out(session, principal=principal, incident=incident)

    out = await writer.run(work)
    set_etag(response, out.version)
    return out


@router.put("/{number}/priority", summary="Set impact and urgency, or override the priority")
async def prioritize(
    number: str, data: PriorityIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> IncidentOut:
    """Impact and urgency give the priority through the matrix; `priority` with a
    `reason` overrides it. Either way the change is on the timeline."""

    def work(session: Session) -> IncidentOut:
        incident = triage.prioritize(session, principal=principal, number=number, data=data)
        return views.incident_out(session, principal=principal, incident=incident)

    out = await writer.run(work)
    set_etag(response, out.version)
    return out


@router.post("/{number}/acknowledge", summary="Acknowledge an incident")
async def acknowledge(
    number: str, principal: CurrentUser, writer: WriterDep, response: Response
) -> IncidentOut:
    """The control room has seen it: stops the acknowledge clock (triage does too)."""

    def work(session: Session) -> IncidentOut:
        incident = triage.acknowledge(session, principal=principal, number=number)
        return views.incident_out(session, principal=principal, incident=incident)

    out = await writer.run(work)
    set_etag(response, out.version)
    return out


@router.get("/{number}/assessment", summary="The assessment record")
async def get_assessment(number: str, principal: CurrentUser, reader: ReaderDep) -> AssessmentOut:
    """Immediate actions, risks, suspected root cause, recommended solution, parties informed."""

    def work(session: Session) -> AssessmentOut:
        incident = service.get_or_raise(session, principal=principal, number=number)
        return triage.assessment(session, incident_id=incident.id)

    return await reader.run(work)


@router.put("/{number}/assessment", summary="Update the assessment record")
async def assess(
    number: str, data: AssessmentIn, principal: CurrentUser, writer: WriterDep
) -> AssessmentOut:
    """Change the fields sent; each change is on the timeline with before and after."""
    return await writer.run(
        lambda s: triage.assess(s, principal=principal, number=number, data=data)
    )
