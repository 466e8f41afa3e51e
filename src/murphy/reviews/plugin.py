"""The reviews domain's built-in plugin (hook implementations; see murphy.plugins.hookspecs).

A resolved incident that needs a review gets one opened; closing it waits for the
approval; overdue corrective actions are flagged by a durable timer.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from murphy.core.hooks import hookimpl
from murphy.core.timers import DueTimer, Handler
from murphy.incidents.schemas import Change, IncidentFacts
from murphy.reviews import service


@hookimpl
def incident_changed(session: Session, change: Change) -> None:
    """Open the review of an incident that needs one, when it is resolved."""
    service.on_change(session, change=change)


@hookimpl
def incident_move_allowed(session: Session, incident: IncidentFacts, action: str) -> str | None:
    """Refuse to close an incident whose required review is not approved."""
    return service.move_refused(session, incident=incident, action=action)


@hookimpl
def timer_handlers() -> dict[str, Handler]:
    """The handler of `review.overdue` timers."""
    return {service.OVERDUE: flag}


def flag(session: Session, timer: DueTimer) -> None:
    """Flag an overdue corrective action, once."""
    service.flag_overdue(session, timer=timer)
