"""Hand-written SQL: the hot inserts, the yearly number counter, and text search (which
differs between SQLite and PostgreSQL)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import ColumnElement, Integer, Select, column, false, insert, table, text, true
from sqlalchemy.orm import Session

from murphy.incidents import rules
from murphy.incidents.models import Incident, TimelineEntry
from murphy.users.schemas import Permission, Principal

# PostgreSQL: a stored generated column (made by the migration, not mapped by the ORM)
# with a GIN index on it.
PG_DOCUMENT = "incidents.search_vector"


Rows = Select[*tuple[Any, ...]]
ID: ColumnElement[int] = Incident.__table__.c.id  # the column itself: usable as a sort key

# The same statement works on SQLite (3.35+) and PostgreSQL.
_NEXT_NUMBER = text(
    "INSERT INTO incident_counters (year, last) VALUES (:year, 1) "
    "ON CONFLICT (year) DO UPDATE SET last = incident_counters.last + 1 RETURNING last"
)
_INSERT_INCIDENT = insert(Incident).returning(Incident.id)
_INSERT_ENTRY = insert(TimelineEntry)


def next_number(session: Session, year: int) -> int:
    """The next sequence number of `year`, atomically (an upsert that returns the value)."""
    return int(session.connection().execute(_NEXT_NUMBER, {"year": year}).scalar_one())


def _values(row: Incident | TimelineEntry) -> dict[str, Any]:
    return {k: v for k, v in vars(row).items() if not k.startswith("_")}


def insert_incident(session: Session, incident: Incident) -> int:
    """Insert a new incident row (Core, not the unit of work: this is the hot path)."""
    return int(session.connection().execute(_INSERT_INCIDENT, _values(incident)).scalar_one())


def insert_entry(session: Session, entry: TimelineEntry) -> None:
    """Append a timeline entry row."""
    session.connection().execute(_INSERT_ENTRY, _values(entry))


def search(session: Session, stmt: Rows, q: str) -> tuple[Rows, ColumnElement[int]]:
    """Narrow `stmt` to incidents matching a search; returns it and the id column to
    order and page by (newest first).

    A number finds that incident. Otherwise every word must match as a prefix. On
    SQLite the query walks the FTS5 index itself in descending rowid order (joining
    the incident to each hit), so a common word stops after one page instead of
    collecting every match first.
    """
    number = rules.parse_number(q)
    if number is not None:
        return stmt.where(Incident.number == number), ID
    terms = rules.search_terms(q)
    if not terms:
        return stmt.where(false()), ID
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(f"{t}:*" for t in terms)
        condition = text(f"{PG_DOCUMENT} @@ to_tsquery('simple'::regconfig, :tsq)")
        matched = cast(ColumnElement[bool], condition.bindparams(tsq=tsquery))
        return stmt.where(matched), ID
    fts = " ".join('"' + t.replace('"', "") + '"*' for t in terms)
    joined = stmt.select_from(_FTS).join(Incident, Incident.id == _FTS.c.rowid)
    match = text("incidents_fts MATCH :fts").bindparams(fts=fts)
    return joined.where(cast(ColumnElement[bool], match)), _FTS.c.rowid


_FTS = table("incidents_fts", column("rowid", Integer))


def visible_to(principal: Principal, columns: Any = Incident) -> ColumnElement[bool]:
    """The SQL condition for the incidents `principal` may see, over `columns` (anything
    with `site_id`, `reporter_id` and `clearance`: the incidents, or a table of their
    facts)."""
    if principal.can(Permission.READ):
        cond: ColumnElement[bool] = true()
    elif principal.can(Permission.READ_OWN):
        cond = columns.reporter_id == principal.id
    else:
        return false()
    if principal.site_ids is not None:
        cond = cond & columns.site_id.in_(principal.site_ids)
    # Restricted types (an HR matter, a sexual assault) only for those cleared for them.
    cleared: ColumnElement[bool] = columns.clearance.is_(None)
    if principal.clearances:
        cleared = cleared | columns.clearance.in_(principal.clearances)
    return cond & cleared
