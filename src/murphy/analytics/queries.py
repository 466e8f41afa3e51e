"""SQL pieces of the dashboard that differ between SQLite and PostgreSQL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import ColumnElement, extract, func, literal
from sqlalchemy.orm import Session


def postgres(session: Session) -> bool:
    """Whether the session talks to PostgreSQL."""
    return bool(session.get_bind().dialect.name == "postgresql")


def utc_hour(session: Session, column: Any) -> ColumnElement[str]:
    """The UTC hour of a timestamp as text, 'YYYY-MM-DD HH' (the unit of every time bucket)."""
    if postgres(session):
        return func.to_char(func.timezone("UTC", column), literal("YYYY-MM-DD HH24"))
    return func.strftime(literal("%Y-%m-%d %H"), column)


def seconds(session: Session, start: Any, end: Any) -> ColumnElement[Any]:
    """The seconds from `start` to `end`, computed by the database."""
    if postgres(session):
        return extract("epoch", end - start)
    return (func.julianday(end) - func.julianday(start)) * 86400.0
