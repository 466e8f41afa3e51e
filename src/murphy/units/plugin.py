"""The units domain's built-in plugin (see murphy.plugins.hookspecs): when an incident
ends (resolved, cancelled, merged), every unit still on it is cleared, in the same
transaction, with its times on the incident's timeline."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from murphy.core.hooks import hookimpl
from murphy.incidents.schemas import Status
from murphy.units import service


@hookimpl
def incident_changed(session: Session, change: Any) -> None:
    """Release the units of an incident that has just ended."""
    if change.kind != "transition":
        return
    status = Status(change.data.get("to", change.incident.status))
    if status in service.ENDS_ASSIGNMENTS:
        service.release_all(session, incident_id=change.incident.id, status=status, at=change.at)
