"""ICS-201 (incident briefing) and ICS-214 (activity log) filled from an incident's own data."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from murphy.core.clock import utcnow, zone
from murphy.core.errors import Conflict, NotFound, PermissionDenied
from murphy.ics import service as ics_service
from murphy.ics.schemas import IcsOut
from murphy.incidents import service as incidents_service
from murphy.playbooks import service as playbooks_service
from murphy.reports import service
from murphy.reports.schemas import Report, Section
from murphy.sites import service as sites_service
from murphy.units import service as units_service
from murphy.users.schemas import Permission, Principal


def ics201(session: Session, *, principal: Principal, number: str) -> Report:
    """The ICS-201 briefing of a major incident."""
    incident, ics, ctx = _load(session, principal, number)
    assessment = incidents_service.assessment_of(session, incident_id=incident.id)
    tasks = playbooks_service.tasks(session, principal=principal, number=incident.number)
    dispatch = units_service.of_incident(session, principal=principal, number=incident.number)
    ident = [
        ("Incident name", incident.title),
        ("Incident number", incident.number),
        ("Date/time initiated", ctx.local(incident.reported_at)),
        ("Complexity", f"Type {ics.complexity}" if ics.complexity else "-"),
    ]
    situation = [incident.description or "(no description)"]
    if assessment and assessment.risks:
        situation.append(f"Risks: {assessment.risks}")
    actions = [[t.title, t.state.value, _when(ctx, t.done_at)] for t in tasks.tasks]
    if assessment and assessment.immediate_actions:
        actions.insert(0, ["Immediate actions: " + assessment.immediate_actions, "assessment", "-"])
    sections = [
        Section(heading="1-3. Incident", pairs=ident),
        Section(heading="4. Map/sketch", paragraphs=[_place(ctx, incident)]),
        Section(heading="5. Situation summary", paragraphs=situation),
        Section(heading="6. Current and planned objectives", paragraphs=_objectives(ics)),
        _table("7. Current and planned actions", ["Action", "State", "Done"], actions),
        _organization(ctx, ics),
        _resources(ctx, dispatch.assignments),
    ]
    return _report(principal, "ics-201", "ICS-201 Incident briefing", incident, ctx, sections)


def ics214(session: Session, *, principal: Principal, number: str, period: int) -> Report:
    """The ICS-214 activity log of an incident for one operational period."""
    incident, ics, ctx = _load(session, principal, number)
    found = next((p for p in ics.periods if p.number == period), None)
    if found is None:
        have = ", ".join(str(p.number) for p in ics.periods) or "none yet"
        raise NotFound(f"{incident.number} has no operational period {period} (periods: {have})")
    entries = incidents_service.entries_between(
        session, incident_ids=[incident.id], start=found.starts_at, end=found.ends_at
    )
    ctx.load([incident], entries)
    dispatch = units_service.of_incident(session, principal=principal, number=incident.number)
    span = f"{ctx.local(found.starts_at)} - {ctx.local(found.ends_at)}"
    seats = [a for a in ics.roster if a.assigned_at < found.ends_at]
    positions = [
        [a.title, a.name, _when(ctx, a.assigned_at), _when(ctx, a.relieved_at)] for a in seats
    ]
    log = [
        [
            ctx.local(e.at),
            ctx.users.get(e.actor_id or 0, e.actor or "system"),
            service.entry_text(e),
        ]
        for e in entries
    ]
    sections = [
        Section(
            heading="1-2. Incident and period",
            pairs=[
                ("Incident", f"{incident.number} {incident.title}"),
                ("Operational period", f"{period}: {span}"),
            ],
        ),
        _table("3-6. ICS positions", ["Position", "Name", "From", "Relieved"], positions),
        _resources(ctx, [a for a in dispatch.assignments if a.dispatched_at < found.ends_at]),
        _table("7. Activity log", ["Time", "Who", "Notable activity"], log),
    ]
    return _report(
        principal, "ics-214", f"ICS-214 Activity log (period {period})", incident, ctx, sections
    )


def _load(session: Session, principal: Principal, number: str) -> tuple[Any, IcsOut, Any]:
    if not (principal.can(Permission.REPORTS) or principal.can(Permission.COMMAND)):
        raise PermissionDenied(f"your role ({principal.role.value}) may not read ICS documents")
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    ics = ics_service.roster(session, principal=principal, number=incident.number)
    if not incident.major:
        raise Conflict(
            f"{incident.number} is not a major incident: declare it major first (ICS forms "
            "are for major incidents)"
        )
    site = sites_service.get_by_ids(session, [incident.site_id])[incident.site_id]
    ctx = service.Context(session, principal, incident.site_id, zone(site.timezone))
    ctx.load([incident], [])
    return incident, ics, ctx


def _place(ctx: Any, incident: Any) -> str:
    place = ctx.places.get(incident.id) or "no place recorded"
    return f"Site {ctx.site_code}, {place}. Attach a map or sketch of the scene here."


def _objectives(ics: IcsOut) -> list[str]:
    texts = [f"Period {p.number}: {p.objectives}" for p in ics.periods if p.objectives]
    return texts or ["No operational period with objectives yet."]


def _organization(ctx: Any, ics: IcsOut) -> Section:
    rows = [
        [a.title, a.name, _when(ctx, a.assigned_at)] for a in ics.roster if a.relieved_at is None
    ]
    return _table("8. Current organization", ["ICS role", "Name", "Since"], rows)


def _resources(ctx: Any, assignments: list[Any]) -> Section:
    rows = [
        [
            a.unit,
            a.role.value,
            _when(ctx, a.dispatched_at),
            _when(ctx, a.on_scene_at),
            _when(ctx, a.cleared_at),
        ]
        for a in assignments
    ]
    return _table("Resources summary", ["Unit", "Role", "Dispatched", "On scene", "Cleared"], rows)


def _table(heading: str, columns: list[str], rows: list[list[str]]) -> Section:
    return Section(heading=heading, columns=columns, rows=rows, empty="None.")


def _when(ctx: Any, at: datetime | None) -> str:
    return ctx.local(at) if at else "-"


def _report(
    principal: Principal, kind: str, title: str, incident: Any, ctx: Any, sections: list[Section]
) -> Report:
    period = f"{incident.number} as of {ctx.local(utcnow())}"
    report = service.make_report(principal, kind, title, ctx.site_code, period, sections)
    report.filename = f"{kind}-{incident.number}"
    report.sections.append(
        Section(heading="Prepared by", paragraphs=[f"{report.generated_by}, {report.generated_at}"])
    )
    return report
