"""JSON route of the analytics dashboard: every figure for a filter (reader session)."""

from __future__ import annotations

from datetime import date
from typing import Annotated

from fastapi import APIRouter, Query

from murphy.analytics import service
from murphy.analytics.schemas import DashboardOut, Filters
from murphy.web.deps import CurrentUser, ReaderDep

router = APIRouter(prefix="/api/v1", tags=["analytics"])


@router.get("/analytics", summary="Dashboard figures for a site, type and period")
async def analytics(
    principal: CurrentUser,
    reader: ReaderDep,
    site: Annotated[str | None, Query(description="Site code; all visible sites if empty")] = None,
    type: Annotated[str | None, Query(description="Type code (with its subtypes)")] = None,
    start: Annotated[date | None, Query(description="First local day, YYYY-MM-DD")] = None,
    end: Annotated[date | None, Query(description="Last local day (included), YYYY-MM-DD")] = None,
    exercises: Annotated[bool, Query(description="Count exercise incidents too")] = False,
) -> DashboardOut:
    """Volume, response times by priority, service targets, places and the previous period
    (needs the report permission; only incidents the caller may see are counted)."""
    filters = Filters(
        site=site or None, type=type or None, start=start, end=end, exercises=exercises
    )
    return await reader.run(lambda s: service.dashboard(s, principal=principal, filters=filters))
