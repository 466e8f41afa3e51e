"""JSON routes for public reporting, without an account: report, check, add.

Limited per client address (`throttle`); the code travels in the body, never in a URL
(it would end up in logs). Photos come base64-encoded in the JSON.
"""

from __future__ import annotations

from fastapi import APIRouter, Request, status
from sqlalchemy.orm import Session

from murphy.public import service, throttle
from murphy.public.schemas import (
    AdditionIn,
    CodeIn,
    PublicReportIn,
    PublicReportOut,
    PublicSite,
    PublicStatusOut,
)
from murphy.web.deps import ReaderDep, SettingsDep, WriterDep

router = APIRouter(prefix="/api/v1/public", tags=["public"])


@router.get("/sites", summary="The sites a public report can be made for")
async def sites(reader: ReaderDep) -> list[PublicSite]:
    """Codes and names of the sites."""
    return await reader.run(service.sites)


@router.post(
    "/reports", status_code=status.HTTP_201_CREATED, summary="Report an incident, no account"
)
async def report(
    data: PublicReportIn, request: Request, settings: SettingsDep, writer: WriterDep
) -> PublicReportOut:
    """Anyone may report, anonymously or with contact details, with up to 5 photos
    (JPEG, PNG or WebP; location and camera metadata removed unless `keep_location`).
    The answer holds the follow-up `code`, shown only this once."""
    if data.website:
        raise throttle.trapped(request, settings)
    throttle.check_write(request, settings)
    photos = service.decode_photos(data.photos)

    def work(session: Session) -> PublicReportOut:
        return service.report(session, data=data, photos=photos)

    return await writer.run(work)


@router.post("/status", summary="The status of a report, by its follow-up code")
async def check(
    data: CodeIn, request: Request, settings: SettingsDep, writer: WriterDep
) -> PublicStatusOut:
    """What the reporter may know: status, and what they sent. Never internal notes."""
    throttle.check_lookup(request, settings)
    return await writer.run(lambda s: service.status(s, code=data.code))


@router.post("/additions", summary="Add information to a report, by its follow-up code")
async def add(
    data: AdditionIn, request: Request, settings: SettingsDep, writer: WriterDep
) -> PublicStatusOut:
    """More text and photos for a report that is still open."""
    if data.website:
        raise throttle.trapped(request, settings)
    throttle.check_lookup(request, settings)
    throttle.check_write(request, settings)
    photos = service.decode_photos(data.photos)

    def work(session: Session) -> PublicStatusOut:
        return service.add(session, data=data, photos=photos)

    return await writer.run(work)
