"""View-models of the review pages: what each page shows, computed once."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from murphy.core.errors import NotFound
from murphy.incidents import service as incidents_service
from murphy.reviews import service
from murphy.reviews.schemas import ActionOut, Reconstruction, ReviewOut, ReviewRow, ReviewStatus
from murphy.sites import service as sites_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal


@dataclass
class ReviewPage:
    """The review page of one incident."""

    number: str
    title: str
    tz: str
    review: ReviewOut | None
    rebuilt: Reconstruction
    may_write: bool
    may_approve: bool
    people: list[str]


@dataclass
class ReviewsPage:
    """Reviews needing work or approval, and overdue actions, mine first."""

    to_approve: list[ReviewRow]
    drafts: list[ReviewRow]
    approved: list[ReviewRow]
    overdue: list[ActionOut]
    mine: list[ActionOut]


def review_page(session: Session, *, principal: Principal, number: str) -> ReviewPage:
    """The rebuilt timeline, the review (if opened) and what the caller may do."""
    rebuilt = service.reconstruct(session, principal=principal, number=number)
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    try:
        review: ReviewOut | None = service.get(session, principal=principal, number=number)
    except NotFound:
        review = None
    may_write = principal.can(Permission.REVIEW)
    people = sorted(u.username for u in users_service.list(session) if u.is_active)
    return ReviewPage(
        number=incident.number,
        title=incident.title,
        tz=_zone(session, incident),
        review=review,
        rebuilt=rebuilt,
        may_write=may_write,
        may_approve=principal.can(Permission.APPROVE_REVIEW),
        people=people if may_write else [],
    )


def reviews_page(session: Session, *, principal: Principal) -> ReviewsPage:
    """Everything on /reviews."""
    rows = service.list_reviews(session, principal=principal)
    overdue = service.list_actions(session, principal=principal, overdue=True)
    mine = [
        a
        for a in service.list_actions(session, principal=principal, mine=True)
        if a.status in ("open", "in_progress")
    ]
    return ReviewsPage(
        to_approve=[r for r in rows if r.status is ReviewStatus.SUBMITTED],
        drafts=[r for r in rows if r.status is ReviewStatus.DRAFT],
        approved=[r for r in rows if r.status is ReviewStatus.APPROVED][:20],
        overdue=overdue,
        mine=mine,
    )


def _zone(session: Session, incident: Any) -> str:
    site = sites_service.get_by_ids(session, [incident.site_id]).get(incident.site_id)
    return str(getattr(site, "timezone", "UTC"))
