"""What the incident pages share: redirects, the error path of a form post, the incident
page itself (with its classification, assessment and service-target panels), and the
words the forms use.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any, TypeVar

from fastapi import Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import MurphyError, NotFound
from murphy.evidence import service as evidence_service
from murphy.ics import service as ics_service
from murphy.ics.schemas import TITLES as ICS_TITLES
from murphy.ics.schemas import IcsOut
from murphy.incidents import rules, service, similar, triage, views, wording
from murphy.incidents.models import Incident
from murphy.incidents.schemas import IMPACTS, URGENCIES, Action, IncidentOut, Status
from murphy.notify import service as notify_service
from murphy.playbooks import service as playbooks_service
from murphy.playbooks.schemas import TaskList, TaskOut
from murphy.sites import service as sites_service
from murphy.sites.schemas import SiteDetail, SiteOut
from murphy.sla import service as sla_service
from murphy.subjects import service as subjects_service
from murphy.taxonomy import service as taxonomy_service
from murphy.taxonomy.schemas import TypeOut
from murphy.units import service as units_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal, UserRef
from murphy.web import forms, places
from murphy.web.forms import FormModel, render

M = TypeVar("M", bound=BaseModel)

BUTTONS = {**rules.LABELS, Action.CANCEL: "Cancel incident"}
PRIMARY = frozenset({Action.TRIAGE, Action.RESPOND, Action.RESOLVE, Action.CLOSE})

# Field names of the assessment and of required fields, as the forms show them.
ASSESSMENT_LABELS = {
    "immediate_actions": "Immediate actions taken",
    "risks": "Risks",
    "suspected_root_cause": "Suspected root cause",
    "recommended_solution": "Recommended solution",
    "parties_informed": "Parties informed",
}
REQUIRED_LABELS = {
    "description": "the description",
    "place": "the place",
    "occurred_at": "when it happened",
    **{f"assessment.{k}": f"{v.lower()} (assessment)" for k, v in ASSESSMENT_LABELS.items()},
}
WORDS = {**wording.MESSAGE_WORDS, **{k: v for k, v in REQUIRED_LABELS.items() if "." in k}}
LABELS = {
    **wording.FIELDS,
    "type": "Type",
    "impact": "Impact",
    "urgency": "Urgency",
    "priority": "Priority",
    "effective": "Did it fix it?",
    "follow_up_on": "Check it held on",
    **ASSESSMENT_LABELS,
}


def see(number: str, anchor: str = "") -> Response:
    """Post/redirect/get to an incident's page."""
    return RedirectResponse(f"/incidents/{number}" + (f"#{anchor}" if anchor else ""), 303)


def checked(model: type[M], **fields: Any) -> M:
    """`model` from form fields; problems named with the pages' field labels."""
    return forms.validated(model, LABELS, **fields)


def plain(exc: MurphyError) -> str:
    """A service message in the pages' words."""
    return forms.plain(exc.detail, WORDS)


def failed(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    exc: MurphyError,
    what: str,
    **kept: FormModel,
) -> Response:
    """Undo the attempt and show the incident again with the message and the typed input."""
    if isinstance(exc, NotFound):
        raise exc
    session.rollback()
    return incident_page(
        request,
        session,
        principal,
        number,
        error=plain(exc),
        error_title=what,
        status=exc.status,
        kept=kept,
    )


def incident_page(
    request: Request,
    session: Session,
    principal: Principal,
    number: str,
    *,
    error: str = "",
    error_title: str = "",
    status: int = 200,
    kept: dict[str, FormModel] | None = None,
) -> Response:
    """One incident: details, next step, classification, assessment, clocks, timeline."""
    incident = service.get_or_raise(session, principal=principal, number=number)
    out = views.incident_out(session, principal=principal, incident=incident)
    entries = service.timeline(session, principal=principal, number=incident.number)
    site = sites_service.get_by_ids(session, [incident.site_id])[incident.site_id]
    detail = sites_service.detail(session, site=site)
    work = _work(session, principal, out)
    moves = _moves(session, principal, incident, out)
    readable = principal.can(Permission.READ)
    open_steps = [t.title for t in work["tasks"].tasks if t.mandatory and t.state.value == "open"]
    if open_steps:
        why = (f"Mandatory playbook steps are still open: {'; '.join(open_steps)}.", "tasks")
        for action in (Action.RESOLVE.value, Action.CLOSE.value):
            moves["blocked"].setdefault(action, []).insert(0, why)
    context = {
        "incident": out,
        "tz": out.site.timezone,
        "timeline": views.timeline_out(session, entries),
        "site_detail": detail,
        "place_value": places.value(out.site.code, out.place),
        "place_text": places.describer(detail),
        **moves,
        **_triage(session, principal, incident, out),
        **work,
        **_units(session, principal, out),
        "contact": service.contact(session, incident_id=incident.id) if readable else None,
        "photos": service.attachments(session, incident_id=incident.id) if readable else [],
        "evidence": evidence_service.list(session, principal=principal, number=incident.number)
        if readable
        else [],
        "can_see_evidence": readable,
        "subjects": subjects_service.panel(session, principal=principal, number=incident.number),
        **_pagings(session, incident),
        "can_note": principal.can(Permission.NOTE) and out.status is not Status.MERGED,
        "can_edit": principal.can(Permission.EDIT) and out.status in rules.EDITABLE,
        "labels": BUTTONS,
        "done": wording.DONE,
        "resolution_labels": wording.RESOLUTIONS,
        "channel_labels": wording.CHANNELS,
        "error": error,
        "error_title": error_title,
        "kept": kept or {},
    }
    return render(request, "incident.html", context, status)


def _pagings(session: Session, incident: Incident) -> dict[str, Any]:
    """The incident's running pagings, with the names of the people paged."""
    pagings = notify_service.active_pagings(
        session, incident_id=incident.id, number=incident.number
    )
    names = users_service.refs_by_name(session, {n for p in pagings for n in p.paged})
    return {"pagings": pagings, "paged_names": {n: r.display_name for n, r in names.items()}}


def _moves(
    session: Session, principal: Principal, incident: Incident, out: IncidentOut
) -> dict[str, Any]:
    """The lifecycle buttons, and why a primary one cannot be pressed yet."""
    moves = out.allowed_transitions
    blocked: dict[str, list[tuple[str, str]]] = {}
    if out.type is None or out.priority is None:
        why = "Classify it first: triage needs a type and a priority."
        blocked[Action.TRIAGE.value] = [(why, "")]
    missing = service.missing_fields(session, incident)
    if missing:
        names = ", ".join(REQUIRED_LABELS.get(f, f) for f in missing)
        anchor = "assessment" if any(f.startswith("assessment.") for f in missing) else ""
        why = f"Its type needs {names} before it can be resolved."
        blocked[Action.RESOLVE.value] = [(why, anchor)]
    return {
        "primary_moves": [m for m in moves if m.action in PRIMARY],
        "other_moves": [m for m in moves if m.action not in PRIMARY],
        "blocked": blocked,
        "missing": missing,
        "asks_effectiveness": service.needs_effectiveness(session, incident),
        "missing_assessment": [f for f in missing if f.startswith("assessment.")],
    }


def _triage(
    session: Session, principal: Principal, incident: Incident, out: IncidentOut
) -> dict[str, Any]:
    """What the classification, priority, assessment and clock panels need."""
    editable = out.status in rules.EDITABLE
    record = triage.assessment(session, incident_id=incident.id)
    can_triage = principal.can(Permission.TRIAGE) and editable
    return {
        "can_classify": can_triage,
        "can_acknowledge": principal.can(Permission.TRIAGE)
        and out.acknowledged is None
        and out.status is Status.NEW,
        "can_assess": principal.can(Permission.EDIT) and editable,
        "types": type_groups(session) if can_triage else [],
        "matrix": sla_service.matrix(session).matrix,
        "impacts": IMPACTS,
        "urgencies": URGENCIES,
        "assessment": record,
        "assessment_filled": any(getattr(record, name) for name in ASSESSMENT_LABELS),
        "assessment_labels": ASSESSMENT_LABELS,
        "clearance": incident.clearance,
        **(_suggestions(session, principal, out) if can_triage and out.type is None else {}),
    }


SUGGESTED = 3  # types offered as one-click choices
SIMILAR = 5  # past incidents listed


def _suggestions(session: Session, principal: Principal, out: IncidentOut) -> dict[str, Any]:
    """For an incident not yet classified: the likeliest types from its words (one
    click classifies it) and the similar past incidents the dispatcher may see."""
    text = f"{out.title}\n{out.description}"
    types = taxonomy_service.suggest_types(
        session, text=text, limit=SUGGESTED, history=similar.classified
    )
    terms = taxonomy_service.search_terms(text)
    found = similar.similar(session, principal=principal, terms=terms, limit=3 * SIMILAR)
    others = [s for s in found if s.number != out.number]
    return {
        "suggested": [t for t in types if t.score > 0],
        "similar": similar.alike(others, terms)[:SIMILAR],
    }


def _work(session: Session, principal: Principal, out: IncidentOut) -> dict[str, Any]:
    """The playbook checklist and, for a major incident, the ICS roster."""
    readable = principal.can(Permission.READ)
    tasks = playbooks_service.tasks(session, principal=principal, number=out.number)
    live = out.status in rules.EDITABLE
    command = principal.can(Permission.COMMAND) and live
    ics: IcsOut | None = None
    if readable and (out.major or command):
        ics = ics_service.roster(session, principal=principal, number=out.number)
    return {
        "tasks": tasks if readable else TaskList(playbook=None, tasks=[], open_mandatory=[]),
        "may_work": lambda t: live and _may_work(principal, t),
        "may_skip": lambda t: (
            live
            and _may_work(principal, t)
            and (not t.mandatory or principal.can(Permission.SKIP_MANDATORY))
        ),
        "ics": ics,
        "ics_titles": {role.value: title for role, title in ICS_TITLES.items()},
        "can_command": command and out.status in rules.OPEN,
        "people": _people(session, out.site.code) if command else [],
        "next_period": _next_period(ics),
    }


RECOMMENDED = 4  # units offered with one-click "Send"


def _units(session: Session, principal: Principal, out: IncidentOut) -> dict[str, Any]:
    """The units on the incident with their times, the units to send (best first, each
    with its reason), and the resources requested."""
    words = {
        "unit_labels": units_service.STATUS_LABELS,
        "resource_labels": units_service.RESOURCE_LABELS,
        "resource_actions": units_service.RESOURCE_ACTIONS,
    }
    if not principal.can(Permission.READ):
        return {"dispatch": None, **words}
    dispatch = units_service.of_incident(session, principal=principal, number=out.number)
    can_dispatch = principal.can(Permission.DISPATCH) and out.status in units_service.DISPATCHABLE
    picks = (
        units_service.recommend(session, principal=principal, number=out.number)
        if can_dispatch
        else None
    )
    on_it = {a.unit for a in dispatch.assignments if a.active}  # not offered again
    candidates = [p for p in picks.picks if p.unit not in on_it] if picks else []
    active = [a for a in dispatch.assignments if a.active]
    return {
        "dispatch": dispatch,
        "active_units": [(a, units_service.step_of(a)) for a in active],
        "cleared_units": [a for a in dispatch.assignments if not a.active],
        "can_dispatch": can_dispatch,
        "dispatch_after_triage": principal.can(Permission.DISPATCH) and out.status is Status.NEW,
        "can_request": principal.can(Permission.RESPOND) and out.status in rules.OPEN,
        "needed_skills": picks.skills if picks else [],
        "recommended": [p for p in candidates if p.eligible][:RECOMMENDED],
        "other_units": candidates,
        "resource_moves": units_service.RESOURCE_MOVES,
        **words,
    }


PERIOD = timedelta(hours=12)  # the usual length of an operational period


def _next_period(ics: IcsOut | None) -> tuple[datetime, datetime]:
    """Where the next operational period's form starts: after the last one, or now."""
    start = ics.periods[-1].ends_at if ics and ics.periods else utcnow().replace(second=0)
    return start, start + PERIOD


def _may_work(principal: Principal, task: TaskOut) -> bool:
    """Whether the caller may complete or skip `task` (its owner always may)."""
    if task.state.value != "open":
        return False
    owner = task.owner
    mine = (owner.user is not None and owner.user.username == principal.username) or (
        owner.role is not None and owner.role == principal.role.value
    )
    return principal.can(Permission.WORK_TASKS) or mine


def _people(session: Session, site: str) -> list[UserRef]:
    """Active users who work at `site`, for the ICS role pickers."""
    found = []
    for user in users_service.list(session):
        if not user.is_active:
            continue
        out = users_service.to_out(session, user)
        if out.all_sites or site in out.sites:
            found.append(UserRef(username=out.username, display_name=out.display_name))
    return sorted(found, key=lambda u: u.display_name.lower())


def type_groups(session: Session) -> list[tuple[TypeOut, list[tuple[TypeOut, str]]]]:
    """The active types under each category, with the label the picker shows them by."""
    groups = []
    for category in taxonomy_service.tree(session):
        options: list[tuple[TypeOut, str]] = []
        for kind in category.children:
            options.append((kind, kind.name))
            options.extend((sub, f"{kind.name} › {sub.name}") for sub in kind.children)
        if options:
            groups.append((category, options))
    return groups


def my_sites(session: Session, principal: Principal) -> list[SiteOut]:
    """The sites the caller may see, by code."""
    return [sites_service.to_out(s) for s in sites_service.visible(session, principal=principal)]


def my_site_details(session: Session, principal: Principal) -> list[SiteDetail]:
    """The caller's sites with their buildings, floors and zones, for the place picker."""
    return [
        sites_service.detail(session, site=s)
        for s in sites_service.visible(session, principal=principal)
    ]
