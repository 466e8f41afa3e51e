"""Request dependencies, defined once: the transaction, the caller, the CSRF check.

A request is one transaction. GET and HEAD read; every other method writes, and on
SQLite writers queue on an asyncio lock (so waiting costs no thread) and then begin
IMMEDIATE. The session commits after the handler returns and before the response is
sent, so an acknowledged change is durable and a failed commit is an error response.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from typing import Annotated

from fastapi import Depends, Request
from sqlalchemy.orm import Session

from murphy.core import security
from murphy.core.db import Database
from murphy.core.errors import PermissionDenied, Unauthenticated
from murphy.core.events import attach
from murphy.settings import Settings
from murphy.users import service as users_service
from murphy.users.schemas import Principal
from murphy.web.errors import LoginRequired

SESSION_COOKIE = "murphy_session"
CSRF_HEADER = "x-csrf-token"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class WriteGate:
    """One writer at a time on SQLite, queued without holding a thread (one lock per loop)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self._locks: dict[asyncio.AbstractEventLoop, asyncio.Lock] = {}

    def lock(self) -> asyncio.Lock:
        """The lock of the running event loop."""
        loop = asyncio.get_running_loop()
        lock = self._locks.get(loop)
        if lock is None:
            lock = self._locks[loop] = asyncio.Lock()
        return lock


def get_settings(request: Request) -> Settings:
    """The application's settings."""
    settings: Settings = request.app.state.settings
    return settings


def get_db(request: Request) -> Database:
    """The application's database."""
    db: Database = request.app.state.db
    return db


async def _write_turn(request: Request) -> AsyncIterator[None]:
    gate: WriteGate = request.app.state.write_gate
    if request.method in SAFE_METHODS or not gate.enabled:
        yield
        return
    async with gate.lock():
        yield


def _session(
    request: Request, _turn: Annotated[None, Depends(_write_turn, scope="function")]
) -> Iterator[Session]:
    db: Database = request.app.state.db
    session = db.session(write=request.method not in SAFE_METHODS)
    attach(session, request.app.state.bus)
    try:
        yield session
        session.commit()
    except BaseException:
        session.rollback()
        raise
    finally:
        session.close()


SessionDep = Annotated[Session, Depends(_session, scope="function")]
SettingsDep = Annotated[Settings, Depends(get_settings)]


def _bearer(request: Request) -> str | None:
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return None


def web_session(request: Request, session: SessionDep) -> tuple[Principal, str] | None:
    """The browser session's caller and CSRF token, if the cookie is valid."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if not cookie:
        return None
    found = users_service.principal_for_web_session(session, cookie=cookie)
    if found is not None:
        request.state.csrf_token = found[1]
    return found


def current_principal(request: Request, session: SessionDep) -> Principal:
    """The caller of an API request: a bearer token, or a browser session plus CSRF header."""
    token = _bearer(request)
    if token is not None:
        principal = users_service.principal_for_token(session, token=token)
        if principal is None:
            raise Unauthenticated("the API token is invalid, expired or revoked")
        return principal
    found = web_session(request, session)
    if found is None:
        raise Unauthenticated("sign in, or send 'Authorization: Bearer <token>'")
    principal, csrf = found
    if request.method not in SAFE_METHODS:
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not security.same(sent, csrf):
            raise PermissionDenied("missing or wrong X-CSRF-Token header for a browser session")
    return principal


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
