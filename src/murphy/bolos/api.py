"""JSON routes of BOLOs: the active list, one notice, issue, cancel, the photo."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from murphy.bolos import service
from murphy.bolos.schemas import BoloIn, BoloOut, CancelIn
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep
from murphy.web.http import if_match, photo_response, set_etag

PATH = "/api/v1/bolos"
router = APIRouter(prefix=PATH, tags=["bolos"])
UPLOADS = (f"{PATH}/",)  # a photo is larger than other bodies


@router.get("", summary="Active BOLOs")
async def list_active(
    principal: CurrentUser,
    reader: ReaderDep,
    site: Annotated[list[str], Query(description="only these site codes")] = [],  # noqa: B006
) -> list[BoloOut]:
    """Not cancelled, not expired, for at least one of the caller's sites; newest first."""
    return await reader.run(lambda s: service.active(s, principal=principal, sites=site))


@router.get("/ended", summary="BOLOs ended lately")
async def list_ended(principal: CurrentUser, reader: ReaderDep) -> list[BoloOut]:
    """Expired or cancelled in the last 30 days, latest first (for those who issue them)."""
    return await reader.run(lambda s: service.ended(s, principal=principal))


@router.post("", status_code=201, summary="Issue a BOLO")
async def issue(
    data: BoloIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> BoloOut:
    """For one or more of the caller's sites, until `expires_at` (at most 365 days); with
    `subject_id` the blanks are filled from that person or vehicle record. Add the photo
    with `PUT /api/v1/bolos/{id}/photo`."""
    out = await writer.run(lambda s: service.issue(s, principal=principal, data=data))
    set_etag(response, out.version)
    response.headers["Location"] = f"{PATH}/{out.id}"
    return out


@router.get("/{bolo_id}", summary="One BOLO")
async def get_bolo(
    bolo_id: int, principal: CurrentUser, reader: ReaderDep, response: Response
) -> BoloOut:
    """Active, expired or cancelled, if it is for one of the caller's sites."""
    out = await reader.run(lambda s: service.get(s, principal=principal, bolo_id=bolo_id))
    set_etag(response, out.version)
    return out


@router.post("/{bolo_id}/cancel", summary="Cancel a BOLO")
async def cancel(
    bolo_id: int,
    data: CancelIn,
    request: Request,
    principal: CurrentUser,
    writer: WriterDep,
    response: Response,
) -> BoloOut:
    """Take it down before it expires, with a reason; If-Match guards against a lost update."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.cancel(
            s, principal=principal, bolo_id=bolo_id, data=data, version=version
        )
    )
    set_etag(response, out.version)
    return out


@router.put("/{bolo_id}/photo", summary="Set a BOLO's photo")
async def put_photo(
    bolo_id: int, request: Request, principal: CurrentUser, writer: WriterDep, response: Response
) -> BoloOut:
    """The body is the image (JPEG, PNG or WebP, at most 5 MiB); its metadata is removed.
    The content decides the type, whatever `Content-Type` says."""
    version = if_match(request)
    body = await request.body()
    out = await writer.run(
        lambda s: service.set_photo(
            s, principal=principal, bolo_id=bolo_id, data=body, version=version
        )
    )
    set_etag(response, out.version)
    return out


@router.get(
    "/{bolo_id}/photo",
    summary="A BOLO's photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def get_photo(bolo_id: int, principal: CurrentUser, reader: ReaderDep) -> Response:
    """The photo as stored (metadata stripped); its SHA-256 is in the ETag."""
    media_type, data, sha = await reader.run(
        lambda s: service.photo(s, principal=principal, bolo_id=bolo_id)
    )
    return photo_response(data, media_type, sha)
