"""Use cases for the taxonomy. Never commits: the caller owns the transaction."""

from __future__ import annotations

import builtins
from collections.abc import Iterable
from datetime import datetime
from importlib import resources
from pathlib import Path
from typing import Any

import yaml
from pydantic import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import Conflict, NotFound, ValidationFailed
from murphy.taxonomy import rules, suggest
from murphy.taxonomy.models import IncidentType, Playbook
from murphy.taxonomy.schemas import (
    Level,
    LoadReport,
    PackIn,
    StepIn,
    StepOut,
    TypeCreate,
    TypeIn,
    TypeOut,
    TypeRef,
    TypeSuggestion,
    TypeUpdate,
)

__all__ = ["IncidentType", "Playbook"]

PACKS = ("corporate", "healthcare", "cyber")


def get(session: Session, *, code: str) -> IncidentType | None:
    """The type with this code, or None."""
    return session.scalar(select(IncidentType).where(IncidentType.code == code.strip().lower()))


def get_or_raise(session: Session, *, code: str) -> IncidentType:
    """The type with this code, or a clear error."""
    found = get(session, code=code)
    if found is None:
        raise ValidationFailed(f"unknown incident type {code!r}: see GET /api/v1/taxonomy")
    return found


def by_ids(session: Session, ids: Iterable[int]) -> dict[int, IncidentType]:
    """Types by id."""
    wanted = set(ids)
    if not wanted:
        return {}
    return {
        t.id: t for t in session.scalars(select(IncidentType).where(IncidentType.id.in_(wanted)))
    }


def names(session: Session, type_ids: Iterable[int]) -> dict[int, str]:
    """Type names by id, for lists."""
    wanted = set(type_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(IncidentType.id, IncidentType.name).where(IncidentType.id.in_(wanted))
    ).all()
    return {r.id: r.name for r in rows}


def codes(session: Session, type_ids: Iterable[int]) -> dict[int, str]:
    """Type codes by id."""
    wanted = set(type_ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(IncidentType.id, IncidentType.code).where(IncidentType.id.in_(wanted))
    ).all()
    return {r.id: r.code for r in rows}


def ref(session: Session, type_id: int) -> TypeRef:
    """A type's code, name and the names of its ancestors."""
    types = _all(session)
    node = types[type_id]
    path = []
    walk: IncidentType | None = node
    while walk is not None:
        path.append(walk.name)
        walk = types.get(walk.parent_id) if walk.parent_id else None
    return TypeRef(code=node.code, name=node.name, path=path[::-1])


def skills_needed(session: Session, type_id: int | None) -> builtins.list[str]:
    """The skills a responder needs for a type: its own, or if it names none, those of
    its nearest ancestor that does (so a subtype may ask for less than its parent)."""
    seen: set[int] = set()
    current = session.get(IncidentType, type_id) if type_id is not None else None
    while current is not None and current.id not in seen:  # at most three levels
        if current.skills:
            return sorted(current.skills)
        seen.add(current.id)
        current = session.get(IncidentType, current.parent_id) if current.parent_id else None
    return []


def descendants(session: Session, codes: Iterable[str]) -> set[int]:
    """Ids of the types with these codes and of everything below them."""
    types = _all(session)
    by_code = {t.code: t.id for t in types.values()}
    children: dict[int, list[int]] = {}
    for t in types.values():
        if t.parent_id is not None:
            children.setdefault(t.parent_id, []).append(t.id)
    out: set[int] = set()
    todo = [by_code[c] for c in codes if c in by_code]
    while todo:
        current = todo.pop()
        if current not in out:
            out.add(current)
            todo.extend(children.get(current, []))
    return out


def tree(session: Session, *, include_inactive: bool = False) -> builtins.list[TypeOut]:
    """The whole taxonomy, categories first, each with its children and playbook."""
    types = _all(session)
    books = current_playbooks(session, types.keys())
    outs: dict[int, TypeOut] = {}
    roots: builtins.list[TypeOut] = []
    for t in sorted(types.values(), key=lambda t: (rules.LEVELS.index(Level(t.level)), t.code)):
        if not (t.active or include_inactive):
            continue
        if t.parent_id is not None and t.parent_id not in outs:
            continue  # under an inactive parent: hidden with it
        book = books.get(t.id)
        out = outs[t.id] = TypeOut(
            code=t.code,
            name=t.name,
            description=t.description,
            level=Level(t.level),
            default_impact=t.default_impact,
            default_urgency=t.default_urgency,
            required_fields=t.required_fields,
            clearance=t.clearance,
            keywords=t.keywords,
            skills=t.skills,
            pack=t.pack,
            active=t.active,
            playbook_version=book.version if book else None,
            playbook=[StepOut(**s) for s in book.steps] if book else [],
        )
        parent = outs.get(t.parent_id) if t.parent_id else None
        (parent.children if parent else roots).append(out)
    return roots


def current_playbook(session: Session, type_id: int) -> Playbook | None:
    """The newest playbook version of a type, or None."""
    return session.scalar(
        select(Playbook)
        .where(Playbook.type_id == type_id)
        .order_by(Playbook.version.desc())
        .limit(1)
    )


def current_playbooks(session: Session, type_ids: Iterable[int]) -> dict[int, Playbook]:
    """The newest playbook of each of these types."""
    out: dict[int, Playbook] = {}
    rows = session.scalars(
        select(Playbook).where(Playbook.type_id.in_(set(type_ids))).order_by(Playbook.version)
    )
    for book in rows:
        out[book.type_id] = book
    return out


def playbook(session: Session, playbook_id: int) -> Playbook:
    """A playbook version by id."""
    found = session.get(Playbook, playbook_id)
    if found is None:
        raise NotFound(f"no playbook {playbook_id}")
    return found


def load(session: Session, *, pack: PackIn, actor: str | None = None) -> LoadReport:
    """Add or update every type of a pack (by code) and give each changed playbook a
    new version. All or nothing: a bad pack raises before anything is written."""
    nodes = rules.flatten(pack.categories)
    now = utcnow()
    existing = {t.code: t for t in session.scalars(select(IncidentType))}
    created = updated = unchanged = books = 0
    for node in nodes:
        row = existing.get(node.spec.code)
        parent = existing[node.parent] if node.parent else None
        if row is None:
            row = IncidentType(code=node.spec.code, created_at=now, pack=pack.pack)
            session.add(row)
            existing[row.code] = row
            created += 1
            _apply(row, node, parent, now)
        elif _apply(row, node, parent, now):
            updated += 1
        else:
            unchanged += 1
        session.flush()
        books += _store_playbook(session, row, node.spec.playbook, now, actor)
    return LoadReport(
        pack=pack.pack, created=created, updated=updated, unchanged=unchanged, playbooks=books
    )


def create(session: Session, *, data: TypeCreate, actor: str | None = None) -> IncidentType:
    """Add one type under `data.parent` (a category when there is none)."""
    if get(session, code=data.code) is not None:
        raise Conflict(f"type {data.code!r} already exists: change it with PATCH, codes are unique")
    parent = get_or_raise(session, code=data.parent) if data.parent else None
    depth = rules.LEVELS.index(Level(parent.level)) + 1 if parent else 0
    if depth >= len(rules.LEVELS):
        raise ValidationFailed(
            f"type {data.code!r} is nested too deep: {parent.code if parent else ''!r} is a "
            "subtype, and the tree is category → type → subtype at most"
        )
    rules.check_playbook(data.code, data.playbook)
    now = utcnow()
    spec = TypeIn.model_validate(data.model_dump(exclude={"parent"}))
    row = IncidentType(code=data.code, created_at=now, pack=parent.pack if parent else "")
    session.add(row)
    _apply(row, rules.Node(spec, data.parent, rules.LEVELS[depth]), parent, now)
    session.flush()
    _store_playbook(session, row, data.playbook, now, actor)
    return row


def update(
    session: Session, *, code: str, data: TypeUpdate, actor: str | None = None
) -> IncidentType:
    """Change the fields sent; a changed playbook becomes a new version, older ones stay."""
    row = get(session, code=code)
    if row is None:
        raise NotFound(f"no incident type {code!r}")
    sent = data.model_dump(exclude_unset=True, exclude={"playbook"})
    if "clearance" in sent:
        sent["clearance"] = sent["clearance"] or None
    now = utcnow()
    changed = {k: v for k, v in sent.items() if v is not None or k == "clearance"}
    changed = {k: v for k, v in changed.items() if getattr(row, k) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    if changed:
        row.updated_at = now
    if data.playbook is not None:
        rules.check_playbook(row.code, data.playbook)
        session.flush()
        _store_playbook(session, row, data.playbook, now, actor)
    return row


def load_yaml(session: Session, *, text: str, actor: str | None = None) -> LoadReport:
    """Load a pack from YAML text (nested `categories`, or a flat `types` list)."""
    return load(session, pack=parse_pack(text), actor=actor)


def load_pack(session: Session, *, name: str, actor: str | None = None) -> LoadReport:
    """Load one of the shipped packs (corporate, healthcare, cyber) or a YAML file."""
    if name in PACKS:
        text = resources.files("murphy.taxonomy").joinpath(f"packs/{name}.yaml").read_text()
    else:
        path = Path(name)
        if not path.is_file():
            raise ValidationFailed(
                f"unknown pack {name!r}: use {', '.join(PACKS)} or the path of a YAML file"
            )
        text = path.read_text()
    return load_yaml(session, text=text, actor=actor)


def parse_pack(text: str) -> PackIn:
    """A pack from YAML text, with errors that name what is wrong and where."""
    try:
        data = yaml.safe_load(text)
    except yaml.YAMLError as exc:
        raise ValidationFailed(f"the pack is not valid YAML: {exc}") from exc
    if not isinstance(data, dict):
        raise ValidationFailed("a pack is a mapping with `pack` and `categories` (or `types`)")
    if "types" in data and "categories" not in data:
        flat = data.pop("types")  # popped first: `{**data, ...}` would copy it along
        data = {**data, "categories": _nest(flat)}
    try:
        return PackIn.model_validate(data)
    except ValidationError as exc:
        first = exc.errors()[0]
        where = ".".join(str(p) for p in first["loc"])
        code = _code_at(data, first["loc"])
        named = f"type {code!r}: " if code else ""
        raise ValidationFailed(f"pack: {named}{where}: {first['msg']}") from exc


def _code_at(data: Any, loc: tuple[int | str, ...]) -> str | None:
    """The code of the innermost type on the path of a validation error."""
    code = None
    node = data
    for part in loc:
        try:
            node = node[part]
        except (KeyError, IndexError, TypeError):
            break
        if isinstance(node, dict) and isinstance(node.get("code"), str):
            code = node["code"]
    return code


def export(session: Session) -> dict[str, Any]:
    """Every type as a pack (nested), ready for `yaml.safe_dump`."""

    def strip(node: TypeOut) -> dict[str, Any]:
        out = node.model_dump(
            exclude={"level", "pack", "active", "playbook_version", "children", "playbook"},
            exclude_none=True,
        )
        if node.playbook:
            out["playbook"] = [
                s.model_dump(exclude_none=True, exclude_defaults=True)
                | {"key": s.key, "title": s.title}
                for s in node.playbook
            ]
        if node.children:
            out["children"] = [strip(c) for c in node.children]
        return out

    return {"pack": "export", "categories": [strip(c) for c in tree(session)]}


def _nest(flat: Any) -> list[dict[str, Any]]:
    if not isinstance(flat, list) or not all(isinstance(t, dict) for t in flat):
        raise ValidationFailed("`types` must be a list of types, each with a `code`")
    by_code: dict[str, dict[str, Any]] = {}
    parents: dict[str, str | None] = {}
    for item in flat:
        code = str(item.get("code", ""))
        if code in by_code:
            raise ValidationFailed(f"duplicate type code {code!r}: each code must be unique")
        by_code[code] = {k: v for k, v in item.items() if k != "parent"} | {"children": []}
        parents[code] = item.get("parent")
    order = rules.order_flat(parents)
    roots: list[dict[str, Any]] = []
    for code in order:
        parent = parents[code]
        (by_code[parent]["children"] if parent else roots).append(by_code[code])
    return roots


def _apply(row: IncidentType, node: rules.Node, parent: IncidentType | None, now: datetime) -> bool:
    """Set a row from its spec; whether anything changed (then `updated_at` moves)."""
    spec = node.spec
    wanted: dict[str, Any] = {
        "name": spec.name,
        "description": spec.description,
        "parent_id": parent.id if parent else None,
        "level": node.level.value,
        "default_impact": spec.default_impact,
        "default_urgency": spec.default_urgency,
        "required_fields": spec.required_fields,
        "clearance": spec.clearance,
        "keywords": spec.keywords,
        "skills": spec.skills,
        "active": True,
    }
    changed = {k: v for k, v in wanted.items() if getattr(row, k, None) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    if changed:
        row.updated_at = now
    return bool(changed)


def _store_playbook(
    session: Session, row: IncidentType, steps: list[StepIn], now: datetime, actor: str | None
) -> int:
    wanted = [s.model_dump(exclude_none=True) for s in steps]
    current = current_playbook(session, row.id)
    if current is not None and current.steps == wanted:
        return 0
    if current is None and not wanted:
        return 0
    version = (current.version + 1) if current else 1
    session.add(
        Playbook(type_id=row.id, version=version, steps=wanted, created_at=now, created_by=actor)
    )
    session.flush()
    return 1


def _all(session: Session) -> dict[int, IncidentType]:
    return {t.id: t for t in session.scalars(select(IncidentType))}


def suggest_types(
    session: Session, *, text: str, limit: int = 5, history: suggest.History | None = None
) -> builtins.list[TypeSuggestion]:
    """The most likely types for a report's text, best first (offline, see `suggest`)."""
    return suggest.suggest(session, text=text, limit=limit, history=history)


def search_terms(text: str) -> builtins.list[str]:
    """The words of a report worth looking up in the incidents' text-search index."""
    return suggest.search_terms(text)
