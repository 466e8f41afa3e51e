"""Subjects' SQL: what the caller may see (through the incidents), search, duplicate lookups."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, delete, exists, not_, or_, select
from sqlalchemy.orm import Session, aliased

from murphy.incidents import service as incidents_service
from murphy.subjects import rules
from murphy.subjects.models import (
    Subject,
    SubjectIdentifier,
    SubjectLink,
    SubjectToken,
    SubjectView,
)
from murphy.users.schemas import Principal

MAX_WORDS = 5
MAX_HOPS = 20  # merged into a record merged into another...


def seen_by(principal: Principal) -> ColumnElement[bool]:
    """Subjects linked to at least one incident `principal` may see (site and clearance)."""
    incidents = incidents_service.analytics_table()
    return exists(
        select(SubjectLink.id)
        .join(incidents, incidents.c.id == SubjectLink.incident_id)
        .where(SubjectLink.subject_id == Subject.id, incidents_service.visible_to(principal))
    )


def unlinked_own(principal: Principal) -> ColumnElement[bool]:
    """Subjects with no link at all that `principal` recorded (after an unlink)."""
    linked = exists(select(SubjectLink.id).where(SubjectLink.subject_id == Subject.id))
    return and_(not_(linked), Subject.created_by == principal.username)


def visible(session: Session, principal: Principal, subject_id: int) -> Subject | None:
    """The subject if `principal` may see it (a merged one: if they may see the record it
    was merged into), else None."""
    subject = session.get(Subject, subject_id)
    target = subject
    for _ in range(MAX_HOPS):
        if target is None or target.merged_into_id is None:
            break
        target = session.get(Subject, target.merged_into_id)
    if target is None:
        return None
    stmt = select(Subject.id).where(
        Subject.id == target.id, or_(seen_by(principal), unlinked_own(principal))
    )
    return subject if session.scalar(stmt) is not None else None


def by_name(principal: Principal, words: Sequence[str], limit: int) -> Any:
    """People whose name has a word starting with each of `words`, in the order of the
    matching word then of the record: the scan walks the token index from the longest
    word's prefix and stops at `limit` rows the caller may see (a record whose name has
    two words starting so may come twice: the caller drops the second)."""
    stmt = _words(
        select(Subject).join(SubjectToken, SubjectToken.subject_id == Subject.id), words
    ).where(Subject.kind == "person", Subject.merged_into_id.is_(None))
    return (
        stmt.where(seen_by(principal))
        .order_by(SubjectToken.token, SubjectToken.subject_id)
        .limit(limit)
    )


def by_plate(principal: Principal, key: str, limit: int) -> Any:
    """Vehicles whose plate starts with `key` (letters and digits), the exact plate first."""
    return (
        select(Subject)
        .where(
            Subject.kind == "vehicle",
            Subject.merged_into_id.is_(None),
            Subject.plate_key >= key,
            Subject.plate_key < rules.prefix_end(key),
            seen_by(principal),
        )
        .order_by(Subject.plate_key, Subject.id.desc())
        .limit(limit)
    )


def links_of(session: Session, subject_ids: Iterable[int]) -> Sequence[SubjectLink]:
    """The links of these subjects, oldest first."""
    ids = list(subject_ids)
    if not ids:
        return []
    stmt = select(SubjectLink).where(SubjectLink.subject_id.in_(ids)).order_by(SubjectLink.id)
    return session.scalars(stmt).all()


def identifier_keys(session: Session, subject_ids: Iterable[int]) -> dict[int, set[str]]:
    """The identifier keys of each subject."""
    out: dict[int, set[str]] = {}
    ids = list(subject_ids)
    if ids:
        rows = session.execute(
            select(SubjectIdentifier.subject_id, SubjectIdentifier.value_key).where(
                SubjectIdentifier.subject_id.in_(ids)
            )
        )
        for subject_id, key in rows:
            out.setdefault(subject_id, set()).add(key)
    return out


def duplicate_candidates(
    session: Session, principal: Principal, subject: Subject, keys: set[str]
) -> Sequence[Subject]:
    """Live records of the same kind sharing the name key, an identifier or the plate key,
    among those `principal` may see."""
    if subject.kind == "vehicle":
        same = Subject.plate_key == subject.plate_key
    else:
        same_ids = select(SubjectIdentifier.subject_id).where(
            SubjectIdentifier.value_key.in_(keys or {""})
        )
        same = or_(Subject.name_key == subject.name_key, Subject.id.in_(same_ids))
    stmt = (
        select(Subject)
        .where(
            same,
            Subject.kind == subject.kind,
            Subject.id != subject.id,
            Subject.merged_into_id.is_(None),
            seen_by(principal),
        )
        .order_by(Subject.id)
        .limit(50)
    )
    return session.scalars(stmt).all()


def identifiers_of(subject_id: int) -> Any:
    """A record's identifiers, in the order given."""
    return (
        select(SubjectIdentifier)
        .where(SubjectIdentifier.subject_id == subject_id)
        .order_by(SubjectIdentifier.id)
    )


def ids_by_words(words: Sequence[str], limit: int, among: Any = None) -> Any:
    """Person record ids (merged ones too) with a name word starting with each of `words`,
    unscoped; with `among` (a select of record ids), only those records and the records
    they were merged into."""
    stmt = _words(select(SubjectToken.subject_id), words)
    if among is not None:
        stmt = stmt.where(_among(SubjectToken.subject_id, among))
    return stmt.order_by(SubjectToken.token, SubjectToken.subject_id).limit(limit)


def ids_by_identifier(key: str, limit: int, among: Any = None) -> Any:
    """Person record ids (merged ones too) with an identifier whose key is `key`."""
    stmt = select(SubjectIdentifier.subject_id).where(SubjectIdentifier.value_key == key)
    if among is not None:
        stmt = stmt.where(_among(SubjectIdentifier.subject_id, among))
    return stmt.order_by(SubjectIdentifier.subject_id).limit(limit)


def _words(stmt: Any, words: Sequence[str]) -> Any:
    """`stmt` (over SubjectToken) narrowed to names with a word starting with each of
    `words`: a range over the token index for the longest, an EXISTS for each other."""
    wanted = list(dict.fromkeys(words))[:MAX_WORDS]
    drive = max(wanted, key=len)
    stmt = stmt.where(SubjectToken.token >= drive, SubjectToken.token < rules.prefix_end(drive))
    for word in wanted:
        if word != drive:
            other = aliased(SubjectToken)
            stmt = stmt.where(
                exists(
                    select(other.token).where(
                        other.subject_id == SubjectToken.subject_id,
                        other.token >= word,
                        other.token < rules.prefix_end(word),
                    )
                )
            )
    return stmt


def _among(column: Any, among: Any) -> ColumnElement[bool]:
    """`column` is one of `among`, or the record one of them was merged into."""
    survivors = select(Subject.merged_into_id).where(
        Subject.id.in_(among), Subject.merged_into_id.is_not(None)
    )
    return or_(column.in_(among), column.in_(survivors))


def survivors(session: Session, subject_ids: Iterable[int]) -> dict[int, int]:
    """Each record id mapped to the live record it was merged into (itself if live)."""
    out = {i: i for i in subject_ids}
    pending = set(out)
    for _ in range(MAX_HOPS):
        if not pending:
            break
        rows = session.execute(
            select(Subject.id, Subject.merged_into_id).where(
                Subject.id.in_(pending), Subject.merged_into_id.is_not(None)
            )
        ).all()
        moved = {old: new for old, new in rows if new is not None}
        for start, now in out.items():
            if now in moved:
                out[start] = moved[now]
        pending = set(moved.values())
    return out


def merged_among(session: Session, among: Any) -> list[int]:
    """The records of `among` (a select of ids) that were merged into another."""
    stmt = select(Subject.id).where(Subject.id.in_(among), Subject.merged_into_id.is_not(None))
    return list(session.scalars(stmt))


def retention_due(session: Session, kind: str, before: datetime) -> Sequence[Subject]:
    """Records of `kind`, not yet anonymized, made before `before`, in no incident that is
    open or ended since (locked for the change)."""
    recent = exists(
        select(SubjectLink.id).where(
            SubjectLink.subject_id == Subject.id,
            SubjectLink.incident_id.not_in(incidents_service.ended_ids(before)),
        )
    )
    stmt = select(Subject).where(
        Subject.kind == kind,
        Subject.anonymized_at.is_(None),
        Subject.created_at < before,
        not_(recent),
    )
    return session.scalars(stmt.order_by(Subject.id).with_for_update()).all()


def delete_views(session: Session, before: datetime) -> int:
    """Delete the views logged before `before`: how many."""
    result = session.execute(delete(SubjectView).where(SubjectView.at < before))
    return int(getattr(result, "rowcount", 0) or 0)


def merged_into(session: Session, subject_ids: Sequence[int]) -> list[tuple[int, int]]:
    """(record, a record merged into it) for each record merged into one of these."""
    out: list[tuple[int, int]] = []
    for start in range(0, len(subject_ids), 500):
        chunk = subject_ids[start : start + 500]
        rows = session.execute(
            select(Subject.merged_into_id, Subject.id).where(Subject.merged_into_id.in_(chunk))
        )
        out += [(int(a or 0), int(b)) for a, b in rows]
    return out
