"""Alembic migrations, run programmatically by `murphy db upgrade` and `murphy serve`."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from murphy.core.db import Database

HERE = Path(__file__).parent


def config(db: Database) -> Config:
    """An Alembic config pointing at Murphy's scripts and the given database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    cfg.attributes["database"] = db
    return cfg


def upgrade(db: Database, revision: str = "head") -> None:
    """Bring the schema up to `revision`."""
    command.upgrade(config(db), revision)


def current(db: Database) -> str | None:
    """The revision the database is at, or None for an empty database."""
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def head() -> str | None:
    """The newest revision shipped with this version of Murphy."""
    return ScriptDirectory.from_config(config_for_scripts()).get_current_head()


def config_for_scripts() -> Config:
    """A config that can read scripts without a database."""
    cfg = Config()
    cfg.set_main_option("script_location", str(HERE))
    cfg.set_main_option("path_separator", "os")
    return cfg
