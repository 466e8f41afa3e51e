"""JSON routes for bans and trespass notices: issue, read, list, lift, and the front
desk's check ("is this person banned here?")."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request, Response

from murphy.bans import service
from murphy.bans.schemas import BanIn, BanOut, BanStatus, CheckOut, LiftIn
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep
from murphy.web.http import if_match, set_etag

router = APIRouter(prefix="/api/v1/bans", tags=["bans"])


def _tagged(response: Response, out: BanOut) -> BanOut:
    set_etag(response, out.version)
    return out


@router.get("/check", summary="Is this person banned here?")
async def check_ban(
    principal: CurrentUser,
    reader: ReaderDep,
    q: Annotated[str, Query(min_length=1, max_length=200, description="a name or ID number")],
    site: Annotated[str, Query(min_length=1, max_length=40, description="where you are")],
) -> CheckOut:
    """Each person found by the start of their name's words or an exact ID number who has
    a ban covering one of your sites, with the verdict at `site`; nobody else is shown."""
    return await reader.run(lambda s: service.check(s, principal=principal, q=q, site=site))


@router.post("", status_code=201, summary="Ban a person or serve a trespass notice")
async def create_ban(
    data: BanIn, principal: CurrentUser, writer: WriterDep, response: Response
) -> BanOut:
    """Supervisors and admins; the person is linked to the incident as "subject"."""
    out = await writer.run(lambda s: service.create(s, principal=principal, data=data))
    response.headers["Location"] = f"/api/v1/bans/{out.id}"
    return _tagged(response, out)


@router.get("", summary="Bans of your sites")
async def list_bans(
    principal: CurrentUser,
    reader: ReaderDep,
    site: Annotated[str | None, Query(max_length=40)] = None,
    status: BanStatus | None = None,
) -> list[BanOut]:
    """Those covering one of your sites (or `site`), e.g. `?status=active`."""
    return await reader.run(
        lambda s: service.list(s, principal=principal, site=site, status=status)
    )


@router.get("/{ban_id}", summary="One ban")
async def get_ban(
    ban_id: int, principal: CurrentUser, writer: WriterDep, response: Response
) -> BanOut:
    """The view of the person's record is logged."""
    out = await writer.run(lambda s: service.get(s, principal=principal, ban_id=ban_id))
    return _tagged(response, out)


@router.post("/{ban_id}/lift", summary="Lift a ban")
async def lift_ban(
    ban_id: int,
    data: LiftIn,
    principal: CurrentUser,
    writer: WriterDep,
    request: Request,
    response: Response,
) -> BanOut:
    """With a reason; a stale If-Match answers 412, a ban lifted or ended already 409."""
    version = if_match(request)
    out = await writer.run(
        lambda s: service.lift(s, principal=principal, ban_id=ban_id, data=data, version=version)
    )
    return _tagged(response, out)
