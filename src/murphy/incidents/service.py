"""Use cases for incidents. Never commits: the caller owns the transaction.

Every change goes through `append`, which writes the hash-chained timeline entry in
the same transaction as the change itself, calls the `incident_changed` hook (plugins
such as the service targets react in that transaction) and queues an event for after
the commit.
"""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, ScalarSelect, delete, func, select
from sqlalchemy.orm import Session

from murphy.core import audit, hooks, images, timers
from murphy.core.clock import as_utc, isoformat, utcnow, zone
from murphy.core.errors import (
    IllegalTransition,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
)
from murphy.core.events import Audience, Event, emit
from murphy.core.images import CleanImage
from murphy.incidents import changes, listing, queries, rules
from murphy.incidents.models import Assessment, Attachment, Contact, Incident, TimelineEntry
from murphy.incidents.schemas import (
    Action,
    AttachmentOut,
    Change,
    Channel,
    ContactOut,
    IncidentCreate,
    IncidentFacts,
    IncidentPage,
    IncidentQuery,
    IncidentSummary,
    IncidentUpdate,
    NoteIn,
    Status,
    TransitionIn,
)
from murphy.sites import service as sites_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal

OPEN = rules.OPEN  # the statuses of an open incident, for other domains
STATES_SEEN = "murphy.incidents.states"  # session.info key of intake.states' memory
CHUNK = 500  # ids per IN list in bulk statements


def report(
    session: Session,
    *,
    principal: Principal,
    data: IncidentCreate,
    channel: Channel = Channel.API,
    now: datetime | None = None,
) -> Incident:
    """Record a new incident with its number and its first timeline entry."""
    require(principal, Permission.REPORT, "report incidents")
    now = now or utcnow()
    site = sites_service.get(session, code=data.site)
    if site is None:
        raise ValidationFailed(f"unknown site {data.site!r}: see GET /api/v1/sites")
    if not principal.sees_site(site.id):
        raise PermissionDenied(f"you may not report incidents for site {site.code}")
    place = sites_service.resolve_place(session, site=site, place=data.place)
    tz = zone(site.timezone)
    occurred = as_utc(data.occurred_at, tz) if data.occurred_at else None
    rules.check_occurred_at(occurred, now)
    year = now.astimezone(tz).year
    seq = queries.next_number(session, year)
    number = rules.format_number(year, seq)
    created: dict[str, Any] = {
        "number": number,
        "title": data.title,
        "description": data.description,
        "site": site.code,
        "place": sites_service.place_codes(session, place) if data.place else changes.no_place(),
        "occurred_at": isoformat(occurred) if occurred else None,
        "reported_at": isoformat(now),
        "channel": channel.value,
    }
    if data.exercise:
        created["exercise"] = True  # on the chain: a drill can never pass for the real thing
    contact = data.contact if data.contact and data.contact.given() else None
    if contact is not None:
        created["contact"] = True  # only that there are details: they stay off the chain
    body = rules.entry_body(number, 1, isoformat(now), principal.username, "created", created)
    head = audit.chain_hash(audit.GENESIS, body)
    incident = Incident(
        number=number,
        year=year,
        seq=seq,
        title=data.title,
        description=data.description,
        status=Status.NEW.value,
        channel=channel.value,
        site_id=site.id,
        building_id=place.building_id,
        floor_id=place.floor_id,
        zone_id=place.zone_id,
        location_detail=place.detail,
        occurred_at=occurred,
        reported_at=now,
        reporter_id=principal.id,
        updated_at=now,
        version=1,
        timeline_length=1,
        timeline_head=head,
        resolution_summary="",
        cancel_reason="",
        priority_reason="",
        major=False,
        exercise=data.exercise,
    )
    incident.id = queries.insert_incident(session, incident)
    queries.insert_entry(
        session,
        TimelineEntry(
            incident_id=incident.id,
            seq=1,
            at=now,
            actor_id=principal.id,
            actor=principal.username,
            kind="created",
            data=created,
            prev_hash=audit.GENESIS,
            hash=head,
        ),
    )
    if contact is not None:
        session.add(
            Contact(
                incident_id=incident.id,
                name=contact.name,
                phone=contact.phone,
                email=contact.email,
                created_at=now,
            )
        )
    _announce(session, incident, "created", created, principal.username, now)
    return incident


def reporter_contact(session: Session, *, principal: Principal, number: str) -> ContactOut | None:
    """The reporter's contact details, for those who read the incident (not reporters)."""
    incident = get_or_raise(session, principal=principal, number=number)
    require(principal, Permission.READ, "see contact details")
    return contact(session, incident_id=incident.id)


def photos(session: Session, *, principal: Principal, number: str) -> builtins.list[AttachmentOut]:
    """The photos of an incident, for those who read it (not reporters)."""
    incident = get_or_raise(session, principal=principal, number=number)
    require(principal, Permission.READ, "see attachments")
    return attachments(session, incident_id=incident.id)


def contact(session: Session, *, incident_id: int) -> ContactOut | None:
    """How to reach whoever reported the incident, if they said (staff only)."""
    row = session.get(Contact, incident_id)
    return ContactOut(name=row.name, phone=row.phone, email=row.email) if row else None


MAX_PHOTOS = 5  # per report or addition
MAX_PHOTO_BYTES = 10 * 1024 * 1024


def clean_photos(
    photos: Sequence[tuple[str, bytes]], *, keep_location: bool = False
) -> builtins.list[tuple[str, CleanImage]]:
    """Uploaded photos (file name, bytes) checked and cleaned of their metadata (the
    location too, unless `keep_location`); a clear error names the one refused."""
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(f"at most {MAX_PHOTOS} photos at a time")
    out = []
    for name, raw in photos:
        try:
            out.append(
                (name, images.clean(raw, keep_metadata=keep_location, max_bytes=MAX_PHOTO_BYTES))
            )
        except images.ImageRefused as exc:
            raise ValidationFailed(f"{name or 'a photo'}: {exc}") from None
    return out


def add_photos(
    session: Session,
    *,
    principal: Principal,
    number: str,
    photos: Sequence[tuple[str, bytes]],
    now: datetime | None = None,
) -> TimelineEntry | None:
    """Staff add photos to an incident (an officer on the scene): checked, cleaned of
    their metadata, and on the timeline with their SHA-256."""
    incident = get_or_raise(session, principal=principal, number=number, for_update=True)
    require(principal, Permission.NOTE, "add photos")
    rules.check_notable(incident.number, Status(incident.status), _merged_number(session, incident))
    return attach_photos(
        session, principal=principal, incident=incident, photos=clean_photos(photos), now=now
    )


def attach_photos(
    session: Session,
    *,
    principal: Principal,
    incident: Incident,
    photos: Sequence[tuple[str, CleanImage]],
    now: datetime | None = None,
) -> TimelineEntry | None:
    """Attach checked photos (file name, cleaned image) to `incident` with one `photos`
    timeline entry that carries each photo's SHA-256, so the chain covers the bytes."""
    if not photos:
        return None
    if len(photos) > MAX_PHOTOS:
        raise ValidationFailed(f"at most {MAX_PHOTOS} photos at a time")
    now = now or utcnow()
    listed = [
        {
            "filename": rules.photo_name(name, image.extension),
            "media_type": image.media_type,
            "size": len(image.data),
            "sha256": hashlib.sha256(image.data).hexdigest(),
            "stripped": [*image.stripped],
        }
        for name, image in photos
    ]
    incident.updated_at = now
    entry = append(
        session, incident, kind="photos", data={"photos": listed}, actor=principal, at=now
    )
    for meta, (_, image) in zip(listed, photos, strict=True):
        session.add(
            Attachment(
                incident_id=incident.id,
                entry_seq=entry.seq,
                filename=meta["filename"],
                media_type=image.media_type,
                size=meta["size"],
                sha256=meta["sha256"],
                stripped=",".join(image.stripped),
                data=image.data,
                created_at=now,
            )
        )
    session.flush()
    return entry


def attachments(session: Session, *, incident_id: int) -> builtins.list[AttachmentOut]:
    """The photos of an incident (without their bytes), oldest first."""
    rows = session.execute(
        select(
            Attachment.id,
            Attachment.filename,
            Attachment.media_type,
            Attachment.size,
            Attachment.sha256,
            Attachment.stripped,
            Attachment.created_at,
            Incident.number,
        )
        .join(Incident, Incident.id == Attachment.incident_id)
        .where(Attachment.incident_id == incident_id)
        .order_by(Attachment.id)
    ).all()
    return [
        AttachmentOut(
            id=r.id,
            filename=r.filename,
            media_type=r.media_type,
            size=r.size,
            sha256=r.sha256,
            stripped=[x for x in r.stripped.split(",") if x],
            added_at=r.created_at,
            url=f"/api/v1/incidents/{r.number}/attachments/{r.id}",
        )
        for r in rows
    ]


def attachment(
    session: Session, *, principal: Principal, number: str, attachment_id: int
) -> tuple[str, str, bytes]:
    """(file name, media type, bytes) of a photo of an incident the caller may read."""
    incident = get_or_raise(session, principal=principal, number=number)
    require(principal, Permission.READ, "see attachments")
    row = session.get(Attachment, attachment_id)
    if row is None or row.incident_id != incident.id:
        raise NotFound(f"no attachment {attachment_id} on {incident.number}")
    return row.filename, row.media_type, row.data


def entries(session: Session, *, incident_id: int) -> Sequence[TimelineEntry]:
    """Every timeline entry of an incident, oldest first, for the system itself (as
    `get`): the caller decides what of it anyone may see."""
    return session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident_id)
        .order_by(TimelineEntry.seq)
    ).all()


def get(session: Session, *, incident_id: int, for_update: bool = False) -> Incident:
    """An incident by id, for the system itself (a timer, a plugin): no scope applies.
    Never answer a caller with it; callers go through `get_or_raise`. `for_update`
    locks it first (take the incident's lock before any of another domain's rows)."""
    if for_update:
        stmt = select(Incident).where(Incident.id == incident_id).with_for_update()
        incident = session.scalar(stmt)
    else:
        incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident with id {incident_id}")
    return incident


def get_or_raise(
    session: Session, *, principal: Principal, number: str, for_update: bool = False
) -> Incident:
    """The incident with this number if the caller may see it; otherwise NotFound.

    An incident outside the caller's scope answers exactly like one that does not exist.
    """
    canonical = rules.parse_number(number)
    stmt = select(Incident).where(Incident.number == canonical, visible_to(principal))
    if for_update:
        stmt = stmt.with_for_update()
    incident = session.scalar(stmt) if canonical else None
    if incident is None:
        raise NotFound(f"no incident {number}")
    return incident


def list(session: Session, *, principal: Principal, query: IncidentQuery) -> IncidentPage:
    """A page of the incidents the caller may see: newest first, or the queue order
    (unprioritized first, then P1..P5, oldest first); a search is newest first."""
    return listing.page(session, principal=principal, query=query)


def summaries(
    session: Session, *, principal: Principal, numbers: Sequence[str]
) -> dict[str, IncidentSummary]:
    """Queue rows (title, priority, place, next due target) for incidents by number, for
    other domains' pages (an officer's assignment); those the caller may not see are left
    out."""
    return listing.by_numbers(session, principal=principal, numbers=numbers)


def open_on_site(
    session: Session, *, principal: Principal, site_id: int, limit: int = 300
) -> builtins.list[tuple[IncidentSummary, sites_service.PlaceIds]]:
    """The newest open incidents of a site the caller may see, with their places (the
    board's map)."""
    return listing.open_on_site(session, principal=principal, site_id=site_id, limit=limit)


def update(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: IncidentUpdate,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Incident:
    """Change an incident's details; each changed field goes on the timeline with before/after."""
    incident = get_or_raise(session, principal=principal, number=number, for_update=True)
    require(principal, Permission.EDIT, "edit incidents")
    _check_version(incident, expected_version)
    rules.check_editable(incident.number, Status(incident.status))
    now = now or utcnow()
    changed = changes.apply_changes(session, principal, incident, data, now)
    if changed:
        incident.version += 1
        incident.updated_at = now
        append(
            session, incident, kind="updated", data={"changes": changed}, actor=principal, at=now
        )
    return incident


def transition(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: TransitionIn,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> Incident:
    """Move an incident through its lifecycle, if the state machine and the role allow it."""
    incident = get_or_raise(session, principal=principal, number=number, for_update=True)
    _check_version(incident, expected_version)
    move = rules.plan(
        Status(incident.status),
        data.to,
        reason=data.reason,
        resolution_code=data.resolution_code,
        merge_into=data.target,
    )
    require(principal, rules.PERMISSION_FOR[move.action], f"{move.action.value} incidents")
    _check_move(session, incident, move.action)
    now = now or utcnow()
    entry: dict[str, Any] = {
        "action": move.action.value,
        "from": move.source.value,
        "to": move.target.value,
    }
    if move.reason:
        entry["reason"] = move.reason
    target = _merge_target(session, principal, incident, move) if move.merge_into else None
    if move.action is Action.RESOLVE:
        asks = needs_effectiveness(session, incident)
        entry |= changes.evaluate(session, incident, data.effectiveness, required=asks, now=now)
    elif move.action is Action.REOPEN:
        changes.forget_evaluation(session, incident)
    changes.apply_move(incident, move, principal.id, now, target)
    if move.resolution_code:
        entry["resolution_code"] = move.resolution_code.value
    if target is not None:
        entry["merged_into"] = target.number
    incident.version += 1
    incident.updated_at = now
    append(session, incident, kind="transition", data=entry, actor=principal, at=now)
    if target is not None:
        target.version += 1
        target.updated_at = now
        merged = {"source": incident.number, "title": incident.title}
        append(session, target, kind="merged_from", data=merged, actor=principal, at=now)
    return incident


def add_note(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: NoteIn,
    now: datetime | None = None,
) -> TimelineEntry:
    """Add a note to an incident's timeline."""
    incident = get_or_raise(session, principal=principal, number=number, for_update=True)
    require(principal, Permission.NOTE, "add notes")
    rules.check_notable(incident.number, Status(incident.status), _merged_number(session, incident))
    now = now or utcnow()
    incident.updated_at = now
    return append(session, incident, kind="note", data={"body": data.body}, actor=principal, at=now)


def timeline(session: Session, *, principal: Principal, number: str) -> Sequence[TimelineEntry]:
    """The timeline entries of an incident that the caller may see, oldest first."""
    incident = get_or_raise(session, principal=principal, number=number)
    entries = session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id == incident.id)
        .order_by(TimelineEntry.seq)
    ).all()
    return [e for e in entries if rules.entry_visible(e.kind, e.actor, principal)]


def visible_numbers(
    session: Session, *, principal: Principal, ids: Iterable[int]
) -> dict[int, str]:
    """The numbers of those incidents (by id) that `principal` may see, in one query."""
    wanted = set(ids)
    if not wanted:
        return {}
    rows = session.execute(
        select(Incident.id, Incident.number).where(Incident.id.in_(wanted), visible_to(principal))
    )
    return {i: n for i, n in rows}


def visible_to(principal: Principal, columns: Any = None) -> ColumnElement[bool]:
    """The SQL condition for the incidents `principal` may see (sites, own reports,
    clearances for restricted types); over another table's `site_id`, `reporter_id` and
    `clearance` columns if given (`table.c`), such as the analytics facts."""
    return (
        queries.visible_to(principal) if columns is None else queries.visible_to(principal, columns)
    )


def analytics_table() -> Any:
    """The incidents table, read-only, for aggregate queries of other domains (analytics):
    always combine it with `visible_to(principal)`."""
    return Incident.__table__


def may_see(
    principal: Principal, *, site_id: int | None, clearance: str | None, owner_id: int | None
) -> bool:
    """Whether `principal` may see an incident with these facts: `visible_to` for one
    incident already in hand (a live event)."""
    if principal.can(Permission.READ):
        allowed = True
    elif principal.can(Permission.READ_OWN):
        allowed = owner_id is not None and owner_id == principal.id
    else:
        return False
    if principal.site_ids is not None and site_id not in principal.site_ids:
        return False
    return allowed and (clearance is None or clearance in principal.clearances)


def require(principal: Principal, permission: Permission, what: str) -> None:
    """Refuse with 403 unless the caller's role grants `permission`."""
    if not principal.can(permission):
        raise PermissionDenied(f"your role ({principal.role.value}) may not {what}")


def append(
    session: Session,
    incident: Incident,
    *,
    kind: str,
    data: dict[str, Any],
    actor: Principal | None,
    at: datetime,
    personal: Iterable[str] = (),
) -> TimelineEntry:
    seq = incident.timeline_length + 1
    username = actor.username if actor else None
    seals = audit.new_seals(data, personal)
    hashed = audit.sealed(data, seals)
    body = rules.entry_body(incident.number, seq, isoformat(at), username, kind, hashed)
    entry = TimelineEntry(
        incident_id=incident.id,
        seq=seq,
        at=at,
        actor_id=actor.id if actor else None,
        actor=username,
        kind=kind,
        data=data,
        prev_hash=incident.timeline_head,
        hash=audit.chain_hash(incident.timeline_head, body),
        seals=seals,
    )
    incident.timeline_length = seq
    incident.timeline_head = entry.hash
    session.flush()  # the incident's own changes first, then its entry
    queries.insert_entry(session, entry)
    _announce(session, incident, kind, data, username, at)
    return entry


def append_entry(
    session: Session,
    *,
    incident_id: int,
    kind: str,
    data: dict[str, Any],
    at: datetime,
    actor: Principal | None = None,
    personal: Iterable[str] = (),
) -> TimelineEntry:
    """Append an entry for another domain (a breach, a task, the ICS roster): the one
    way anything is written on an incident's timeline, with its hooks and event.
    `personal` names the fields of `data` that retention may remove later (a name, a
    plate): the hash covers them through a salted digest (core.audit)."""
    incident = session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())
    if incident is None:
        raise NotFound(f"no incident with id {incident_id}")
    incident.updated_at = at
    return append(session, incident, kind=kind, data=data, actor=actor, at=at, personal=personal)


def mark_acknowledged(
    session: Session,
    incident: Incident,
    *,
    actor: Principal,
    at: datetime,
    data: dict[str, Any] | None = None,
) -> bool:
    """Say someone has the incident (stops the acknowledge clock), once; True if this
    was the acknowledgement. `data` says how (a page acknowledged from its message)."""
    if incident.acknowledged_at is not None:
        return False
    incident.acknowledged_at, incident.acknowledged_by_id = at, actor.id
    incident.version += 1
    incident.updated_at = at
    append(session, incident, kind="acknowledged", data=data or {}, actor=actor, at=at)
    return True


def facts(incident: Incident) -> IncidentFacts:
    """What other domains are told about an incident."""
    return IncidentFacts(
        id=incident.id,
        number=incident.number,
        status=Status(incident.status),
        site_id=incident.site_id,
        type_id=incident.type_id,
        priority=incident.priority,
        reported_at=incident.reported_at,
        acknowledged_at=incident.acknowledged_at,
        clearance=incident.clearance,
        major=incident.major,
    )


def _announce(
    session: Session,
    incident: Incident,
    kind: str,
    data: dict[str, Any],
    actor: str | None,
    at: datetime,
) -> None:
    session.info.pop(STATES_SEEN, None)  # what intake.states remembered may be stale
    change = Change(
        incident=facts(incident),
        kind=kind,
        seq=incident.timeline_length,
        data=data,
        actor=actor,
        at=at,
    )
    hooks.call(session, "incident_changed", change=change)
    emit(
        session,
        Event(
            f"incident.{kind}",
            {
                "number": incident.number,
                "site_id": incident.site_id,
                "seq": incident.timeline_length,
                "status": incident.status,
                "priority": incident.priority,
                "actor": actor,
            },
            audience=Audience(
                site_id=incident.site_id,
                clearance=incident.clearance,
                owner_id=incident.reporter_id,
            ),
        ),
    )


def _merge_target(
    session: Session, principal: Principal, incident: Incident, move: rules.Move
) -> Incident:
    number = move.merge_into or ""
    try:
        target = get_or_raise(session, principal=principal, number=number, for_update=True)
    except NotFound:
        raise ValidationFailed(f"cannot merge into {number}: no such incident") from None
    rules.check_merge_target(incident.number, target.number, Status(target.status))
    return target


def _merged_number(session: Session, incident: Incident) -> str | None:
    if incident.merged_into_id is None:
        return None
    return session.scalar(select(Incident.number).where(Incident.id == incident.merged_into_id))


def needs_effectiveness(session: Session, incident: Incident) -> bool:
    """Whether resolving this incident asks for an effectiveness evaluation (its type)."""
    return rules.EFFECTIVENESS in _required_fields(session, incident)


def follow_up_due(session: Session, timer: timers.DueTimer) -> None:
    """The follow-up check of a resolved incident is due: say so on its timeline (the
    `incident.follow_up` event tells whoever resolved it). Nothing if it was reopened."""
    incident = session.get(Incident, int(timer.subject))
    if incident is None or incident.follow_up_on is None or incident.resolved_at is None:
        return
    resolver = (
        users_service.get_by_id(session, incident.resolved_by_id)
        if incident.resolved_by_id
        else None
    )
    data = {
        "effective": incident.effective,
        "note": incident.effectiveness_note,
        "follow_up_on": incident.follow_up_on.isoformat(),
        "resolved_by": resolver.username if resolver else None,
    }
    incident.updated_at = timer.fired_at
    append(session, incident, kind="follow_up_due", data=data, actor=None, at=timer.fired_at)


def _required_fields(session: Session, incident: Incident) -> builtins.list[str]:
    if incident.type_id is None:
        return []
    kind = taxonomy_service.by_ids(session, [incident.type_id])[incident.type_id]
    return builtins.list(kind.required_fields)


def missing_fields(session: Session, incident: Incident) -> builtins.list[str]:
    """The fields the incident's type requires (before resolving) that are still empty;
    the effectiveness evaluation is asked when resolving, not before."""
    if incident.type_id is None:
        return []
    kind = taxonomy_service.by_ids(session, [incident.type_id])[incident.type_id]
    record = session.get(Assessment, incident.id)
    filled = {
        "description": bool(incident.description.strip()),
        "place": any((incident.building_id, incident.zone_id, incident.location_detail.strip())),
        "occurred_at": incident.occurred_at is not None,
    }
    for name in ("immediate_actions", "risks", "suspected_root_cause", "recommended_solution"):
        filled[f"assessment.{name}"] = bool(record and (getattr(record, name) or "").strip())
    filled["assessment.parties_informed"] = bool(record and record.parties_informed)
    filled[rules.EFFECTIVENESS] = True
    return [f for f in kind.required_fields if not filled.get(f, False)]


def _check_move(session: Session, incident: Incident, action: Action) -> None:
    """What a move needs beyond the lifecycle: a type and a priority to triage, the
    type's required fields to resolve, and whatever the plugins say (open tasks)."""
    if action is Action.TRIAGE and (incident.type_id is None or incident.priority is None):
        raise IllegalTransition(
            f"cannot triage {incident.number} yet: classify it first (it needs a type "
            "and a priority)"
        )
    if action is Action.RESOLVE:
        missing = missing_fields(session, incident)
        if missing:
            raise IllegalTransition(
                f"cannot resolve {incident.number} yet: its type requires "
                f"{', '.join(missing)}; fill them in first",
                missing=missing,
            )
    reasons = hooks.call(
        session, "incident_move_allowed", incident=facts(incident), action=action.value
    )
    refused = [r for r in reasons if r]
    if refused:
        raise IllegalTransition(f"cannot {action.value} {incident.number}: {refused[0]}")


def _check_version(incident: Incident, expected: int | None) -> None:
    if expected is not None and expected != incident.version:
        raise PreconditionFailed(
            f"{incident.number} was changed by someone else (now version {incident.version}, "
            f"you had {expected}); reload it and try again"
        )


def reported_between(
    session: Session,
    *,
    principal: Principal,
    site_id: int,
    start: datetime,
    end: datetime,
    major_only: bool = False,
) -> Sequence[Incident]:
    """A site's incidents reported in [start, end) that the caller may see, oldest first
    (reports; index site_id, reported_at)."""
    window = (Incident.reported_at >= start, Incident.reported_at < end)
    where: builtins.list[ColumnElement[bool]] = [
        Incident.site_id == site_id,
        *window,
        visible_to(principal),
    ]
    if major_only:
        where.append(Incident.major.is_(True))
    return session.scalars(select(Incident).where(*where).order_by(Incident.reported_at)).all()


def open_at(
    session: Session, *, principal: Principal, site_id: int, end: datetime, lookback_days: int = 31
) -> builtins.list[Incident]:
    """A site's incidents reported before `end` and still open at `end` (reports), in two
    index-friendly queries: those open now (status index) and those of the last
    `lookback_days` (site_id, reported_at) closed only later."""
    # `site_id + 0`: the few open incidents come through the status index, not a scan of
    # the site's whole history through (site_id, reported_at).
    now_open = (Incident.status.in_([s.value for s in rules.OPEN]), Incident.site_id + 0 == site_id)
    opened = session.scalars(select(Incident).where(*now_open, visible_to(principal)))
    found = {i.id: i for i in opened if i.reported_at < end}
    later = [(c.is_(None)) | (c >= end) for c in (Incident.resolved_at, Incident.cancelled_at)]
    window = (
        Incident.reported_at >= end - timedelta(days=lookback_days),
        Incident.reported_at < end,
    )
    recent = (Incident.site_id == site_id, *window, *later, visible_to(principal))
    found.update((i.id, i) for i in session.scalars(select(Incident).where(*recent)))
    return sorted(found.values(), key=lambda i: (i.reported_at, i.id))


def touched_since(
    session: Session, *, principal: Principal, site_id: int, start: datetime
) -> Sequence[Incident]:
    """A site's incidents the caller may see changed at or after `start` (reports; index
    updated_at, id)."""
    where = (Incident.updated_at >= start, Incident.site_id == site_id, visible_to(principal))
    return session.scalars(select(Incident).where(*where)).all()


def entries_between(
    session: Session, *, incident_ids: Iterable[int], start: datetime, end: datetime
) -> builtins.list[TimelineEntry]:
    """Timeline entries of these incidents in [start, end), oldest first, in batched
    queries (IN lists of 500): never one query per incident."""
    ids = sorted(set(incident_ids))
    out: builtins.list[TimelineEntry] = []
    for i in range(0, len(ids), 500):
        window = (TimelineEntry.at >= start, TimelineEntry.at < end)
        query = select(TimelineEntry).where(
            TimelineEntry.incident_id.in_(ids[i : i + 500]), *window
        )
        out.extend(session.scalars(query))
    return sorted(out, key=lambda e: (e.at, e.incident_id, e.seq))


def assessment_of(session: Session, *, incident_id: int) -> Assessment | None:
    """The incident's assessment, if any (reports)."""
    return session.get(Assessment, incident_id)


def ended_ids(before: datetime) -> ScalarSelect[int]:
    """The ids of the incidents closed or cancelled before `before`, as a subquery: from
    then on, retention periods run. Open and merged incidents are never among them."""
    ended = func.coalesce(Incident.closed_at, Incident.cancelled_at)
    closed = Incident.status.in_((Status.CLOSED.value, Status.CANCELLED.value))
    return select(Incident.id).where(closed, ended < before).scalar_subquery()


def forget_contacts(session: Session, *, before: datetime) -> dict[int, int]:
    """Delete the reporters' contact details of incidents that ended before `before`:
    {incident id: 1} for each incident that had some."""
    due = Contact.incident_id.in_(ended_ids(before))
    ids = session.scalars(select(Contact.incident_id).where(due)).all()
    session.execute(delete(Contact).where(due))
    return dict.fromkeys(ids, 1)


def forget_report_photos(session: Session, *, before: datetime) -> dict[int, int]:
    """Delete the photos sent with reports of incidents that ended before `before` (their
    SHA-256 stays on the timeline): {incident id: photos deleted}."""
    ended = ended_ids(before)
    rows = session.execute(
        select(Attachment.incident_id, func.count())
        .where(Attachment.incident_id.in_(ended))
        .group_by(Attachment.incident_id)
    )
    counts = {incident_id: n for incident_id, n in rows}
    session.execute(delete(Attachment).where(Attachment.incident_id.in_(ended)))
    return counts


def remove_personal(
    session: Session,
    *,
    kinds: Iterable[str],
    key: str,
    replacements: Mapping[int, str],
    fields: Sequence[str],
    incident_ids: Iterable[int] | None = None,
) -> int:
    """Remove the values of the sealed `fields` from the entries of `kinds` whose data's
    `key` is one of `replacements` (a person's record, a statement), putting that value's
    replacement instead; on those incidents, or on any. The chain still verifies (see
    core.audit). How many entries changed.

    One pass over the entries of `kinds` (by the incidents' index when there are few)
    finds them, whatever the number of records; then they are changed by id."""
    if not replacements:
        return 0
    found = select(TimelineEntry.id, TimelineEntry.data[key].as_integer())
    found = found.where(TimelineEntry.kind.in_(tuple(kinds)))
    on = set(incident_ids) if incident_ids is not None else None
    if on is not None and len(on) <= CHUNK:
        found = found.where(TimelineEntry.incident_id.in_(on))
    ids = [entry_id for entry_id, value in session.execute(found) if value in replacements]
    changed = 0
    for start in range(0, len(ids), CHUNK):
        rows = session.scalars(
            select(TimelineEntry).where(TimelineEntry.id.in_(ids[start : start + CHUNK]))
        )
        for entry in rows:
            done = audit.unseal(entry.data, entry.seals, fields, replacements[entry.data[key]])
            if done is not None:
                entry.data, entry.seals = done
                changed += 1
    return changed
