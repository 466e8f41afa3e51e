"""The text-search objects the ORM cannot describe, shared by the migrations.

SQLite: an external-content FTS5 table kept in step by triggers. A migration that
rebuilds the `incidents` table (Alembic's batch mode on SQLite copies it to a new one)
drops its triggers with it, so it must call `restore_sqlite_triggers` afterwards.
PostgreSQL: a stored generated tsvector with a GIN index (ADR 0004).
"""

from __future__ import annotations

from alembic import op

SQLITE_TABLE = """CREATE VIRTUAL TABLE incidents_fts USING fts5(
    title, description, content='incidents', content_rowid='id',
    tokenize='unicode61 remove_diacritics 2', prefix='2 3 4')"""

SQLITE_TRIGGERS = {
    "incidents_fts_insert": """CREATE TRIGGER incidents_fts_insert AFTER INSERT ON incidents BEGIN
        INSERT INTO incidents_fts(rowid, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
    "incidents_fts_delete": """CREATE TRIGGER incidents_fts_delete AFTER DELETE ON incidents BEGIN
        INSERT INTO incidents_fts(incidents_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
    END""",
    "incidents_fts_update": """CREATE TRIGGER incidents_fts_update
        AFTER UPDATE OF title, description ON incidents BEGIN
        INSERT INTO incidents_fts(incidents_fts, rowid, title, description)
        VALUES ('delete', old.id, old.title, old.description);
        INSERT INTO incidents_fts(rowid, title, description)
        VALUES (new.id, new.title, new.description);
    END""",
}

PG_OBJECTS = [
    "ALTER TABLE incidents ADD COLUMN search_vector tsvector GENERATED ALWAYS AS "
    "(to_tsvector('simple'::regconfig, title || ' ' || description)) STORED",
    "CREATE INDEX ix_incidents_fts ON incidents USING gin (search_vector)",
]


def _sqlite() -> bool:
    return bool(op.get_bind().dialect.name == "sqlite")


def create() -> None:
    """Create the search objects of this database."""
    if _sqlite():
        op.execute(SQLITE_TABLE)
        restore_sqlite_triggers()
    else:
        for statement in PG_OBJECTS:
            op.execute(statement)


def drop() -> None:
    """Drop them."""
    if _sqlite():
        for name in SQLITE_TRIGGERS:
            op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute("DROP TABLE IF EXISTS incidents_fts")
    else:
        op.execute("DROP INDEX IF EXISTS ix_incidents_fts")
        op.execute("ALTER TABLE incidents DROP COLUMN IF EXISTS search_vector")


def restore_sqlite_triggers() -> None:
    """(Re)create the FTS triggers on SQLite; a no-op on PostgreSQL."""
    if not _sqlite():
        return
    for name, statement in SQLITE_TRIGGERS.items():
        op.execute(f"DROP TRIGGER IF EXISTS {name}")
        op.execute(statement)
