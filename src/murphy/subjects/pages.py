"""Pages of people and vehicles: the incident page's "Add a person or vehicle" form posts
here; the front desk's lookup (`/subjects?q=`: every incident a name or plate appears in,
among those the caller may see); one record (`/subjects/{id}`, every view logged) with its
possible duplicates and a Merge button for those allowed."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse

from murphy.core.errors import MurphyError, ValidationFailed
from murphy.subjects import rules, service
from murphy.subjects.schemas import LinkIn, SubjectKind, SubjectOut
from murphy.users.schemas import Permission, Principal
from murphy.web import forms
from murphy.web.deps import PageUser, SessionDep, WriterDep, check_csrf
from murphy.web.forms import FormModel, plain, render, validated
from murphy.web.http import photo_response

router = APIRouter(include_in_schema=False)
UPLOADS = ("/subjects/",)  # the photo form
LABELS = {
    "role": "Role",
    "name": "Name",
    "birth_date": "Date of birth",
    "description": "Description",
    "plate": "Plate",
    "make": "Make",
    "model": "Model",
    "colour": "Colour",
    "note": "Note",
    "subject_id": "Record",
}

WORDS = {"birth_date": "date of birth", "subject_id": "record"}  # the service's field names


class SubjectForm(FormModel):
    """A person or vehicle as typed on the incident page."""

    kind: str = "person"
    role: str = ""
    name: str = ""
    birth_date: str = ""
    description: str = ""
    plate: str = ""
    make: str = ""
    model: str = ""
    colour: str = ""
    note: str = ""


class MergeForm(FormModel):
    """Merge this record into another one."""

    into: str = ""


@router.post("/incidents/{number}/subjects")
def add_subject(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[SubjectForm, Form()],
) -> Response:
    """Describe a person or vehicle and link it with its role; back to the incident."""
    check_csrf(request, form.csrf_token)
    try:
        out = service.link(session, principal=principal, number=number, data=_link_in(form))
    except MurphyError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        panel = service.panel(session, principal=principal, number=number)
        error = plain(exc.detail, WORDS)
        context = {"subjects": panel, "subjects_form": form, "subjects_error": error}
        return render(request, "subject_add.html", context, exc.status)
    anchor = "subjects" if not out.possible_duplicates else f"subject-{out.id}"
    return RedirectResponse(f"/incidents/{number}#{anchor}", status_code=303)


@router.post("/incidents/{number}/subjects/{link_id}/remove")
def remove_subject(
    number: str,
    link_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[FormModel, Form()],
) -> Response:
    """Take a person or vehicle added by mistake off the incident."""
    check_csrf(request, form.csrf_token)
    service.unlink(session, principal=principal, number=number, link_id=link_id)
    return RedirectResponse(f"/incidents/{number}#subjects", status_code=303)


@router.get("/subjects")
def lookup_page(
    request: Request, session: SessionDep, principal: PageUser, q: str = "", kind: str = ""
) -> Response:
    """Every incident a name or plate appears in (those the caller may see)."""
    service.require_reader(principal)
    wanted = SubjectKind(kind) if kind in {k.value for k in SubjectKind} else None
    hits = service.search(session, principal=principal, q=q[:200], kind=wanted) if q.strip() else []
    context = {"nav": "subjects", "q": q, "kind": kind, "hits": hits, "searched": bool(q.strip())}
    return render(request, "subjects.html", context)


@router.get("/subjects/{subject_id}")
async def subject_page(
    subject_id: int, request: Request, principal: PageUser, writer: WriterDep, merged: str = ""
) -> Response:
    """One record: details, identifiers, incidents, possible duplicates (view logged)."""
    out = await writer.run(
        lambda s: service.detail(s, principal=principal, subject_id=subject_id, how="page")
    )
    if out.merged_into_id is not None:
        return RedirectResponse(f"/subjects/{out.merged_into_id}?merged={subject_id}", 303)
    return render(request, "subject.html", _context(principal, out, merged))


def _context(principal: Principal, out: SubjectOut, merged: str) -> dict[str, Any]:
    return {
        "nav": "subjects",
        "s": out,
        "can_merge": principal.can(Permission.MERGE),
        "can_edit": principal.can(Permission.EDIT) or out.created_by == principal.username,
        "merged": merged,
    }


@router.post("/subjects/{subject_id}/photo")
async def photo_upload(
    subject_id: int, request: Request, session: SessionDep, principal: PageUser
) -> Response:
    """Add or replace the record's photo (taken with the phone's camera, or a file)."""
    posted = await request.form()
    check_csrf(request, str(posted.get("csrf_token") or ""))
    photos = await forms.photos(request, rules.MAX_PHOTO_BYTES)
    try:
        if not photos:
            raise ValidationFailed("photo: choose a picture first")
        service.set_photo(
            session, principal=principal, subject_id=subject_id, data=photos[0][1], version=None
        )
    except MurphyError as exc:
        session.rollback()
        out = service.detail(session, principal=principal, subject_id=subject_id, how="page")
        context = {**_context(principal, out, ""), "photo_error": exc.detail}
        return render(request, "subject.html", context, exc.status)
    return RedirectResponse(f"/subjects/{subject_id}#photo", status_code=303)


@router.get("/subjects/{subject_id}/photo")
def photo_page(subject_id: int, session: SessionDep, principal: PageUser) -> Response:
    """The photo, for those who may see the record; never sniffed or executed."""
    media_type, data, sha = service.photo(session, principal=principal, subject_id=subject_id)
    return photo_response(data, media_type, sha)


@router.post("/subjects/{subject_id}/merge")
def merge_subject(
    subject_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[MergeForm, Form()],
) -> Response:
    """Merge this duplicate into the record chosen (never done by itself)."""
    check_csrf(request, form.csrf_token)
    into = int(form.into) if form.into.strip().isdigit() else 0
    out = service.merge(session, principal=principal, subject_id=subject_id, into=into)
    return RedirectResponse(f"/subjects/{out.id}?merged={subject_id}", status_code=303)


def _link_in(form: SubjectForm) -> LinkIn:
    """The form as the API's input; a vehicle when its kind says so."""
    fields: dict[str, Any] = {"role": form.role, "note": form.note}
    if form.kind == SubjectKind.VEHICLE.value:
        fields["vehicle"] = {
            "plate": form.plate,
            "make": form.make,
            "model": form.model,
            "colour": form.colour,
            "description": form.description,
        }
    else:
        fields["person"] = {
            "name": form.name,
            "birth_date": form.birth_date.strip() or None,
            "description": form.description,
        }
    return validated(LinkIn, LABELS, **fields)
