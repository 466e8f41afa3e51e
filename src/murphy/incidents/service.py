"""Use cases for incidents. Never commits: the caller owns the transaction.

Every change goes through `append`, which writes the hash-chained timeline entry in
the same transaction as the change itself, calls the `incident_changed` hook (plugins
such as the service targets react in that transaction) and queues an event for after
the commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, false, select, true
from sqlalchemy.orm import Session

from murphy.core import audit, hooks, pagination
from murphy.core.clock import as_utc, isoformat, utcnow, zone
from murphy.core.errors import NotFound, PermissionDenied, PreconditionFailed, ValidationFailed
from murphy.core.events import Event, emit
from murphy.incidents import changes, queries, rules
from murphy.incidents.models import Incident, TimelineEntry
from murphy.incidents.schemas import (
    Change,
    Channel,
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
from murphy.sites.service import PlaceIds
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal


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
    created = {
        "number": number,
        "title": data.title,
        "description": data.description,
        "site": site.code,
        "place": sites_service.place_codes(session, place) if data.place else changes.no_place(),
        "occurred_at": isoformat(occurred) if occurred else None,
        "reported_at": isoformat(now),
        "channel": channel.value,
    }
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
    _announce(session, incident, "created", created, principal.username, now)
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
    """A page of the incidents the caller may see, newest first, with filters."""
    stmt = _SUMMARY.where(visible_to(principal))
    order = queries.ID
    if query.q and query.q.strip():
        stmt, order = queries.search(session, stmt, query.q)
    if query.status:
        stmt = stmt.where(Incident.status.in_([s.value for s in query.status]))
    if query.site:
        ids = sites_service.ids_for_codes(session, query.site).values()
        stmt = stmt.where(Incident.site_id.in_(ids))
    if query.reported_from:
        stmt = stmt.where(Incident.reported_at >= _aware(query.reported_from, "reported_from"))
    if query.reported_to:
        stmt = stmt.where(Incident.reported_at < _aware(query.reported_to, "reported_to"))
    if query.cursor:
        last_id = pagination.decode(query.cursor).get("id")
        if not isinstance(last_id, int):
            raise ValidationFailed("invalid cursor: pass next_cursor unchanged")
        stmt = stmt.where(order < last_id)
    page = stmt.order_by(order.desc()).limit(query.limit + 1)
    rows = session.connection().execute(page).all()  # columns only: skip the ORM layer
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    sites = sites_service.get_by_ids(session, {r.site_id for r in rows})
    places = sites_service.labels(
        session,
        [
            PlaceIds(r.site_id, r.building_id, r.floor_id, r.zone_id, r.location_detail)
            for r in rows
        ],
    )
    names = _usernames(session, {r.reporter_id for r in rows})
    items = [
        IncidentSummary(
            number=r.number,
            title=r.title,
            status=Status(r.status),
            site=sites[r.site_id].code,
            place=place,
            reported_at=r.reported_at,
            occurred_at=r.occurred_at,
            reporter=names.get(r.reporter_id),
        )
        for r, place in zip(rows, places, strict=True)
    ]
    cursor = pagination.encode({"id": rows[-1].id}) if more and rows else None
    return IncidentPage(items=items, next_cursor=cursor)


_SUMMARY = select(
    Incident.id,
    Incident.number,
    Incident.title,
    Incident.status,
    Incident.site_id,
    Incident.building_id,
    Incident.floor_id,
    Incident.zone_id,
    Incident.location_detail,
    Incident.reported_at,
    Incident.occurred_at,
    Incident.reporter_id,
)


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
    now = now or utcnow()
    entry: dict[str, Any] = {
        "action": move.action.value,
        "from": move.source.value,
        "to": move.target.value,
    }
    if move.reason:
        entry["reason"] = move.reason
    target = _merge_target(session, principal, incident, move) if move.merge_into else None
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


def require(principal: Principal, permission: Permission, what: str) -> None:
    """Refuse with 403 unless the caller's role grants `permission`."""
    if not principal.can(permission):
        raise PermissionDenied(f"your role ({principal.role.value}) may not {what}")


def visible_to(principal: Principal) -> ColumnElement[bool]:
    """The SQL condition for the incidents `principal` may see."""
    if principal.can(Permission.READ):
        cond: ColumnElement[bool] = true()
    elif principal.can(Permission.READ_OWN):
        cond = Incident.reporter_id == principal.id
    else:
        return false()
    if principal.site_ids is not None:
        cond = cond & Incident.site_id.in_(principal.site_ids)
    return cond


def append(
    session: Session,
    incident: Incident,
    *,
    kind: str,
    data: dict[str, Any],
    actor: Principal | None,
    at: datetime,
) -> TimelineEntry:
    seq = incident.timeline_length + 1
    username = actor.username if actor else None
    body = rules.entry_body(incident.number, seq, isoformat(at), username, kind, data)
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
) -> TimelineEntry:
    """Append an entry for another domain (a breach, a task, the ICS roster): the one
    way anything is written on an incident's timeline, with its hooks and event."""
    incident = session.scalar(select(Incident).where(Incident.id == incident_id).with_for_update())
    if incident is None:
        raise NotFound(f"no incident with id {incident_id}")
    incident.updated_at = at
    return append(session, incident, kind=kind, data=data, actor=actor, at=at)


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
    change = Change(incident=facts(incident), kind=kind, data=data, actor=actor, at=at)
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
            },
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


def _check_version(incident: Incident, expected: int | None) -> None:
    if expected is not None and expected != incident.version:
        raise PreconditionFailed(
            f"{incident.number} was changed by someone else (now version {incident.version}, "
            f"you had {expected}); reload it and try again"
        )


def _aware(value: datetime, name: str) -> datetime:
    if value.tzinfo is None:
        raise ValidationFailed(f"{name} needs a UTC offset, e.g. 2026-11-28T08:00:00Z")
    return value


def _usernames(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    return {
        i: ref.username for i, ref in users_service.refs(session, [i for i in ids if i]).items()
    }
