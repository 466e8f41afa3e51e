"""Alembic migrations, run programmatically by `murphy db upgrade` and `murphy serve`."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import Any

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory

from murphy.core.db import Base, Database

HERE = Path(__file__).parent

# Objects made by hand in migrations because the ORM cannot describe them: the SQLite
# FTS5 table (and its shadow tables), PostgreSQL's generated tsvector and its GIN index.
UNMANAGED_PREFIXES = ("incidents_fts",)
UNMANAGED_INDEXES = ("ix_incidents_fts",)
UNMANAGED_COLUMNS = ("search_vector",)


def include_object(
    obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any
) -> bool:
    """Leave hand-made search objects out of autogenerate comparisons."""
    if type_ == "table" and name and name.startswith(UNMANAGED_PREFIXES):
        return False
    if type_ == "column" and name in UNMANAGED_COLUMNS:
        return False
    return not (type_ == "index" and name in UNMANAGED_INDEXES)


MODEL_MODULES = (
    "murphy.core.models",
    "murphy.sites.models",
    "murphy.users.models",
    "murphy.taxonomy.models",
    "murphy.incidents.models",
    "murphy.sla.models",
    "murphy.playbooks.models",
    "murphy.notify.models",
    "murphy.ics.models",
    "murphy.public.models",
    "murphy.signals.models",
    "murphy.units.models",
    "murphy.oncall.models",
    "murphy.reviews.models",
    "murphy.problems.models",
    "murphy.analytics.models",
    "murphy.evidence.models",
    "murphy.statements.models",
    "murphy.subjects.models",
    "murphy.bans.models",
    "murphy.bolos.models",
    "murphy.retention.models",
)


def load_models() -> None:
    """Import every module that defines tables, so the metadata knows them all."""
    for name in MODEL_MODULES:
        importlib.import_module(name)


def drift(db: Database) -> list[Any]:
    """Differences between the live schema and the models; empty when they agree."""
    load_models()
    with db.engine.connect() as conn:
        ctx = MigrationContext.configure(
            conn, opts={"include_object": include_object, "compare_type": True}
        )
        return list(compare_metadata(ctx, Base.metadata))


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
