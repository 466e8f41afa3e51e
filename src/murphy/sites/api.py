"""JSON routes for sites."""

from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from murphy.core.errors import PermissionDenied
from murphy.sites import service
from murphy.sites.schemas import SiteDetail, SiteIn, SiteOut
from murphy.users.schemas import Permission
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep

router = APIRouter(prefix="/api/v1/sites", tags=["sites"])


@router.get("", summary="List sites")
async def list_sites(principal: CurrentUser, reader: ReaderDep) -> list[SiteOut]:
    """The sites the caller may see."""
    sites = await reader.run(lambda s: service.visible(s, principal=principal))
    return [service.to_out(s) for s in sites]


@router.get("/{code}", summary="A site with its buildings, floors and zones")
async def get(code: str, principal: CurrentUser, reader: ReaderDep) -> SiteDetail:
    """One site and the places inside it."""

    def work(session: Session) -> SiteDetail:
        site = service.get_visible_or_raise(session, principal=principal, code=code)
        return service.detail(session, site=site)

    return await reader.run(work)


@router.post("", status_code=201, summary="Add a site")
async def create(data: SiteIn, principal: CurrentUser, writer: WriterDep) -> SiteOut:
    """Add a site (admins)."""
    if not principal.can(Permission.MANAGE_SITES):
        raise PermissionDenied("only admins may add sites")
    return await writer.run(lambda session: service.to_out(service.create(session, data=data)))
