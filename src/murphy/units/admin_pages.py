"""HTML routes for the units admin page (`/admin/units`): every unit of the caller's sites,
active or not, with its kind, home site, skills, members, shift and status; add a unit;
change a unit's name, kind, home site, skills and members, or deactivate it (and bring it
back). Supervisors and admins (those who manage units). Each form calls the same service
as the JSON API; a bad form changes nothing and says what is wrong, with what was typed.
"""

from __future__ import annotations

import re
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError, PermissionDenied
from murphy.sites import service as sites_service
from murphy.units import rules, service
from murphy.units.schemas import UnitIn, UnitKind, UnitOut, UnitUpdate
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, comma_list, render, validated

router = APIRouter(include_in_schema=False)

PATH = "/admin/units"
LABELS = {
    "callsign": "Callsign",
    "name": "Name",
    "kind": "Kind",
    "site": "Home site",
    "skills": "Skills",
    "members": "Members",
}


class UnitForm(FormModel):
    """A unit as the page's forms post it (skills and members comma-separated)."""

    callsign: str = ""
    name: str = ""
    kind: str = UnitKind.OFFICER.value
    site: str = ""
    skills: str = ""
    members: str = ""
    active: str = ""


# --- routes ----------------------------------------------------------------------------


@router.get(PATH)
def units_page(
    request: Request, session: SessionDep, principal: PageUser, saved: str = ""
) -> Response:
    """Every unit of my sites, active or not, and the form to add one."""
    _admin(principal)
    return _list(request, session, principal, saved=saved)


@router.post(PATH)
def add_unit(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[UnitForm, Form()],
) -> Response:
    """Add a unit at its home site, with its skills and members."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    try:
        unit = service.create(session, principal=principal, data=_new(form))
    except MurphyError as exc:
        session.rollback()
        return _list(
            request,
            session,
            principal,
            form=form,
            error=exc.detail,
            error_title="Unit not added: nothing was saved",
            status=exc.status,
        )
    return _saved(unit.callsign)


@router.get(f"{PATH}/{{callsign}}")
def unit_page(
    callsign: str, request: Request, session: SessionDep, principal: PageUser
) -> Response:
    """One unit's settings, to change them or to deactivate the unit."""
    _admin(principal)
    unit = service.get(session, principal=principal, callsign=callsign)
    return _one(request, session, principal, unit)


@router.post(f"{PATH}/{{callsign}}")
def edit_unit(
    callsign: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[UnitForm, Form()],
) -> Response:
    """Change a unit's name, kind, home site, skills and members (the whole list), or
    deactivate it (never deleted: incidents keep it) or activate it again."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    unit = service.get(session, principal=principal, callsign=callsign)  # else the 404 page
    try:
        data = validated(
            UnitUpdate,
            LABELS,
            name=form.name,
            kind=form.kind,
            site=None if form.site == unit.site else form.site,  # unchanged: not re-checked
            skills=comma_list(form.skills),
            members=_members(form.members),
            active=form.active == "on",
        )
        service.update(session, principal=principal, callsign=unit.callsign, data=data)
    except MurphyError as exc:
        session.rollback()
        return _one(
            request,
            session,
            principal,
            unit,
            form=form,
            error=exc.detail,
            error_title=f"{unit.callsign} not changed: nothing was saved",
            status=exc.status,
        )
    return _saved(unit.callsign)


# --- reading the form --------------------------------------------------------------------


def _new(form: UnitForm) -> UnitIn:
    """The new unit the form describes, or ValidationFailed in words."""
    return validated(
        UnitIn,
        LABELS,
        callsign=form.callsign,
        name=form.name,
        kind=form.kind,
        site=form.site,
        skills=comma_list(form.skills),
        members=_members(form.members),
    )


def _members(text: str) -> list[str]:
    """User names separated by commas or spaces, each once, in the order typed."""
    return list(dict.fromkeys(n.lower() for n in re.split(r"[,\s]+", text) if n))


# --- the pages ---------------------------------------------------------------------------


def _admin(principal: Principal) -> None:
    if not principal.can(Permission.MANAGE_UNITS):
        raise PermissionDenied(f"your role ({principal.role.value}) may not manage units")


def _saved(callsign: str) -> Response:
    query = urlencode({"saved": callsign})
    return RedirectResponse(f"{PATH}?{query}#unit-{callsign}", status_code=303)


def _list(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    form: UnitForm | None = None,
    error: str = "",
    error_title: str = "",
    status: int = 200,
    saved: str = "",
) -> Response:
    sites = sites_service.visible(session, principal=principal)
    units = service.board(session, principal=principal, include_inactive=True)
    blank = UnitForm(site=sites[0].code if len(sites) == 1 else "")
    context = {
        **_common(sites, error, error_title),
        "units": units,
        "active": sum(1 for u in units if u.active),
        "form": form or blank,
        "kept": form is not None,
        "saved": saved if any(u.callsign == saved for u in units) else "",
    }
    return render(request, "admin_units.html", context, status)


def _one(
    request: Request,
    session: Session,
    principal: Principal,
    unit: UnitOut,
    *,
    form: UnitForm | None = None,
    error: str = "",
    error_title: str = "",
    status: int = 200,
) -> Response:
    sites = sites_service.visible(session, principal=principal)
    current = UnitForm(
        callsign=unit.callsign,
        name=unit.name,
        kind=unit.kind.value,
        site=unit.site,
        skills=", ".join(unit.skills),
        members=", ".join(sorted(unit.members)),
        active="on" if unit.active else "",
    )
    context = {
        **_common(sites, error, error_title),
        "unit": unit,
        "form": form or current,
        "kept": form is not None,
    }
    return render(request, "admin_unit.html", context, status)


def _common(sites: list[sites_service.SiteRow], error: str, error_title: str) -> dict[str, Any]:
    """What both pages show: the menu entry, the choices, the error of the last post."""
    return {
        "nav": "admin_units",
        "sites": sites,
        "site_names": {s.code: s.name for s in sites},
        "kinds": rules.KIND_CHOICES,
        "kind_labels": rules.KIND_LABELS,
        "unit_labels": rules.LABELS,
        "error": error,
        "error_title": error_title,
    }
