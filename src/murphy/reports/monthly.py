"""The monthly management report: figures from the analytics dashboard, the reviews and
corrective actions, and the problems, as sections."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from sqlalchemy.orm import Session

from murphy.analytics import render as charts
from murphy.analytics import service as analytics_service
from murphy.analytics.schemas import DashboardOut, Filters
from murphy.core.clock import zone
from murphy.core.errors import ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.problems import service as problems_service
from murphy.problems.schemas import ProblemStatus
from murphy.reports import rules, service
from murphy.reports.schemas import Report, Section
from murphy.reviews import service as reviews_service
from murphy.reviews.schemas import ReviewStatus
from murphy.sites import service as sites_service
from murphy.users.schemas import Principal

LIVE_PROBLEMS = (ProblemStatus.OPEN, ProblemStatus.KNOWN_ERROR)


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
    start, _ = rules.day_window(first, zone(row.timezone if row else "UTC"))
    _, end = rules.day_window(last, zone(row.timezone if row else "UTC"))
    sections += [
        _effectiveness(d),
        _reviews(session, principal, code, start, end),
        _problems(session, principal, code, start, end),
    ]
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


def _effectiveness(d: DashboardOut) -> Section:
    answered = sum(c.count for c in d.effectiveness)
    return Section(
        heading="Did the action fix it?",
        paragraphs=[
            "The answer given when each incident of the month was resolved, for the types "
            "that ask it."
        ]
        if answered
        else [],
        pairs=[(c.label, f"{c.count} ({c.count / answered:.0%})") for c in d.effectiveness],
        empty="No incident of the month was resolved with an answer.",
    )


def _reviews(
    session: Session, principal: Principal, site: str | None, start: datetime, end: datetime
) -> Section:
    rows = reviews_service.for_report(session, principal=principal, site=site, start=start, end=end)
    opened = sum(1 for r in rows if r.opened_at and start <= r.opened_at < end)
    approved = sum(1 for r in rows if r.approved_at and start <= r.approved_at < end)
    waiting = sum(1 for r in rows if r.status != ReviewStatus.APPROVED)
    overdue = sum(r.overdue_actions for r in rows)
    return Section(
        heading="Post-incident reviews",
        pairs=[
            ("Opened this month", str(opened)),
            ("Approved this month", str(approved)),
            ("Not yet approved", str(waiting)),
            ("Corrective actions overdue today", str(overdue)),
        ],
        flags=[f"Corrective actions overdue: {overdue}"] if overdue else [],
        columns=["Incident", "Title", "Review", "Actions open", "Overdue"],
        rows=[
            [r.number, r.title, r.status.value, str(r.open_actions), str(r.overdue_actions)]
            for r in rows
        ],
        empty="No review opened, approved or waiting.",
    )


def _problems(
    session: Session, principal: Principal, site: str | None, start: datetime, end: datetime
) -> Section:
    found = [
        p
        for p in problems_service.list(session, principal=principal)
        if (site is None or p.site == site)
        and (p.created_at is None or p.created_at < end)
        and (p.status != ProblemStatus.CLOSED or start <= p.updated_at < end)
    ]
    new = sum(1 for p in found if p.created_at and start <= p.created_at < end)
    fixed = sum(1 for p in found if p.fixed_at and start <= p.fixed_at < end)
    return Section(
        heading="Problems (causes several incidents share)",
        pairs=[
            ("Opened this month", str(new)),
            ("Fixed this month", str(fixed)),
            ("Still open or known errors", str(sum(p.status in LIVE_PROBLEMS for p in found))),
        ],
        columns=["Problem", "Title", "Status", "Place", "Incidents", "Recurrences"],
        rows=[
            [
                p.ref,
                p.title,
                p.status.value.replace("_", " "),
                p.place_label or p.site or "-",
                str(p.incidents),
                str(p.recurrences),
            ]
            for p in found
        ],
        empty="No problem open, fixed or closed this month.",
    )


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
