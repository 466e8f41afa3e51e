"""Subjects: people and vehicles involved in incidents. Linking, search (scoped through
the incidents), duplicates and merging, and the log of who viewed a record."""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from murphy.core import images
from murphy.core.clock import utcnow
from murphy.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
)
from murphy.incidents import service as incidents_service
from murphy.subjects import listing, queries, rules
from murphy.subjects.models import Subject, SubjectLink, SubjectPhoto, SubjectView
from murphy.subjects.schemas import (
    ROLE_LABELS,
    Duplicate,
    LinkIn,
    LinkOut,
    SubjectHit,
    SubjectKind,
    SubjectOut,
    SubjectPanel,
    SubjectUpdate,
)
from murphy.users.schemas import Permission, Principal

LINKED, UNLINKED, MERGED = "subject_linked", "subject_unlinked", "subjects_merged"
PERSONAL = ("label",)  # a name or a plate on the timeline: removable by retention
OTHERS_KEYED = ("ban_issued", "ban_lifted")  # other domains' entries naming a record by id
SEARCH_LIMIT = 50


def require_reader(principal: Principal) -> None:
    """Refuse with 403 unless the caller reads incidents of their sites."""
    incidents_service.require(principal, Permission.READ, "read people and vehicles")


def link(session: Session, *, principal: Principal, number: str, data: LinkIn) -> LinkOut:
    """Link a subject (existing, or described now) to an incident, with its role."""
    incidents_service.require(principal, Permission.NOTE, "add people or vehicles to incidents")
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    at = utcnow()
    if data.subject_id is not None:
        subject = _live(session, principal, data.subject_id)
        created = False
    else:
        subject = listing.build(data.person or data.vehicle, principal=principal, at=at)
        created = True
    if subject.id is not None and _link_of(session, subject.id, incident.id) is not None:
        raise Conflict(f"{listing.label(subject)} is already linked to {incident.number}")
    session.add(subject)
    session.flush()
    if created:
        listing.write_keys(session, subject, data.person)
    row = SubjectLink(
        subject_id=subject.id,
        incident_id=incident.id,
        role=data.role.value,
        note=data.note,
        created_at=at,
        created_by=principal.username,
    )
    session.add(row)
    session.flush()
    _entry(session, principal, incident.id, LINKED, subject, at, role=data.role.value)
    out = listing.link_out(row, subject)
    if created:
        out.possible_duplicates = _duplicates(session, principal, subject)
    return out


def unlink(session: Session, *, principal: Principal, number: str, link_id: int) -> None:
    """Take a subject off an incident (linked by mistake)."""
    incidents_service.require(principal, Permission.NOTE, "change people on incidents")
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    row = session.get(SubjectLink, link_id)
    if row is None or row.incident_id != incident.id:
        raise NotFound(f"{incident.number} has no person or vehicle link {link_id}")
    subject = session.get_one(Subject, row.subject_id)
    session.delete(row)
    _entry(session, principal, incident.id, UNLINKED, subject, utcnow(), role=row.role)


def for_incident(
    session: Session, *, principal: Principal, incident_id: int
) -> builtins.list[LinkOut]:
    """The people and vehicles of an incident the caller already sees."""
    if not principal.can(Permission.READ):
        return []
    rows = session.execute(
        select(SubjectLink, Subject)
        .join(Subject, Subject.id == SubjectLink.subject_id)
        .where(SubjectLink.incident_id == incident_id)
        .order_by(SubjectLink.id)
    ).all()
    return [listing.link_out(row, subject) for row, subject in rows]


def panel(session: Session, *, principal: Principal, number: str) -> SubjectPanel:
    """The incident page's "People and vehicles" section: the list (each with its possible
    duplicates) and whether to offer the form."""
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    links = for_incident(session, principal=principal, incident_id=incident.id)
    for item in links:
        subject = session.get_one(Subject, item.subject_id)
        item.possible_duplicates = _duplicates(session, principal, subject)
    return SubjectPanel(
        number=incident.number,
        links=links,
        can_read=principal.can(Permission.READ),
        can_add=principal.can(Permission.NOTE) and incident.status != "merged",
        roles={role.value: label for role, label in ROLE_LABELS.items()},
    )


def detail(
    session: Session, *, principal: Principal, subject_id: int, how: str = "api"
) -> SubjectOut:
    """One record with its incidents (those the caller may see) and possible duplicates;
    the view is logged. A merged record answers with `merged_into_id` only set, unlogged."""
    require_reader(principal)
    subject = _visible(session, principal, subject_id)
    out = listing.out(session, principal, subject)
    if subject.merged_into_id is None:
        session.add(SubjectView(subject_id=subject.id, user_id=principal.id, at=utcnow(), how=how))
        out.possible_duplicates = _duplicates(session, principal, subject)
    return out


def update(
    session: Session,
    *,
    principal: Principal,
    subject_id: int,
    data: SubjectUpdate,
    version: int | None,
) -> SubjectOut:
    """Correct a record (Permission.EDIT, or whoever recorded it); If-Match refuses a stale
    edit."""
    subject = _editable(session, principal, subject_id, version)
    listing.apply(session, subject, data)
    subject.updated_at = utcnow()
    subject.version += 1
    return listing.out(session, principal, subject)


def set_photo(
    session: Session, *, principal: Principal, subject_id: int, data: bytes, version: int | None
) -> SubjectOut:
    """Add or replace a record's photo (JPEG, PNG or WebP; metadata removed): as for
    corrections, Permission.EDIT or whoever recorded it; If-Match refuses a stale one."""
    subject = _editable(session, principal, subject_id, version)
    try:
        image = images.clean(data, max_bytes=rules.MAX_PHOTO_BYTES)
    except images.ImageRefused as exc:
        raise ValidationFailed(f"photo: {exc}") from None
    listing.store_photo(session, subject, image, principal.username)
    subject.updated_at, subject.version = utcnow(), subject.version + 1
    return listing.out(session, principal, subject)


def remove_photo(
    session: Session, *, principal: Principal, subject_id: int, version: int | None
) -> SubjectOut:
    """Take a record's photo off (the wrong person)."""
    subject = _editable(session, principal, subject_id, version)
    if session.get(SubjectPhoto, subject.id) is None:
        raise NotFound(f"record {subject.id} has no photo")
    session.execute(delete(SubjectPhoto).where(SubjectPhoto.subject_id == subject.id))
    subject.updated_at, subject.version = utcnow(), subject.version + 1
    return listing.out(session, principal, subject)


def photo(session: Session, *, principal: Principal, subject_id: int) -> tuple[str, bytes, str]:
    """The photo of a record the caller may see: (media type, bytes, SHA-256). Not logged
    on its own: it is shown with the record, whose view is."""
    require_reader(principal)
    subject = _visible(session, principal, subject_id)
    row = session.get(SubjectPhoto, subject.id)
    if row is None:
        raise NotFound(f"record {subject.id} has no photo")
    return row.media_type, row.data, row.sha256


def search(
    session: Session,
    *,
    principal: Principal,
    q: str,
    kind: SubjectKind | None = None,
    limit: int = SEARCH_LIMIT,
) -> builtins.list[SubjectHit]:
    """People by the start of their name's words, vehicles by the start of their plate;
    each with the incidents the caller may see (a record seen in none is left out). Not
    logged as a view: a hit shows the name and the incidents only."""
    require_reader(principal)
    found: builtins.list[Subject] = []
    words = rules.name_words(q)
    if words and kind is not SubjectKind.VEHICLE:
        found += dict.fromkeys(session.scalars(queries.by_name(principal, words, limit)))
    key = rules.plate_key(q)
    if key and kind is not SubjectKind.PERSON:
        found += session.scalars(queries.by_plate(principal, key, limit)).all()
    return listing.hits(session, principal, found)


def duplicates(
    session: Session, *, principal: Principal, subject_id: int
) -> builtins.list[Duplicate]:
    """Records that may describe the same person or vehicle (never merged by themselves)."""
    require_reader(principal)
    return _duplicates(session, principal, _live(session, principal, subject_id))


def merge(session: Session, *, principal: Principal, subject_id: int, into: int) -> SubjectOut:
    """Merge a duplicate into the survivor: its links move (roles kept, no double link),
    it points at the survivor, and each incident it was on says so in its timeline."""
    require_reader(principal)
    incidents_service.require(principal, Permission.MERGE, "merge people or vehicle records")
    gone = _live(session, principal, subject_id)
    survivor = _live(session, principal, into)
    rules.check_merge(gone.id, gone.kind, survivor.id, survivor.kind)
    at = utcnow()
    taken = set(
        session.scalars(
            select(SubjectLink.incident_id).where(SubjectLink.subject_id == survivor.id)
        )
    )
    moved = []
    for row in queries.links_of(session, [gone.id]):
        moved.append(row.incident_id)
        if row.incident_id in taken:
            session.delete(row)
        else:
            row.subject_id = survivor.id
    gone.merged_into_id = survivor.id
    for record in (gone, survivor):
        record.updated_at, record.version = at, record.version + 1
    session.flush()
    for incident_id in moved:
        data = {"merged": gone.id, **listing.entry_data(survivor)}
        incidents_service.append_entry(
            session,
            incident_id=incident_id,
            kind=MERGED,
            data=data,
            at=at,
            actor=principal,
            personal=PERSONAL,
        )
    return listing.out(session, principal, survivor)


def views_of(session: Session, *, subject_id: int) -> builtins.list[tuple[int, datetime, str]]:
    """Who viewed a record, when and how (user id, time, api or page), oldest first."""
    rows = session.execute(
        select(SubjectView.user_id, SubjectView.at, SubjectView.how)
        .where(SubjectView.subject_id == subject_id)
        .order_by(SubjectView.id)
    )
    return [(u, at, how) for u, at, how in rows]


def anonymize_ended(
    session: Session, *, kind: SubjectKind, before: datetime, keep: set[int], at: datetime
) -> int:
    """Anonymize the records of `kind` made before `before` that are in no incident still
    open or ended since, and not in `keep` (held by a ban or a BOLO): a person's name,
    date of birth, description and identifiers go; a vehicle's plate and description. The
    links and their roles stay, so the incidents' statistics do. How many."""
    due = [s for s in queries.retention_due(session, kind.value, before) if s.id not in keep]
    listing.anonymize(session, due, at)
    _remove_from_timelines(session, due)
    return len(due)


def forget_views(session: Session, *, before: datetime) -> int:
    """Delete the log of views of records older than `before`: how many."""
    return queries.delete_views(session, before)


def export(session: Session, *, principal: Principal, subject_id: int) -> dict[str, Any]:
    """Everything held on one record (PRIVACY), whatever the incidents' scope: the record,
    its identifiers, its incidents and roles, and who viewed it; the export is logged."""
    incidents_service.require(principal, Permission.PRIVACY, "export personal data")
    subject = session.get(Subject, subject_id)
    if subject is None:
        raise NotFound(f"no person or vehicle record {subject_id}")
    data = listing.exported(session, subject)
    session.add(SubjectView(subject_id=subject.id, user_id=principal.id, at=utcnow(), how="export"))
    return data


# --- internals -----------------------------------------------------------------------


def _visible(session: Session, principal: Principal, subject_id: int) -> Subject:
    subject = queries.visible(session, principal, subject_id)
    if subject is None:
        raise NotFound(f"no person or vehicle record {subject_id}")
    return subject


def _live(session: Session, principal: Principal, subject_id: int) -> Subject:
    subject = _visible(session, principal, subject_id)
    if subject.merged_into_id is not None:
        raise Conflict(
            f"record {subject.id} was merged into record {subject.merged_into_id}; use that one",
            merged_into=subject.merged_into_id,
        )
    if subject.anonymized_at is not None:
        raise Conflict(f"record {subject.id} was anonymized under the retention policy")
    return subject


def _remove_from_timelines(session: Session, subjects: Sequence[Subject]) -> None:
    """Take anonymized records' labels off every timeline they are on (those of records
    merged into them too: the same person, on the same incidents)."""
    replacements = {s.id: listing.label(s) for s in subjects}
    for survivor, gone in queries.merged_into(session, list(replacements)):
        replacements[gone] = replacements[survivor]
    incidents_service.remove_personal(
        session,
        kinds=(LINKED, UNLINKED, MERGED, *OTHERS_KEYED),
        key="subject",
        replacements=replacements,
        fields=PERSONAL,
    )


def _editable(
    session: Session, principal: Principal, subject_id: int, version: int | None
) -> Subject:
    subject = _live(session, principal, subject_id)
    if not (principal.can(Permission.EDIT) or subject.created_by == principal.username):
        raise PermissionDenied(f"your role ({principal.role.value}) may not edit this record")
    if version is not None and version != subject.version:
        raise PreconditionFailed(
            f"record {subject.id} was changed by someone else (now version {subject.version},"
            f" you had {version}); reload it and try again"
        )
    return subject


def _link_of(session: Session, subject_id: int, incident_id: int) -> SubjectLink | None:
    return session.scalar(
        select(SubjectLink).where(
            SubjectLink.subject_id == subject_id, SubjectLink.incident_id == incident_id
        )
    )


def _duplicates(
    session: Session, principal: Principal, subject: Subject
) -> builtins.list[Duplicate]:
    keys = queries.identifier_keys(session, [subject.id]).get(subject.id, set())
    found = queries.duplicate_candidates(session, principal, subject, keys)
    others = queries.identifier_keys(session, [s.id for s in found])
    me = listing.facts(subject, keys)
    out = []
    for other in found:
        reason = rules.duplicate_reason(me, listing.facts(other, others.get(other.id, set())))
        if reason:
            out.append(listing.duplicate(other, reason))
    return out


def _entry(
    session: Session,
    principal: Principal,
    incident_id: int,
    kind: str,
    subject: Subject,
    at: datetime,
    *,
    role: str,
) -> None:
    data = {**listing.entry_data(subject), "role": role}
    incidents_service.append_entry(
        session,
        incident_id=incident_id,
        kind=kind,
        data=data,
        at=at,
        actor=principal,
        personal=PERSONAL,
    )


# --- for other domains' lookups (bans) ---------------------------------------------------


def match_ids(session: Session, *, query: str, limit: int, among: Any = None) -> builtins.list[int]:
    """Person ids whose name words start with the query's words, or whose identifier key
    equals the query; merged records resolve to their survivor. Unscoped: the caller
    scopes by its own records, e.g. `among` (a select of record ids: only those and the
    records they were merged into)."""
    found: builtins.list[int] = []
    words = rules.name_words(query)
    if words:
        found += session.scalars(queries.ids_by_words(words, limit, among))
    key = rules.identifier_key(query)
    if key:
        found += session.scalars(queries.ids_by_identifier(key, limit, among))
    resolved = queries.survivors(session, found)
    return builtins.list(dict.fromkeys(resolved[i] for i in found))[:limit]


def records_of(session: Session, *, subject_ids: Iterable[int], among: Any) -> dict[int, int]:
    """The records among `among` (a select of ids) that are, or were merged into, one of
    `subject_ids`, each mapped to that live record."""
    wanted = set(subject_ids)
    out = {i: i for i in wanted}
    for old, survivor in queries.survivors(session, queries.merged_among(session, among)).items():
        if survivor in wanted:
            out[old] = survivor
    return out


def people(session: Session, *, subject_ids: Iterable[int]) -> dict[int, tuple[str, date | None]]:
    """The name and date of birth of these people, unscoped (the caller scopes)."""
    ids = set(subject_ids)
    if not ids:
        return {}
    rows = session.execute(
        select(Subject.id, Subject.name, Subject.birth_date).where(Subject.id.in_(ids))
    )
    return {i: (name or "", born) for i, name, born in rows}


def person_for(session: Session, *, principal: Principal, subject_id: int) -> str:
    """The name of a live person record the caller may see (through an incident), or
    NotFound, Conflict (merged) or ValidationFailed (a vehicle)."""
    subject = _live(session, principal, subject_id)
    if subject.kind != SubjectKind.PERSON.value:
        raise ValidationFailed(f"record {subject.id} is a vehicle: give a person")
    return subject.name or ""


def log_view(session: Session, *, principal: Principal, subject_id: int, how: str) -> None:
    """Keep that the caller viewed this person's record through another page (a ban)."""
    session.add(SubjectView(subject_id=subject_id, user_id=principal.id, at=utcnow(), how=how))
