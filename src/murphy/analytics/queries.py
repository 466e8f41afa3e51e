"""SQL pieces of the incident facts that differ between SQLite and PostgreSQL."""

from __future__ import annotations

import typing
from typing import Any

from sqlalchemy import ColumnElement, CursorResult, Integer, Select, cast, extract, func, literal
from sqlalchemy.orm import Session


def epoch_hour(dialect: str, column: Any) -> ColumnElement[int]:
    """The UTC hours from 1970 to a timestamp (the unit of every time bucket)."""
    if dialect == "postgresql":
        return cast(func.floor(extract("epoch", column) / 3600), Integer)
    return cast(cast(func.strftime(literal("%s"), column), Integer) / 3600, Integer)


def seconds(dialect: str, start: Any, end: Any) -> ColumnElement[int]:
    """The seconds from `start` to `end`, rounded to whole ones, computed by the database."""
    if dialect == "postgresql":
        exact: Any = extract("epoch", end - start)
    else:
        exact = (func.julianday(end) - func.julianday(start)) * 86400.0
    return cast(func.round(exact), Integer)


def plain_rows(session: Session, stmt: Select[Any]) -> list[tuple[Any, ...]]:
    """The rows of `stmt` as the driver returns them, fetched at once. At 80,000 rows (a busy
    site's year) SQLAlchemy's Row objects cost more than the query itself; only for columns
    that need no conversion (integers, text), as the facts' durations are."""
    result = typing.cast(CursorResult[Any], session.execute(stmt))
    return list(result.cursor.fetchall())
