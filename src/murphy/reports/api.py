"""JSON routes of the reports: the same data the pages and PDFs are made from."""

from __future__ import annotations

from fastapi import APIRouter

from murphy.reports import ics_forms, monthly, service
from murphy.reports.schemas import Report
from murphy.web.deps import CurrentUser, ReaderDep

router = APIRouter(prefix="/api/v1", tags=["reports"])


@router.get("/reports/daily", summary="Daily activity report of a site")
async def daily(principal: CurrentUser, reader: ReaderDep, site: str, date: str) -> Report:
    """Every incident reported on a local date, what stayed open, counts, the day's log."""
    return await reader.run(lambda s: service.daily(s, principal=principal, site=site, day=date))


@router.get("/reports/handover", summary="Shift handover of a site")
async def handover(
    principal: CurrentUser, reader: ReaderDep, site: str, start: str = "", end: str = ""
) -> Report:
    """A shift (default: the one that just ended): what happened, what is open, flags."""
    return await reader.run(
        lambda s: service.handover(s, principal=principal, site=site, start=start, end=end)
    )


@router.get("/reports/monthly", summary="Monthly management report")
async def month(principal: CurrentUser, reader: ReaderDep, month: str, site: str = "") -> Report:
    """Volume, response times, service targets, top types and places of a month."""
    return await reader.run(
        lambda s: monthly.monthly(s, principal=principal, site=site, month=month)
    )


@router.get("/incidents/{number}/ics-201", summary="ICS-201 briefing of a major incident")
async def ics201(number: str, principal: CurrentUser, reader: ReaderDep) -> Report:
    """The incident briefing; 409 for an incident that is not major."""
    return await reader.run(lambda s: ics_forms.ics201(s, principal=principal, number=number))


@router.get("/incidents/{number}/ics-214", summary="ICS-214 activity log of a period")
async def ics214(number: str, period: int, principal: CurrentUser, reader: ReaderDep) -> Report:
    """The activity log of one operational period."""
    return await reader.run(
        lambda s: ics_forms.ics214(s, principal=principal, number=number, period=period)
    )
