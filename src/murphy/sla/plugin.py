"""The sla domain's built-in plugin (hook implementations; see murphy.plugins.hookspecs).

The clocks follow each change of an incident, in the change's transaction; a breach is
a durable timer whose handler writes `sla_breached` on the incident's timeline, which
is what the escalation rules react to (through the same `incident_changed` hook).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from murphy.core.hooks import hookimpl
from murphy.core.timers import DueTimer, Handler
from murphy.incidents import service as incidents_service
from murphy.sla import service


@hookimpl
def incident_changed(session: Session, change: Any) -> None:
    """Start, retarget, meet, restart or stop the incident's clocks."""
    service.track(session, change=change)


@hookimpl
def timer_handlers() -> dict[str, Handler]:
    """The handler of `sla.breach` timers."""
    return {service.BREACH: breach}


def breach(session: Session, timer: DueTimer) -> None:
    """Breach the timer's clock if it still runs, and say so on the timeline (as the
    system: no actor). Idempotent: a met, paused or already breached clock does nothing."""
    found = service.breach(session, timer=timer)
    if found is None:
        return
    incident_id, data = found
    incidents_service.append_entry(
        session, incident_id=incident_id, kind="sla_breached", data=data, at=timer.fired_at
    )
