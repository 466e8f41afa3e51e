"""Use cases for priority and service targets. Never commits: the caller owns the
transaction."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from murphy.core import config
from murphy.core.clock import utcnow
from murphy.sla import rules
from murphy.sla.schemas import MatrixOut

MATRIX_KEY = "priority_matrix"


def matrix(session: Session) -> MatrixOut:
    """The priority matrix in force (the organization's, or the default)."""
    stored = config.get(session, MATRIX_KEY)
    if stored is None:
        return MatrixOut(matrix=rules.default_matrix(), default=True)
    return MatrixOut(matrix=stored, default=False)


def set_matrix(
    session: Session, *, value: object, actor: str | None, now: datetime | None = None
) -> MatrixOut:
    """Replace the priority matrix; an invalid one is refused and nothing changes."""
    checked = rules.check_matrix(value)
    config.put(session, MATRIX_KEY, checked, actor=actor, now=now or utcnow())
    return MatrixOut(matrix=checked, default=False)


def priority_for(session: Session, *, impact: int, urgency: int) -> int:
    """The priority the matrix gives an impact and an urgency."""
    return rules.priority(matrix(session).matrix, impact, urgency)
