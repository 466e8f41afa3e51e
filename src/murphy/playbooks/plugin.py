"""The playbooks domain's built-in plugin (hook implementations; see murphy.plugins.hookspecs).

A classification turns the type's playbook into tasks; resolving (or closing) waits
until no mandatory task is open.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from murphy.core.hooks import hookimpl
from murphy.incidents.schemas import Change, IncidentFacts
from murphy.playbooks import service


@hookimpl
def incident_changed(session: Session, change: Change) -> None:
    """Make tasks when an incident is classified (or reclassified to another type)."""
    if change.kind == "classified":
        service.on_classified(session, change=change)


@hookimpl
def incident_move_allowed(session: Session, incident: IncidentFacts, action: str) -> str | None:
    """Refuse to resolve or close while mandatory tasks are open, naming them."""
    return service.refusal(session, incident_id=incident.id, action=action)
