"""The analytics page (`/analytics`): a filter form and every figure of the dashboard as
server-drawn SVG charts with their numbers in tables; a bad filter comes back beside the
form with what was typed."""

from __future__ import annotations

from datetime import date
from typing import Any

from fastapi import APIRouter, Request, Response

from murphy.analytics import service, views
from murphy.analytics.schemas import Filters
from murphy.core.clock import parse_date
from murphy.core.errors import MurphyError
from murphy.incidents import service as incidents_service
from murphy.users.schemas import Permission
from murphy.web.deps import PageUser, SessionDep
from murphy.web.forms import render

router = APIRouter(include_in_schema=False)


@router.get("/analytics")
def analytics_page(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    site: str = "",
    type: str = "",
    start: str = "",
    end: str = "",
    exercises: str = "",
) -> Response:
    """The dashboard for the filter in the query string (the last 30 days by default)."""
    incidents_service.require(principal, Permission.REPORTS, "see analytics")
    typed = {"site": site, "type": type, "start": start, "end": end, "exercises": exercises}
    context: dict[str, Any] = {"nav": "analytics", "typed": typed, "error": "", "view": None}
    context.update(views.choices(session, principal=principal), duration=views.duration)
    status = 200
    try:
        filters = Filters(
            site=site.strip() or None,
            type=type.strip() or None,
            start=_day(start, "Start"),
            end=_day(end, "End"),
            exercises=bool(exercises),
        )
        data = service.dashboard(session, principal=principal, filters=filters)
        context["view"] = views.page(data)
    except MurphyError as exc:
        if exc.status == 403:
            raise
        context["error"], status = exc.detail, exc.status
    return render(request, "analytics.html", context, status)


def _day(text: str, label: str) -> date | None:
    return parse_date(text, label) if text.strip() else None
