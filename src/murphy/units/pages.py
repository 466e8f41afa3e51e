"""HTML routes for units: the officer's phone view (`/officer`) and the unit board
(`/units`). Both are live: the server's event stream says when to fetch them again.

The officer's view does one thing at a time, one-handed: the assignment with its
acknowledge and status buttons, a note or photo for it, resolving on the scene; with
no assignment, the unit's status and shift; always a way to report something new and
the unit's recent incidents. Each form calls the same service as the JSON API.
"""

from __future__ import annotations

from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.bolos import service as bolos_service
from murphy.core.errors import MurphyError, ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.incidents import wording
from murphy.incidents.schemas import (
    IncidentQuery,
    NoteIn,
    ResolutionCode,
    Sort,
    Status,
    TransitionIn,
)
from murphy.sites import service as sites_service
from murphy.units import rules, service
from murphy.units.schemas import DutyIn, PositionIn, StatusIn, UnitOut, UnitStatus
from murphy.users.schemas import Permission, Principal
from murphy.web import forms
from murphy.web.deps import PageUser, SessionDep, SettingsDep, check_csrf
from murphy.web.forms import FormModel, render, validated

router = APIRouter(include_in_schema=False)

OFFICER = "/officer"
UPLOADS = (f"{OFFICER}/notes",)  # a phone's photo is larger than other forms
LABELS = {"status": "Status", "body": "Note", "resolution_code": "Resolution", "reason": "Summary"}
# The resolutions in the words the incident pages use, in the order an officer on the
# scene reaches for them.
RESOLUTIONS = {
    code: wording.RESOLUTIONS[code]
    for code in (
        ResolutionCode.RESOLVED,
        ResolutionCode.FALSE_ALARM,
        ResolutionCode.UNFOUNDED,
        ResolutionCode.REFERRED_POLICE,
        ResolutionCode.REFERRED_EXTERNAL,
        ResolutionCode.NO_FURTHER_ACTION,
    )
}
# The board's order: who can be sent first, then who is working, then the rest.
BOARD_ORDER = (
    UnitStatus.AVAILABLE,
    UnitStatus.DISPATCHED,
    UnitStatus.EN_ROUTE,
    UnitStatus.ON_SCENE,
    UnitStatus.BUSY,
    UnitStatus.OUT_OF_SERVICE,
)


class StatusForm(FormModel):
    """One status button."""

    status: str = ""
    note: str = ""


class DutyForm(FormModel):
    """Start or end the shift."""

    on_duty: str = ""


class AckForm(FormModel):
    """Acknowledge the assignment."""

    number: str = ""


class PositionForm(FormModel):
    """A GPS fix from the browser, or a zone picked from the list."""

    latitude: str = ""
    longitude: str = ""
    accuracy: str = ""
    zone: str = ""


class ResolveForm(FormModel):
    """Resolve on the scene."""

    number: str = ""
    resolution_code: str = ""
    reason: str = ""


# --- officer ----------------------------------------------------------------------------


@router.get(OFFICER)
def officer(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """My unit, my assignment, my recent incidents."""
    return _officer_page(request, session, principal)


@router.post(f"{OFFICER}/status")
def officer_status(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[StatusForm, Form()],
) -> Response:
    """One tap: en route, on scene, available, busy, out of service."""
    check_csrf(request, form.csrf_token)
    try:
        unit = _my_unit(session, principal)
        data = validated(StatusIn, LABELS, status=form.status, note=form.note)
        service.set_status(session, principal=principal, callsign=unit.callsign, data=data)
    except MurphyError as exc:
        return _officer_failed(request, session, principal, exc, "Status not changed")
    return _back()


@router.post(f"{OFFICER}/duty")
def officer_duty(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[DutyForm, Form()],
) -> Response:
    """Start or end the shift."""
    check_csrf(request, form.csrf_token)
    try:
        unit = _my_unit(session, principal)
        data = DutyIn(on_duty=form.on_duty == "on")
        service.set_duty(session, principal=principal, callsign=unit.callsign, data=data)
    except MurphyError as exc:
        return _officer_failed(request, session, principal, exc, "Shift not changed")
    return _back()


@router.post(f"{OFFICER}/acknowledge")
def officer_acknowledge(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[AckForm, Form()],
) -> Response:
    """I have seen the assignment."""
    check_csrf(request, form.csrf_token)
    try:
        unit = _my_unit(session, principal)
        service.acknowledge(
            session, principal=principal, number=form.number, callsign=unit.callsign
        )
    except MurphyError as exc:
        return _officer_failed(request, session, principal, exc, "Not acknowledged")
    return _back()


@router.post(f"{OFFICER}/position")
def officer_position(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[PositionForm, Form()],
) -> Response:
    """Where I am: the browser's GPS fix (sent by the page, with consent) or a zone."""
    check_csrf(request, form.csrf_token)
    try:
        unit = _my_unit(session, principal)
        if form.zone:
            data = PositionIn(zone=form.zone)
        else:
            data = validated(
                PositionIn,
                LABELS,
                latitude=form.latitude or None,
                longitude=form.longitude or None,
                accuracy_m=form.accuracy or None,
            )
        service.report_position(session, principal=principal, callsign=unit.callsign, data=data)
    except MurphyError as exc:
        if request.headers.get("x-requested-with") == "fetch":
            session.rollback()
            return Response(exc.detail, status_code=exc.status, media_type="text/plain")
        return _officer_failed(request, session, principal, exc, "Position not saved")
    if request.headers.get("x-requested-with") == "fetch":
        return Response(status_code=204)
    return _back()


@router.post(f"{OFFICER}/notes")
async def officer_note(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """A note and/or photos for my assignment's incident (multipart)."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    number = str(form.get("number") or "")
    body = str(form.get("body") or "").strip()
    photos = await forms.photos(request, incidents_service.MAX_PHOTO_BYTES)
    try:
        if not body and not photos:
            raise ValidationFailed("write a note or choose a photo")
        if body:
            data = validated(NoteIn, LABELS, body=body)
            incidents_service.add_note(session, principal=principal, number=number, data=data)
        if photos:
            incidents_service.add_photos(session, principal=principal, number=number, photos=photos)
    except MurphyError as exc:
        return _officer_failed(request, session, principal, exc, "Not added", note=body)
    return _back("added")


@router.post(f"{OFFICER}/resolve")
def officer_resolve(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[ResolveForm, Form()],
) -> Response:
    """Resolve the incident on the scene with a resolution and a summary; every unit on
    it is cleared with its times."""
    check_csrf(request, form.csrf_token)
    try:
        if not form.reason.strip():
            raise ValidationFailed("write a short summary of what was found and done")
        data = validated(
            TransitionIn,
            LABELS,
            to=Status.RESOLVED,
            resolution_code=form.resolution_code or None,
            reason=form.reason,
        )
        incidents_service.transition(session, principal=principal, number=form.number, data=data)
    except MurphyError as exc:
        return _officer_failed(
            request, session, principal, exc, "Not resolved", summary=form.reason
        )
    return _back("resolved")


# --- board ------------------------------------------------------------------------------


@router.get("/units")
def board(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """Every unit of my sites by status: who can be sent, who is busy with what."""
    units = service.board(session, principal=principal)
    on = [u for u in units if u.on_duty]
    groups = [(s, [u for u in on if u.status is s]) for s in BOARD_ORDER]
    context = {
        "nav": "units",
        "units": units,
        "groups": groups,
        "off_duty": [u for u in units if not u.on_duty],
        "on_duty": len(on),
        "unit_labels": rules.LABELS,
        "kinds": rules.KIND_LABELS,
        "titles": _titles(session, principal, units),
    }
    return render(request, "units.html", context)


BOARD_QUEUE = 40  # open incidents listed beside the map


@router.get("/board")
def control_board(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    settings: SettingsDep,
    site: str = "",
    floor: str = "",
) -> Response:
    """The control-room screen for one site: the open queue by priority with its
    countdowns, the units, and the map (live): the site's, or one floor's plan
    (`floor=BUILDING/FLOOR`)."""
    sites = sites_service.visible(session, principal=principal)
    if not sites:
        raise ValidationFailed("you see no site: ask an administrator for one")
    chosen = next((s for s in sites if s.code == site.strip().upper()), sites[0])
    query = IncidentQuery(
        status=[Status.NEW, Status.TRIAGED, Status.RESPONDING],
        site=[chosen.code],
        sort=Sort.PRIORITY,
        limit=BOARD_QUEUE,
    )
    queue = incidents_service.list(session, principal=principal, query=query)
    units = [u for u in service.board(session, principal=principal, site=chosen.code) if u.on_duty]
    floors = [
        (f"{b.code}/{f.code}", f"{b.name} · {f.name}")
        for b, f in sites_service.planned_floors(session, site=chosen)
    ]
    on_floor = next((key for key, _ in floors if key == floor.strip().upper()), None)
    if on_floor:
        building_code, _, floor_code = on_floor.partition("/")
        query_map = urlencode({"site": chosen.code, "building": building_code, "floor": floor_code})
        map_url = f"/api/v1/map/floor?{query_map}"
    else:
        map_url = f"/api/v1/map?{urlencode({'site': chosen.code})}"
    context = {
        "nav": "board",
        "floors": floors,
        "floor": on_floor,
        "map_url": map_url,
        "sites": sites,
        "site": chosen,
        "tz": chosen.timezone,
        "queue": queue.items,
        "more": queue.next_cursor is not None,
        "units": units,
        "tally": [(s, sum(1 for u in units if u.status is s)) for s in BOARD_ORDER],
        "unit_labels": rules.LABELS,
        "titles": _titles(session, principal, units),
        "tiles": settings.map_tile_url,
        "attribution": settings.map_tile_attribution,
        "strip": bolos_service.strip(session, principal=principal, sites=[chosen.code]),
    }
    return render(request, "board.html", context)


# --- inside -----------------------------------------------------------------------------


def _my_unit(session: Session, principal: Principal) -> UnitOut:
    unit = service.mine(session, principal=principal)
    if unit is None:
        raise ValidationFailed("you are not in a unit: ask your supervisor to add you to one")
    return unit


def _back(done: str = "") -> Response:
    return RedirectResponse(f"{OFFICER}?done={done}" if done else OFFICER, 303)


def _officer_failed(
    request: Request,
    session: Session,
    principal: Principal,
    exc: MurphyError,
    title: str,
    **kept: str,
) -> Response:
    session.rollback()
    return _officer_page(
        request,
        session,
        principal,
        error=exc.detail,
        error_title=title,
        status=exc.status,
        kept=kept,
    )


def _officer_page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    error: str = "",
    error_title: str = "",
    status: int = 200,
    kept: dict[str, str] | None = None,
) -> Response:
    unit = service.mine(session, principal=principal)
    assignment = unit.assignment if unit else None
    recent = service.history(session, principal=principal, limit=8) if unit else []
    by_number = incidents_service.summaries(
        session,
        principal=principal,
        numbers=[a.incident for a in recent] + ([assignment.incident] if assignment else []),
    )
    current = by_number.get(assignment.incident) if assignment else None
    site = sites_service.get(session, code=unit.site) if unit else None
    context: dict[str, Any] = {
        "nav": "officer",
        "unit": unit,
        "assignment": assignment,
        "current": current,
        "recent": [
            (a, by_number.get(a.incident))
            for a in recent
            if not (assignment and a.incident == assignment.incident)
        ],
        "unit_labels": rules.LABELS,
        "resolutions": RESOLUTIONS,
        "can_resolve": principal.can(Permission.RESOLVE),
        "zones": _zones(session, site) if site else [],
        "tz": site.timezone if site else "UTC",
        "done": request.query_params.get("done", ""),
        "error": error,
        "error_title": error_title,
        "kept": kept or {},
        "strip": bolos_service.strip(
            session, principal=principal, sites=[unit.site] if unit else []
        ),
    }
    return render(request, "officer.html", context, status)


def _zones(session: Session, site: sites_service.SiteRow) -> list[tuple[str, str]]:
    """Zones and checkpoints of the unit's site as (code, label), for 'I am at'."""
    detail = sites_service.detail(session, site=site)
    out = []
    for b in detail.buildings:
        for f in b.floors:
            out += [(z.code, f"{z.name} · {b.name}, {f.name}") for z in f.zones]
        out += [(z.code, f"{z.name} · {b.name}") for z in b.zones]
    out += [(z.code, z.name) for z in detail.outdoor_zones]
    return out


def _titles(session: Session, principal: Principal, units: list[UnitOut]) -> dict[str, Any]:
    """The incident each unit is on, by number, as the queue shows it."""
    numbers = [u.assignment.incident for u in units if u.assignment]
    return dict(incidents_service.summaries(session, principal=principal, numbers=numbers))
