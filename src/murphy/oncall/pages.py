"""The on-call page (`/on-call`) for everyone who may read incidents: on every schedule,
who is on call now, since and until when and why, and the coming week's shifts with the
stretches where nobody is; the caller's own next shifts; and their secret calendar link
(made or replaced, shown once; stopped). Supervisors and admins add overrides (times
typed in the schedule's time zone) and remove them. The same service functions as the
JSON API (`api`); a refused form comes back with its error beside it and what was typed.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import MurphyError, ValidationFailed
from murphy.oncall import rules, service, views
from murphy.oncall.schemas import NewFeedOut, OverrideIn
from murphy.users.schemas import Permission, Principal
from murphy.web.deps import PageUser, SessionDep, SettingsDep, check_csrf
from murphy.web.forms import FormModel, render, validated

router = APIRouter(include_in_schema=False)

PATH = "/on-call"
LABELS = {"user": "Who takes over", "start": "Start", "end": "End", "reason": "Reason"}


class OverrideForm(FormModel):
    """An override as typed: a user name and two wall-clock times of the schedule."""

    user: str = ""
    start: str = ""
    end: str = ""
    reason: str = ""


@router.get(PATH)
def oncall_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    added: int | None = None,
    removed: int | None = None,
    feed: str = "",
) -> Response:
    """Who is on call on every schedule, the coming week, my next shifts, my calendar."""
    done = {"added": added, "removed": removed, "feed_stopped": feed == "stopped"}
    return _page(request, session, principal, done=done)


@router.post(f"{PATH}/{{schedule_id}}/overrides")
def add_override(
    schedule_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[OverrideForm, Form()],
) -> Response:
    """Someone takes over the schedule from start to end (local times of the schedule)."""
    check_csrf(request, form.csrf_token)
    service.require_manager(principal)  # before the form is read: 403, not a 422
    schedule = service.get(session, principal=principal, ref=str(schedule_id))
    try:
        zone = ZoneInfo(schedule.timezone)
        start, end = _instant(form.start, zone, "start"), _instant(form.end, zone, "end")
        if end <= start:
            raise ValidationFailed("the end must be after the start")
        fields = {"user": form.user, "start": start, "end": end, "reason": form.reason}
        data = validated(OverrideIn, LABELS, **fields)
        service.add_override(session, principal=principal, ref=str(schedule_id), data=data)
    except MurphyError as exc:
        if exc.status in (403, 404):
            raise
        session.rollback()
        problem = {"id": schedule_id, "error": exc.detail, "form": form}
        return _page(request, session, principal, problem=problem, status=exc.status)
    return _back(schedule_id, added=schedule_id)


@router.post(f"{PATH}/{{schedule_id}}/overrides/{{override_id}}/remove")
def remove_override(
    schedule_id: int,
    override_id: int,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    form: Annotated[FormModel, Form()],
) -> Response:
    """Take an override back."""
    check_csrf(request, form.csrf_token)
    service.remove_override(
        session, principal=principal, ref=str(schedule_id), override_id=override_id
    )
    return _back(schedule_id, removed=schedule_id)


@router.post(f"{PATH}/calendar-feed")
def make_feed(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    settings: SettingsDep,
    form: Annotated[FormModel, Form()],
) -> Response:
    """A new calendar link, shown in this answer only (never in a URL); the old one stops."""
    check_csrf(request, form.csrf_token)
    made = service.create_feed(session, principal=principal, public_url=settings.public_url)
    return _page(request, session, principal, new_feed=made, status=201)


@router.post(f"{PATH}/calendar-feed/stop")
def stop_feed(
    request: Request, session: SessionDep, principal: PageUser, form: Annotated[FormModel, Form()]
) -> Response:
    """Stop my calendar link: calendars subscribed to it get nothing more."""
    check_csrf(request, form.csrf_token)
    service.revoke_feed(session, principal=principal)
    return RedirectResponse(f"{PATH}?feed=stopped#calendar", status_code=303)


def _page(
    request: Request,
    session: Session,
    principal: Principal,
    *,
    done: dict[str, Any] | None = None,
    problem: dict[str, Any] | None = None,
    new_feed: NewFeedOut | None = None,
    status: int = 200,
) -> Response:
    now = utcnow()
    cards = views.cards(session, principal=principal, now=now)
    manager = principal.can(Permission.MANAGE_ONCALL)
    context = {
        "nav": "oncall",
        "cards": cards,
        "mine": views.my_shifts(cards, principal=principal, now=now),
        "manager": manager,
        "people": views.candidates(session) if manager else [],
        "problem": problem or {},
        "done": done or {},
        "feed": service.feed(session, principal=principal),
        "new_feed": new_feed,
        "webcal": _webcal(new_feed.url) if new_feed else "",
    }
    return render(request, "oncall.html", context, status)


def _instant(text: str, zone: ZoneInfo, field: str) -> datetime:
    """A datetime-local value ('2026-11-28T03:15') read in the schedule's time zone (a
    time the clocks skip means the moment they jump, as for handoffs)."""
    label = LABELS[field]
    if not text.strip():
        raise ValidationFailed(f"{label} is required: give a date and a time")
    try:
        wall = datetime.fromisoformat(text.strip())
    except ValueError:
        raise ValidationFailed(f"{label}: give a date and a time, e.g. 2026-11-28 03:15") from None
    if wall.tzinfo is not None:  # an offset was given: it says which instant
        return wall
    return rules.resolve(wall, zone)


def _back(schedule_id: int, **done: int) -> Response:
    return RedirectResponse(f"{PATH}?{urlencode(done)}#schedule-{schedule_id}", status_code=303)


def _webcal(url: str) -> str:
    """The link that opens a calendar app's subscribe dialog (webcal:// is http(s))."""
    return "webcal://" + url.split("://", 1)[1]
