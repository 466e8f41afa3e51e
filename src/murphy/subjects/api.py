"""JSON routes for people and vehicles involved in incidents: parse, call the service,
answer. A merged record's GET answers 308 with the survivor's address in Location."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response
from fastapi.responses import RedirectResponse

from murphy.subjects import service
from murphy.subjects.schemas import (
    Duplicate,
    LinkIn,
    LinkOut,
    MergeIn,
    SubjectHit,
    SubjectKind,
    SubjectOut,
    SubjectUpdate,
)
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep
from murphy.web.http import if_match, photo_response

router = APIRouter(prefix="/api/v1", tags=["subjects"])
UPLOADS = ("/api/v1/subjects/",)  # a photo is larger than other bodies


def _tagged(response: Response, out: SubjectOut) -> SubjectOut:
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.get("/incidents/{number}/subjects", summary="People and vehicles of an incident")
async def list_for_incident(
    number: str, principal: CurrentUser, reader: ReaderDep
) -> list[LinkOut]:
    """Each with its role and note, in the order they were added."""
    service.require_reader(principal)
    panel = await reader.run(lambda s: service.panel(s, principal=principal, number=number))
    return panel.links


@router.post("/incidents/{number}/subjects", status_code=201, summary="Add a person or vehicle")
async def link_subject(
    number: str, data: LinkIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> LinkOut:
    """Link an existing record (`subject_id`) or describe a new one (`person` or
    `vehicle`); a new record comes back with its `possible_duplicates`."""
    out = await writer.run(lambda s: service.link(s, principal=principal, number=number, data=data))
    response.headers["Location"] = f"/api/v1/subjects/{out.subject_id}"
    return out


@router.delete("/incidents/{number}/subjects/{link_id}", status_code=204, summary="Take one off")
async def unlink_subject(
    number: str, link_id: int, principal: CurrentUser, writer: WriterDep
) -> Response:
    """For a person or vehicle linked by mistake (the timeline keeps both entries)."""
    await writer.run(
        lambda s: service.unlink(s, principal=principal, number=number, link_id=link_id)
    )
    return Response(status_code=204)


@router.get("/subjects", summary="Find a person or vehicle")
async def search_subjects(
    principal: CurrentUser,
    reader: ReaderDep,
    q: Annotated[str, Query(min_length=1, max_length=200)],
    kind: SubjectKind | None = None,
) -> list[SubjectHit]:
    """By the start of any word of a name ("smi" finds John Smith) or of a plate ("AB-12"
    finds AB12CDE); each with the incidents the caller may see. Not logged as a view."""
    return await reader.run(lambda s: service.search(s, principal=principal, q=q, kind=kind))


@router.get("/subjects/{subject_id}", summary="One person or vehicle", response_model=None)
async def get_subject(
    subject_id: int, principal: CurrentUser, writer: WriterDep, response: Response
) -> SubjectOut | Response:
    """The record, its incidents and possible duplicates; every view is logged. A merged
    record answers 308 to its survivor."""
    out = await writer.run(
        lambda s: service.detail(s, principal=principal, subject_id=subject_id, how="api")
    )
    if out.merged_into_id is not None:
        return RedirectResponse(f"/api/v1/subjects/{out.merged_into_id}", status_code=308)
    return _tagged(response, out)


@router.patch("/subjects/{subject_id}", summary="Correct a person or vehicle")
async def update_subject(
    subject_id: int,
    data: SubjectUpdate,
    principal: CurrentUser,
    writer: WriterDep,
    request: Request,
    response: Response,
) -> SubjectOut:
    """A stale If-Match is refused with 412."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.update(
            s, principal=principal, subject_id=subject_id, data=data, version=version
        )
    )
    return _tagged(response, out)


@router.get("/subjects/{subject_id}/duplicates", summary="Possible duplicates")
async def subject_duplicates(
    subject_id: int, principal: CurrentUser, reader: ReaderDep
) -> list[Duplicate]:
    """Same name and date of birth, same identifier, same plate, or same name with a date
    of birth missing; never merged by themselves."""
    return await reader.run(
        lambda s: service.duplicates(s, principal=principal, subject_id=subject_id)
    )


@router.post("/subjects/{subject_id}/merge", summary="Merge a duplicate into another record")
async def merge_subject(
    subject_id: int, data: MergeIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> SubjectOut:
    """Its links move to the survivor (`into`); it then answers 308 to the survivor."""
    out = await writer.run(
        lambda s: service.merge(s, principal=principal, subject_id=subject_id, into=data.into)
    )
    return _tagged(response, out)


@router.put("/subjects/{subject_id}/photo", summary="Set a person's or vehicle's photo")
async def put_photo(
    subject_id: int, request: Request, principal: CurrentUser, writer: WriterDep, response: Response
) -> SubjectOut:
    """The body is the image (JPEG, PNG or WebP, at most 5 MiB); its metadata is removed.
    The content decides the type, whatever `Content-Type` says."""
    version = if_match(request)
    body = await request.body()
    out = await writer.run(
        lambda s: service.set_photo(
            s, principal=principal, subject_id=subject_id, data=body, version=version
        )
    )
    return _tagged(response, out)


@router.delete("/subjects/{subject_id}/photo", summary="Remove the photo")
async def delete_photo(
    subject_id: int, request: Request, principal: CurrentUser, writer: WriterDep, response: Response
) -> SubjectOut:
    """The wrong person, say."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.remove_photo(
            s, principal=principal, subject_id=subject_id, version=version
        )
    )
    return _tagged(response, out)


@router.get(
    "/subjects/{subject_id}/photo",
    summary="A person's or vehicle's photo",
    response_class=Response,
    responses={200: {"content": {"image/jpeg": {}, "image/png": {}, "image/webp": {}}}},
)
async def get_photo(subject_id: int, principal: CurrentUser, reader: ReaderDep) -> Response:
    """The photo as stored (metadata stripped); its SHA-256 is in the ETag."""
    media_type, data, sha = await reader.run(
        lambda s: service.photo(s, principal=principal, subject_id=subject_id)
    )
    return photo_response(data, media_type, sha)
