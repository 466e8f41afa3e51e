"""Report use cases: gather what the caller may see and shape it into sections."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from murphy.core.clock import parse_date, parse_instant, utcnow, zone
from murphy.core.errors import ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.reports import rules
from murphy.reports.schemas import Report, Section
from murphy.sites import service as sites_service
from murphy.sla import service as sla_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal

INCIDENT_COLUMNS = [
    "Number",
    "Reported",
    "Type",
    "P",
    "Place",
    "Status",
    "Handled by",
    "Resolution",
]


def require_reports(principal: Principal) -> None:
    """Refuse with 403 unless the caller may read reports."""
    incidents_service.require(principal, Permission.REPORTS, "read reports")


def daily(session: Session, *, principal: Principal, site: str, day: str) -> Report:
    """The daily activity report of a site for one local date."""
    require_reports(principal)
    row = sites_service.get_visible_or_raise(session, principal=principal, code=site)
    tz = zone(row.timezone)
    start, end = rules.day_window(parse_date(day, "date"), tz)
    ctx = Context(session, principal, row.id, tz)
    reported = incidents_service.reported_between(
        session, principal=principal, site_id=row.id, start=start, end=end
    )
    still_open = incidents_service.open_at(session, principal=principal, site_id=row.id, end=end)
    ids = [i.id for i in [*reported, *still_open]]
    entries = incidents_service.entries_between(session, incident_ids=ids, start=start, end=end)
    ctx.load([*reported, *still_open], entries)
    breaches = [e for e in entries if e.kind == "sla_breached"]
    sections = [
        _summary(reported, still_open),
        ctx.table("Incidents reported", reported, "No incident was reported this day."),
        _open("Still open at the end of the day", ctx, still_open, "Nothing was left open."),
        _counts(ctx, reported),
        ctx.log("Service-target breaches", breaches, "No service target was breached."),
        ctx.table("Major incidents", [i for i in reported if i.major], "No major incident."),
        ctx.log("Notes and log entries of the day", entries),
    ]
    return make_report(principal, "daily", f"Daily activity report {day}", row.code, day, sections)


def handover(
    session: Session,
    *,
    principal: Principal,
    site: str,
    start: str = "",
    end: str = "",
    now: datetime | None = None,
) -> Report:
    """The shift handover: what happened, what is still open, and entries that say nothing."""
    require_reports(principal)
    row = sites_service.get_visible_or_raise(session, principal=principal, code=site)
    tz = zone(row.timezone)
    begin, finish = _shift(start, end, tz, now or utcnow())
    reported = incidents_service.reported_between(
        session, principal=principal, site_id=row.id, start=begin, end=finish
    )
    still_open = incidents_service.open_at(session, principal=principal, site_id=row.id, end=finish)
    touched = incidents_service.touched_since(
        session, principal=principal, site_id=row.id, start=begin
    )
    every = [*reported, *still_open, *touched]
    ids = {i.id for i in every}
    entries = incidents_service.entries_between(session, incident_ids=ids, start=begin, end=finish)
    ctx = Context(session, principal, row.id, tz)
    ctx.load(every, entries)
    period = f"{ctx.local(begin)} - {ctx.local(finish)}"
    sections = [
        _summary(reported, still_open),
        _flags(ctx, entries, still_open),
        ctx.table("What happened in the shift", reported, "No incident was reported in the shift."),
        _next_shift(session, ctx, still_open),
        ctx.log("Log entries of the shift", entries),
    ]
    return make_report(principal, "handover", "Shift handover", row.code, period, sections)


def _shift(start: str, end: str, tz: Any, now: datetime) -> tuple[datetime, datetime]:
    if bool(start) != bool(end):
        raise ValidationFailed("give both start and end, or neither for the shift that just ended")
    if not start:
        return rules.last_shift(now, tz)
    begin, finish = parse_instant(start, "start", tz), parse_instant(end, "end", tz)
    if finish <= begin:
        raise ValidationFailed("the end of the shift must be after its start")
    return begin, finish


def _next_shift(session: Session, ctx: Context, still_open: Sequence[Any]) -> Section:
    """The open incidents with the service-target clock each has due next."""
    shown, more = rules.most_urgent(still_open)
    section = _open("Open: for the next shift", ctx, shown, "Nothing is left open.", more)
    due = sla_service.next_due(session, incident_ids=[i.id for i in shown])
    section.columns = [*section.columns, "Next clock due"]
    for incident, row in zip(shown, section.rows, strict=True):
        clock = due.get(incident.id)
        late = " (breached)" if clock and clock.breached else ""
        row.append(f"{clock.kind} {ctx.local(clock.due_at)}{late}" if clock else "-")
    return section


def _open(
    heading: str, ctx: Context, still_open: Sequence[Any], empty: str, more: str | None = None
) -> Section:
    """The most urgent open incidents as a table, and how many more there are."""
    if more is None:
        still_open, more = rules.most_urgent(still_open)
    section = ctx.table(heading, still_open, empty)
    if more:
        section.paragraphs.append(more)
    return section


def _summary(reported: Sequence[Any], still_open: Sequence[Any]) -> Section:
    majors = sum(1 for i in reported if i.major)
    pairs = [
        ("Incidents reported", str(len(reported))),
        ("Still open at the end", str(len(still_open))),
        ("Major incidents", str(majors)),
    ]
    return Section(heading="Summary", pairs=pairs)


def _counts(ctx: Context, reported: Sequence[Any]) -> Section:
    by_type = Counter(ctx.types.get(i.type_id, "(untyped)") for i in reported)
    by_priority = Counter(f"P{i.priority}" if i.priority else "-" for i in reported)
    rows = [[f"Type: {k}", str(v)] for k, v in sorted(by_type.items())]
    rows += [[f"Priority: {k}", str(v)] for k, v in sorted(by_priority.items())]
    return Section(heading="Counts by type and priority", columns=["What", "Count"], rows=rows)


def _flags(ctx: Context, entries: Sequence[Any], still_open: Sequence[Any]) -> Section:
    notes = [e for e in entries if e.kind == "note"]
    flags = [
        f"{ctx.numbers[e.incident_id]} {ctx.local(e.at)}: note says nothing: "
        f"\u201c{rules.short(str(e.data.get('body', '')), 60)}\u201d"
        for e in notes
        if rules.says_nothing(str(e.data.get("body", "")))
    ]
    if rules.quiet_shift([str(e.data.get("body", "")) for e in notes]):
        flags.insert(0, "The whole shift has only notes that say nothing.")
    touched = {e.incident_id for e in entries}
    flags += [
        f"{i.number}: open, and no entry during the shift"
        for i in still_open
        if i.id not in touched
    ]
    return Section(heading="Flags", flags=flags, empty="No flags: every entry says something.")


def make_report(
    principal: Principal, kind: str, title: str, site: str, period: str, sections: list[Section]
) -> Report:
    return Report(
        kind=kind,
        title=title,
        site=site,
        period=period,
        generated_at=utcnow().strftime("%Y-%m-%d %H:%M UTC"),
        generated_by=principal.display_name or principal.username,
        filename=f"{kind}-{site}-{period[:10]}",
        sections=sections,
    )


class Context:
    """Names looked up once for many incidents: types, users, places, numbers."""

    def __init__(self, session: Session, principal: Principal, site_id: int, tz: Any) -> None:
        self.session, self.principal, self.site_id, self.tz = session, principal, site_id, tz
        self.site_code = sites_service.get_by_ids(session, [site_id])[site_id].code
        self.types: dict[int | None, str] = {}
        self.users: dict[int, str] = {}
        self.places: dict[int, str] = {}
        self.numbers: dict[int, str] = {}

    def load(self, incidents: Sequence[Any], entries: Sequence[Any]) -> None:
        """Look up every name these incidents and entries need, in a few queries."""
        unique = {i.id: i for i in incidents}
        self.numbers = {i.id: i.number for i in unique.values()}
        type_ids = {i.type_id for i in unique.values() if i.type_id}
        self.types = {k: v for k, v in taxonomy_service.names(self.session, type_ids).items()}
        handlers = {_handler(i) for i in unique.values()} | {e.actor_id for e in entries}
        refs = users_service.refs(self.session, [u for u in handlers if u])
        self.users = {k: v.display_name or v.username for k, v in refs.items()}
        places = [
            sites_service.PlaceIds(
                i.site_id, i.building_id, i.floor_id, i.zone_id, i.location_detail
            )
            for i in unique.values()
        ]
        labels = sites_service.labels(self.session, places)
        self.places = dict(zip(unique.keys(), labels, strict=True))

    def local(self, at: datetime) -> str:
        """An instant as the site's local wall clock."""
        return at.astimezone(self.tz).strftime("%Y-%m-%d %H:%M")

    def table(self, heading: str, incidents: Sequence[Any], empty: str) -> Section:
        """Incidents as a table of the usual columns."""
        rows = [
            [
                i.number,
                self.local(i.reported_at),
                self.types.get(i.type_id, "-"),
                f"P{i.priority}" if i.priority else "-",
                self.places.get(i.id) or "-",
                i.status,
                self.users.get(_handler(i) or 0, "-"),
                rules.short(i.resolution_summary or "", 80),
            ]
            for i in incidents
        ]
        return Section(heading=heading, columns=INCIDENT_COLUMNS, rows=rows, empty=empty)

    def log(self, heading: str, entries: Sequence[Any], empty: str = "No entries.") -> Section:
        """Timeline entries as time, incident, who, what."""
        rows = [
            [
                self.local(e.at),
                self.numbers.get(e.incident_id, "?"),
                self.users.get(e.actor_id or 0, e.actor or "system"),
                entry_text(e),
            ]
            for e in entries
        ]
        columns = ["Time", "Incident", "Who", "What"]
        return Section(heading=heading, columns=columns, rows=rows, empty=empty)


def _handler(incident: Any) -> int | None:
    ids = (incident.resolved_by_id, incident.responding_by_id, incident.acknowledged_by_id)
    found: int | None = next((i for i in ids if i), incident.triaged_by_id)
    return found


def entry_text(entry: Any) -> str:
    """A timeline entry as one line of text."""
    data = entry.data or {}
    body = data.get("body") or data.get("summary") or data.get("reason") or data.get("to") or ""
    text = f"{entry.kind.replace('_', ' ')}: {body}" if body else entry.kind.replace("_", " ")
    return rules.short(str(text), 140)
