"""The review policy (kept in the core config table) and the review rows' read side."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core import config
from murphy.core.errors import NotFound, PreconditionFailed
from murphy.incidents.schemas import IncidentFacts
from murphy.reviews import rules
from murphy.reviews.models import CorrectiveAction, Review
from murphy.reviews.schemas import (
    ActionOut,
    ActionStatus,
    PolicyIn,
    PolicyOut,
    ReviewOut,
    ReviewStatus,
)
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service

KEY = "reviews.policy"


def policy(session: Session) -> PolicyOut:
    """The stored policy, or the default one (P1 and P2, major incidents)."""
    stored = config.get(session, KEY)
    return PolicyOut.model_validate(stored) if stored else PolicyOut()


def set_policy(
    session: Session, *, data: PolicyIn, actor: str, expected: int | None, now: datetime
) -> PolicyOut:
    """Store the policy (unknown type codes refused), refusing a stale version."""
    current = policy(session)
    if expected is not None and expected != current.version:
        raise PreconditionFailed(
            f"the review policy was changed by someone else (now version {current.version}, "
            f"you had {expected}); reload it and try again"
        )
    for code in data.types:
        taxonomy_service.get_or_raise(session, code=code)
    out = PolicyOut(**data.model_dump(), version=current.version + 1)
    config.put(session, KEY, out.model_dump(), actor=actor, now=now)
    return out


def requires(session: Session, facts: IncidentFacts) -> bool:
    """Whether this incident needs an approved review before it closes."""
    stored = policy(session)
    type_ids = taxonomy_service.descendants(session, stored.types) if stored.types else set()
    chosen = rules.Policy(priorities=frozenset(stored.priorities), type_ids=frozenset(type_ids))
    return rules.requires_review(
        chosen, priority=facts.priority, type_id=facts.type_id, major=facts.major
    )


def of_incident(session: Session, incident_id: int) -> Review | None:
    """The review of an incident, if it has one."""
    return session.scalar(select(Review).where(Review.incident_id == incident_id))


def require_review(session: Session, incident_id: int, number: str) -> Review:
    """The incident's review, or a 404 that says how to open one."""
    found = of_incident(session, incident_id)
    if found is None:
        raise NotFound(f"{number} has no review yet (POST /api/v1/incidents/{number}/review)")
    return found


def actions_of(session: Session, review_id: int) -> Sequence[CorrectiveAction]:
    """A review's actions, by due date."""
    return session.scalars(
        select(CorrectiveAction)
        .where(CorrectiveAction.review_id == review_id)
        .order_by(CorrectiveAction.due_on, CorrectiveAction.id)
    ).all()


def actions_by_review(
    session: Session, review_ids: set[int]
) -> dict[int, builtins.list[CorrectiveAction]]:
    """The actions of many reviews, by review id, in one query."""
    out: dict[int, builtins.list[CorrectiveAction]] = {}
    if review_ids:
        stmt = select(CorrectiveAction).where(CorrectiveAction.review_id.in_(review_ids))
        for action in session.scalars(stmt):
            out.setdefault(action.review_id, []).append(action)
    return out


def action_outs(
    session: Session, rows: Sequence[CorrectiveAction], numbers: dict[int, str], today: date
) -> builtins.list[ActionOut]:
    """Actions as shown (`numbers`: incident number by review id)."""
    owners = users_service.refs(session, {a.owner_id for a in rows})
    return [
        ActionOut(
            id=a.id,
            number=numbers[a.review_id],
            title=a.title,
            owner=owners[a.owner_id].username if a.owner_id in owners else "?",
            due_on=a.due_on,
            status=ActionStatus(a.status),
            note=a.note,
            overdue=rules.is_overdue(a.due_on, ActionStatus(a.status), today),
            version=a.version,
            created_at=a.created_at,
            updated_at=a.updated_at,
        )
        for a in rows
    ]


def review_out(session: Session, review: Review, number: str, title: str, today: date) -> ReviewOut:
    """A review with its actions."""
    actions = action_outs(session, actions_of(session, review.id), {review.id: number}, today)
    return ReviewOut(
        number=number,
        title=title,
        status=ReviewStatus(review.status),
        required=review.required,
        summary=review.summary,
        root_causes=list(review.root_causes),
        contributing_factors=list(review.contributing_factors),
        went_well=review.went_well,
        went_badly=review.went_badly,
        lessons=review.lessons,
        authors=list(review.authors),
        return_reason=review.return_reason,
        opened_by=review.opened_by,
        opened_at=review.opened_at,
        submitted_by=review.submitted_by,
        submitted_at=review.submitted_at,
        approved_by=review.approved_by,
        approved_at=review.approved_at,
        version=review.version,
        actions=actions,
    )


def incident_numbers(session: Session, review_ids: set[int]) -> dict[int, int]:
    """Incident id by review id."""
    if not review_ids:
        return {}
    rows = session.execute(select(Review.id, Review.incident_id).where(Review.id.in_(review_ids)))
    return {r: i for r, i in rows}
