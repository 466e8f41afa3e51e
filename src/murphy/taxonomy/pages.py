"""HTML routes for the taxonomy admin page: the tree with each type's defaults,
clearance, required fields and playbook; YAML export (a download) and import (an upload).
Admins only. Import is all or nothing: a bad pack changes nothing and says what is wrong.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

import yaml
from fastapi import APIRouter, File, Form, Request, Response, UploadFile
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.core.errors import MurphyError, PermissionDenied, ValidationFailed
from murphy.sla import service as sla_service
from murphy.taxonomy import service
from murphy.taxonomy.schemas import TypeOut
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import PageUser, SessionDep, check_csrf
from murphy.web.forms import render

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
) -> Response:
    """The taxonomy: categories, types and subtypes by pack, with their settings."""
    _admin(principal)
    report = {"pack": loaded, "created": created, "updated": updated, "playbooks": playbooks}
    return _page(request, session, report=report if loaded else None)


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
        session.rollback()
        what = f"Nothing was imported from {name}"
        return _page(request, session, error=exc.detail, error_title=what, status=exc.status)
    query = {
        "loaded": result.pack,
        "created": result.created,
        "updated": result.updated,
        "playbooks": result.playbooks,
    }
    return RedirectResponse(f"{PATH}?{urlencode(query)}", status_code=303)


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
) -> Response:
    tree = sorted(service.tree(session), key=lambda c: c.name.lower())
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
