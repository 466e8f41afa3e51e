"""Categorize and assess: the type, the priority, the acknowledgement, the assessment.

Use cases like those of `service` (session first, never commit), each leaving its
entry on the timeline: `classified`, `prioritized`, `acknowledged`, `assessed`.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import ValidationFailed
from murphy.incidents import rules, service
from murphy.incidents.models import Assessment, Incident
from murphy.incidents.schemas import AssessmentIn, AssessmentOut, ClassifyIn, PriorityIn, Status
from murphy.sla import service as sla_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users.schemas import Permission, Principal

ASSESSMENT_FIELDS = (
    "immediate_actions",
    "risks",
    "suspected_root_cause",
    "recommended_solution",
    "parties_informed",
)


def classify(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: ClassifyIn,
    now: datetime | None = None,
) -> Incident:
    """Say what kind of incident this is. Impact and urgency default to the type's; the
    priority follows from the matrix (an earlier manual override is kept)."""
    incident = service.get_or_raise(session, principal=principal, number=number, for_update=True)
    service.require(principal, Permission.TRIAGE, "classify incidents")
    rules.check_editable(incident.number, Status(incident.status))
    kind = taxonomy_service.get_or_raise(session, code=data.type)
    if not kind.active or kind.level == "category":
        what = "inactive" if not kind.active else "a category"
        raise ValidationFailed(f"type {kind.code} is {what}: choose a type or subtype under it")
    now = now or utcnow()
    before = _classification(session, incident)
    incident.type_id, incident.clearance = kind.id, kind.clearance
    incident.impact = data.impact or kind.default_impact
    incident.urgency = data.urgency or kind.default_urgency
    if not incident.priority_reason:
        incident.priority = sla_service.priority_for(
            session, impact=incident.impact, urgency=incident.urgency
        )
    after = _classification(session, incident)
    if after == before:
        return incident
    _touch(incident, now)
    entry = {**after, "before": before}
    service.append(session, incident, kind="classified", data=entry, actor=principal, at=now)
    return incident


def prioritize(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: PriorityIn,
    now: datetime | None = None,
) -> Incident:
    """Change impact and urgency (the matrix gives the priority), or override the
    priority with a reason. `priority: null` with a reason is refused; sending impact and
    urgency without a priority returns to the matrix."""
    incident = service.get_or_raise(session, principal=principal, number=number, for_update=True)
    service.require(principal, Permission.TRIAGE, "set priorities")
    rules.check_editable(incident.number, Status(incident.status))
    if incident.type_id is None:
        raise ValidationFailed(f"classify {incident.number} first: a priority needs a type")
    now = now or utcnow()
    before = _priority(incident)
    incident.impact = data.impact or incident.impact
    incident.urgency = data.urgency or incident.urgency
    if data.priority is not None:
        if not data.reason.strip():
            raise ValidationFailed("overriding the priority needs a reason")
        incident.priority, incident.priority_reason = data.priority, data.reason.strip()
    else:
        incident.priority = sla_service.priority_for(
            session, impact=incident.impact or 3, urgency=incident.urgency or 3
        )
        incident.priority_reason = ""
    after = _priority(incident)
    if after != before:
        _touch(incident, now)
        entry = {**after, "before": before}
        service.append(session, incident, kind="prioritized", data=entry, actor=principal, at=now)
    return incident


def acknowledge(
    session: Session, *, principal: Principal, number: str, now: datetime | None = None
) -> Incident:
    """Someone in the control room has seen it (stops the acknowledge clock). Once."""
    incident = service.get_or_raise(session, principal=principal, number=number, for_update=True)
    service.require(principal, Permission.TRIAGE, "acknowledge incidents")
    service.mark_acknowledged(session, incident, actor=principal, at=now or utcnow())
    return incident


def assess(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: AssessmentIn,
    now: datetime | None = None,
) -> AssessmentOut:
    """Record immediate actions, risks, suspected root cause, recommended solution and
    parties informed; each changed field goes on the timeline with before and after."""
    incident = service.get_or_raise(session, principal=principal, number=number, for_update=True)
    service.require(principal, Permission.EDIT, "assess incidents")
    rules.check_editable(incident.number, Status(incident.status))
    now = now or utcnow()
    row = session.get(Assessment, incident.id) or Assessment(incident_id=incident.id)
    changes: dict[str, dict[str, Any]] = {}
    for name in ASSESSMENT_FIELDS:
        value = getattr(data, name)
        if name not in data.model_fields_set or value is None:
            continue
        old = getattr(row, name) if getattr(row, name) is not None else _empty(name)
        if value != old:
            changes[name] = {"before": old, "after": value}
            setattr(row, name, value)
    if changes:
        row.updated_at = now
        session.add(row)
        _touch(incident, now)
        data_out = {"changes": changes}
        service.append(session, incident, kind="assessed", data=data_out, actor=principal, at=now)
    return assessment(session, incident_id=incident.id)


def assessment(session: Session, *, incident_id: int) -> AssessmentOut:
    """The assessment record of an incident (empty if none yet)."""
    row = session.get(Assessment, incident_id)
    if row is None:
        return AssessmentOut()
    return AssessmentOut(
        immediate_actions=row.immediate_actions or "",
        risks=row.risks or "",
        suspected_root_cause=row.suspected_root_cause or "",
        recommended_solution=row.recommended_solution or "",
        parties_informed=row.parties_informed or [],
        updated_at=row.updated_at,
    )


def _classification(session: Session, incident: Incident) -> dict[str, Any]:
    code = name = None
    if incident.type_id is not None:
        kind = taxonomy_service.by_ids(session, [incident.type_id])[incident.type_id]
        code, name = kind.code, kind.name
    return {"type": code, "type_name": name, **_priority(incident)}


def _priority(incident: Incident) -> dict[str, Any]:
    return {
        "impact": incident.impact,
        "urgency": incident.urgency,
        "priority": incident.priority,
        "override": incident.priority_reason or None,
    }


def _empty(name: str) -> Any:
    return [] if name == "parties_informed" else ""


def _touch(incident: Incident, now: datetime) -> None:
    incident.version += 1
    incident.updated_at = now
