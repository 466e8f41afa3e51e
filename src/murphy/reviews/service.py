"""Use cases of post-incident reviews and corrective actions. Never commits.

A review is opened when an incident that needs one is resolved (the `incident_changed`
hook) or on demand; an incident that needs one cannot close until it is approved (the
`incident_move_allowed` hook). Every change is written on the incident's timeline.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import UTC, datetime, time, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core import timers
from murphy.core.clock import utcnow
from murphy.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
)
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import Change, IncidentFacts
from murphy.reviews import policies, rules
from murphy.reviews.models import CorrectiveAction, Review
from murphy.reviews.schemas import (
    ActionIn,
    ActionOut,
    ActionPatch,
    ActionStatus,
    PolicyIn,
    PolicyOut,
    Reconstruction,
    ReturnIn,
    ReviewIn,
    ReviewOut,
    ReviewRow,
    ReviewStatus,
)
from murphy.sla import service as sla_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal

OVERDUE = "review.overdue"  # the durable timer of a corrective action's due date
OVERDUE_ENTRY = "review_action_overdue"
OVERDUE_EVENT = "review.action_overdue"  # what notify makes of that entry
MAY_READ = (Permission.REVIEW, Permission.APPROVE_REVIEW, Permission.REPORTS)


def policy(session: Session, *, principal: Principal) -> PolicyOut:
    """The review policy (admins)."""
    incidents_service.require(principal, Permission.MANAGE_SETTINGS, "see the review policy")
    return policies.policy(session)


def set_policy(
    session: Session,
    *,
    principal: Principal,
    data: PolicyIn,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> PolicyOut:
    """Change the review policy (admins)."""
    incidents_service.require(principal, Permission.MANAGE_SETTINGS, "change the review policy")
    return policies.set_policy(
        session, data=data, actor=principal.username, expected=expected_version, now=now or utcnow()
    )


def on_change(session: Session, *, change: Change) -> None:
    """Open the review of an incident that needs one when it is resolved."""
    if change.kind != "transition" or change.data.get("to") != "resolved":
        return
    facts = change.incident
    if not policies.requires(session, facts) or policies.of_incident(session, facts.id):
        return
    _open(session, facts.id, actor=None, required=True, at=change.at)


def move_refused(session: Session, *, incident: IncidentFacts, action: str) -> str | None:
    """Why an incident may not close yet: it needs an approved review."""
    if action != "close" or not policies.requires(session, incident):
        return None
    review = policies.of_incident(session, incident.id)
    if review is not None and review.status == ReviewStatus.APPROVED:
        return None
    return (
        "this incident needs an approved post-incident review before it can be closed; "
        f"open it at /incidents/{incident.number}/review"
    )


def get(session: Session, *, principal: Principal, number: str) -> ReviewOut:
    """The incident's review."""
    incident = _visible(session, principal, number, MAY_READ)
    review = policies.require_review(session, incident.id, incident.number)
    return _out(session, review, incident)


def find(session: Session, *, principal: Principal, number: str) -> ReviewOut | None:
    """The incident's review, or None (for the incident page's badge)."""
    try:
        return get(session, principal=principal, number=number)
    except (NotFound, PermissionDenied):
        return None


def open(
    session: Session, *, principal: Principal, number: str, now: datetime | None = None
) -> ReviewOut:
    """Open the incident's review on demand (409 if it has one)."""
    incident = _visible(session, principal, number, (Permission.REVIEW,), lock=True)
    if policies.of_incident(session, incident.id) is not None:
        raise Conflict(f"{incident.number} already has a review: GET it and edit it")
    required = policies.requires(session, incidents_service.facts(incident))
    review = _open(session, incident.id, actor=principal, required=required, at=now or utcnow())
    return _out(session, review, incident)


def update(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: ReviewIn,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ReviewOut:
    """Replace a draft's sections."""
    incident, review = _locked(session, principal, number, expected_version, (Permission.REVIEW,))
    rules.check_editable(ReviewStatus(review.status))
    for name, value in data.model_dump().items():
        setattr(review, name, value)
    if principal.username not in review.authors:
        review.authors = [*review.authors, principal.username]
    _log(session, review, incident.id, "review_updated", {}, principal, now)
    return _out(session, review, incident)


def move(
    session: Session,
    *,
    principal: Principal,
    number: str,
    action: str,
    reason: ReturnIn | None = None,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ReviewOut:
    """Submit (REVIEW), approve or return (APPROVE_REVIEW) a review."""
    need = Permission.REVIEW if action == "submit" else Permission.APPROVE_REVIEW
    incident, review = _locked(session, principal, number, expected_version, (need,))
    target = rules.review_move(ReviewStatus(review.status), action)
    now = now or utcnow()
    data: dict[str, Any] = {}
    if action == "submit":
        rules.check_submittable(review.summary, review.root_causes)
        review.submitted_by, review.submitted_at, review.return_reason = principal.username, now, ""
    elif action == "approve":
        rules.check_approver(principal.username, review.authors)
        review.approved_by, review.approved_at = principal.username, now
    else:
        review.return_reason = reason.reason if reason else ""
        data["reason"] = review.return_reason
    review.status = target.value
    kind = {"submit": "review_submitted", "approve": "review_approved"}.get(
        action, "review_returned"
    )
    _log(session, review, incident.id, kind, data, principal, now)
    return _out(session, review, incident)


def reconstruct(
    session: Session, *, principal: Principal, number: str, now: datetime | None = None
) -> Reconstruction:
    """The response rebuilt from the log, the units' entries and the service clocks."""
    incident = _visible(session, principal, number, MAY_READ)
    gap = policies.policy(session).gap_minutes
    shown = incidents_service.timeline(session, principal=principal, number=incident.number)
    entries = [
        rules.Entry(at=e.at, kind=e.kind, actor=e.actor, data=dict(e.data))
        for e in shown
        if not e.kind.startswith("review_")
    ]
    clocks = sla_service.clocks(session, incident_id=incident.id)
    return Reconstruction(
        milestones=rules.milestones(incident.reported_at, entries),
        gaps=rules.gaps(incident.reported_at, entries, end=now or utcnow(), threshold_minutes=gap),
        steps=rules.steps(entries),
        clocks=[c.model_dump() for c in clocks],
        gap_minutes=gap,
    )


def list_reviews(
    session: Session, *, principal: Principal, status: ReviewStatus | None = None
) -> builtins.list[ReviewRow]:
    """The reviews the caller may see, those needing work first."""
    _require_any(principal, MAY_READ, "see reviews")
    stmt = select(Review).order_by(Review.updated_at.desc()).limit(500)
    if status is not None:
        stmt = stmt.where(Review.status == status.value)
    return _rows(session, principal, session.scalars(stmt).all(), site=None)


def for_report(
    session: Session, *, principal: Principal, site: str | None, start: datetime, end: datetime
) -> builtins.list[ReviewRow]:
    """The reviews a period report shows: opened or approved in [start, end), or opened
    before its end and still not approved; of one site's incidents (by code) or all."""
    _require_any(principal, MAY_READ, "see reviews")
    in_period = Review.opened_at.between(start, end) | Review.approved_at.between(start, end)
    waiting = (Review.opened_at < end) & (Review.status != ReviewStatus.APPROVED.value)
    stmt = select(Review).where(in_period | waiting).order_by(Review.opened_at).limit(500)
    return _rows(session, principal, session.scalars(stmt).all(), site=site)


def _rows(
    session: Session, principal: Principal, found: Sequence[Review], *, site: str | None
) -> builtins.list[ReviewRow]:
    numbers = incidents_service.visible_numbers(
        session, principal=principal, ids=[r.incident_id for r in found]
    )
    titles = incidents_service.summaries(
        session, principal=principal, numbers=builtins.list(numbers.values())
    )
    rows = [
        r
        for r in found
        if r.incident_id in numbers
        and (site is None or titles[numbers[r.incident_id]].site == site)
    ]
    actions = policies.actions_by_review(session, {r.id for r in rows})
    today = utcnow().date()
    out = []
    for r in rows:
        live = [a for a in actions.get(r.id, []) if a.status in rules.LIVE]
        out.append(
            ReviewRow(
                number=numbers[r.incident_id],
                title=titles[numbers[r.incident_id]].title,
                status=ReviewStatus(r.status),
                required=r.required,
                updated_at=r.updated_at,
                open_actions=len(live),
                overdue_actions=sum(
                    rules.is_overdue(a.due_on, ActionStatus(a.status), today) for a in live
                ),
                opened_at=r.opened_at,
                approved_at=r.approved_at,
            )
        )
    order = {ReviewStatus.SUBMITTED: 0, ReviewStatus.DRAFT: 1, ReviewStatus.APPROVED: 2}
    return sorted(out, key=lambda r: order[r.status])


# --- corrective actions -------------------------------------------------------------


def add_action(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: ActionIn,
    now: datetime | None = None,
) -> ActionOut:
    """Add a corrective action to the incident's review, with its overdue timer."""
    incident, review = _locked(session, principal, number, None, (Permission.REVIEW,))
    owner = _owner(session, data.owner)
    now = now or utcnow()
    action = CorrectiveAction(
        review_id=review.id,
        title=data.title,
        owner_id=owner.id,
        due_on=data.due_on,
        status=ActionStatus.OPEN.value,
        note="",
        created_by=principal.username,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(action)
    session.flush()
    _arm(session, action, now)
    said = {"action": action.id, "title": action.title, "owner": owner.username}
    _log(session, review, incident.id, "review_action_added", said, principal, now)
    return _action_out(session, action, incident.number)


def actions(session: Session, *, principal: Principal, number: str) -> builtins.list[ActionOut]:
    """The corrective actions of the incident's review."""
    return get(session, principal=principal, number=number).actions


def patch_action(
    session: Session,
    *,
    principal: Principal,
    action_id: int,
    data: ActionPatch,
    expected_version: int | None = None,
    now: datetime | None = None,
) -> ActionOut:
    """Change an action's status (its owner or a REVIEW holder), due date or owner."""
    action, review, incident = _action_of(session, principal, action_id)
    if expected_version is not None and expected_version != action.version:
        raise PreconditionFailed(
            f"action {action.id} was changed by someone else (now version {action.version}, "
            f"you had {expected_version}); reload it and try again"
        )
    if action.owner_id != principal.id and not principal.can(Permission.REVIEW):
        raise PermissionDenied("only the action's owner or a reviewer may change it")
    if (data.owner or data.due_on) and not principal.can(Permission.REVIEW):
        raise PermissionDenied("only a reviewer may change an action's owner or due date")
    now = now or utcnow()
    said = _apply(session, action, data)
    action.version += 1
    action.updated_at = now
    _arm(session, action, now)
    said |= {"action": action.id, "title": action.title}
    _log(session, review, incident.id, "review_action_updated", said, principal, now)
    return _action_out(session, action, incident.number)


def list_actions(
    session: Session, *, principal: Principal, mine: bool = False, overdue: bool = False
) -> builtins.list[ActionOut]:
    """Corrective actions the caller may see, mine first, then by due date."""
    stmt = select(CorrectiveAction).order_by(CorrectiveAction.due_on).limit(500)
    today = utcnow().date()
    if mine:
        stmt = stmt.where(CorrectiveAction.owner_id == principal.id)
    elif not any(principal.can(p) for p in MAY_READ):
        raise PermissionDenied("only reviewers may see everyone's corrective actions")
    if overdue:
        stmt = stmt.where(
            CorrectiveAction.due_on < today,
            CorrectiveAction.status.in_([s.value for s in rules.LIVE]),
        )
    rows = session.scalars(stmt).all()
    by_review = policies.incident_numbers(session, {a.review_id for a in rows})
    numbers = incidents_service.visible_numbers(
        session, principal=principal, ids=by_review.values()
    )
    shown = [a for a in rows if by_review[a.review_id] in numbers]
    outs = policies.action_outs(
        session, shown, {r: numbers[i] for r, i in by_review.items() if i in numbers}, today
    )
    return sorted(outs, key=lambda a: a.owner != principal.username)


def flag_overdue(session: Session, *, timer: timers.DueTimer) -> None:
    """Tell an overdue action's owner and the supervisors, once; nothing if it is done."""
    action = session.get(CorrectiveAction, int(timer.subject.split(":")[1]))
    if action is None or action.overdue_at is not None:
        return
    if not rules.is_overdue(action.due_on, ActionStatus(action.status), timer.fired_at.date()):
        return
    review = session.get(Review, action.review_id)
    owner = users_service.get_by_id(session, action.owner_id)
    if review is None or owner is None:
        return
    action.overdue_at = timer.fired_at
    data = {
        "action": action.id,
        "title": action.title,
        "owner": owner.username,
        "due_on": action.due_on.isoformat(),
    }
    # The entry is the outbox event `review.action_overdue`: the owner and the supervisors.
    incidents_service.append_entry(
        session, incident_id=review.incident_id, kind=OVERDUE_ENTRY, data=data, at=timer.fired_at
    )


# --- internals ----------------------------------------------------------------------


def _open(
    session: Session, incident_id: int, *, actor: Principal | None, required: bool, at: datetime
) -> Review:
    review = Review(
        incident_id=incident_id,
        status=ReviewStatus.DRAFT.value,
        required=required,
        summary="",
        root_causes=[],
        contributing_factors=[],
        went_well="",
        went_badly="",
        lessons="",
        authors=[],
        return_reason="",
        opened_by=actor.username if actor else None,
        opened_at=at,
        version=0,
        updated_at=at,
    )
    session.add(review)
    session.flush()
    _log(session, review, incident_id, "review_opened", {"required": required}, actor, at)
    return review


def _log(
    session: Session,
    review: Review,
    incident_id: int,
    kind: str,
    data: dict[str, Any],
    actor: Principal | None,
    now: datetime | None,
) -> None:
    """Bump the review's version and write the change on the incident's timeline."""
    at = now or utcnow()
    review.version += 1
    review.updated_at = at
    incidents_service.append_entry(
        session, incident_id=incident_id, kind=kind, data=data, at=at, actor=actor
    )


def _visible(
    session: Session,
    principal: Principal,
    number: str,
    allowed: tuple[Permission, ...],
    *,
    lock: bool = False,
) -> Any:
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=lock
    )
    _require_any(principal, allowed, "work on post-incident reviews")
    return incident


def _require_any(principal: Principal, allowed: tuple[Permission, ...], what: str) -> None:
    if not any(principal.can(p) for p in allowed):
        raise PermissionDenied(f"your role ({principal.role.value}) may not {what}")


def _locked(
    session: Session,
    principal: Principal,
    number: str,
    expected: int | None,
    allowed: tuple[Permission, ...],
) -> tuple[Any, Review]:
    incident = _visible(session, principal, number, allowed, lock=True)
    review = policies.require_review(session, incident.id, incident.number)
    if expected is not None and expected != review.version:
        raise PreconditionFailed(
            f"the review of {incident.number} was changed by someone else (now version "
            f"{review.version}, you had {expected}); reload it and try again"
        )
    return incident, review


def _out(session: Session, review: Review, incident: Any) -> ReviewOut:
    return policies.review_out(session, review, incident.number, incident.title, utcnow().date())


def _owner(session: Session, username: str) -> Any:
    user = users_service.get(session, username=username.strip())
    if user is None or not user.is_active:
        raise ValidationFailed(f"no active user {username!r} to own the action")
    return user


def _action_of(
    session: Session, principal: Principal, action_id: int
) -> tuple[CorrectiveAction, Review, Any]:
    action = session.get(CorrectiveAction, action_id)
    review = session.get(Review, action.review_id) if action else None
    if action is None or review is None:
        raise NotFound(f"no corrective action {action_id}")
    numbers = incidents_service.visible_numbers(
        session, principal=principal, ids=[review.incident_id]
    )
    if review.incident_id not in numbers:
        raise NotFound(f"no corrective action {action_id}")
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=numbers[review.incident_id], for_update=True
    )
    return action, review, incident


def _apply(session: Session, action: CorrectiveAction, data: ActionPatch) -> dict[str, Any]:
    said: dict[str, Any] = {}
    if data.status is not None:
        target = rules.action_move(ActionStatus(action.status), data.status, data.note)
        if target.value != action.status:
            action.status, said["status"] = target.value, target.value
            if target in (ActionStatus.DONE, ActionStatus.CANCELLED):
                action.note = data.note.strip()
    if data.due_on is not None and data.due_on != action.due_on:
        action.due_on, action.overdue_at = data.due_on, None
        said["due_on"] = data.due_on.isoformat()
    if data.owner:
        owner = _owner(session, data.owner)
        action.owner_id, said["owner"] = owner.id, owner.username
    return said


def _arm(session: Session, action: CorrectiveAction, now: datetime) -> None:
    subject = f"action:{action.id}"
    if action.status in (ActionStatus.DONE.value, ActionStatus.CANCELLED.value):
        timers.cancel(session, kind=OVERDUE, subject=subject)
        return
    due = datetime.combine(action.due_on + timedelta(days=1), time(0), tzinfo=UTC)
    timers.schedule(session, kind=OVERDUE, subject=subject, due_at=due, now=now)


def _action_out(session: Session, action: CorrectiveAction, number: str) -> ActionOut:
    return policies.action_outs(session, [action], {action.review_id: number}, utcnow().date())[0]
