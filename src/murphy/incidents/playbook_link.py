"""Which playbook version an incident follows (`Incident.playbook_id`).

Written by the playbooks domain when a classification turns a playbook into tasks;
the column belongs to the incident row, so the write lives here. Never commits.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core.errors import NotFound
from murphy.incidents.models import Incident


def followed(session: Session, *, incident_id: int) -> int | None:
    """The id of the playbook version the incident follows, or None."""
    return session.scalar(select(Incident.playbook_id).where(Incident.id == incident_id))


def follow(session: Session, *, incident_id: int, playbook_id: int | None) -> None:
    """Record that the incident now follows this playbook version (None: no playbook).

    The timeline entry that says so (`tasks_created`) is the playbooks domain's.
    """
    incident = session.get(Incident, incident_id)
    if incident is None:
        raise NotFound(f"no incident with id {incident_id}")
    incident.playbook_id = playbook_id
