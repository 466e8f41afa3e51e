"""How an incident changes: applying an edit field by field, and a lifecycle move.

Used by `service`; each function works on a loaded incident inside the caller's
transaction and returns what changed, for the timeline.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from murphy.core import timers
from murphy.core.clock import as_utc, isoformat, zone
from murphy.core.errors import ValidationFailed
from murphy.incidents import rules
from murphy.incidents.models import Incident
from murphy.incidents.schemas import Action, EffectivenessIn, IncidentUpdate
from murphy.sites import service as sites_service
from murphy.sites.schemas import PlaceIn
from murphy.sites.service import PlaceIds, SiteRow
from murphy.users.schemas import Principal


def place_ids(incident: Incident) -> PlaceIds:
    """Where an incident is, as ids."""
    return PlaceIds(
        incident.site_id,
        incident.building_id,
        incident.floor_id,
        incident.zone_id,
        incident.location_detail,
    )


# --- internals -----------------------------------------------------------------------


def apply_changes(
    session: Session,
    principal: Principal,
    incident: Incident,
    data: IncidentUpdate,
    now: datetime,
) -> dict[str, dict[str, Any]]:
    sent = data.model_fields_set
    changes: dict[str, dict[str, Any]] = {}
    if "title" in sent:
        if not data.title:
            raise ValidationFailed("title cannot be empty")
        _record(changes, "title", incident.title, data.title)
        incident.title = data.title
    if "description" in sent:
        _record(changes, "description", incident.description, data.description or "")
        incident.description = data.description or ""
    site, moved = _change_site(session, principal, incident, data.site, changes)
    if "place" in sent or moved:
        _change_place(session, incident, site, data.place if "place" in sent else None, changes)
    if "occurred_at" in sent:
        occurred = as_utc(data.occurred_at, zone(site.timezone)) if data.occurred_at else None
        rules.check_occurred_at(occurred, now)
        before = isoformat(incident.occurred_at) if incident.occurred_at else None
        _record(changes, "occurred_at", before, isoformat(occurred) if occurred else None)
        incident.occurred_at = occurred
    return changes


def _record(changes: dict[str, dict[str, Any]], field: str, before: Any, after: Any) -> None:
    if before != after:
        changes[field] = {"before": before, "after": after}


def _change_site(
    session: Session,
    principal: Principal,
    incident: Incident,
    code: str | None,
    changes: dict[str, dict[str, Any]],
) -> tuple[SiteRow, bool]:
    """Move the incident to another site; returns the site and whether it moved."""
    site = sites_service.get_by_ids(session, [incident.site_id])[incident.site_id]
    if not code:
        return site, False
    new_site = sites_service.get(session, code=code)
    if new_site is None or not principal.sees_site(new_site.id):
        raise ValidationFailed(f"unknown site {code!r}")
    _record(changes, "site", site.code, new_site.code)
    incident.site_id = new_site.id
    return new_site, new_site.id != site.id


def _change_place(
    session: Session,
    incident: Incident,
    site: SiteRow,
    place_in: PlaceIn | None,
    changes: dict[str, dict[str, Any]],
) -> None:
    before = sites_service.place_codes(session, place_ids(incident))
    place = sites_service.resolve_place(session, site=site, place=place_in)
    after = sites_service.place_codes(session, place) if place_in else no_place()
    incident.building_id, incident.floor_id = place.building_id, place.floor_id
    incident.zone_id, incident.location_detail = place.zone_id, place.detail
    _record(changes, "place", before, after)


def apply_move(
    incident: Incident, move: rules.Move, actor_id: int, now: datetime, target: Incident | None
) -> None:
    incident.status = move.target.value
    if move.action is Action.TRIAGE:
        incident.triaged_at, incident.triaged_by_id = now, actor_id
        if incident.acknowledged_at is None:  # triage is an acknowledgement too
            incident.acknowledged_at, incident.acknowledged_by_id = now, actor_id
    elif move.action is Action.RESPOND:
        incident.responding_at, incident.responding_by_id = now, actor_id
    elif move.action is Action.RESOLVE:
        incident.resolved_at, incident.resolved_by_id = now, actor_id
        incident.resolution_code = move.resolution_code.value if move.resolution_code else None
        incident.resolution_summary = move.reason
    elif move.action is Action.CLOSE:
        incident.closed_at, incident.closed_by_id = now, actor_id
    elif move.action is Action.REOPEN:
        incident.resolved_at = incident.resolved_by_id = None
        incident.closed_at = incident.closed_by_id = None
        incident.resolution_code, incident.resolution_summary = None, ""
    elif move.action is Action.CANCEL:
        incident.cancelled_at, incident.cancelled_by_id = now, actor_id
        incident.cancel_reason = move.reason
    elif move.action is Action.MERGE and target is not None:
        incident.merged_into_id = target.id


def no_place() -> dict[str, str | None]:
    return {"building": None, "floor": None, "zone": None, "detail": ""}


def evaluate(
    session: Session,
    incident: Incident,
    given: EffectivenessIn | None,
    *,
    required: bool,
    now: datetime,
) -> dict[str, Any]:
    """Record the effectiveness evaluation of a resolve (refused when the type asks for
    one and none was given), arm its follow-up reminder, and return the entry's part."""
    if given is None:
        if required:
            raise ValidationFailed(
                f"resolving {incident.number} needs an effectiveness evaluation (its type asks"
                " for one): did the action fix it? Give effective: yes, partly or no"
            )
        return {}
    site = sites_service.get_by_ids(session, [incident.site_id])[incident.site_id]
    tz = zone(site.timezone)
    rules.check_follow_up(given.follow_up_on, now.astimezone(tz).date())
    incident.effective, incident.effectiveness_note = given.effective.value, given.note
    incident.follow_up_on = given.follow_up_on
    out: dict[str, Any] = {"effective": given.effective.value, "note": given.note}
    if given.follow_up_on is not None:
        due = rules.follow_up_at(given.follow_up_on, tz)
        timers.schedule(
            session, kind=rules.FOLLOW_UP, subject=str(incident.id), due_at=due, now=now
        )
        out["follow_up_on"] = given.follow_up_on.isoformat()
    return {"effectiveness": out}


def forget_evaluation(session: Session, incident: Incident) -> None:
    """A reopened incident's evaluation no longer holds: clear it, cancel its reminder."""
    if incident.follow_up_on is not None:
        timers.cancel(session, kind=rules.FOLLOW_UP, subject=str(incident.id))
    incident.effective, incident.effectiveness_note, incident.follow_up_on = None, "", None
