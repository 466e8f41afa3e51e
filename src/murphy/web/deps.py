"""Request dependencies, defined once: sessions, the writer, the caller, the CSRF check.

API reads go to the reader: one hop onto the thread pool with a read-only session. API
writes go to the writer
(`core.writer`): one thread per process that runs units of work in group-committed
transactions and answers only after the commit. Pages that post forms use `SessionDep`,
which for a write takes the process's SQLite writer lock and begins IMMEDIATE; the
session commits after the handler returns and before the response is sent.

Every request that uses the database first waits for a slot in the event loop (so
waiting costs no thread, and threads always outnumber admitted requests: ADR 0001).
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Annotated, TypeVar

from fastapi import Depends, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from murphy.core import security
from murphy.core.blobs import BlobStore
from murphy.core.db import Database
from murphy.core.errors import PermissionDenied, Unauthenticated
from murphy.core.events import attach
from murphy.core.writer import Writer
from murphy.notify import deliveries
from murphy.settings import Settings
from murphy.users import service as users_service
from murphy.users.schemas import Principal
from murphy.web.errors import LoginRequired

SESSION_COOKIE = "murphy_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
T = TypeVar("T")


class DbGate:
    """Admission to the database: at most `size` requests hold a connection at once."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._slots: dict[asyncio.AbstractEventLoop, asyncio.Semaphore] = {}

    @asynccontextmanager
    async def turn(self, *, write: bool = False) -> AsyncIterator[None]:
        """Wait for a connection slot (one semaphore per event loop)."""
        loop = asyncio.get_running_loop()
        slots = self._slots.get(loop)
        if slots is None:
            slots = self._slots[loop] = asyncio.Semaphore(self.size)
        async with slots:
            yield


class Reader:
    """Runs a read-only unit of work on the thread pool: one hop, one read session.

    Only `size` reads run at once (about one per core): more threads would only fight
    over the interpreter lock and starve the writer thread. The rest wait in the event
    loop, which costs no thread.
    """

    def __init__(self, db: Database, size: int) -> None:
        self.db = db
        self.gate = DbGate(size)

    async def run(self, fn: Callable[[Session], T]) -> T:
        """Wait for a turn, then run `fn(session)` on a worker thread."""
        async with self.gate.turn():
            return await run_in_threadpool(self._call, fn)

    def _call(self, fn: Callable[[Session], T]) -> T:
        with self.db.session(write=False) as session:
            return fn(session)


async def get_settings(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.settings
    return settings


async def get_db(request: Request) -> Database:
    """The application's database."""
    db: Database = request.app.state.db
    return db


async def get_reader(request: Request) -> Reader:
    """The application's reader."""
    reader: Reader = request.app.state.reader
    return reader


async def get_writer(request: Request) -> Writer:
    """The application's writer."""
    writer: Writer = request.app.state.writer
    return writer


async def _db_turn(request: Request) -> AsyncIterator[None]:
    gate: DbGate = request.app.state.db_gate
    async with gate.turn():
        yield


_Turn = Annotated[None, Depends(_db_turn, scope="function")]


def _session(request: Request, _turn: _Turn) -> Iterator[Session]:
    db: Database = request.app.state.db
    write = request.method not in SAFE_METHODS
    lock = db.write_lock if (write and db.is_sqlite) else None
    if lock is not None:
        lock.acquire()
    try:
        with db.session(write=write) as session:
            attach(session, request.app.state.bus)
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise
    finally:
        if lock is not None:
            lock.release()


SessionDep = Annotated[Session, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]
WriterDep = Annotated[Writer, Depends(get_writer)]
ReaderDep = Annotated[Reader, Depends(get_reader)]


def get_blobs(request: Request) -> BlobStore:
    """Where the application keeps large files (evidence)."""
    store: BlobStore = request.app.state.blobs
    return store


BlobsDep = Annotated[BlobStore, Depends(get_blobs)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def web_session(request: Request, session: Session) -> tuple[Principal, str] | None:
    """The browser session's caller and CSRF token, if the cookie is valid."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = users_service.principal_for_web_session(session, cookie=cookie)
    if found is not None:
        request.state.principal, request.state.csrf_token = found
        request.state.unread = _unread(session, found[0])
    return found


def _unread(session: Session, principal: Principal) -> Callable[[], int | None]:
    """The bell's number in the page header (base.html): the caller's unread in-app
    notifications, counted in the page's own session only when a page with the header
    renders (one indexed count; none for redirects). None once the request's session
    has ended (an error page) or failed: the bell never breaks a page."""

    def count() -> int | None:
        if not session.in_transaction():
            return None
        try:
            return deliveries.unread_count(session, principal=principal)
        except SQLAlchemyError:
            return None

    return count


async def current_principal(request: Request) -> Principal:
    """The caller of an API request: a bearer token, or a browser session plus CSRF header.

    A token verified in the last few seconds is answered from memory (no thread, no
    query); otherwise the check runs on the thread pool with its own read session.
    """
    token = _bearer(request)
    if token is not None:
        principal = users_service.cached_principal(token)
        if principal is None:
            principal = await _with_read_session(request, _token_principal, token)
        if principal is None:
            raise Unauthenticated("the API token is invalid, expired or revoked")
        return principal
    cookie = request.cookies.get(SESSION_COOKIE)
    found = await _with_read_session(request, _cookie_principal, cookie) if cookie else None
    if found is None:
        raise Unauthenticated("sign in, or send 'Authorization: Bearer <token>'")
    principal, csrf = found
    request.state.csrf_token = csrf
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not security.same(sent, csrf):
            raise PermissionDenied("missing or wrong X-CSRF-Token header for a browser session")
    return principal


def _token_principal(session: Session, token: str) -> Principal | None:
    principal = users_service.principal_for_token(session, token=token)
    if principal is not None:
        users_service.remember_principal(token, principal)
    return principal


def _cookie_principal(session: Session, cookie: str) -> tuple[Principal, str] | None:
    return users_service.principal_for_web_session(session, cookie=cookie)


async def _with_read_session(request: Request, fn: Callable[[Session, str], T], arg: str) -> T:
    db: Database = request.app.state.db
    gate: DbGate = request.app.state.db_gate

    def run() -> T:
        with db.session(write=False) as session:
            return fn(session, arg)

    async with gate.turn():
        return await run_in_threadpool(run)


CurrentUser = Annotated[Principal, Depends(current_principal)]


def page_principal(request: Request, session: SessionDep) -> Principal:
    """The signed-in browser user of a page; otherwise a redirect to the login page."""
    found = web_session(request, session)
    if found is None:
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        raise LoginRequired(target)
    return found[0]


PageUser = Annotated[Principal, Depends(page_principal)]


def check_csrf(request: Request, submitted: str | None) -> None:
    """Refuse a form post whose CSRF token does not match the browser session's."""
    expected = getattr(request.state, "csrf_token", None)
    if not expected or not submitted or not security.same(submitted, expected):
        raise PermissionDenied("the form expired or did not come from this site; reload and retry")
