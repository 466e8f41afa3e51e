"""The monthly management report: figures from the analytics dashboard, as sections."""

from __future__ import annotations

from datetime import date, timedelta

from sqlalchemy.orm import Session

from murphy.analytics import render as charts
from murphy.analytics import service as analytics_service
from murphy.analytics.schemas import DashboardOut, Filters
from murphy.core.clock import zone
from murphy.core.errors import ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.reports import rules, service
from murphy.reports.schemas import Report, Section
from murphy.sites import service as sites_service
from murphy.users.schemas import Principal


def parse_month(value: str) -> tuple[date, date]:
    """A YYYY-MM month as its first and last day, or a clear error."""
    try:
        first = date.fromisoformat(value.strip() + "-01")
    except ValueError:
        raise ValidationFailed(f"month {value!r} is not a month: use YYYY-MM") from None
    nxt = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return first, nxt - timedelta(days=1)


def monthly(session: Session, *, principal: Principal, site: str, month: str) -> Report:
    """Volume against the previous month, response times, targets, top types and places."""
    service.require_reports(principal)
    first, last = parse_month(month)
    code = site.strip().upper() if site and site.strip().lower() != "all" else None
    row = (
        sites_service.get_visible_or_raise(session, principal=principal, code=code)
        if code
        else None
    )
    filters = Filters(site=code, start=first, end=last)
    d = analytics_service.dashboard(session, principal=principal, filters=filters)
    sections = [
        _volume(d),
        _times(d),
        _compliance(d),
        Section(
            heading="Top types",
            charts=[charts.bars([(c.label, c.count) for c in d.volume.by_type], title="Top types")]
            if d.volume.total
            else [],
            columns=["Type", "Incidents"],
            rows=[[c.label, str(c.count)] for c in d.volume.by_type],
            empty="None.",
        ),
        Section(
            heading="Top places",
            columns=["Site", "Place", "Incidents"],
            rows=[[p.site, p.label, str(p.count)] for p in d.places[:10]],
            empty="None.",
        ),
    ]
    if row is not None:
        sections.append(_majors(session, principal, row.id, row.timezone, first, last))
    if d.volume.total == 0:
        sections.insert(
            0,
            Section(
                heading="No data", paragraphs=[f"No incident you may see was reported in {month}."]
            ),
        )
    return service.make_report(
        principal,
        "monthly",
        f"Monthly management report {month}",
        code or "all sites",
        month,
        sections,
    )


def _volume(d: DashboardOut) -> Section:
    pairs = [("Incidents", str(d.volume.total))]
    for c in d.comparison:
        if c.key != "volume":
            pairs.append((c.label, f"{_fmt(c.key, c.current)} (before: {_fmt(c.key, c.previous)})"))
        else:
            pairs.append(("Previous period", _fmt(c.key, c.previous)))
    return Section(heading="Volume and comparison with the previous period", pairs=pairs)


def _times(d: DashboardOut) -> Section:
    rows = []
    for m in d.times:
        for p in [m.overall, *m.by_priority]:
            if p.count:
                label = f"P{p.priority}" if p.priority else "all"
                rows.append([m.label, label, str(p.count), _dur(p.median), _dur(p.p90)])
    return Section(
        heading="Response times (MTTA, MTTR) by priority",
        columns=["Measure", "Priority", "Incidents", "Median", "90th pct"],
        rows=rows,
        empty="No response recorded.",
    )


def _compliance(d: DashboardOut) -> Section:
    rows = [
        [
            c.kind,
            f"P{c.priority}" if c.priority else "-",
            str(c.met),
            str(c.breached),
            str(c.open),
            f"{c.rate:.0%}" if c.rate is not None else "-",
        ]
        for c in d.compliance
    ]
    return Section(
        heading="Service-target compliance",
        columns=["Clock", "Priority", "Met", "Breached", "Running", "Met %"],
        rows=rows,
        empty="No service-target clock.",
    )


def _majors(
    session: Session, principal: Principal, site_id: int, tz: str, first: date, last: date
) -> Section:
    start, _ = rules.day_window(first, zone(tz))
    _, end = rules.day_window(last, zone(tz))
    found = incidents_service.reported_between(
        session, principal=principal, site_id=site_id, start=start, end=end, major_only=True
    )
    ctx = service.Context(session, principal, site_id, zone(tz))
    ctx.load(found, [])
    return ctx.table("Major incidents", found, "No major incident.")


def _fmt(key: str, value: float | None) -> str:
    if value is None:
        return "-"
    if key == "volume":
        return f"{value:.0f}"
    return f"{value:.0%}" if key == "met" else _dur(value)


def _dur(seconds: float | None) -> str:
    if seconds is None:
        return "-"
    minutes = int(seconds // 60)
    return f"{minutes // 60} h {minutes % 60:02d} min" if minutes >= 60 else f"{minutes} min"
