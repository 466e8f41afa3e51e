"""Organization-wide settings kept in the database (the `config` table)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from murphy.core.models import ConfigEntry


def get(session: Session, key: str) -> Any | None:
    """The value stored under `key`, or None."""
    row = session.get(ConfigEntry, key)
    return row.value if row is not None else None


def put(session: Session, key: str, value: Any, *, actor: str | None, now: datetime) -> None:
    """Store `value` under `key`."""
    row = session.get(ConfigEntry, key)
    if row is None:
        session.add(ConfigEntry(key=key, value=value, updated_at=now, updated_by=actor))
    else:
        row.value, row.updated_at, row.updated_by = value, now, actor
    session.flush()


def put_if_absent(session: Session, key: str, value: Any, *, now: datetime) -> Any:
    """Store `value` under `key` unless something is stored there already (another
    process may have just done so); returns what is stored."""
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(ConfigEntry).values(key=key, value=value, updated_at=now, updated_by=None)
    session.execute(stmt.on_conflict_do_nothing(index_elements=[ConfigEntry.key]))
    return get(session, key)
