"""Problems as people read them: names for owners, sites, places and types read once
for many problems, and a problem with its incidents and links."""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.incidents import service as incidents_service
from murphy.problems import rules
from murphy.problems.models import Problem, ProblemIncident, ProblemLink
from murphy.problems.schemas import LinkedIncident, LinkOut, ProblemOut, ProblemStatus
from murphy.sites import service as sites_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service
from murphy.users.schemas import Principal


@dataclass(frozen=True)
class Refs:
    """Names for many problems' owners, sites, places and types, read once."""

    users: dict[int, Any]
    sites: dict[int, Any]
    places: dict[int, Any]  # problem id -> PlaceOut
    names: dict[int, str]
    codes: dict[int, str]

    def owner(self, p: Problem) -> str | None:
        return self.users[p.owner_id].username if p.owner_id in self.users else None

    def site(self, p: Problem) -> str | None:
        return self.sites[p.site_id].code if p.site_id in self.sites else None

    def place(self, p: Problem) -> str | None:
        place = self.places.get(p.id)
        return place.label or None if place is not None else None

    def place_code(self, p: Problem) -> str | None:
        place = self.places.get(p.id)
        if place is None:
            return None
        return place.zone.code if place.zone else place.building.code if place.building else None

    def type_name(self, p: Problem) -> str | None:
        return self.names.get(p.type_id) if p.type_id else None


def refs(session: Session, problems: Sequence[Problem]) -> Refs:
    placed = [p for p in problems if p.site_id is not None and (p.building_id or p.zone_id)]
    ids = [sites_service.PlaceIds(p.site_id or 0, p.building_id, None, p.zone_id) for p in placed]
    described = sites_service.describe(session, ids) if ids else []
    types = {p.type_id for p in problems if p.type_id}
    return Refs(
        users=users_service.refs(session, {p.owner_id for p in problems if p.owner_id}),
        sites=sites_service.get_by_ids(session, {p.site_id for p in problems if p.site_id}),
        places={p.id: d for p, d in zip(placed, described, strict=True)},
        names=taxonomy_service.names(session, types),
        codes=taxonomy_service.codes(session, types),
    )


def out(session: Session, principal: Principal, problem: Problem) -> ProblemOut:
    session.flush()
    names = refs(session, [problem])
    t = incidents_service.analytics_table()
    linked = session.execute(
        select(t.c.number, ProblemIncident.recurrence)
        .join(t, t.c.id == ProblemIncident.incident_id)
        .where(ProblemIncident.problem_id == problem.id)
    ).all()
    recurrence: dict[str, bool] = {str(n): bool(r) for n, r in linked}
    summaries = incidents_service.summaries(
        session, principal=principal, numbers=builtins.list(recurrence)
    )
    incidents = [
        LinkedIncident(
            number=s.number,
            title=s.title,
            status=str(s.status),
            reported_at=s.reported_at,
            recurrence=bool(recurrence.get(s.number)),
        )
        for s in sorted(summaries.values(), key=lambda s: s.reported_at, reverse=True)
    ]
    links = session.scalars(
        select(ProblemLink).where(ProblemLink.problem_id == problem.id).order_by(ProblemLink.id)
    )
    return ProblemOut(
        id=problem.id,
        ref=rules.ref(problem.id),
        title=problem.title,
        description=problem.description,
        root_cause=problem.root_cause,
        workaround=problem.workaround,
        status=ProblemStatus(problem.status),
        owner=names.owner(problem),
        site=names.site(problem),
        place=names.place_code(problem),
        place_label=names.place(problem),
        type=names.codes.get(problem.type_id) if problem.type_id else None,
        type_name=names.type_name(problem),
        fixed_at=problem.fixed_at,
        fix_note=problem.fix_note,
        recurrences=problem.recurrences,
        created_at=problem.created_at,
        created_by=problem.created_by,
        updated_at=problem.updated_at,
        version=problem.version,
        incidents=incidents,
        links=[LinkOut.model_validate(link, from_attributes=True) for link in links],
    )
