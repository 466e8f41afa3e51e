"""Migrations: an empty database of each kind upgrades to head with no drift, and back."""

from __future__ import annotations

import os
import uuid

import pytest
from sqlalchemy import inspect

from murphy import migrations
from murphy.core.db import Database
from tests.conftest import PG_URL, _postgres_url


@pytest.fixture
def empty_db(tmp_path):
    if PG_URL:
        url = _postgres_url(PG_URL, f"murphy_drift_{uuid.uuid4().hex[:8]}")
    else:
        url = f"sqlite:///{tmp_path / 'drift.db'}"
    db = Database(url, pool_size=1)
    yield db
    db.dispose()
    if PG_URL:
        import psycopg
        from sqlalchemy.engine import make_url

        admin = make_url(PG_URL).set(drivername="postgresql", database="postgres")
        with psycopg.connect(admin.render_as_string(hide_password=False), autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{make_url(url).database}" WITH (FORCE)')


def test_upgrade_to_head_has_no_drift(empty_db):
    assert migrations.current(empty_db) is None
    migrations.upgrade(empty_db)
    assert migrations.current(empty_db) == migrations.head()
    assert migrations.drift(empty_db) == []
    names = set(inspect(empty_db.engine).get_table_names())
    assert {"incidents", "timeline_entries", "users", "sites"} <= names
    if empty_db.is_sqlite:
        assert "incidents_fts" in names
    else:
        indexes = {i["name"] for i in inspect(empty_db.engine).get_indexes("incidents")}
        assert "ix_incidents_fts" in indexes


def test_downgrade_to_base_and_up_again(empty_db):
    migrations.upgrade(empty_db)
    migrations.upgrade(empty_db)  # idempotent
    from alembic import command

    command.downgrade(migrations.config(empty_db), "base")
    assert set(inspect(empty_db.engine).get_table_names()) <= {"alembic_version"}
    migrations.upgrade(empty_db)
    assert migrations.drift(empty_db) == []


def test_sqlite_pragmas(tmp_path):
    if PG_URL:
        pytest.skip("SQLite pragmas: SQLite run only")
    db = Database(f"sqlite:///{tmp_path / 'p.db'}")
    with db.engine.connect() as conn:
        assert conn.exec_driver_sql("PRAGMA journal_mode").scalar() == "wal"
        assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    db.dispose()
    assert os.path.exists(tmp_path / "p.db")


def test_search_survives_the_upgrade_from_0001(empty_db):
    """0002 rebuilds `incidents` on SQLite (batch mode), which drops its triggers: the
    migration must put them back, and the text index must still find old and new rows."""
    from sqlalchemy import text

    migrations.upgrade(empty_db, "0001")
    row = (
        "INSERT INTO incidents (number, year, seq, title, description, status, channel, "
        "site_id, location_detail, reported_at, updated_at, resolution_summary, cancel_reason, "
        "version, timeline_length, timeline_head) VALUES (:n, 2026, :s, :t, '', 'new', 'api', "
        "1, '', :at, :at, '', '', 1, 0, :h)"
    )
    at = "2026-11-28 08:00:00.000000" if empty_db.is_sqlite else "2026-11-28T08:00:00Z"
    with empty_db.engine.begin() as conn:
        conn.execute(
            text(
                "INSERT INTO sites (id, code, name, timezone, address, created_at) "
                "VALUES (1, 'HQ', 'HQ', 'UTC', '', :at)"
            ),
            {"at": at},
        )
        conn.execute(
            text(row),
            {"n": "INC-2026-00001", "s": 1, "t": "walrus before", "at": at, "h": "0" * 64},
        )
    migrations.upgrade(empty_db)
    with empty_db.engine.begin() as conn:
        # 0017 wrote the facts of the incident already there (the dashboard counts it).
        facts = conn.execute(text("SELECT incident_id, hour, site_id FROM incident_facts")).all()
        assert [tuple(f) for f in facts] == [(1, 1795852800 // 3600, 1)]  # 2026-11-28 08:00Z
        conn.execute(
            text(row), {"n": "INC-2026-00002", "s": 2, "t": "walrus after", "at": at, "h": "0" * 64}
        )
        if empty_db.is_sqlite:
            hits = conn.execute(
                text("SELECT rowid FROM incidents_fts WHERE incidents_fts MATCH 'walrus'")
            ).all()
        else:
            hits = conn.execute(
                text(
                    "SELECT id FROM incidents WHERE search_vector @@ to_tsquery('simple', 'walrus')"
                )
            ).all()
    assert len(hits) == 2
    assert migrations.drift(empty_db) == []
