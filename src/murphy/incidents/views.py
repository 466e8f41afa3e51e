"""Read models: incidents and timelines in the shape the API and the pages show."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.incidents import changes, rules
from murphy.incidents.models import Incident, TimelineEntry
from murphy.incidents.schemas import (
    ChainHead,
    Channel,
    IncidentOut,
    Milestone,
    ResolutionCode,
    Status,
    TimelineEntryOut,
)
from murphy.sites import service as sites_service
from murphy.sla import service as sla_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service
from murphy.users.schemas import Principal, UserRef

_MILESTONES = ("acknowledged", "triaged", "responding", "resolved", "closed", "cancelled")


def incident_out(session: Session, *, principal: Principal, incident: Incident) -> IncidentOut:
    """Everything about one incident, with the moves the caller may make now."""
    site = sites_service.get_by_ids(session, [incident.site_id])[incident.site_id]
    (place,) = sites_service.describe(session, [changes.place_ids(incident)])
    actor_ids = {incident.reporter_id} | {getattr(incident, f"{m}_by_id") for m in _MILESTONES}
    me = UserRef(username=principal.username, display_name=principal.display_name)
    users = users_service.refs(session, [i for i in actor_ids if i and i != principal.id])
    users[principal.id] = me
    milestones = {}
    for m in _MILESTONES:
        at = getattr(incident, f"{m}_at")
        by = getattr(incident, f"{m}_by_id")
        milestones[m] = Milestone(at=at, by=users.get(by)) if at else None
    merged_into = None
    if incident.merged_into_id:
        merged_into = session.scalar(
            select(Incident.number).where(Incident.id == incident.merged_into_id)
        )
    return IncidentOut(
        number=incident.number,
        title=incident.title,
        description=incident.description,
        status=Status(incident.status),
        site=sites_service.to_out(site),
        place=place,
        occurred_at=incident.occurred_at,
        reported_at=incident.reported_at,
        reporter=users.get(incident.reporter_id) if incident.reporter_id else None,
        channel=Channel(incident.channel),
        resolution_code=ResolutionCode(incident.resolution_code)
        if incident.resolution_code
        else None,
        resolution_summary=incident.resolution_summary,
        cancel_reason=incident.cancel_reason,
        merged_into=merged_into,
        version=incident.version,
        updated_at=incident.updated_at,
        allowed_transitions=rules.options(Status(incident.status), principal),
        timeline=ChainHead(length=incident.timeline_length, head=incident.timeline_head),
        type=taxonomy_service.ref(session, incident.type_id) if incident.type_id else None,
        impact=incident.impact,
        urgency=incident.urgency,
        priority=incident.priority,
        priority_reason=incident.priority_reason,
        major=incident.major,
        exercise=incident.exercise,
        complexity=incident.complexity,
        clocks=sla_service.clocks(session, incident_id=incident.id),
        **milestones,
    )


def timeline_out(session: Session, entries: Sequence[TimelineEntry]) -> list[TimelineEntryOut]:
    """Timeline entries with their actors' names."""
    users = users_service.refs(session, {e.actor_id for e in entries if e.actor_id})
    return [
        TimelineEntryOut(
            seq=e.seq,
            at=e.at,
            actor=users.get(e.actor_id) if e.actor_id else _system(e.actor),
            kind=e.kind,
            data=e.data,
            prev_hash=e.prev_hash,
            hash=e.hash,
            seals=e.seals,
        )
        for e in entries
    ]


def _system(actor: str | None) -> UserRef | None:
    return UserRef(username=actor, display_name=actor) if actor else None
