"""JSON routes for sites."""

from __future__ import annotations

from fastapi import APIRouter, Request, Response
from sqlalchemy.orm import Session

from murphy.core.errors import PermissionDenied
from murphy.sites import service
from murphy.sites.schemas import OutlineIn, PlanOut, SiteDetail, SiteIn, SiteOut, ZoneOut
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


# --- floor plans ------------------------------------------------------------------------

PLANS = "/api/v1/floor-plans"
UPLOADS = (f"{PLANS}/",)  # the larger upload limit applies (a plan may be 20 MiB)
plans = APIRouter(prefix=PLANS, tags=["sites"])
FLOOR = "/{site}/{building}/{floor}"


@plans.get(FLOOR, summary="A floor's plan picture", response_class=Response)
async def plan(
    site: str,
    building: str,
    floor: str,
    request: Request,
    principal: CurrentUser,
    reader: ReaderDep,
) -> Response:
    """The picture (PNG, JPEG or WebP) for security staff who see the site. Its URL in
    the site's detail carries a version, so a browser may keep it."""
    data, media_type, sha = await reader.run(
        lambda s: service.plan_picture(
            s, principal=principal, site=site, building_code=building, floor_code=floor
        )
    )
    headers = {"ETag": f'"{sha}"', "Cache-Control": "private, max-age=86400"}
    if request.headers.get("if-none-match") == headers["ETag"]:
        return Response(status_code=304, headers=headers)
    return Response(data, media_type=media_type, headers=headers)


@plans.put(FLOOR, summary="Upload or replace a floor's plan")
async def put_plan(
    site: str,
    building: str,
    floor: str,
    request: Request,
    principal: CurrentUser,
    writer: WriterDep,
) -> PlanOut:
    """The request body is the picture itself: PNG, JPEG or WebP, 100 to 12,000 pixels a
    side, at most 20 MiB; its metadata is stripped. Admins. A replacement of another size
    scales the zones' outlines with it."""
    upload = await request.body()
    return await writer.run(
        lambda s: service.set_plan(
            s,
            principal=principal,
            site=site,
            building_code=building,
            floor_code=floor,
            upload=upload,
        )
    )


@plans.delete(FLOOR, status_code=204, summary="Remove a floor's plan")
async def delete_plan(
    site: str, building: str, floor: str, principal: CurrentUser, writer: WriterDep
) -> Response:
    """Remove the plan and the zone outlines drawn on it. Admins."""
    await writer.run(
        lambda s: service.remove_plan(
            s, principal=principal, site=site, building_code=building, floor_code=floor
        )
    )
    return Response(status_code=204)


@router.put("/{code}/zones/{zone}/outline", summary="Draw a zone on its floor's plan")
async def put_outline(
    code: str, zone: str, data: OutlineIn, principal: CurrentUser, writer: WriterDep
) -> ZoneOut:
    """Corners in the plan picture's pixels from its top-left corner: 3 to 200, on the
    picture, enclosing some area. Admins."""
    return await writer.run(
        lambda s: service.set_outline(s, principal=principal, site=code, zone_code=zone, data=data)
    )


@router.delete("/{code}/zones/{zone}/outline", summary="Rub out a zone's outline")
async def delete_outline(
    code: str, zone: str, principal: CurrentUser, writer: WriterDep
) -> ZoneOut:
    """The zone stays; only its drawing goes. Admins."""
    return await writer.run(
        lambda s: service.set_outline(s, principal=principal, site=code, zone_code=zone, data=None)
    )
