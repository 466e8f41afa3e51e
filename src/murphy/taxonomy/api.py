"""JSON routes for the taxonomy (read by everyone, changed by admins) and suggestions."""

from __future__ import annotations

from typing import Any

import yaml
from fastapi import APIRouter, Request, Response
from fastapi.concurrency import run_in_threadpool
from pydantic import BaseModel
from sqlalchemy.orm import Session

from murphy.core.errors import NotFound, PermissionDenied, ValidationFailed
from murphy.incidents import similar as similar_incidents
from murphy.taxonomy import service, suggest
from murphy.taxonomy.schemas import (
    LoadReport,
    SuggestionIn,
    TypeCreate,
    TypeOut,
    TypeSuggestion,
    TypeUpdate,
)
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import CurrentUser, ReaderDep, WriterDep

router = APIRouter(prefix="/api/v1", tags=["taxonomy"])

YAML_BODY: dict[str, Any] = {
    "requestBody": {
        "required": True,
        "content": {"application/yaml": {"schema": {"type": "string"}}},
        "description": "a pack: `pack` and nested `categories`, or a flat `types` list",
    }
}


class SuggestionsOut(BaseModel):
    """Likely types for a report and similar past incidents."""

    types: list[TypeSuggestion]
    similar: list[similar_incidents.SimilarIncident]


def _admin(principal: Principal, what: str) -> None:
    if not principal.can(Permission.MANAGE_TAXONOMY):
        raise PermissionDenied(f"only admins may {what}")


@router.get("/taxonomy", summary="The taxonomy tree")
async def get_tree(
    principal: CurrentUser, reader: ReaderDep, include_inactive: bool = False
) -> list[TypeOut]:
    """Categories, types and subtypes with their defaults and current playbooks."""
    return await reader.run(lambda s: service.tree(s, include_inactive=include_inactive))


@router.get("/taxonomy/export", summary="Export the taxonomy as YAML", response_class=Response)
async def export(principal: CurrentUser, reader: ReaderDep) -> Response:
    """Every active type as one pack, in the format `import` and `murphy taxonomy load` read."""
    _admin(principal, "export the taxonomy")

    def work(session: Session) -> str:
        data = service.export(session)
        return yaml.safe_dump(data, sort_keys=False, allow_unicode=True, width=100)

    return Response(await reader.run(work), media_type="application/yaml")


@router.post("/taxonomy/import", summary="Import a YAML pack", openapi_extra=YAML_BODY)
async def import_pack(request: Request, principal: CurrentUser, writer: WriterDep) -> LoadReport:
    """Add or update every type of the pack; all or nothing."""
    _admin(principal, "import a taxonomy")
    raw = await request.body()
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise ValidationFailed("the pack must be UTF-8 text") from None
    pack = await run_in_threadpool(service.parse_pack, text)  # large packs: off the loop
    return await writer.run(lambda s: service.load(s, pack=pack, actor=principal.username))


@router.get("/taxonomy/types/{code}", summary="One type")
async def get_type(code: str, principal: CurrentUser, reader: ReaderDep) -> TypeOut:
    """A type with its current playbook and children (inactive ones included)."""
    return await reader.run(lambda s: _one(s, code))


@router.post("/taxonomy/types", status_code=201, summary="Add a type")
async def create_type(
    data: TypeCreate, principal: CurrentUser, writer: WriterDep, response: Response
) -> TypeOut:
    """Add a category (no `parent`), a type or a subtype (admins)."""
    _admin(principal, "add incident types")

    def work(session: Session) -> TypeOut:
        row = service.create(session, data=data, actor=principal.username)
        return _one(session, row.code)

    out = await writer.run(work)
    response.headers["Location"] = f"/api/v1/taxonomy/types/{out.code}"
    return out


@router.patch("/taxonomy/types/{code}", summary="Change a type")
async def update_type(
    code: str, data: TypeUpdate, principal: CurrentUser, writer: WriterDep
) -> TypeOut:
    """Change the fields sent; `active: false` deactivates; the code never changes."""
    _admin(principal, "change incident types")

    def work(session: Session) -> TypeOut:
        row = service.update(session, code=code, data=data, actor=principal.username)
        return _one(session, row.code)

    return await writer.run(work)


@router.post("/suggestions", summary="Suggest a type and similar incidents")
async def suggestions(
    data: SuggestionIn, principal: CurrentUser, reader: ReaderDep
) -> SuggestionsOut:
    """From the free text of a report: the likely types and the similar past incidents
    the caller may see. Computed offline, on this server."""
    text = f"{data.title}\n{data.description}"

    def work(session: Session) -> SuggestionsOut:
        types = suggest.suggest(
            session, text=text, limit=data.limit, history=similar_incidents.classified
        )
        found = similar_incidents.similar(
            session, principal=principal, terms=suggest.search_terms(text), limit=data.limit
        )
        return SuggestionsOut(types=types, similar=found)

    return await reader.run(work)


def _one(session: Session, code: str) -> TypeOut:
    wanted = code.strip().lower()
    todo = list(service.tree(session, include_inactive=True))
    while todo:
        node = todo.pop()
        if node.code == wanted:
            return node
        todo.extend(node.children)
    raise NotFound(f"no incident type {code!r}")
