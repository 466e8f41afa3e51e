"""JSON routes of post-incident reviews, corrective actions and the review policy.
Reads go to the reader; changes go to the writer, which answers after commit. A
review's and an action's ETag is its version: send it back in If-Match (412 if stale)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from murphy.reviews import service
from murphy.reviews.schemas import (
    ActionIn,
    ActionOut,
    ActionPatch,
    PolicyIn,
    PolicyOut,
    Reconstruction,
    ReturnIn,
    ReviewIn,
    ReviewOut,
    ReviewRow,
    ReviewStatus,
)
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep
from murphy.web.http import if_match, set_etag

router = APIRouter(prefix="/api/v1", tags=["reviews"])


@router.get("/review-policy", summary="Which incidents need a review")
async def get_policy(principal: CurrentUser, reader: ReaderDep, response: Response) -> PolicyOut:
    """Admins. Priorities and types (with their subtypes); major incidents always."""
    out = await reader.run(lambda s: service.policy(s, principal=principal))
    set_etag(response, out.version)
    return out


@router.put("/review-policy", summary="Change which incidents need a review")
async def put_policy(
    data: PolicyIn, principal: CurrentUser, writer: WriterDep, request: Request, response: Response
) -> PolicyOut:
    """Admins. Unknown type codes: 422. If-Match: 412 if it changed since."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.set_policy(s, principal=principal, data=data, expected_version=version)
    )
    set_etag(response, out.version)
    return out


@router.get("/incidents/{number}/review", summary="An incident's post-incident review")
async def get_review(
    number: str, principal: CurrentUser, reader: ReaderDep, response: Response
) -> ReviewOut:
    """The sections, who submitted and approved it, and its corrective actions."""
    out = await reader.run(lambda s: service.get(s, principal=principal, number=number))
    set_etag(response, out.version)
    return out


@router.post("/incidents/{number}/review", status_code=201, summary="Open a review")
async def open_review(
    number: str, principal: CurrentUser, writer: WriterDep, response: Response
) -> ReviewOut:
    """Reviewers. 409 if the incident already has one."""
    out = await writer.run(lambda s: service.open(s, principal=principal, number=number))
    set_etag(response, out.version)
    response.headers["Location"] = f"/api/v1/incidents/{out.number}/review"
    return out


@router.put("/incidents/{number}/review", summary="Write a draft review's sections")
async def put_review(
    number: str,
    data: ReviewIn,
    principal: CurrentUser,
    writer: WriterDep,
    request: Request,
    response: Response,
) -> ReviewOut:
    """Replaces every section of a draft (409 once submitted)."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.update(
            s, principal=principal, number=number, data=data, expected_version=version
        )
    )
    set_etag(response, out.version)
    return out


async def _move(
    number: str,
    action: str,
    principal: CurrentUser,
    writer: WriterDep,
    request: Request,
    response: Response,
    reason: ReturnIn | None = None,
) -> ReviewOut:
    version = if_match(request)
    out = await writer.run(
        lambda s: service.move(
            s,
            principal=principal,
            number=number,
            action=action,
            reason=reason,
            expected_version=version,
        )
    )
    set_etag(response, out.version)
    return out


@router.post("/incidents/{number}/review/submit", summary="Submit a review for approval")
async def submit(
    number: str, principal: CurrentUser, writer: WriterDep, request: Request, response: Response
) -> ReviewOut:
    """Needs a summary and a root cause."""
    return await _move(number, "submit", principal, writer, request, response)


@router.post("/incidents/{number}/review/approve", summary="Approve a review")
async def approve(
    number: str, principal: CurrentUser, writer: WriterDep, request: Request, response: Response
) -> ReviewOut:
    """Supervisors and admins; not the review's only author."""
    return await _move(number, "approve", principal, writer, request, response)


@router.post("/incidents/{number}/review/return", summary="Return a review to draft")
async def return_review(
    number: str,
    data: ReturnIn,
    principal: CurrentUser,
    writer: WriterDep,
    request: Request,
    response: Response,
) -> ReviewOut:
    """Supervisors and admins, with a reason."""
    return await _move(number, "return", principal, writer, request, response, data)


@router.get("/incidents/{number}/review/timeline", summary="The rebuilt timeline")
async def reconstruction(number: str, principal: CurrentUser, reader: ReaderDep) -> Reconstruction:
    """Milestones after the report, gaps in the log, who did what when, the clocks."""
    return await reader.run(lambda s: service.reconstruct(s, principal=principal, number=number))


@router.get("/incidents/{number}/review/actions", summary="A review's corrective actions")
async def list_review_actions(
    number: str, principal: CurrentUser, reader: ReaderDep
) -> list[ActionOut]:
    """By due date."""
    return await reader.run(lambda s: service.actions(s, principal=principal, number=number))


@router.post(
    "/incidents/{number}/review/actions", status_code=201, summary="Add a corrective action"
)
async def add_action(
    number: str, data: ActionIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> ActionOut:
    """Reviewers. The owner must be an active user."""
    out = await writer.run(
        lambda s: service.add_action(s, principal=principal, number=number, data=data)
    )
    set_etag(response, out.version)
    return out


@router.patch("/review-actions/{action_id}", summary="Update a corrective action")
async def patch_action(
    action_id: int,
    data: ActionPatch,
    principal: CurrentUser,
    writer: WriterDep,
    request: Request,
    response: Response,
) -> ActionOut:
    """The owner or a reviewer: open → in_progress → done (or cancelled, with a reason)."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.patch_action(
            s, principal=principal, action_id=action_id, data=data, expected_version=version
        )
    )
    set_etag(response, out.version)
    return out


@router.get("/reviews", summary="Reviews")
async def list_reviews(
    principal: CurrentUser,
    reader: ReaderDep,
    status: Annotated[ReviewStatus | None, Query()] = None,
) -> list[ReviewRow]:
    """Submitted first (to approve), then drafts, then approved."""
    return await reader.run(lambda s: service.list_reviews(s, principal=principal, status=status))


@router.get("/review-actions", summary="Corrective actions")
async def list_actions(
    principal: CurrentUser,
    reader: ReaderDep,
    owner: Annotated[str | None, Query(description="`me` for the caller's own")] = None,
    overdue: bool = False,
) -> list[ActionOut]:
    """Mine first, then by due date; `overdue=true` for those past due and not done."""
    return await reader.run(
        lambda s: service.list_actions(s, principal=principal, mine=owner == "me", overdue=overdue)
    )
