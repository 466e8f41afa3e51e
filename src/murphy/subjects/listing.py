"""Subjects: building records from input, their keys, and their outputs (one record,
search hits, links)."""

from __future__ import annotations

import base64
import hashlib
from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from murphy.core.clock import isoformat, utcnow
from murphy.core.errors import ValidationFailed
from murphy.core.images import CleanImage
from murphy.incidents import service as incidents_service
from murphy.subjects import queries, rules
from murphy.subjects.models import (
    Subject,
    SubjectIdentifier,
    SubjectLink,
    SubjectPhoto,
    SubjectToken,
)
from murphy.subjects.schemas import (
    ROLE_LABELS,
    Duplicate,
    Identifier,
    IdentifierKind,
    LinkOut,
    PersonIn,
    SubjectHit,
    SubjectIncident,
    SubjectKind,
    SubjectOut,
    SubjectRole,
    SubjectUpdate,
    VehicleIn,
)
from murphy.users.schemas import Principal

LABEL_MAX = 80


def build(data: PersonIn | VehicleIn | None, *, principal: Principal, at: datetime) -> Subject:
    """A new record from what was typed, checked (its keys are written after the flush)."""
    common = {"created_at": at, "created_by": principal.username, "updated_at": at, "version": 1}
    if isinstance(data, PersonIn):
        rules.check_birth_date(data.birth_date, at.date())
        return Subject(
            kind=SubjectKind.PERSON.value,
            name=data.name,
            name_key=rules.check_name(data.name),
            birth_date=data.birth_date,
            description=data.description,
            make="",
            model="",
            colour="",
            **common,
        )
    if data is None:
        raise ValidationFailed("give a person or a vehicle")
    return Subject(
        kind=SubjectKind.VEHICLE.value,
        plate=data.plate,
        plate_key=rules.check_plate(data.plate),
        make=data.make,
        model=data.model,
        colour=data.colour,
        description=data.description,
        **common,
    )


def write_keys(session: Session, subject: Subject, person: PersonIn | None) -> None:
    """A new person's name tokens and identifiers."""
    if person is None or subject.name is None:
        return
    _tokens(session, subject)
    _identifiers(session, subject, person.identifiers)


def apply(session: Session, subject: Subject, data: SubjectUpdate) -> None:
    """Change a record's fields of its kind, keys and tokens kept in step."""
    fields = data.model_dump(exclude_unset=True)
    rules.check_fields_of(subject.kind, set(fields))
    if subject.kind == SubjectKind.PERSON.value:
        _apply_person(session, subject, data, fields)
    else:
        if data.plate is not None:
            subject.plate, subject.plate_key = data.plate, rules.check_plate(data.plate)
        for name in ("make", "model", "colour"):
            if fields.get(name) is not None:
                setattr(subject, name, fields[name])
    if data.description is not None:
        subject.description = data.description


def _apply_person(
    session: Session, subject: Subject, data: SubjectUpdate, fields: dict[str, object]
) -> None:
    if data.name is not None:
        subject.name, subject.name_key = data.name, rules.check_name(data.name)
        _tokens(session, subject)
    if "birth_date" in fields:
        rules.check_birth_date(data.birth_date, utcnow().date())
        subject.birth_date = data.birth_date
    if data.identifiers is not None:
        _identifiers(session, subject, data.identifiers)


def _tokens(session: Session, subject: Subject) -> None:
    session.execute(delete(SubjectToken).where(SubjectToken.subject_id == subject.id))
    for token in sorted(rules.tokens(subject.name or "")):
        session.add(SubjectToken(subject_id=subject.id, token=token))


def _identifiers(session: Session, subject: Subject, items: Sequence[Identifier]) -> None:
    session.execute(delete(SubjectIdentifier).where(SubjectIdentifier.subject_id == subject.id))
    for item in items:
        key = rules.identifier_key(item.value)
        if key:
            session.add(
                SubjectIdentifier(
                    subject_id=subject.id, kind=item.kind.value, value=item.value, value_key=key
                )
            )


def label(subject: Subject) -> str:
    """A person's name or a vehicle's plate, cut short."""
    text = (subject.name if subject.kind == SubjectKind.PERSON.value else subject.plate) or "?"
    return text if len(text) <= LABEL_MAX else text[: LABEL_MAX - 1] + "…"


def summary(subject: Subject) -> str:
    """A vehicle's colour, make and model; a person's description; cut short."""
    if subject.kind == SubjectKind.VEHICLE.value:
        return rules.summary(subject.colour, subject.make, subject.model) or rules.summary(
            subject.description
        )
    return rules.summary(subject.description)


def entry_data(subject: Subject) -> dict[str, object]:
    """What a timeline entry keeps of a record: no date of birth, no identifiers."""
    return {"subject": subject.id, "kind": subject.kind, "label": label(subject)}


def link_out(row: SubjectLink, subject: Subject) -> LinkOut:
    """A link as the incident lists it."""
    role = SubjectRole(row.role)
    return LinkOut(
        id=row.id,
        subject_id=subject.id,
        kind=SubjectKind(subject.kind),
        label=label(subject),
        summary=summary(subject),
        role=role,
        role_label=ROLE_LABELS[role],
        note=row.note,
        created_at=row.created_at,
        created_by=row.created_by,
    )


def facts(subject: Subject, keys: set[str]) -> rules.Facts:
    """What duplicate detection compares."""
    return rules.Facts(
        kind=subject.kind,
        name_key=subject.name_key,
        birth_date=subject.birth_date,
        identifiers=frozenset(keys),
        plate_key=subject.plate_key,
    )


def duplicate(subject: Subject, reason: str) -> Duplicate:
    """A possible duplicate and why."""
    return Duplicate(
        id=subject.id,
        kind=SubjectKind(subject.kind),
        label=label(subject),
        birth_date=subject.birth_date,
        reason=reason,
    )


def incidents_of(
    session: Session, principal: Principal, subject_ids: Sequence[int]
) -> dict[int, list[SubjectIncident]]:
    """The incidents each subject appears in that the caller may see, newest first."""
    links = queries.links_of(session, subject_ids)
    numbers = incidents_service.visible_numbers(
        session, principal=principal, ids={row.incident_id for row in links}
    )
    rows = incidents_service.summaries(session, principal=principal, numbers=list(numbers.values()))
    out: dict[int, list[SubjectIncident]] = {i: [] for i in subject_ids}
    for row in links:
        found = rows.get(numbers.get(row.incident_id, ""))
        if found is not None:
            out[row.subject_id].append(
                SubjectIncident(
                    number=found.number,
                    title=found.title,
                    role=SubjectRole(row.role),
                    site=found.site,
                    reported_at=found.reported_at,
                )
            )
    for items in out.values():
        items.sort(key=lambda i: i.reported_at, reverse=True)
    return out


def hits(session: Session, principal: Principal, found: Sequence[Subject]) -> list[SubjectHit]:
    """Search results with their visible incidents; a record seen in none is dropped."""
    incidents = incidents_of(session, principal, [s.id for s in found])
    return [
        SubjectHit(
            id=s.id,
            kind=SubjectKind(s.kind),
            label=label(s),
            summary=summary(s),
            incidents=incidents[s.id],
        )
        for s in found
        if incidents[s.id]
    ]


def out(session: Session, principal: Principal, subject: Subject) -> SubjectOut:
    """One record in full, with the incidents the caller may see."""
    ids = session.scalars(queries.identifiers_of(subject.id)).all()
    return SubjectOut(
        id=subject.id,
        kind=SubjectKind(subject.kind),
        label=label(subject),
        name=subject.name,
        birth_date=subject.birth_date,
        description=subject.description,
        identifiers=[Identifier(kind=IdentifierKind(i.kind), value=i.value) for i in ids],
        plate=subject.plate,
        make=subject.make,
        model=subject.model,
        colour=subject.colour,
        created_at=subject.created_at,
        created_by=subject.created_by,
        updated_at=subject.updated_at,
        version=subject.version,
        merged_into_id=subject.merged_into_id,
        anonymized_at=subject.anonymized_at,
        photo_sha256=session.scalar(
            select(SubjectPhoto.sha256).where(SubjectPhoto.subject_id == subject.id)
        ),
        incidents=incidents_of(session, principal, [subject.id])[subject.id],
    )


ANONYMIZED = {
    SubjectKind.PERSON.value: "Anonymized person",
    SubjectKind.VEHICLE.value: "Anonymized vehicle",
}


def anonymize(session: Session, subjects: Sequence[Subject], at: datetime) -> None:
    """Clear what identifies these records; their kind, links and roles stay. The keys,
    identifiers and photos go in a few statements, whatever the number of records."""
    for subject in subjects:
        if subject.kind == SubjectKind.PERSON.value:
            subject.name, subject.birth_date = ANONYMIZED[subject.kind], None
        else:
            subject.plate = ANONYMIZED[subject.kind]
        subject.name_key = subject.plate_key = None
        subject.description = ""
        subject.anonymized_at = subject.updated_at = at
        subject.version += 1
    ids = [s.id for s in subjects]
    for start in range(0, len(ids), 500):
        chunk = ids[start : start + 500]
        for table in (SubjectToken, SubjectIdentifier, SubjectPhoto):
            session.execute(
                delete(table).where(table.subject_id.in_(chunk)),
                execution_options={"synchronize_session": False},
            )


def exported(session: Session, subject: Subject) -> dict[str, object]:
    """A record, its identifiers and every incident it is in, as plain JSON values."""
    ids = session.scalars(queries.identifiers_of(subject.id)).all()
    record = {
        "id": subject.id,
        "kind": subject.kind,
        "name": subject.name,
        "birth_date": subject.birth_date.isoformat() if subject.birth_date else None,
        "description": subject.description,
        "identifiers": [{"kind": i.kind, "value": i.value} for i in ids],
        "plate": subject.plate,
        "make": subject.make,
        "model": subject.model,
        "colour": subject.colour,
        "created_at": isoformat(subject.created_at),
        "created_by": subject.created_by,
        "merged_into_id": subject.merged_into_id,
        "anonymized_at": isoformat(subject.anonymized_at) if subject.anonymized_at else None,
        "photo": _photo_export(session.get(SubjectPhoto, subject.id)),
    }
    incidents = []
    for row in queries.links_of(session, [subject.id]):
        incident = incidents_service.get(session, incident_id=row.incident_id)
        incidents.append(
            {
                "number": incident.number,
                "title": incident.title,
                "status": incident.status,
                "reported_at": isoformat(incident.reported_at),
                "role": row.role,
                "note": row.note,
                "linked_at": isoformat(row.created_at),
                "linked_by": row.created_by,
            }
        )
    return {"record": record, "incidents": incidents}


def store_photo(session: Session, subject: Subject, image: CleanImage, username: str) -> None:
    """Keep `image` as the record's photo, replacing any."""
    session.execute(delete(SubjectPhoto).where(SubjectPhoto.subject_id == subject.id))
    session.add(
        SubjectPhoto(
            subject_id=subject.id,
            media_type=image.media_type,
            size=len(image.data),
            sha256=hashlib.sha256(image.data).hexdigest(),
            data=image.data,
            created_at=utcnow(),
            created_by=username,
        )
    )


def _photo_export(row: SubjectPhoto | None) -> dict[str, object] | None:
    if row is None:
        return None
    return {
        "media_type": row.media_type,
        "sha256": row.sha256,
        "added_at": isoformat(row.created_at),
        "added_by": row.created_by,
        "base64": base64.b64encode(row.data).decode(),
    }
