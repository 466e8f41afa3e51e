"""The SQL that differs between SQLite and PostgreSQL: number counters and text search."""

from __future__ import annotations

from sqlalchemy import ColumnElement, column, false, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from murphy.incidents import rules
from murphy.incidents.models import Incident, IncidentCounter

# Kept in step with the migration that creates the index: PostgreSQL uses the GIN
# index only when the query repeats the indexed expression exactly.
PG_DOCUMENT = "to_tsvector('simple'::regconfig, (incidents.title || ' ' || incidents.description))"


def next_number(session: Session, year: int) -> int:
    """The next sequence number of `year`, atomically (an upsert that returns the value)."""
    dialect = session.get_bind().dialect.name
    insert = pg_insert if dialect == "postgresql" else sqlite_insert
    stmt = (
        insert(IncidentCounter)
        .values(year=year, last=1)
        .on_conflict_do_update(
            index_elements=[IncidentCounter.year], set_={"last": IncidentCounter.last + 1}
        )
        .returning(IncidentCounter.last)
    )
    return int(session.execute(stmt).scalar_one())


def matches(session: Session, q: str) -> ColumnElement[bool]:
    """The condition for incidents matching a search: a number, or every word as a prefix."""
    number = rules.parse_number(q)
    if number is not None:
        return Incident.number == number
    terms = rules.search_terms(q)
    if not terms:
        return false()
    if session.get_bind().dialect.name == "postgresql":
        tsquery = " & ".join(f"{t}:*" for t in terms)
        return text(f"{PG_DOCUMENT} @@ to_tsquery('simple'::regconfig, :tsq)").bindparams(
            tsq=tsquery
        )
    fts = " ".join('"' + t.replace('"', "") + '"*' for t in terms)
    ids = text("SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH :fts").bindparams(fts=fts)
    return Incident.id.in_(ids.columns(column("rowid")))
