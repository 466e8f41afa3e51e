"""Alembic environment: Murphy's metadata, batch mode on SQLite, search objects excluded."""

from __future__ import annotations

from alembic import context

from murphy.core.db import Base, Database
from murphy.migrations import include_object, load_models

load_models()


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
