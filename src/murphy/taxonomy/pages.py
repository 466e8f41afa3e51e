"""HTML routes for the taxonomy admin page: the tree with each type's defaults,
clearance, required fields and playbook; add a type, edit or deactivate one; YAML export
(a download) and import (an upload). Admins only. Every change is all or nothing: a bad
form or pack changes nothing and says what is wrong. Playbooks are edited as YAML.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from pydantic import Field
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError, PermissionDenied, ValidationFailed
from murphy.incidents.schemas import IMPACTS, URGENCIES
from murphy.sla import service as sla_service
from murphy.taxonomy import service
from murphy.taxonomy.schemas import TypeCreate, TypeOut, TypeUpdate
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import FormModel, comma_list, render, validated

router = APIRouter(include_in_schema=False)

PATH = "/admin/taxonomy"
MAX_PACK_BYTES = 2 * 1024 * 1024
REQUIRED = {
    "description": "description",
    "place": "place",
    "occurred_at": "when it happened",
    "assessment.immediate_actions": "immediate actions",
    "assessment.risks": "risks",
    "assessment.suspected_root_cause": "suspected root cause",
    "assessment.recommended_solution": "recommended solution",
    "assessment.parties_informed": "parties informed",
    "resolution.effectiveness": "effectiveness evaluation (when resolving)",
}


@router.get(PATH)
def taxonomy_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    loaded: str = "",
    created: int = 0,
    updated: int = 0,
    playbooks: int = 0,
    saved: str = "",
) -> Response:
    """The taxonomy: categories, types and subtypes by pack, with their settings."""
    _admin(principal)
    report = {"pack": loaded, "created": created, "updated": updated, "playbooks": playbooks}
    return _page(request, session, report=report if loaded else None, saved=saved)


@router.get(f"{PATH}/export.yaml")
def export(session: SessionDep, principal: PageUser) -> Response:
    """Every active type as one YAML pack, as a download."""
    _admin(principal)
    body = yaml.safe_dump(service.export(session), sort_keys=False, allow_unicode=True, width=100)
    name = f"murphy-taxonomy-{datetime.now(UTC):%Y-%m-%d}.yaml"
    headers = {"Content-Disposition": f'attachment; filename="{name}"', "Cache-Control": "no-store"}
    return Response(body, media_type="application/yaml", headers=headers)


@router.post(f"{PATH}/import")
def import_pack(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Add or update the types of an uploaded YAML pack; all or nothing."""
    check_csrf(request, csrf_token)
    _admin(principal)
    name = file.filename or "the file"
    try:
        text = _decode(file.file.read(MAX_PACK_BYTES + 1))
        result = service.load_yaml(session, text=text, actor=principal.username)
    except MurphyError as exc:
        return _refused(request, session, exc, f"Nothing was imported from {name}")
    query = {
        "loaded": result.pack,
        "created": result.created,
        "updated": result.updated,
        "playbooks": result.playbooks,
    }
    return RedirectResponse(f"{PATH}?{urlencode(query)}", status_code=303)


LABELS = {
    "code": "Code",
    "name": "Name",
    "description": "Description",
    "default_impact": "Default impact",
    "default_urgency": "Default urgency",
    "clearance": "Clearance",
    "required_fields": "Required before resolving",
    "skills": "Skills a responder needs",
    "parent": "Under",
}


class TypeForm(FormModel):
    """A type's settings as the page's forms post them (keywords comma-separated)."""

    code: str = ""
    parent: str = ""
    name: str = ""
    description: str = ""
    default_impact: str = "3"
    default_urgency: str = "3"
    clearance: str = ""
    keywords: str = ""
    skills: str = ""
    required_fields: list[str] = Field(default_factory=list)
    active: str = ""


@router.post(f"{PATH}/types")
def add_type(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[TypeForm, Form()],
) -> Response:
    """Add a category (no parent), a type or a subtype."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    try:
        data = validated(
            TypeCreate,
            LABELS,
            code=form.code.strip().lower(),
            parent=form.parent or None,
            **_settings(form),
        )
        row = service.create(session, data=data, actor=principal.username)
    except MurphyError as exc:
        return _refused(request, session, exc, "Type not added", kept=form, editing="")
    return _saved(row.code)


@router.post(f"{PATH}/types/{{code}}")
def edit_type(
    code: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[TypeForm, Form()],
) -> Response:
    """Change a type's settings, or deactivate it (never deleted: incidents keep it)."""
    check_csrf(request, form.csrf_token)
    _admin(principal)
    try:
        settings = _settings(form)
        settings["clearance"] = settings["clearance"] or ""  # empty lifts the restriction
        data = validated(TypeUpdate, LABELS, active=form.active == "on", **settings)
        row = service.update(session, code=code, data=data, actor=principal.username)
    except MurphyError as exc:
        return _refused(request, session, exc, f"{code} not changed", kept=form, editing=code)
    return _saved(row.code)


def _settings(form: TypeForm) -> dict[str, Any]:
    return {
        "name": form.name.strip(),
        "description": form.description.strip(),
        "default_impact": form.default_impact,
        "default_urgency": form.default_urgency,
        "clearance": form.clearance.strip().lower() or None,
        "keywords": comma_list(form.keywords),
        "skills": comma_list(form.skills),
        "required_fields": [f for f in form.required_fields if f],
    }


def _refused(
    request: Request, session: Session, exc: MurphyError, title: str, **form: Any
) -> Response:
    """Undo the attempt; the page again with what went wrong and what was typed."""
    session.rollback()
    return _page(request, session, error=exc.detail, error_title=title, status=exc.status, **form)


def _saved(code: str) -> Response:
    return RedirectResponse(f"{PATH}?{urlencode({'saved': code})}#type-{code}", status_code=303)


def _admin(principal: Principal) -> None:
    if not principal.can(Permission.MANAGE_TAXONOMY):
        raise PermissionDenied(f"your role ({principal.role.value}) may not manage the taxonomy")


def _page(
    request: Request,
    session: Session,
    *,
    report: dict[str, Any] | None = None,
    error: str = "",
    error_title: str = "",
    status: int = 200,
    saved: str = "",
    kept: TypeForm | None = None,
    editing: str | None = None,
) -> Response:
    tree = sorted(service.tree(session, include_inactive=True), key=lambda c: c.name.lower())
    packs: dict[str, list[TypeOut]] = {}
    for category in tree:
        packs.setdefault(category.pack, []).append(category)
    context = {
        "packs": packs,
        "count": _count(tree),
        "matrix": sla_service.matrix(session).matrix,
        "required_labels": REQUIRED,
        "report": report,
        "error": error,
        "error_title": error_title,
        "saved": saved,
        "kept": kept,
        "editing": editing,
        "parents": [(c, [t for t in c.children]) for c in tree],
        "impacts": IMPACTS,
        "urgencies": URGENCIES,
    }
    return render(request, "taxonomy.html", context, status)


def _count(nodes: list[TypeOut]) -> int:
    return sum(1 + _count(n.children) for n in nodes)


def _decode(raw: bytes) -> str:
    if len(raw) > MAX_PACK_BYTES:
        raise ValidationFailed(f"a pack may be at most {MAX_PACK_BYTES // 1024} KiB")
    if not raw.strip():
        raise ValidationFailed("the file is empty: choose a YAML pack to import")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("the file is not UTF-8 text: save it as UTF-8, try again") from None
