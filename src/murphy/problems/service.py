"""Problems: causes several incidents share, tracked to a fix and watched afterwards;
and the candidates, groups of incidents that keep coming back at one place."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, literal, or_, select
from sqlalchemy.orm import Session

from murphy.core.clock import isoformat, utcnow
from murphy.core.errors import NotFound, PermissionDenied, PreconditionFailed, ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import Change
from murphy.problems import listing, rules
from murphy.problems.models import Problem, ProblemIncident, ProblemLink
from murphy.problems.schemas import (
    LinkIn,
    ProblemIn,
    ProblemOut,
    ProblemStatus,
    ProblemSummary,
    ProblemUpdate,
    StatusIn,
)
from murphy.sites import service as sites_service
from murphy.sites.schemas import PlaceIn
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal

RECURRED = "problem_recurred"  # the timeline entry of an incident that brought one back
LINKED = "problem_linked"
WATCHED = ("created", "classified")  # the changes that can make an incident a recurrence
MAX_DAYS = 730


def require_reader(principal: Principal) -> None:
    """Refuse with 403 unless the caller reads problems (reviewers, report readers)."""
    if not (principal.can(Permission.REVIEW) or principal.can(Permission.REPORTS)):
        raise PermissionDenied(f"your role ({principal.role.value}) may not read problems")


def require_writer(principal: Principal) -> None:
    """Refuse with 403 unless the caller may open and change problems."""
    if not principal.can(Permission.REVIEW):
        raise PermissionDenied(f"your role ({principal.role.value}) may not change problems")


def covers(
    session: Session,
    *,
    site_id: int,
    building_id: int | None,
    zone_id: int | None,
    type_id: int | None,
) -> bool:
    """Whether a problem not closed already watches this kind of incident at this place."""
    live = Problem.status != ProblemStatus.CLOSED.value
    same = and_(
        Problem.site_id == site_id,
        Problem.zone_id.is_(None) if zone_id is None else Problem.zone_id == zone_id,
        Problem.type_id.is_(None) if type_id is None else Problem.type_id == type_id,
    )
    if zone_id is None:
        same = and_(same, Problem.building_id == building_id)
    return session.scalar(select(literal(1)).where(live, same).limit(1)) is not None


def list(
    session: Session, *, principal: Principal, status: ProblemStatus | None = None
) -> builtins.list[ProblemSummary]:
    """The problems of the caller's sites, those needing work first, newest change first."""
    require_reader(principal)
    stmt = select(Problem).order_by(Problem.updated_at.desc(), Problem.id.desc())
    if status is not None:
        stmt = stmt.where(Problem.status == status.value)
    rows = [p for p in session.scalars(stmt) if _sees(principal, p)]
    counts = dict(
        session.execute(
            select(ProblemIncident.problem_id, func.count())
            .where(ProblemIncident.problem_id.in_([p.id for p in rows]))
            .group_by(ProblemIncident.problem_id)
        ).all()
    )
    refs = listing.refs(session, rows)
    order = {ProblemStatus.OPEN: 0, ProblemStatus.KNOWN_ERROR: 1, ProblemStatus.FIXED: 2}
    rows.sort(key=lambda p: order.get(ProblemStatus(p.status), 3))
    return [
        ProblemSummary(
            id=p.id,
            ref=rules.ref(p.id),
            title=p.title,
            status=ProblemStatus(p.status),
            owner=refs.owner(p),
            site=refs.site(p),
            place_label=refs.place(p),
            type_name=refs.type_name(p),
            incidents=int(counts.get(p.id, 0)),
            recurrences=p.recurrences,
            updated_at=p.updated_at,
            created_at=p.created_at,
            fixed_at=p.fixed_at,
        )
        for p in rows
    ]


def for_incident(
    session: Session, *, principal: Principal, incident_id: int
) -> builtins.list[ProblemSummary]:
    """The problems an incident is grouped under (its page shows them)."""
    ids = set(
        session.scalars(
            select(ProblemIncident.problem_id).where(ProblemIncident.incident_id == incident_id)
        )
    )
    if not ids or not (principal.can(Permission.REVIEW) or principal.can(Permission.REPORTS)):
        return []
    return [p for p in list(session, principal=principal) if p.id in ids]


def get_or_raise(
    session: Session, *, principal: Principal, ref: str, for_update: bool = False
) -> Problem:
    """The problem `ref` ("PRB-12" or "12") the caller may see, or 404."""
    require_reader(principal)
    problem_id = rules.parse_ref(ref)
    stmt = select(Problem).where(Problem.id == (problem_id or 0))
    problem = session.scalar(stmt.with_for_update() if for_update else stmt)
    if problem is None or not _sees(principal, problem):
        raise NotFound(f"no problem {ref}")
    return problem


def detail(session: Session, *, principal: Principal, ref: str) -> ProblemOut:
    """A problem with its incidents (those the caller may see) and links."""
    return listing.out(session, principal, get_or_raise(session, principal=principal, ref=ref))


def create(
    session: Session, *, principal: Principal, data: ProblemIn, now: datetime | None = None
) -> ProblemOut:
    """Open a problem (from a recurrence candidate, or by hand) grouping some incidents."""
    require_writer(principal)
    at = now or utcnow()
    watch = _watch_ids(session, principal, data)
    owner = _owner_id(session, data.owner)
    problem = Problem(
        title=data.title,
        description=data.description,
        root_cause=data.root_cause,
        status=ProblemStatus.OPEN.value,
        owner_id=owner,
        created_at=at,
        created_by=principal.username,
        updated_at=at,
        **watch,
    )
    session.add(problem)
    session.flush()
    _link(session, principal, problem, data.incidents, at)
    return listing.out(session, principal, problem)


def update(
    session: Session, *, principal: Principal, ref: str, data: ProblemUpdate, version: int | None
) -> ProblemOut:
    """Change a problem's words or owner; `version` (If-Match) refuses a stale edit."""
    require_writer(principal)
    problem = _current(session, principal, ref, version)
    fields = data.model_dump(exclude_unset=True)
    if "owner" in fields:
        problem.owner_id = _owner_id(session, fields.pop("owner"))
    for name, value in fields.items():
        if value is not None:
            setattr(problem, name, value)
    _touch(problem, utcnow())
    return listing.out(session, principal, problem)


def move(
    session: Session, *, principal: Principal, ref: str, data: StatusIn, version: int | None = None
) -> ProblemOut:
    """Move a problem on: known error, fixed (then watched), closed, or open again."""
    require_writer(principal)
    problem = _current(session, principal, ref, version)
    rules.check_move(ProblemStatus(problem.status), data.status, data.note)
    at = utcnow()
    if data.status is ProblemStatus.FIXED:
        problem.fixed_at, problem.fix_note = at, data.note
    problem.status = data.status.value
    _touch(problem, at)
    return listing.out(session, principal, problem)


def link_incidents(
    session: Session, *, principal: Principal, ref: str, numbers: Sequence[str]
) -> ProblemOut:
    """Group more incidents under a problem (each gets a timeline entry saying so)."""
    require_writer(principal)
    problem = get_or_raise(session, principal=principal, ref=ref, for_update=True)
    _link(session, principal, problem, numbers, utcnow())
    _touch(problem, utcnow())
    return listing.out(session, principal, problem)


def unlink_incident(session: Session, *, principal: Principal, ref: str, number: str) -> ProblemOut:
    """Take an incident out of a problem it was grouped under by mistake."""
    require_writer(principal)
    problem = get_or_raise(session, principal=principal, ref=ref, for_update=True)
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    row = session.get(ProblemIncident, (problem.id, incident.id))
    if row is None:
        raise NotFound(f"{number} is not grouped under {rules.ref(problem.id)}")
    session.delete(row)
    _touch(problem, utcnow())
    return listing.out(session, principal, problem)


def add_link(session: Session, *, principal: Principal, ref: str, data: LinkIn) -> ProblemOut:
    """Link a corrective action, a change record or a document."""
    require_writer(principal)
    problem = get_or_raise(session, principal=principal, ref=ref, for_update=True)
    if data.url and not data.url.startswith(("https://", "http://", "/")):
        raise ValidationFailed("url must start with https://, http:// or /")
    at = utcnow()
    session.add(
        ProblemLink(
            problem_id=problem.id, created_at=at, created_by=principal.username, **data.model_dump()
        )
    )
    _touch(problem, at)
    return listing.out(session, principal, problem)


def remove_link(session: Session, *, principal: Principal, ref: str, link_id: int) -> ProblemOut:
    """Remove a link added by mistake."""
    require_writer(principal)
    problem = get_or_raise(session, principal=principal, ref=ref, for_update=True)
    link = session.get(ProblemLink, link_id)
    if link is None or link.problem_id != problem.id:
        raise NotFound(f"{rules.ref(problem.id)} has no link {link_id}")
    session.delete(link)
    _touch(problem, utcnow())
    return listing.out(session, principal, problem)


def on_change(session: Session, *, change: Change) -> None:
    """A new or newly classified incident of the kind and place a fixed problem watches
    for: the problem is open again, the incident is grouped under it, and its owner is
    told (the `problem_recurred` timeline entry is the `problem.recurred` event)."""
    if change.kind not in WATCHED:
        return
    facts = change.incident
    fixed = session.scalars(
        select(Problem)
        .where(Problem.status == ProblemStatus.FIXED.value)
        .where(or_(Problem.site_id == facts.site_id, Problem.site_id.is_(None)))
        .with_for_update()
    ).all()
    if not fixed:
        return
    incident = incidents_service.get(session, incident_id=facts.id)
    seen = rules.Seen(facts.site_id, incident.building_id, incident.zone_id, facts.type_id)
    for problem in fixed:
        if (
            rules.recurs(_watch(session, problem), seen)
            and session.get(ProblemIncident, (problem.id, facts.id)) is None
        ):
            _recur(session, problem, facts.id, change.at)


def _recur(session: Session, problem: Problem, incident_id: int, at: datetime) -> None:
    problem.status = ProblemStatus.OPEN.value
    problem.recurrences += 1
    _touch(problem, at)
    session.add(
        ProblemIncident(
            problem_id=problem.id, incident_id=incident_id, linked_at=at, recurrence=True
        )
    )
    owner = (
        users_service.refs(session, [problem.owner_id]).get(problem.owner_id)
        if problem.owner_id
        else None
    )
    data = {
        "problem": rules.ref(problem.id),
        "title": problem.title,
        "owner": owner.username if owner else None,
        "fixed_at": isoformat(problem.fixed_at) if problem.fixed_at else None,
    }
    incidents_service.append_entry(
        session, incident_id=incident_id, kind=RECURRED, data=data, at=at
    )


# --- internals -----------------------------------------------------------------------


def _sees(principal: Principal, problem: Problem) -> bool:
    if problem.site_id is None:
        return principal.site_ids is None
    return principal.sees_site(problem.site_id)


def _current(session: Session, principal: Principal, ref: str, version: int | None) -> Problem:
    problem = get_or_raise(session, principal=principal, ref=ref, for_update=True)
    if version is not None and version != problem.version:
        raise PreconditionFailed(
            f"{rules.ref(problem.id)} was changed by someone else (now version {problem.version},"
            f" you had {version}); reload it and try again"
        )
    return problem


def _touch(problem: Problem, at: datetime) -> None:
    problem.updated_at = at
    problem.version += 1


def _owner_id(session: Session, username: str | None) -> int | None:
    if not username:
        return None
    user = users_service.get(session, username=username)
    if user is None or not user.is_active:
        raise ValidationFailed(f"owner: no active user {username!r}")
    return user.id


def _watch_ids(session: Session, principal: Principal, data: ProblemIn) -> dict[str, int | None]:
    """The site, building or zone, and type a new problem watches, from their codes."""
    out: dict[str, int | None] = {
        "site_id": None,
        "building_id": None,
        "zone_id": None,
        "type_id": None,
    }
    if data.place and not data.site:
        raise ValidationFailed("place: give the site too")
    if data.site:
        site = sites_service.get_visible_or_raise(session, principal=principal, code=data.site)
        out["site_id"] = site.id
        if data.place:
            out.update(_place_ids(session, site, data.place))
    elif principal.site_ids is not None:
        raise ValidationFailed("site: you work on some sites only; say which site it is about")
    if data.type:
        out["type_id"] = taxonomy_service.get_or_raise(session, code=data.type).id
    return out


def _place_ids(session: Session, site: Any, code: str) -> dict[str, int | None]:
    """A zone of the site with this code, else a building: the narrowest place to watch."""
    try:
        place = sites_service.resolve_place(session, site=site, place=PlaceIn(zone=code))
    except ValidationFailed:
        try:
            place = sites_service.resolve_place(session, site=site, place=PlaceIn(building=code))
        except ValidationFailed:
            raise ValidationFailed(f"place: {site.code} has no building or zone {code!r}") from None
    return {"building_id": place.building_id, "zone_id": place.zone_id}


def _watch(session: Session, problem: Problem) -> rules.Watch:
    types = None
    if problem.type_id is not None:
        code = taxonomy_service.codes(session, [problem.type_id])[problem.type_id]
        types = frozenset(taxonomy_service.descendants(session, [code]))
    return rules.Watch(problem.site_id, problem.building_id, problem.zone_id, types)


def _link(
    session: Session, principal: Principal, problem: Problem, numbers: Sequence[str], at: datetime
) -> None:
    for number in dict.fromkeys(n.strip() for n in numbers if n.strip()):
        incident = incidents_service.get_or_raise(session, principal=principal, number=number)
        if session.get(ProblemIncident, (problem.id, incident.id)) is not None:
            continue
        session.add(
            ProblemIncident(
                problem_id=problem.id,
                incident_id=incident.id,
                linked_at=at,
                linked_by=principal.username,
            )
        )
        data = {"problem": rules.ref(problem.id), "title": problem.title}
        incidents_service.append_entry(
            session, incident_id=incident.id, kind=LINKED, data=data, at=at, actor=principal
        )
