"""HTML routes to dispatch from the incident page: send a unit (primary or assisting,
reassigning it if need be), record a unit's status from the radio, clear it, and request
and track further resources. Each calls the same service as the JSON API.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from murphy.core.errors import MurphyError
from murphy.incidents import rules
from murphy.incidents.pages_shared import checked, failed, see
from murphy.units import service as units_service
from murphy.units.schemas import ClearIn, DispatchIn, ResourceIn, ResourceUpdate, StatusIn
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel

router = APIRouter(include_in_schema=False)

FORMS = ("units", "resources")


class DispatchForm(FormModel):
    """Send a unit."""

    unit: str = ""
    role: str = ""
    reassign: str = ""


class UnitStatusForm(FormModel):
    """A unit's status as it reported it on the radio, or clearing it."""

    status: str = ""
    reason: str = ""


class ResourceForm(FormModel):
    """Ask for a resource, or move one on."""

    kind: str = ""
    what: str = ""
    note: str = ""
    status: str = ""
    reference: str = ""


def _back(number: str) -> Response:
    return see(rules.parse_number(number) or number, anchor="units")


@router.post("/incidents/{number}/units")
def dispatch(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[DispatchForm, Form()],
) -> Response:
    """Send a unit to the incident."""
    check_csrf(request, form.csrf_token)
    try:
        data = checked(
            DispatchIn, unit=form.unit, role=form.role or None, reassign=form.reassign == "on"
        )
        units_service.dispatch(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Unit not sent", dispatch=form)
    return _back(number)


@router.post("/incidents/{number}/units/{callsign}/status")
def unit_status(
    number: str,
    callsign: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[UnitStatusForm, Form()],
) -> Response:
    """Record what a unit said on the radio: en route, on scene."""
    check_csrf(request, form.csrf_token)
    try:
        data = checked(StatusIn, status=form.status)
        units_service.set_status(session, principal=principal, callsign=callsign, data=data)
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, f"{callsign} not changed")
    return _back(number)


@router.post("/incidents/{number}/units/{callsign}/clear")
def clear(
    number: str,
    callsign: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[UnitStatusForm, Form()],
) -> Response:
    """Take a unit off the incident: it becomes available."""
    check_csrf(request, form.csrf_token)
    try:
        data = checked(ClearIn, reason=form.reason)
        units_service.clear(
            session, principal=principal, number=number, callsign=callsign, data=data
        )
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, f"{callsign} not cleared")
    return _back(number)


@router.post("/incidents/{number}/resources")
def request_resource(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[ResourceForm, Form()],
) -> Response:
    """Ask for equipment, an outside agency or more people."""
    check_csrf(request, form.csrf_token)
    try:
        data = checked(ResourceIn, kind=form.kind, what=form.what, note=form.note)
        units_service.request_resource(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Not requested", resource=form)
    return _back(number)


@router.post("/incidents/{number}/resources/{resource_id}")
def update_resource(
    number: str,
    resource_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[ResourceForm, Form()],
) -> Response:
    """A resource is on the way, has arrived, is released or cancelled."""
    check_csrf(request, form.csrf_token)
    try:
        data = checked(ResourceUpdate, status=form.status, reference=form.reference or None)
        units_service.update_resource(
            session, principal=principal, number=number, resource_id=resource_id, data=data
        )
    except MurphyError as exc:
        return failed(request, session, principal, number, exc, "Resource not updated")
    return _back(number)
