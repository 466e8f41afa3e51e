"""JSON routes for problems and recurrence candidates: parse, call the service, answer."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from murphy.problems import recurrence, service
from murphy.problems.schemas import (
    Candidate,
    IncidentsIn,
    LinkIn,
    ProblemIn,
    ProblemOut,
    ProblemStatus,
    ProblemSummary,
    ProblemUpdate,
    StatusIn,
)
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep
from murphy.web.http import if_match

router = APIRouter(prefix="/api/v1", tags=["problems"])


def _tagged(response: Response, out: ProblemOut) -> ProblemOut:
    response.headers["ETag"] = f'"{out.version}"'
    return out


@router.get("/problems", summary="List problems")
async def list_problems(
    principal: CurrentUser, reader: ReaderDep, status: ProblemStatus | None = None
) -> list[ProblemSummary]:
    """Problems of the caller's sites: open ones first, then known errors, fixed, closed."""
    return await reader.run(lambda s: service.list(s, principal=principal, status=status))


@router.get("/problems/candidates", summary="Incidents that keep coming back")
async def list_candidates(
    principal: CurrentUser,
    reader: ReaderDep,
    days: Annotated[int, Query(ge=7, le=service.MAX_DAYS)] = 90,
    min_count: Annotated[int, Query(ge=2, le=1000)] = 4,
    site: str | None = None,
) -> list[Candidate]:
    """Groups of incidents of one kind at one place in the last `days`, at least
    `min_count` of them, that no live problem covers; strongest first, with the evidence."""
    return await reader.run(
        lambda s: recurrence.candidates(
            s, principal=principal, days=days, min_count=min_count, site=site
        )
    )


@router.post("/problems", status_code=201, summary="Open a problem")
async def create_problem(
    data: ProblemIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> ProblemOut:
    """Group incidents under a problem and say where to watch once it is fixed."""
    out = await writer.run(lambda s: service.create(s, principal=principal, data=data))
    response.headers["Location"] = f"/api/v1/problems/{out.ref}"
    return _tagged(response, out)


@router.get("/problems/{ref}", summary="A problem")
async def get_problem(
    ref: str, principal: CurrentUser, reader: ReaderDep, response: Response
) -> ProblemOut:
    """By reference (PRB-12) or id; its ETag is its version (If-Match to change it)."""
    return _tagged(
        response, await reader.run(lambda s: service.detail(s, principal=principal, ref=ref))
    )


@router.patch("/problems/{ref}", summary="Change a problem's words or owner")
async def update_problem(
    ref: str,
    data: ProblemUpdate,
    principal: CurrentUser,
    writer: WriterDep,
    request: Request,
    response: Response,
) -> ProblemOut:
    """A stale If-Match is refused with 412: someone else's change is never overwritten."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.update(s, principal=principal, ref=ref, data=data, version=version)
    )
    return _tagged(response, out)


@router.post("/problems/{ref}/status", summary="Move a problem on")
async def move_problem(
    ref: str,
    data: StatusIn,
    principal: CurrentUser,
    writer: WriterDep,
    request: Request,
    response: Response,
) -> ProblemOut:
    """known_error, fixed (a note saying what fixed it; then watched), closed, or open."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.move(s, principal=principal, ref=ref, data=data, version=version)
    )
    return _tagged(response, out)


@router.post("/problems/{ref}/incidents", summary="Group incidents under a problem")
async def link_incidents(
    ref: str, data: IncidentsIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> ProblemOut:
    """Each incident's timeline says it was grouped under the problem."""
    out = await writer.run(
        lambda s: service.link_incidents(s, principal=principal, ref=ref, numbers=data.incidents)
    )
    return _tagged(response, out)


@router.delete("/problems/{ref}/incidents/{number}", summary="Take an incident out")
async def unlink_incident(
    ref: str, number: str, principal: CurrentUser, writer: WriterDep, response: Response
) -> ProblemOut:
    """For an incident grouped under the problem by mistake."""
    out = await writer.run(
        lambda s: service.unlink_incident(s, principal=principal, ref=ref, number=number)
    )
    return _tagged(response, out)


@router.post("/problems/{ref}/links", summary="Link an action, change record or document")
async def add_link(
    ref: str, data: LinkIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> ProblemOut:
    """A corrective action (its id), a change record (its number) or a document."""
    out = await writer.run(lambda s: service.add_link(s, principal=principal, ref=ref, data=data))
    return _tagged(response, out)


@router.delete("/problems/{ref}/links/{link_id}", summary="Remove a link")
async def remove_link(
    ref: str, link_id: int, principal: CurrentUser, writer: WriterDep, response: Response
) -> ProblemOut:
    """For a link added by mistake."""
    out = await writer.run(
        lambda s: service.remove_link(s, principal=principal, ref=ref, link_id=link_id)
    )
    return _tagged(response, out)
