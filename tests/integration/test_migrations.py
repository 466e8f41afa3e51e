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
