"""Database kernel: declarative base, column types, engine with pragmas, transactions.

One code path for SQLite and PostgreSQL. On SQLite a write transaction starts with
`BEGIN IMMEDIATE` so two writers never deadlock on a lock upgrade, and writers inside
one process queue on a lock instead of spinning in SQLite's busy handler.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Dialect, MetaData, create_engine, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import NullPool
from sqlalchemy.types import TypeDecorator

from murphy.core import events

log = logging.getLogger(__name__)

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Declarative base of every Murphy table."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp stored in UTC and always returned timezone-aware.

    SQLite keeps no offset, so values are normalised to UTC on the way in and marked
    UTC on the way out; PostgreSQL stores `timestamptz`. Naive values are refused:
    a time without a zone is a bug waiting for a daylight-saving change.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to a UTC column")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=UTC)
        return value.astimezone(UTC)


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    # Take over transaction control from the driver so we can issue BEGIN IMMEDIATE.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    for pragma in (
        "journal_mode=WAL",
        "synchronous=NORMAL",
        "foreign_keys=ON",
        "busy_timeout=10000",
        # Checkpoints run on WalCheckpointer's thread; this is only the fallback bound.
        "wal_autocheckpoint=10000",
        "journal_size_limit=67108864",
        "temp_store=MEMORY",
        "cache_size=-65536",
        "mmap_size=268435456",
    ):
        cursor.execute(f"PRAGMA {pragma}")
    cursor.close()


def _sqlite_on_begin(conn: Any) -> None:
    # Straight to the driver: the full statement path costs ~100 µs per transaction.
    write = conn.get_execution_options().get("murphy_write")
    conn.connection.driver_connection.execute("BEGIN IMMEDIATE" if write else "BEGIN")


class Database:
    """An engine, its session factory and the write discipline that goes with it."""

    def __init__(self, url: str, *, echo: bool = False, pool_size: int = 20) -> None:
        parsed = make_url(url)
        self.url = url
        self.pool_size = pool_size
        self.is_sqlite = parsed.get_backend_name() == "sqlite"
        kwargs: dict[str, Any] = {"echo": echo}
        if self.is_sqlite:
            kwargs["connect_args"] = {"check_same_thread": False, "timeout": 10}
            if parsed.database in (None, "", ":memory:"):
                raise ValueError("an in-memory SQLite database cannot be shared; use a file")
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = 2 * pool_size
        elif parsed.get_backend_name() == "postgresql":
            kwargs["pool_size"] = pool_size
            kwargs["max_overflow"] = pool_size
            kwargs["pool_pre_ping"] = True
        else:
            kwargs["poolclass"] = NullPool
        self.engine: Engine = create_engine(url, **kwargs)
        if self.is_sqlite:
            event.listen(self.engine, "connect", _sqlite_on_connect)
            event.listen(self.engine, "begin", _sqlite_on_begin)
        self.sessionmaker = sessionmaker(self.engine, expire_on_commit=False)
        events.install(self.sessionmaker)
        self.write_lock = threading.Lock()  # one writer at a time in this process (SQLite)

    @property
    def dialect(self) -> str:
        """The backend name: 'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def session(self, *, write: bool) -> Session:
        """A new session; a write session on SQLite begins IMMEDIATE."""
        session = self.sessionmaker()
        if write and self.is_sqlite:
            session.connection(execution_options={"murphy_write": True})
        return session

    @contextmanager
    def transaction(self, *, write: bool = True) -> Iterator[Session]:
        """One unit of work: commit on success, roll back on any error.

        Used by the CLI, jobs, tests and the writer thread (`core.writer`); pages that
        write take the same lock through `web.deps.SessionDep`.
        """
        lock = self.write_lock if (write and self.is_sqlite) else None
        if lock is not None:
            lock.acquire()
        try:
            with self.session(write=write) as session:
                try:
                    yield session
                    session.commit()
                except BaseException:
                    session.rollback()
                    raise
        finally:
            if lock is not None:
                lock.release()

    def checkpoint(self, mode: str = "PASSIVE") -> tuple[int, int, int]:
        """Run a WAL checkpoint (SQLite): (busy, frames in the WAL, frames copied)."""
        if mode not in ("PASSIVE", "FULL", "RESTART", "TRUNCATE"):
            raise ValueError(f"unknown checkpoint mode {mode}")
        with self.engine.connect() as conn:
            row = conn.exec_driver_sql(f"PRAGMA wal_checkpoint({mode})").one()
        return int(row[0]), int(row[1]), int(row[2])

    def dispose(self) -> None:
        """Close every pooled connection."""
        self.engine.dispose()


class WalCheckpointer:
    """Copies the SQLite WAL back into the database on a thread of its own.

    Left to itself, SQLite checkpoints inside whichever commit crosses the threshold,
    and that commit then waits for an fsync; and under steady reads the WAL can grow
    without bound. This thread runs a PASSIVE checkpoint every `interval` seconds (it
    never blocks writers), and a TRUNCATE one when the WAL passes `max_frames`.
    """

    def __init__(self, db: Database, *, interval: float = 1.0, max_frames: int = 16_384) -> None:
        self.db = db
        self.interval = interval
        self.max_frames = max_frames
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start checkpointing (SQLite only; a no-op elsewhere)."""
        if self.db.is_sqlite and self._thread is None:
            self._thread = threading.Thread(target=self._run, name="murphy-wal", daemon=True)
            self._thread.start()

    def stop(self) -> None:
        """Stop, after one last checkpoint."""
        if self._thread is not None:
            self._stop.set()
            self._thread.join(10)
            self._thread = None

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._once()
        self._once()

    def _once(self) -> None:
        try:
            _, frames, _ = self.db.checkpoint("PASSIVE")
            if frames > self.max_frames:
                self.db.checkpoint("TRUNCATE")
        except Exception:  # a busy database or a closed engine: try again next time
            log.debug("WAL checkpoint skipped", exc_info=True)
