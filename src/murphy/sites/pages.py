"""HTML routes for the places admin pages: a site's buildings, floors and zones, adding
them, and for each floor its plan: upload a picture, draw the zones on it.

Admins only. Every form calls the same service as the JSON API and the CLI; a refused
form changes nothing and says what is wrong, with what was typed kept.
"""

from __future__ import annotations

import json
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError, PermissionDenied, ValidationFailed
from murphy.sites import service
from murphy.sites.schemas import BuildingIn, FloorIn, OutlineIn, ZoneIn
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, render, validated

router = APIRouter(include_in_schema=False)

PATH = "/admin/places"
UPLOADS = (f"{PATH}/plan",)  # a plan picture is larger than other forms
LABELS = {
    "code": "Code",
    "name": "Name",
    "level": "Level",
    "latitude": "Latitude",
    "longitude": "Longitude",
    "building": "Building",
    "floor": "Floor",
    "points": "Outline",
}


class PlaceForm(FormModel):
    """A building, floor or zone to add (each form posts the fields it has)."""

    site: str = ""
    code: str = ""
    name: str = ""
    building: str = ""
    floor: str = ""
    level: str = "0"
    latitude: str = ""
    longitude: str = ""


class FloorForm(FormModel):
    """Which floor (remove its plan)."""

    site: str = ""
    building: str = ""
    floor: str = ""


class OutlineForm(FloorForm):
    """A zone's outline as the drawing script posts it: corners as JSON, or rub it out."""

    zone: str = ""
    points: str = ""
    clear: str = ""


@router.get(PATH)
def places_page(
    request: Request, session: SessionDep, principal: PageUser, site: str = "", saved: str = ""
) -> Response:
    """A site's buildings, floors (with their plans) and zones, and forms to add them."""
    _admin(principal)
    return _places(request, session, principal, site=site, saved=saved)


@router.post(f"{PATH}/buildings")
def add_building(
    request: Request, session: SessionDep, principal: PageUser, form: Annotated[PlaceForm, Form()]
) -> Response:
    """Add a building to the site."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    try:
        row = service.get_visible_or_raise(session, principal=principal, code=form.site)
        data = validated(
            BuildingIn,
            LABELS,
            code=form.code,
            name=form.name,
            latitude=_number(form.latitude),
            longitude=_number(form.longitude),
        )
        b = service.add_building(session, site=row, data=data)
    except MurphyError as exc:
        return _refused(request, session, principal, exc, form, "building")
    return _back(form.site, f"Building {b.code} added")


@router.post(f"{PATH}/floors")
def add_floor(
    request: Request, session: SessionDep, principal: PageUser, form: Annotated[PlaceForm, Form()]
) -> Response:
    """Add a floor to one of the site's buildings."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    try:
        row = service.get_visible_or_raise(session, principal=principal, code=form.site)
        if not form.building:
            raise ValidationFailed("choose the building the floor is in")
        b = service.building(session, site=row, code=form.building)
        data = validated(FloorIn, LABELS, code=form.code, name=form.name, level=form.level or 0)
        f = service.add_floor(session, building=b, data=data)
    except MurphyError as exc:
        return _refused(request, session, principal, exc, form, "floor")
    return _back(form.site, f"Floor {b.code}/{f.code} added")


@router.post(f"{PATH}/zones")
def add_zone(
    request: Request, session: SessionDep, principal: PageUser, form: Annotated[PlaceForm, Form()]
) -> Response:
    """Add a zone: outdoors, in a building, or on one of its floors (`BUILDING/FLOOR`)."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    building, _, floor = form.floor.partition("/")  # BUILDING/FLOOR, or empty: outdoors
    try:
        row = service.get_visible_or_raise(session, principal=principal, code=form.site)
        data = validated(
            ZoneIn,
            LABELS,
            code=form.code,
            name=form.name,
            building=building or None,
            floor=floor or None,
            latitude=_number(form.latitude),
            longitude=_number(form.longitude),
        )
        z = service.add_zone(session, site=row, data=data)
    except MurphyError as exc:
        return _refused(request, session, principal, exc, form, "zone")
    return _back(form.site, f"Zone {z.code} added")


@router.get(f"{PATH}/plan")
def plan_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    site: str = "",
    building: str = "",
    floor: str = "",
    saved: str = "",
) -> Response:
    """One floor: its plan, and the zones on it to draw."""
    _admin(principal)
    return _plan_page(request, session, principal, site, building, floor, saved=saved)


@router.post(f"{PATH}/plan")
def upload_plan(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    plan: Annotated[UploadFile, File()],
    site: Annotated[str, Form()] = "",
    building: Annotated[str, Form()] = "",
    floor: Annotated[str, Form()] = "",
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Upload or replace the floor's plan picture."""
    check_csrf(request, csrf_token)
    _admin(principal)
    try:
        raw = plan.file.read(service.MAX_PLAN_BYTES + 1)
        if not raw:
            raise ValidationFailed("choose a picture of the floor plan (PNG, JPEG or WebP)")
        service.set_plan(
            session,
            principal=principal,
            site=site,
            building_code=building,
            floor_code=floor,
            upload=raw,
        )
    except MurphyError as exc:
        return _plan_refused(request, session, principal, site, building, floor, exc)
    return _plan_back(site, building, floor, "Plan saved")


@router.post(f"{PATH}/plan/delete")
def delete_plan(
    request: Request, session: SessionDep, principal: PageUser, form: Annotated[FloorForm, Form()]
) -> Response:
    """Remove the floor's plan and the outlines drawn on it."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    try:
        service.remove_plan(
            session,
            principal=principal,
            site=form.site,
            building_code=form.building,
            floor_code=form.floor,
        )
    except MurphyError as exc:
        return _plan_refused(request, session, principal, form.site, form.building, form.floor, exc)
    return _plan_back(form.site, form.building, form.floor, "Plan removed")


@router.post(f"{PATH}/outline")
def save_outline(
    request: Request, session: SessionDep, principal: PageUser, form: Annotated[OutlineForm, Form()]
) -> Response:
    """Save the corners drawn for a zone, or rub its outline out."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    try:
        data = None if form.clear else validated(OutlineIn, LABELS, points=_points(form.points))
        z = service.set_outline(
            session, principal=principal, site=form.site, zone_code=form.zone, data=data
        )
    except MurphyError as exc:
        return _plan_refused(request, session, principal, form.site, form.building, form.floor, exc)
    what = f"{z.name} rubbed out" if form.clear else f"{z.name} drawn"
    return _plan_back(form.site, form.building, form.floor, what)


# --- helpers ----------------------------------------------------------------------------


def _admin(principal: Principal) -> None:
    if not principal.can(Permission.MANAGE_SITES):
        raise PermissionDenied(f"your role ({principal.role.value}) may not manage places")


def _number(text: str) -> str | None:
    """An optional number field: empty is None; the model checks the rest."""
    return text.strip() or None


def _points(text: str) -> Any:
    """The drawing script's corners: a JSON list of [x, y]."""
    try:
        return json.loads(text or "[]")
    except ValueError:
        raise ValidationFailed("the outline did not arrive whole: draw it again") from None


def _back(site: str, saved: str) -> Response:
    query = urlencode({"site": site.strip().upper(), "saved": saved})
    return RedirectResponse(f"{PATH}?{query}", status_code=303)


def _plan_back(site: str, building: str, floor: str, saved: str) -> Response:
    query = urlencode({"site": site, "building": building, "floor": floor, "saved": saved})
    return RedirectResponse(f"{PATH}/plan?{query}", status_code=303)


def _refused(
    request: Request,
    session: Session,
    principal: Principal,
    exc: MurphyError,
    form: PlaceForm,
    which: str,
) -> Response:
    """Undo the attempt; the page again with what went wrong and what was typed."""
    session.rollback()
    return _places(
        request,
        session,
        principal,
        site=form.site,
        error=exc.detail,
        which=which,
        form=form,
        status=exc.status,
    )


def _plan_refused(
    request: Request,
    session: Session,
    principal: Principal,
    site: str,
    building: str,
    floor: str,
    exc: MurphyError,
) -> Response:
    """Undo the attempt; the floor's page again with what went wrong."""
    session.rollback()
    return _plan_page(
        request, session, principal, site, building, floor, error=exc, status=exc.status
    )


def _places(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    site: str,
    saved: str = "",
    error: str = "",
    which: str = "",
    form: PlaceForm | None = None,
    status: int = 200,
) -> Response:
    sites = service.visible(session, principal=principal)
    if not sites:
        raise ValidationFailed("you see no site: add one with `murphy site add`")
    chosen = next((s for s in sites if s.code == site.strip().upper()), sites[0])
    detail = service.detail(session, site=chosen)
    context = {
        "nav": "places",
        "sites": sites,
        "site": chosen,
        "detail": detail,
        "saved": saved,
        "error": error,
        "which": which,
        "form": form or PlaceForm(site=chosen.code),
    }
    return render(request, "places.html", context, status=status)


def _plan_page(
    request: Request,
    session: Session,
    principal: Principal,
    site: str,
    building: str,
    floor: str,
    *,
    saved: str = "",
    error: MurphyError | None = None,
    status: int = 200,
) -> Response:
    row = service.get_visible_or_raise(session, principal=principal, code=site)
    b, f = service.floor_at(session, site=row, building_code=building, floor_code=floor)
    plan = service.plan_of(site=row, building=b, floor=f)
    zones = service.zones_on(session, f.id)
    drawn = [
        {"code": z.code, "name": z.name, "outline": list(z.outline)} for z in zones if z.outline
    ]
    context = {
        "nav": "places",
        "site": row,
        "building": b,
        "floor": f,
        "plan": plan,
        "zones": zones,
        "drawn": json.dumps(drawn),
        "saved": saved,
        "error": error.detail if error else "",
    }
    return render(request, "floor_plan.html", context, status=status if error else 200)
