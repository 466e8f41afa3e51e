"""Keeping the incident facts in step: one statement builds the fact rows of some incidents
(or of all) from the incidents, their first unit on scene and their clocks.

The analytics plugin `mark`s each incident that changes; just before the transaction
commits, `refresh_marked` rewrites their rows once (a classification writes a dozen
timeline entries: one rewrite, not twelve). `rebuild` fills the table from scratch (the
migration that made it, `murphy analytics rebuild`, and the bench generators, which
write incidents in bulk).
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache
from typing import Any, cast

from sqlalchemy import (
    BindParameter,
    Connection,
    Table,
    and_,
    bindparam,
    case,
    delete,
    func,
    insert,
    select,
)
from sqlalchemy.orm import Session

from murphy.analytics import queries
from murphy.analytics.models import IncidentFact
from murphy.incidents import service as incidents_service
from murphy.sla import service as sla_service
from murphy.units import service as units_service

FACTS = cast(Table, IncidentFact.__table__)
DETAIL = 120  # characters of the free-text location kept for grouping


MARKED = "murphy.analytics.marked"  # session.info: ids of the incidents changed in it


def mark(session: Session, incident_id: int) -> None:
    """Remember that an incident changed in this transaction: its row is rewritten before
    the transaction commits."""
    session.info.setdefault(MARKED, set()).add(incident_id)


def refresh_marked(session: Session) -> None:
    """Rewrite the rows of the incidents marked in this transaction (before it commits)."""
    marked: set[int] | None = session.info.pop(MARKED, None)
    if marked:
        refresh(session, marked)


def forget_marked(session: Session) -> None:
    """The transaction rolled back: nothing of it is left to rewrite."""
    session.info.pop(MARKED, None)


def refresh(session: Session, ids: Iterable[int]) -> None:
    """Rewrite the fact rows of the incidents `ids` (their changes flushed first)."""
    wanted = sorted(set(ids))
    if not wanted:
        return
    session.flush()
    conn = session.connection()
    remove, insert_ = _statements(conn.dialect.name)
    conn.execute(remove, {"ids": wanted})
    conn.execute(insert_, {"ids": wanted})


def rebuild(conn: Connection) -> int:
    """Rewrite every fact row; how many incidents there are."""
    conn.execute(delete(FACTS))
    conn.execute(_insert(conn.dialect.name, None))
    return int(conn.scalar(select(func.count()).select_from(FACTS)) or 0)


@cache
def _statements(dialect: str) -> tuple[Any, Any]:
    """The delete and the insert of `refresh`, built once per dialect (their ids bound at
    each call), so SQLAlchemy reuses their compiled form."""
    ids: BindParameter[list[int]] = bindparam("ids", expanding=True)
    return delete(FACTS).where(FACTS.c.incident_id.in_(ids)), _insert(dialect, ids)


def _insert(dialect: str, ids: Any) -> Any:
    """INSERT … SELECT of the fact rows of the incidents `ids` (a bound list), or of all."""
    t = incidents_service.analytics_table()
    scene = units_service.first_on_scene(ids)
    clocks = sla_service.outcomes(ids)
    detail = func.lower(func.trim(t.c.location_detail))
    columns = {
        "incident_id": t.c.id,
        "site_id": t.c.site_id,
        "reporter_id": t.c.reporter_id,
        "clearance": t.c.clearance,
        "exercise": t.c.exercise,
        "reported_at": t.c.reported_at,
        "hour": queries.epoch_hour(dialect, t.c.reported_at),
        "type_id": t.c.type_id,
        "priority": t.c.priority,
        "building_id": t.c.building_id,
        "zone_id": t.c.zone_id,
        "detail": case((detail == "", None), else_=func.substr(detail, 1, DETAIL)),
        "tta": _took(dialect, t.c.reported_at, t.c.acknowledged_at),
        "tos": _took(dialect, t.c.reported_at, scene.c.on_scene_at),
        "ttr": _took(dialect, t.c.reported_at, t.c.resolved_at),
        "acknowledge": clocks.c.acknowledge,
        "respond": clocks.c.respond,
        "resolve": clocks.c.resolve,
        "effective": t.c.effective,
    }
    source = (
        select(*columns.values())
        .select_from(t)
        .outerjoin(scene, scene.c.incident_id == t.c.id)
        .outerjoin(clocks, clocks.c.incident_id == t.c.id)
    )
    if ids is not None:
        source = source.where(t.c.id.in_(ids))
    return insert(FACTS).from_select(list(columns), source)


def _took(dialect: str, start: Any, end: Any) -> Any:
    """Whole seconds from `start` to `end`; None if `end` is missing or before `start`."""
    return case(
        (and_(end.is_not(None), end >= start), queries.seconds(dialect, start, end)),
        else_=None,
    )
