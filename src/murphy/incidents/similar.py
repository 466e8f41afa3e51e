"""Similar past incidents for the words of a new report, and the classified history the
type suggestions learn from. Read-only views over incidents.

Similar incidents are ranked by the text-search index: FTS5's bm25 on SQLite (title
weighted twice the description), `ts_rank` on PostgreSQL; any of the words may match,
each as a prefix when it is five letters or more. Only incidents the caller may see are
considered (`service.visible_to`: sites, own reports, clearances for restricted types).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from pydantic import BaseModel, Field
from sqlalchemy import (
    ColumnElement,
    Integer,
    bindparam,
    column,
    func,
    literal_column,
    select,
    table,
    text,
)
from sqlalchemy.orm import Session

from murphy.incidents.models import Incident
from murphy.incidents.schemas import Status
from murphy.incidents.service import visible_to
from murphy.sites import service as sites_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users.schemas import Principal

PREFIX_FROM = 5  # a term this long or longer matches as a prefix

_FTS = table("incidents_fts", column("rowid", Integer))
_BM25: ColumnElement[float] = literal_column("bm25(incidents_fts, 2.0, 1.0)")


class SimilarIncident(BaseModel):
    """A past incident like the one being reported."""

    number: str
    title: str
    status: Status
    site: str
    reported_at: datetime
    type: str | None = Field(description="the type code it was classified as, if any")
    score: float = Field(description="text-search relevance; higher is closer")


def similar(
    session: Session, *, principal: Principal, terms: Sequence[str], limit: int = 5
) -> list[SimilarIncident]:
    """The incidents most like these words that the caller may see, best first."""
    words = [t for t in terms if t.isalnum()]
    if not words:
        return []
    where = visible_to(principal) & (Incident.status != Status.MERGED.value)
    columns = (
        Incident.number,
        Incident.title,
        Incident.status,
        Incident.site_id,
        Incident.reported_at,
        Incident.type_id,
    )
    if session.get_bind().dialect.name == "postgresql":
        query = " | ".join(f"{w}:*" if len(w) >= PREFIX_FROM else w for w in words)
        tsq = func.to_tsquery(literal_column("'simple'::regconfig"), bindparam("tsq", query))
        document: ColumnElement[Any] = literal_column("incidents.search_vector")
        rank: Any = func.ts_rank(document, tsq)
        stmt = select(*columns, rank.label("score")).where(document.op("@@")(tsq), where)
        stmt = stmt.order_by(rank.desc(), Incident.id.desc())
    else:
        match = " OR ".join(f'"{w}"*' if len(w) >= PREFIX_FROM else f'"{w}"' for w in words)
        matched = cast(ColumnElement[bool], text("incidents_fts MATCH :fts").bindparams(fts=match))
        stmt = select(*columns, (-_BM25).label("score")).select_from(_FTS)
        stmt = stmt.join(Incident, Incident.id == _FTS.c.rowid).where(matched, where)
        stmt = stmt.order_by(_BM25, Incident.id.desc())
    rows = session.execute(stmt.limit(limit)).all()
    return _out(session, rows)


def alike(
    found: Sequence[SimilarIncident], terms: Sequence[str], *, shared: int = 2
) -> list[SimilarIncident]:
    """Those of `found` whose title shares at least `shared` of the report's words (as
    the search matches them: the longer ones as prefixes), or all of them for a report
    of fewer words. One shared word ("alarm", "floor") is a coincidence, not a
    similar incident: the page shows only these."""
    wanted = [t.lower() for t in terms]
    need = min(shared, len(wanted))

    def hits(title: str) -> int:
        words = [w.lower() for w in taxonomy_service.search_terms(title)]
        return sum(
            any(w == t or (len(t) >= PREFIX_FROM and w.startswith(t)) for w in words)
            for t in wanted
        )

    return [f for f in found if need and hits(f.title) >= need]


def classified(session: Session, *, limit: int = 5000) -> list[tuple[int, str]]:
    """(type id, title and description) of the newest classified incidents."""
    rows = session.execute(
        select(Incident.type_id, Incident.title, Incident.description)
        .where(Incident.type_id.is_not(None), Incident.status != Status.MERGED.value)
        .order_by(Incident.id.desc())
        .limit(limit)
    ).all()
    return [(int(r.type_id), f"{r.title}\n{r.description}") for r in rows]


def _out(session: Session, rows: Sequence[Any]) -> list[SimilarIncident]:
    sites = sites_service.get_by_ids(session, {r.site_id for r in rows})
    types = taxonomy_service.by_ids(session, {r.type_id for r in rows if r.type_id})
    return [
        SimilarIncident(
            number=r.number,
            title=r.title,
            status=Status(r.status),
            site=sites[r.site_id].code,
            reported_at=r.reported_at,
            type=types[r.type_id].code if r.type_id in types else None,
            score=round(float(r.score), 3),
        )
        for r in rows
    ]
