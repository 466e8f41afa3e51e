"""The BOLO pages: `/bolos` (the active notices as cards, for a phone), `/bolos/new` (the
form, with a photo), `/bolos/{id}` (one notice, its photo large, the cancel form) and
`/bolos/{id}.pdf` (the one-page print)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.bolos import render, rules, service
from murphy.bolos.schemas import BoloForm, BoloIn, BoloKind, CancelIn
from murphy.core.clock import as_utc, utcnow, zone
from murphy.core.errors import MurphyError, ValidationFailed
from murphy.sites import service as sites_service
from murphy.users.schemas import Permission, Principal
from murphy.web import forms
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, validated
from murphy.web.forms import render as render_page
from murphy.web.http import photo_response

router = APIRouter(include_in_schema=False)
PATH = "/bolos"
UPLOADS = (f"{PATH}/new",)  # the form carries a photo
LABELS = {
    "reason": "Why to look out",
    "caution": "Caution",
    "description": "Description",
    "name": "Name",
    "plate": "Plate",
    "sites": "Sites",
    "expires_at": "Until",
}
DURATIONS = {
    "8h": ("8 hours", timedelta(hours=8)),
    "1d": ("1 day", timedelta(days=1)),
    "3d": ("3 days", timedelta(days=3)),
    "7d": ("7 days", timedelta(days=7)),
    "14d": ("14 days", timedelta(days=14)),
    "30d": ("30 days", timedelta(days=30)),
    "90d": ("90 days", timedelta(days=90)),
    "365d": ("1 year", timedelta(days=365)),
}


class CancelForm(FormModel):
    reason: str = ""
    version: str = ""


@router.get(PATH)
def bolos_page(
    request: Request, session: SessionDep, principal: PageUser, site: str = "", done: str = ""
) -> Response:
    """The active notices of my sites (or one site), newest first."""
    chosen = [site] if site.strip() else []
    context = {
        "nav": "bolos",
        "bolos": service.active(session, principal=principal, sites=chosen),
        "ended": service.ended(session, principal=principal) if _issuer(principal) else [],
        "sites": sites_service.visible(session, principal=principal),
        "site": site.strip().upper(),
        "can_issue": _issuer(principal),
        "done": done,
    }
    return render_page(request, "bolos.html", context)


@router.get(f"{PATH}/new")
def new_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    subject: int | None = None,
    incident: str = "",
) -> Response:
    """The form, filled from a person or vehicle record (`?subject=ID`) or an incident."""
    start = service.form(session, principal=principal, subject_id=subject, number=incident)
    return _form(request, session, principal, start, {"duration": "7d"})


@router.post(f"{PATH}/new")
async def issue(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """Issue the notice (multipart: the photo is optional)."""
    posted = await request.form()
    check_csrf(request, str(posted.get("csrf_token") or ""))
    text = {k: str(v) for k, v in posted.items() if isinstance(v, str) and k != "sites"}
    codes = [str(c) for c in posted.getlist("sites")]
    photos = await forms.photos(request, rules.MAX_PHOTO_BYTES)
    try:
        data = _bolo_in(session, principal, text, codes)
        photo = photos[0][1] if photos else None
        out = service.issue(session, principal=principal, data=data, photo=photo)
    except MurphyError as exc:
        session.rollback()
        kept = _kept(text, codes)
        return _form(request, session, principal, kept, text, error=exc)
    return RedirectResponse(f"{PATH}/{out.id}?done=issued", 303)


@router.get(PATH + "/{bolo_id}.pdf")
def bolo_pdf(bolo_id: int, session: SessionDep, principal: PageUser) -> Response:
    """The notice on one printable page."""
    out = service.get(session, principal=principal, bolo_id=bolo_id)
    photo = (
        service.photo(session, principal=principal, bolo_id=bolo_id)[1] if out.has_photo else None
    )
    body = render.pdf(out, photo, printed_by=principal.username)
    headers = {
        "Content-Disposition": f'inline; filename="bolo-{out.id}.pdf"',
        "Cache-Control": "private, no-store",
        "X-Content-Type-Options": "nosniff",
    }
    return Response(body, media_type="application/pdf", headers=headers)


@router.get(PATH + "/{bolo_id}/photo")
def bolo_photo(bolo_id: int, session: SessionDep, principal: PageUser) -> Response:
    """The photo, for those who may see the notice; never sniffed or executed."""
    media_type, data, sha = service.photo(session, principal=principal, bolo_id=bolo_id)
    return photo_response(data, media_type, sha, max_age=3600)


@router.get(PATH + "/{bolo_id}")
def bolo_page(
    bolo_id: int, request: Request, session: SessionDep, principal: PageUser, done: str = ""
) -> Response:
    """One notice: its photo large, who or what, why, the caution, the cancel form."""
    return _detail(request, session, principal, bolo_id, done=done)


@router.post(PATH + "/{bolo_id}/cancel")
def cancel(
    bolo_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[CancelForm, Form()],
) -> Response:
    """Take the notice down, with a reason."""
    check_csrf(request, form.csrf_token)
    try:
        data = validated(CancelIn, {"reason": "Why it is cancelled"}, reason=form.reason)
        service.cancel(
            session,
            principal=principal,
            bolo_id=bolo_id,
            data=data,
            version=forms.version(form.version),
        )
    except MurphyError as exc:
        session.rollback()
        return _detail(request, session, principal, bolo_id, error=exc, kept=form.reason)
    return RedirectResponse(f"{PATH}/{bolo_id}?done=cancelled", 303)


# --- inside -----------------------------------------------------------------------------


def _issuer(principal: Principal) -> bool:
    return principal.can(Permission.ISSUE_BOLO)


def _bolo_in(
    session: Session, principal: Principal, text: dict[str, str], codes: list[str]
) -> BoloIn:
    subject = text.get("subject_id", "").strip()
    if subject and not subject.isdigit():
        raise ValidationFailed("the form is damaged: reload the page and try again")
    return validated(
        BoloIn,
        LABELS,
        kind=text.get("kind") or "person",
        subject_id=int(subject) if subject else None,
        incident=text.get("incident", "").strip() or None,
        name=text.get("name", ""),
        plate=text.get("plate", ""),
        description=text.get("description", ""),
        reason=text.get("reason", ""),
        caution=text.get("caution", ""),
        sites=codes,
        expires_at=_until(session, principal, text, codes),
    )


def _until(
    session: Session, principal: Principal, text: dict[str, str], codes: list[str]
) -> datetime:
    """The end chosen: a date and time (in the first chosen site's zone), or a duration."""
    until = text.get("until", "").strip()
    if until:
        site = sites_service.get(session, code=codes[0]) if codes else None
        try:
            value = datetime.fromisoformat(until)
        except ValueError:
            raise ValidationFailed("Until: give a date and a time, e.g. 2026-12-24 18:00") from None
        return as_utc(value, zone(site.timezone if site else "UTC"))
    chosen = DURATIONS.get(text.get("duration", ""))
    if chosen is None:
        raise ValidationFailed("For how long: choose one of the options offered")
    return utcnow() + chosen[1]


def _kept(text: dict[str, str], codes: list[str]) -> BoloForm:
    subject = text.get("subject_id", "")
    kind = text.get("kind", "")
    return BoloForm(
        kind=BoloKind.VEHICLE if kind == BoloKind.VEHICLE.value else BoloKind.PERSON,
        subject_id=int(subject) if subject.isdigit() else None,
        incident=text.get("incident", ""),
        name=text.get("name", ""),
        plate=text.get("plate", ""),
        description=text.get("description", ""),
        sites=[c.strip().upper() for c in codes],
    )


def _form(
    request: Request,
    session: Session,
    principal: Principal,
    start: BoloForm,
    text: dict[str, str],
    *,
    error: MurphyError | None = None,
) -> Response:
    service.require_issuer(principal)
    sites = sites_service.visible(session, principal=principal)
    context: dict[str, Any] = {
        "nav": "bolos",
        "f": start,
        "t": text,
        "sites": sites,
        "chosen": start.sites or ([sites[0].code] if len(sites) == 1 else []),
        "durations": {k: label for k, (label, _) in DURATIONS.items()},
        "error": str(error) if error else "",
        "max_mb": rules.MAX_PHOTO_BYTES // (1024 * 1024),
    }
    return render_page(request, "bolo_new.html", context, error.status if error else 200)


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    bolo_id: int,
    *,
    done: str = "",
    error: MurphyError | None = None,
    kept: str = "",
) -> Response:
    bolo = service.get(session, principal=principal, bolo_id=bolo_id)
    context = {
        "nav": "bolos",
        "b": bolo,
        "can_cancel": _issuer(principal) and bolo.state.value == "active",
        "done": done,
        "error": str(error) if error else "",
        "kept": kept,
    }
    return render_page(request, "bolo.html", context, error.status if error else 200)
