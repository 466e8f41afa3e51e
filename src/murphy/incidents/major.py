"""Major incidents: declaring one (NIMS/ICS) and changing its complexity type.

Use cases at the level of `triage` (session first, never commit), each setting
`Incident.major` / `Incident.complexity` and leaving its entry on the timeline:
`ics_declared`, `ics_complexity`. The ICS roster and the operational periods are the
ics domain's; it calls these.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import Conflict, IllegalTransition, ValidationFailed
from murphy.incidents import rules, service
from murphy.incidents.models import Incident
from murphy.incidents.schemas import Status
from murphy.users.schemas import Permission, Principal

COMPLEXITY = range(1, 6)  # ICS complexity type 5 (simplest) .. 1 (most complex)


def declare(
    session: Session,
    *,
    principal: Principal,
    number: str,
    complexity: int,
    commander: dict[str, Any],
    now: datetime | None = None,
) -> Incident:
    """Declare an open incident major, with its complexity type and its incident
    commander (`{"user": ..., "name": ...}`, as the roster records them)."""
    incident = service.get_or_raise(session, principal=principal, number=number, for_update=True)
    service.require(principal, Permission.COMMAND, "declare major incidents")
    _check_complexity(complexity)
    if Status(incident.status) not in rules.OPEN:
        raise IllegalTransition(
            f"{incident.number} is {incident.status}: only an open incident can be declared major"
        )
    if incident.major:
        raise Conflict(
            f"{incident.number} is already a major incident (complexity type "
            f"{incident.complexity}): change its complexity or its commander instead"
        )
    now = now or utcnow()
    incident.major, incident.complexity = True, complexity
    _touch(incident, now)
    entry = {"complexity": complexity, "commander": commander}
    service.append(session, incident, kind="ics_declared", data=entry, actor=principal, at=now)
    return incident


def set_complexity(
    session: Session,
    *,
    principal: Principal,
    number: str,
    complexity: int,
    reason: str = "",
    now: datetime | None = None,
) -> Incident:
    """Change the complexity type of a major incident (it grew, or it shrank)."""
    incident = service.get_or_raise(session, principal=principal, number=number, for_update=True)
    service.require(principal, Permission.COMMAND, "change the complexity of major incidents")
    _check_complexity(complexity)
    check_command(incident)
    if incident.complexity == complexity:
        return incident
    now = now or utcnow()
    entry: dict[str, Any] = {"complexity": complexity, "before": incident.complexity}
    if reason.strip():
        entry["reason"] = reason.strip()
    incident.complexity = complexity
    _touch(incident, now)
    service.append(session, incident, kind="ics_complexity", data=entry, actor=principal, at=now)
    return incident


def check_command(incident: Incident) -> None:
    """The ICS roster and periods change only on a major incident that is not final."""
    if not incident.major:
        raise IllegalTransition(
            f"{incident.number} is not a major incident: declare it major first "
            "(POST .../ics/declare)"
        )
    rules.check_editable(incident.number, Status(incident.status))


def _check_complexity(complexity: int) -> None:
    if complexity not in COMPLEXITY:
        raise ValidationFailed("complexity is an ICS type from 5 (simplest) to 1 (most complex)")


def _touch(incident: Incident, now: datetime) -> None:
    incident.version += 1
    incident.updated_at = now
