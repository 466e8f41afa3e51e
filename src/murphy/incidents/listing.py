"""The incident list: filters, the two orders (newest first; the queue by priority), keyset
pages, and the summary rows with their places, types and next service-target due."""

from __future__ import annotations

import builtins
import heapq
import itertools
from collections.abc import Sequence
from typing import Any

from sqlalchemy import ColumnElement, select, tuple_
from sqlalchemy.orm import Session

from murphy.core import pagination
from murphy.core.errors import ValidationFailed
from murphy.incidents import queries, rules
from murphy.incidents.models import Incident
from murphy.incidents.schemas import IncidentPage, IncidentQuery, IncidentSummary, Sort, Status
from murphy.sites import service as sites_service
from murphy.sites.service import PlaceIds
from murphy.sla import service as sla_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service
from murphy.users.schemas import Principal


def page(session: Session, *, principal: Principal, query: IncidentQuery) -> IncidentPage:
    """One page of the list for `query`, as `principal` may see it."""
    stmt = _filtered(session, principal, query)
    if query.q and query.q.strip():
        stmt, order = queries.search(session, stmt, query.q)
        rows, cursor = _page_newest(session, stmt, order, query)
    elif query.sort is Sort.PRIORITY:
        unfiltered = _filtered(session, principal, query.model_copy(update={"status": []}))
        rows, cursor = _page_queue(session, unfiltered, query)
    else:
        rows, cursor = _page_newest(session, stmt, queries.ID, query)
    return IncidentPage(items=_summaries(session, rows), next_cursor=cursor)


def by_numbers(
    session: Session, *, principal: Principal, numbers: Sequence[str]
) -> dict[str, IncidentSummary]:
    """Queue rows for these incidents (by number), those `principal` may see."""
    if not numbers:
        return {}
    stmt = _SUMMARY.where(queries.visible_to(principal), Incident.number.in_(set(numbers)))
    rows = session.connection().execute(stmt).all()
    return {r.number: out for r, out in zip(rows, _summaries(session, rows), strict=True)}


def open_on_site(
    session: Session, *, principal: Principal, site_id: int, limit: int
) -> builtins.list[tuple[IncidentSummary, PlaceIds]]:
    """The newest open incidents of a site that `principal` may see, with their places."""
    stmt = (
        _SUMMARY.where(
            queries.visible_to(principal),
            Incident.site_id == site_id,
            Incident.status.in_([s.value for s in rules.OPEN]),
        )
        .order_by(Incident.id.desc())
        .limit(limit)
    )
    rows = session.connection().execute(stmt).all()
    places = [
        PlaceIds(r.site_id, r.building_id, r.floor_id, r.zone_id, r.location_detail) for r in rows
    ]
    return list(zip(_summaries(session, rows), places, strict=True))


_SUMMARY = select(
    Incident.id,
    Incident.number,
    Incident.title,
    Incident.status,
    Incident.site_id,
    Incident.building_id,
    Incident.floor_id,
    Incident.zone_id,
    Incident.location_detail,
    Incident.reported_at,
    Incident.occurred_at,
    Incident.reporter_id,
    Incident.type_id,
    Incident.priority,
    Incident.exercise,
)


def _filtered(session: Session, principal: Principal, query: IncidentQuery) -> Any:
    stmt = _SUMMARY.where(queries.visible_to(principal))
    if query.status:
        stmt = stmt.where(Incident.status.in_([s.value for s in query.status]))
    if query.site:
        ids = sites_service.ids_for_codes(session, query.site).values()
        stmt = stmt.where(Incident.site_id.in_(ids))
    if query.type:
        unknown = [c for c in query.type if taxonomy_service.get(session, code=c) is None]
        if unknown:
            raise ValidationFailed(f"unknown incident type(s): {', '.join(unknown)}")
        stmt = stmt.where(Incident.type_id.in_(taxonomy_service.descendants(session, query.type)))
    if query.priority:
        stmt = stmt.where(Incident.priority.in_(query.priority))
    if query.reported_from:
        stmt = stmt.where(Incident.reported_at >= _aware(query.reported_from, "reported_from"))
    if query.reported_to:
        stmt = stmt.where(Incident.reported_at < _aware(query.reported_to, "reported_to"))
    return stmt


def _page_newest(
    session: Session, stmt: Any, order: ColumnElement[int], query: IncidentQuery
) -> tuple[Sequence[Any], str | None]:
    if query.cursor:
        last_id = pagination.decode(query.cursor).get("id")
        if not isinstance(last_id, int):
            raise ValidationFailed("invalid cursor: pass next_cursor unchanged")
        stmt = stmt.where(order < last_id)
    page = stmt.order_by(order.desc()).limit(query.limit + 1)
    rows = session.connection().execute(page).all()  # columns only: skip the ORM layer
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    return rows, pagination.encode({"id": rows[-1].id}) if more and rows else None


def _page_queue(
    session: Session, stmt: Any, query: IncidentQuery
) -> tuple[Sequence[Any], str | None]:
    """The queue: no priority yet first, then P1..P5, oldest first within each.

    Read as one short index range per status and priority part (the index on status,
    priority, id), each at most a page long, merged here: a page costs the same with
    a hundred open incidents as with a hundred thousand, on SQLite and PostgreSQL alike.
    A single ORDER BY over every open incident would sort them all for each page.
    """
    after: tuple[int, int] | None = None
    if query.cursor:
        key = pagination.decode(query.cursor)
        last_rank, last_id = key.get("rank"), key.get("id")
        if not isinstance(last_rank, int) or not isinstance(last_id, int):
            raise ValidationFailed("invalid cursor: pass next_cursor unchanged")
        after = (last_rank, last_id)
    want = query.limit + 1
    parts = []
    for status in query.status or list(Status):
        one = stmt.where(Incident.status == status.value)
        if after is None or after[0] == 0:  # not prioritized yet: by id alone
            unranked = one.where(Incident.priority.is_(None))
            if after is not None:
                unranked = unranked.where(Incident.id > after[1])
            parts.append(unranked.order_by(queries.ID).limit(want))
        ranked = one.where(Incident.priority.is_not(None))
        if after is not None and after[0] > 0:
            ranked = ranked.where(tuple_(Incident.priority, queries.ID) > tuple_(*after))
        parts.append(ranked.order_by(Incident.priority, queries.ID).limit(want))
    connection = session.connection()  # columns only: skip the ORM layer
    found = [connection.execute(part).all() for part in parts]
    merged = heapq.merge(*found, key=lambda r: (r.priority or 0, r.id))
    rows = list(itertools.islice(merged, want))
    more = len(rows) > query.limit
    rows = rows[: query.limit]
    if not (more and rows):
        return rows, None
    return rows, pagination.encode({"rank": rows[-1].priority or 0, "id": rows[-1].id})


def _summaries(session: Session, rows: Sequence[Any]) -> builtins.list[IncidentSummary]:
    sites = sites_service.get_by_ids(session, {r.site_id for r in rows})
    places = sites_service.labels(
        session,
        [
            PlaceIds(r.site_id, r.building_id, r.floor_id, r.zone_id, r.location_detail)
            for r in rows
        ],
    )
    names = _usernames(session, {r.reporter_id for r in rows})
    types = taxonomy_service.names(session, {r.type_id for r in rows if r.type_id})
    due = sla_service.next_due(session, incident_ids=[r.id for r in rows])
    return [
        IncidentSummary(
            number=r.number,
            title=r.title,
            status=Status(r.status),
            priority=r.priority,
            type=types.get(r.type_id) if r.type_id else None,
            due=due.get(r.id),
            site=sites[r.site_id].code,
            place=place,
            reported_at=r.reported_at,
            occurred_at=r.occurred_at,
            reporter=names.get(r.reporter_id),
            exercise=r.exercise,
        )
        for r, place in zip(rows, places, strict=True)
    ]


def _usernames(session: Session, ids: set[int | None]) -> dict[int | None, str]:
    return {
        i: ref.username for i, ref in users_service.refs(session, [i for i in ids if i]).items()
    }


def _aware(value: Any, name: str) -> Any:
    if value.tzinfo is None:
        raise ValidationFailed(f"{name} needs a UTC offset, e.g. 2026-11-28T08:00:00Z")
    return value
