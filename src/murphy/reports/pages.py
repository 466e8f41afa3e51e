"""Report pages: the index form, each report as HTML (printable) or `format=pdf`."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from fastapi import APIRouter, Request, Response

from murphy.core.clock import utcnow
from murphy.reports import ics_forms, monthly, render, service
from murphy.reports.schemas import Report
from murphy.sites import service as sites_service
from murphy.web.deps import PageUser, SessionDep
from murphy.web.forms import render as render_page

router = APIRouter(include_in_schema=False)


@router.get("/reports")
def index(request: Request, session: SessionDep, principal: PageUser) -> Response:
    """Pick a report, a site and a date, month or shift."""
    service.require_reports(principal)
    now = utcnow()
    context = {
        "nav": "reports",
        "sites": sites_service.visible(session, principal=principal),
        "today": now.date().isoformat(),
        "month": now.strftime("%Y-%m"),
        "error": "",
    }
    return render_page(request, "report_index.html", context)


@router.get("/reports/daily")
def daily(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    site: str,
    date: str,
    format: str = "",
) -> Response:
    """The daily activity report of a site and a local date."""
    report = service.daily(session, principal=principal, site=site, day=date)
    return _answer(request, report, format)


@router.get("/reports/handover")
def handover(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    site: str,
    start: str = "",
    end: str = "",
    format: str = "",
) -> Response:
    """The shift handover (default: the shift that just ended)."""
    report = service.handover(session, principal=principal, site=site, start=start, end=end)
    return _answer(request, report, format)


@router.get("/reports/monthly")
def month(
    request: Request,
    session: SessionDep,
    principal: PageUser,
    month: str,
    site: str = "",
    format: str = "",
) -> Response:
    """The monthly management report of a site (or all) and a month."""
    report = monthly.monthly(session, principal=principal, site=site, month=month)
    return _answer(request, report, format)


@router.get("/incidents/{number}/ics-201")
def ics201(
    number: str, request: Request, session: SessionDep, principal: PageUser, format: str = ""
) -> Response:
    """The ICS-201 briefing of a major incident."""
    report = ics_forms.ics201(session, principal=principal, number=number)
    return _answer(request, report, format)


@router.get("/incidents/{number}/ics-214")
def ics214(
    number: str,
    request: Request,
    session: SessionDep,
    principal: PageUser,
    period: int = 1,
    format: str = "",
) -> Response:
    """The ICS-214 activity log of one operational period."""
    report = ics_forms.ics214(session, principal=principal, number=number, period=period)
    return _answer(request, report, format)


def _answer(request: Request, report: Report, format: str) -> Response:
    if format == "pdf":
        headers = {
            "Content-Disposition": f'attachment; filename="{report.filename}.pdf"',
            "Cache-Control": "no-store",
        }
        return Response(render.pdf(report), media_type="application/pdf", headers=headers)
    query: dict[str, Any] = {**request.query_params, "format": "pdf"}
    context = {
        "nav": "reports",
        "report": report,
        "pdf_url": f"{request.url.path}?{urlencode(query)}",
    }
    return render_page(request, "report_view.html", context)
