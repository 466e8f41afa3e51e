"""The problems domain's built-in plugin: watch fixed problems for recurrences."""

from __future__ import annotations

from sqlalchemy.orm import Session

from murphy.core.hooks import hookimpl
from murphy.incidents.schemas import Change
from murphy.problems import service


@hookimpl
def incident_changed(session: Session, change: Change) -> None:
    """A new or newly classified incident may bring a fixed problem back."""
    service.on_change(session, change=change)
