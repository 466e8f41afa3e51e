"""Pages of bans: the front desk's lookup (`/bans`: one search box, "Is this person banned
here?", the site preselected), one ban (`/bans/{id}`, the view of the person's record
logged) with the Lift form, and the form that issues one (`/bans/new?subject=&incident=`,
from a person's page). A refused form comes back with its error and what was typed."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import Field
from sqlalchemy.orm import Session

from murphy.bans import rules, service
from murphy.bans.schemas import (
    KIND_LABELS,
    SERVED_LABELS,
    BanIn,
    BanKind,
    BanStatus,
    LiftIn,
)
from murphy.core.clock import parse_date, utcnow, zone
from murphy.core.errors import MurphyError, ValidationFailed
from murphy.sites import service as sites_service
from murphy.subjects import service as subjects_service
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import PageUser, SessionDep, WriterDep, check_csrf
from murphy.web.forms import FormModel, plain, render, validated, version

router = APIRouter(include_in_schema=False)

LABELS = {
    "kind": "Kind",
    "reason": "Reason",
    "conditions": "Conditions",
    "sites": "Sites",
    "starts_at": "Starts",
    "ends_at": "Ends",
    "served_how": "Served how",
    "served_by": "Served by",
}
WORDS = {
    "sites": "Sites",
    "ends_at": "Ends",
    "starts_at": "Starts",
    "served_how": "Served how",
    "served_at": "Served",
}


class BanForm(FormModel):
    """A ban as typed: dates in the first site's time zone, sites ticked."""

    subject: str = ""
    incident: str = ""
    kind: str = "ban"
    reason: str = ""
    conditions: str = ""
    sites: list[str] = Field(default_factory=list)
    starts: str = ""
    ends: str = ""
    served_how: str = ""
    served_by: str = ""


class LiftForm(FormModel):
    """Lift a ban: why, and the version the page showed."""

    reason: str = ""
    version: str = ""


@router.get("/bans")
def lookup_page(
    request: Request, session: SessionDep, principal: PageUser, q: str = "", site: str = ""
) -> Response:
    """Is this person banned here? One box: a name or an ID number."""
    service.require_reader(principal)
    sites = sites_service.visible(session, principal=principal)
    chosen = next((s for s in sites if s.code == site.strip().upper()), None)
    here = chosen or (sites[0] if sites else None)
    answer = None
    if q.strip() and here is not None:
        answer = service.check(session, principal=principal, q=q[:200], site=here.code)
    active = (
        service.list(session, principal=principal, site=here.code, status=BanStatus.ACTIVE)
        if here is not None
        else []
    )
    context = {
        "nav": "bans",
        "q": q,
        "sites": sites,
        "here": here,
        "tz": here.timezone if here else "UTC",
        "answer": answer,
        "active": active,
        "can_issue": principal.can(Permission.ISSUE_BAN),
    }
    return render(request, "bans.html", context)


@router.get("/bans/new")
def new_page(
    request: Request, session: SessionDep, principal: PageUser, subject: int, incident: str
) -> Response:
    """The form that bans a person because of an incident."""
    service.require_issuer(principal)
    form = BanForm(subject=str(subject), incident=incident)
    return _form(request, session, principal, form)


@router.post("/bans")
def create_ban(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[BanForm, Form()],
) -> Response:
    """Issue the ban; to its page."""
    check_csrf(request, form.csrf_token)
    service.require_issuer(principal)
    try:
        out = service.create(session, principal=principal, data=_ban_in(session, principal, form))
    except MurphyError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        return _form(request, session, principal, form, plain(exc.detail, WORDS), exc.status)
    return RedirectResponse(f"/bans/{out.id}?issued=1", status_code=303)


@router.get("/bans/person/{subject_id}")
def person_bans(
    subject_id: int, request: Request, session: SessionDep, principal: PageUser
) -> Response:
    """The bans line of a person's page (fetched by bans.js): empty when none."""
    bans = service.of_person(session, principal=principal, subject_id=subject_id)
    sites = {code for b in bans for code in b.sites}
    site = sites_service.get(session, code=min(sites)) if sites else None
    context = {"bans": bans, "tz": site.timezone if site else "UTC", "kinds": KIND_LABELS}
    return render(request, "_subject_bans.html", context)


@router.get("/bans/{ban_id}.pdf")
async def notice_pdf(ban_id: int, principal: PageUser, writer: WriterDep) -> Response:
    """The printable notice: one page to hand over or post (the view is logged)."""
    data = await writer.run(lambda s: service.notice(s, principal=principal, ban_id=ban_id))
    headers = {"Content-Disposition": f'inline; filename="ban-{ban_id}.pdf"'}
    return Response(data, media_type="application/pdf", headers=headers)


@router.get("/bans/{ban_id}")
async def ban_page(
    ban_id: int, request: Request, principal: PageUser, writer: WriterDep, issued: str = ""
) -> Response:
    """One ban: who, where, until when, why, the conditions; Lift for supervisors."""
    out = await writer.run(lambda s: _detail(s, principal, ban_id))
    return render(request, "ban.html", {**out, "issued": bool(issued)})


@router.post("/bans/{ban_id}/lift")
def lift_ban(
    ban_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[LiftForm, Form()],
) -> Response:
    """Lift it now, with a reason; back to its page."""
    check_csrf(request, form.csrf_token)
    service.require_issuer(principal)
    try:
        data = validated(LiftIn, {"reason": "Reason"}, reason=form.reason)
        service.lift(
            session, principal=principal, ban_id=ban_id, data=data, version=version(form.version)
        )
    except MurphyError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        context = {**_detail(session, principal, ban_id), "lift_error": exc.detail, "lift": form}
        return render(request, "ban.html", context, exc.status)
    return RedirectResponse(f"/bans/{ban_id}", status_code=303)


def _detail(session: Session, principal: Principal, ban_id: int) -> dict[str, Any]:
    """The ban page's context (the view logged)."""
    ban = service.get(session, principal=principal, ban_id=ban_id, how="page")
    site = sites_service.get(session, code=ban.sites[0]) if ban.sites else None
    return {
        "nav": "bans",
        "b": ban,
        "tz": site.timezone if site else "UTC",
        "kinds": KIND_LABELS,
        "served": SERVED_LABELS,
        "can_lift": principal.can(Permission.ISSUE_BAN)
        and ban.status in (BanStatus.ACTIVE, BanStatus.UPCOMING),
    }


def _form(
    request: Request,
    session: Session,
    principal: Principal,
    form: BanForm,
    error: str = "",
    status: int = 200,
) -> Response:
    """The new ban form, with the person's name (a record the caller may see)."""
    subject_id = int(form.subject) if form.subject.strip().isdigit() else 0
    name = subjects_service.person_for(session, principal=principal, subject_id=subject_id)
    context = {
        "nav": "bans",
        "form": form,
        "name": name,
        "sites": sites_service.visible(session, principal=principal),
        "kinds": KIND_LABELS,
        "served": SERVED_LABELS,
        "error": error,
    }
    return render(request, "ban_new.html", context, status)


def _ban_in(session: Session, principal: Principal, form: BanForm) -> BanIn:
    """The form as the API's input: dates read in the first ticked site's zone, a ban
    starting at the start of its day (today: now) and ending at the end of its last."""
    first = sites_service.get(session, code=form.sites[0]) if form.sites else None
    starts_at, ends_at = _days(form, zone(first.timezone if first else "UTC"))
    fields: dict[str, Any] = {
        "subject_id": form.subject,
        "incident": form.incident,
        "kind": form.kind,
        "reason": form.reason,
        "conditions": form.conditions,
        "sites": form.sites,
        "starts_at": starts_at,
        "ends_at": ends_at,
    }
    if form.kind == BanKind.TRESPASS.value:
        fields["served_how"] = form.served_how or None
        fields["served_by"] = form.served_by
    return validated(BanIn, LABELS, **fields)


def _days(form: BanForm, tz: ZoneInfo) -> tuple[datetime | None, datetime]:
    """The start (None: now, also for today) and the end (23:59 of the last day) in `tz`."""
    first = parse_date(form.starts, "Starts") if form.starts.strip() else None
    if not form.ends.strip():
        raise ValidationFailed("Ends: give the last day of the ban")
    last = parse_date(form.ends, "Ends")
    return rules.days_period(first, last, tz, utcnow().astimezone(tz).date())
