"""Alembic environment: Murphy's metadata, batch mode on SQLite, search objects excluded."""

from __future__ import annotations

from typing import Any

from alembic import context

import murphy.incidents.models
import murphy.sites.models
import murphy.users.models  # noqa: F401  (register every table on the metadata)
from murphy.core.db import Base, Database

# Objects made by hand in migrations because the ORM cannot describe them: the SQLite
# FTS5 table (and its shadow tables) and PostgreSQL's GIN expression index.
UNMANAGED_PREFIXES = ("incidents_fts",)
UNMANAGED_INDEXES = ("ix_incidents_fts",)


def include_object(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
    if type_ == "table" and name and name.startswith(UNMANAGED_PREFIXES):
        return False
    return not (type_ == "index" and name in UNMANAGED_INDEXES)


def run_migrations_online() -> None:
    cfg = context.config
    db: Database | None = cfg.attributes.get("database")
    if db is None:
        url = cfg.get_main_option("sqlalchemy.url")
        if not url:
            raise RuntimeError("no database: pass one in config.attributes or sqlalchemy.url")
        db = Database(url)
    with db.engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=Base.metadata,
            render_as_batch=db.is_sqlite,
            include_object=include_object,
            compare_type=True,
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run_migrations_online()
