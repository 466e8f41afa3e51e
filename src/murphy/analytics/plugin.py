"""The analytics domain's built-in plugin (see murphy.plugins.hookspecs): every incident that
changes in a transaction has its fact row rewritten just before that transaction commits,
once, with everything the other plugins did (the clocks met or breached, the units
released) already in it. A transaction that rolls back rewrites nothing."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.orm import Session

from murphy.analytics import changes
from murphy.core.hooks import hookimpl
from murphy.incidents.schemas import Change


@hookimpl
def incident_changed(session: Session, change: Change) -> None:
    """Mark the incident: its row is rewritten before the commit."""
    changes.mark(session, change.incident.id)


@event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    changes.refresh_marked(session)


@event.listens_for(Session, "after_soft_rollback")
def _after_soft_rollback(session: Session, previous: Any) -> None:
    if not getattr(previous, "nested", False):  # a savepoint keeps the others' marks
        changes.forget_marked(session)
