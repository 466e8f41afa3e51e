"""Fixtures: a real database (SQLite by default, PostgreSQL with MURPHY_TEST_DATABASE_URL).

Each pytest-xdist worker gets its own database, migrated once. The application opens
and commits its own transactions (one per request), exactly as in production, so a
test sees real commits; every table is emptied after each test instead of rolling a
surrounding transaction back.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from sqlalchemy.engine import make_url

from murphy import migrations, plugins
from murphy.app import create_app
from murphy.core.db import Base, Database
from murphy.settings import Settings
from murphy.sites import directory
from tests.factories import Factory

PG_URL = os.environ.get("MURPHY_TEST_DATABASE_URL", "")


def _worker() -> str:
    return os.environ.get("PYTEST_XDIST_WORKER", "main")


def _postgres_url(base: str, name: str) -> str:
    """A fresh PostgreSQL database named `name` on the server of `base`."""
    import psycopg

    url = make_url(base)
    admin = url.set(drivername="postgresql", database="postgres")
    conninfo = admin.render_as_string(hide_password=False)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        conn.execute(f'CREATE DATABASE "{name}"')
    return url.set(database=name).render_as_string(hide_password=False)


@pytest.fixture(scope="session")
def database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    """The URL of this worker's test database, created empty."""
    if PG_URL:
        base_name = make_url(PG_URL).database or "murphy_test"
        return _postgres_url(PG_URL, f"{base_name}_{_worker()}")
    path: Path = tmp_path_factory.mktemp("db") / "murphy.db"
    return f"sqlite:///{path}"


@pytest.fixture(scope="session")
def database(database_url: str) -> Iterator[Database]:
    """This worker's database, migrated to head once."""
    db = Database(database_url, pool_size=5)
    plugins.install(db)
    migrations.load_models()
    migrations.upgrade(db)
    yield db
    db.dispose()


def _empty(db: Database) -> None:
    directory.forget_all()
    tables = [t.name for t in reversed(Base.metadata.sorted_tables)]
    with db.engine.begin() as conn:
        if db.is_sqlite:
            for name in tables:
                conn.execute(text(f"DELETE FROM {name}"))
            conn.execute(text("INSERT INTO incidents_fts(incidents_fts) VALUES ('rebuild')"))
        else:
            conn.execute(text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))


@pytest.fixture
def db(database: Database) -> Iterator[Database]:
    """The migrated database, emptied after the test."""
    yield database
    _empty(database)


@pytest.fixture
def settings(database_url: str, tmp_path: Path) -> Settings:
    """Settings pointing at the test database (and a blob store of the test's own)."""
    # No delivery worker unless a test asks for one (test_delivery*.py): the outbox stays
    # as the change left it, and no background loop runs beside every other test.
    return Settings(
        database_url=database_url,
        max_body_bytes=64 * 1024,
        delivery=False,
        evidence_dir=str(tmp_path / "evidence"),
    )


@pytest.fixture
def app(settings: Settings, db: Database):  # type: ignore[no-untyped-def]
    """The application, on the test database."""
    return create_app(settings, db=db)


@pytest.fixture
def client(app) -> Iterator[TestClient]:  # type: ignore[no-untyped-def]
    """An HTTP client talking to the application in-process."""
    with TestClient(app, raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def factory(db: Database) -> Factory:
    """Makers of sites, users and tokens."""
    return Factory(db)
