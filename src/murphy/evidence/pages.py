"""The evidence pages: `/incidents/{n}/evidence` (the files and items of an incident, and
the forms to add a file from the phone or desk and to log a physical item) and
`/incidents/{n}/evidence/{id}` (one evidence, its chain of custody and the form for the
next step). Opening or downloading a file is logged before its bytes are sent."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session
from starlette.datastructures import UploadFile

from murphy.core.errors import MurphyError, ValidationFailed
from murphy.evidence import intake, rules, service
from murphy.evidence.schemas import CustodyIn, ItemIn
from murphy.incidents import service as incidents_service
from murphy.sites import service as sites_service
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import BlobsDep, PageUser, SessionDep, WriterDep, check_csrf
from murphy.web.forms import FormModel, render, validated

router = APIRouter(include_in_schema=False)
PATH = "/incidents/{number}/evidence"
# The routes that take evidence files: the largest bodies Murphy accepts.
UPLOADS = (
    re.compile(r"/incidents/[^/]+/evidence/files"),
    re.compile(r"/api/v1/incidents/[^/]+/evidence/files"),
)
LABELS = {"description": "What it is", "location": "Where it is kept", "seal": "Seal number"}
ACTIONS = {
    "handed_over": "Handed over to someone",
    "stored": "Stored (or moved, or resealed)",
    "transferred": "Transferred to an outside party (police)",
    "returned": "Returned to its owner",
    "disposed": "Disposed of",
}


class ItemForm(FormModel):
    description: str = ""
    location: str = ""
    seal: str = ""


class CustodyForm(FormModel):
    action: str = ""
    to: str = ""
    location: str = ""
    seal: str = ""
    note: str = ""


@router.get(PATH)
def evidence_page(
    number: str, request: Request, session: SessionDep, principal: PageUser, done: str = ""
) -> Response:
    """The incident's evidence and the forms to add more."""
    return _list(request, session, principal, number, done=done)


@router.post(f"{PATH}/files")
async def add_file(
    number: str, request: Request, session: SessionDep, principal: PageUser, blobs: BlobsDep
) -> Response:
    """A file from the phone or desk (multipart), streamed to the store."""
    form = await request.form()
    check_csrf(request, str(form.get("csrf_token") or ""))
    upload = form.get("file")
    description = str(form.get("description") or "")
    try:
        if not isinstance(upload, UploadFile) or not upload.filename:
            raise ValidationFailed("choose a file to add")
        declared = upload.content_type or ""
        name, kind = service.check_upload(
            session, principal=principal, number=number, filename=upload.filename, declared=declared
        )
        stored = await intake.receive(_chunks(upload), blobs, kind)
        try:
            service.add_file(
                session,
                principal=principal,
                number=number,
                filename=name,
                media_type=kind,
                stored=stored,
                description=description,
            )
        except MurphyError:
            blobs.delete(stored.key)
            raise
    except MurphyError as exc:
        return _list(request, session, principal, number, error=("file", exc), kept=description)
    return _back(number, "file")


@router.post(f"{PATH}/items")
def add_item(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[ItemForm, Form()],
) -> Response:
    """A physical item taken into custody."""
    check_csrf(request, form.csrf_token)
    try:
        data = validated(ItemIn, LABELS, **form.model_dump(exclude={"csrf_token"}))
        service.add_item(session, principal=principal, number=number, data=data)
    except MurphyError as exc:
        return _list(request, session, principal, number, error=("item", exc), item=form)
    return _back(number, "item")


@router.get(PATH + "/{evidence_id}")
def evidence_detail(
    number: str,
    evidence_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    done: str = "",
) -> Response:
    """One evidence and its chain of custody."""
    return _detail(request, session, principal, number, evidence_id, done=done)


@router.post(PATH + "/{evidence_id}/custody")
def custody(
    number: str,
    evidence_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[CustodyForm, Form()],
) -> Response:
    """The next step of the chain of custody."""
    check_csrf(request, form.csrf_token)
    try:
        fields = form.model_dump(exclude={"csrf_token"})
        if not fields["action"]:
            raise ValidationFailed("choose what happened to it")
        data = validated(CustodyIn, {"action": "What happened", "to": "To whom"}, **fields)
        service.record_custody(
            session, principal=principal, number=number, evidence_id=evidence_id, data=data
        )
    except MurphyError as exc:
        return _detail(request, session, principal, number, evidence_id, error=exc, kept=form)
    return RedirectResponse(f"/incidents/{number}/evidence/{evidence_id}?done=custody", 303)


@router.get(PATH + "/{evidence_id}/content")
async def content(
    number: str,
    evidence_id: int,
    principal: PageUser,
    writer: WriterDep,
    blobs: BlobsDep,
    download: bool = True,
) -> Response:
    """The file itself; the view or download is on the timeline first."""
    found, key = await writer.run(
        lambda s: service.open_file(
            s, principal=principal, number=number, evidence_id=evidence_id, download=download
        )
    )
    return intake.stream(blobs, key, found, download=download)


async def _chunks(upload: UploadFile) -> AsyncIterator[bytes]:
    while chunk := await upload.read(1024 * 1024):
        yield chunk


def _zone(session: Session, site_id: int) -> str:
    """The site's time zone: times on the pages are the site's."""
    return sites_service.get_by_ids(session, [site_id])[site_id].timezone


def _back(number: str, done: str) -> Response:
    return RedirectResponse(f"/incidents/{number}/evidence?done={done}", 303)


def _list(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    *,
    done: str = "",
    error: tuple[str, MurphyError] | None = None,
    kept: str = "",
    item: ItemForm | None = None,
) -> Response:
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    context = {
        "tz": _zone(session, incident.site_id),
        "number": incident.number,
        "title": incident.title,
        "items": service.list(session, principal=principal, number=number),
        "can_add": principal.can(Permission.NOTE) and incident.status != "merged",
        "accept": ",".join(sorted(rules.SIGNATURES)),
        "done": done,
        "problem": {"what": error[0], "error": str(error[1])} if error else {},
        "kept": kept,
        "item": item or ItemForm(),
    }
    return render(request, "evidence.html", context, error[1].status if error else 200)


def _detail(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    evidence_id: int,
    *,
    done: str = "",
    error: MurphyError | None = None,
    kept: CustodyForm | None = None,
) -> Response:
    found = service.detail(session, principal=principal, number=number, evidence_id=evidence_id)
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    context = {
        "tz": _zone(session, incident.site_id),
        "e": found,
        "actions": {a.value: ACTIONS[a.value] for a in rules.actions_for(found.kind)},
        "can_record": principal.can(Permission.NOTE) and found.state.value == "held",
        "done": done,
        "error": str(error) if error else "",
        "kept": kept or CustodyForm(),
    }
    return render(request, "evidence_item.html", context, error.status if error else 200)
