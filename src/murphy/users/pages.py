"""HTML routes for signing in and out.

The login form is protected against login CSRF by a double-submit token (a random
value in a cookie and in a hidden field, which must match). Failed sign-ins are
throttled per (user name, client address). The password check (argon2, ~0.1 s) runs
in a read transaction without the SQLite write lock, so a burst of sign-ins never
holds up incident reports; only the short insert of the new session takes that lock.
"""

from __future__ import annotations

import math
import secrets
from contextlib import AbstractAsyncContextManager
from datetime import timedelta
from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import RedirectResponse
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from murphy.core import security
from murphy.core.db import Database
from murphy.core.events import EventBus, attach
from murphy.core.ratelimit import SlidingWindowLimiter
from murphy.settings import Settings
from murphy.users import service as users_service
from murphy.users.service import WebLogin
from murphy.web.deps import SESSION_COOKIE, DbGate, SessionDep, check_csrf, web_session
from murphy.web.limits import app_limiter

router = APIRouter(include_in_schema=False)

LOGIN_CSRF_COOKIE = "murphy_login_csrf"
THROTTLE_WINDOW_SECONDS = 15 * 60
DEFAULT_NEXT = "/incidents"

LoginKey = tuple[str, str]


class LoginForm(BaseModel):
    """What the sign-in form posts."""

    username: str = ""
    password: str = ""
    csrf_token: str = ""
    next: str = ""


def safe_next(value: str | None) -> str:
    """A local path to go to after signing in; anything else becomes the queue."""
    if not value or not value.startswith("/") or value.startswith("//"):
        return DEFAULT_NEXT
    if "\\" in value or any(ord(c) < 0x21 or ord(c) == 0x7F for c in value):
        return DEFAULT_NEXT
    return value


@router.get("/login")
def login_form(request: Request, session: SessionDep, next: str = "") -> Response:
    """The sign-in form; a browser already signed in goes straight on."""
    if web_session(request, session) is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _form(request, next_url=safe_next(next))


@router.post("/login")
async def login(request: Request, form: Annotated[LoginForm, Form()]) -> Response:
    """Check the password and start a browser session, unless throttled."""
    settings: Settings = request.app.state.settings
    next_url = safe_next(form.next)
    sent = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if not sent or not form.csrf_token or not security.same(sent, form.csrf_token):
        message = "The sign-in form expired or came from another site. Please sign in again."
        return _form(request, next_url=next_url, error=message, username=form.username, status=403)
    key = (form.username.strip().lower(), request.client.host if request.client else "")
    limiter = _limiter(request, settings)
    wait = limiter.try_hit(key)
    if wait > 0:
        return _throttled(request, next_url, form.username, wait)
    db: Database = request.app.state.db
    async with _turn(request):
        checked = await run_in_threadpool(_check_password, db, form.username, form.password)
    if checked is None:
        message = "Wrong user name or password."
        return _form(request, next_url=next_url, error=message, username=form.username, status=401)
    limiter.reset(key)
    async with _turn(request):
        opened = await run_in_threadpool(
            _open_session, db, request.app.state.bus, form, checked, settings, request
        )
    if opened is None:
        return _form(request, next_url=next_url, error="This account is disabled.", status=401)
    response = RedirectResponse(next_url, status_code=303)
    _set_session_cookie(response, opened, settings)
    response.delete_cookie(LOGIN_CSRF_COOKIE, path="/login")
    return response


@router.post("/logout")
def logout(
    request: Request, session: SessionDep, csrf_token: Annotated[str, Form()] = ""
) -> Response:
    """End the browser session and go back to the sign-in form."""
    cookie = request.cookies.get(SESSION_COOKIE)
    if cookie and web_session(request, session) is not None:
        check_csrf(request, csrf_token)
        users_service.end_web_session(session, cookie=cookie)
    response = RedirectResponse("/login", status_code=303)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def _check_password(db: Database, username: str, password: str) -> bool | None:
    """None if the password is wrong; else whether its hash wants upgrading (read only)."""
    with db.session(write=False) as session:
        user = users_service.authenticate_password(session, username=username, password=password)
        return None if user is None else session.is_modified(user)


def _open_session(
    db: Database, bus: EventBus, form: LoginForm, rehash: bool, settings: Settings, request: Request
) -> WebLogin | None:
    """Insert the new browser session (and the upgraded hash, rarely) in one write."""
    with db.transaction() as session:
        attach(session, bus)
        if rehash:
            user = users_service.authenticate_password(
                session, username=form.username, password=form.password
            )
        else:
            user = users_service.get(session, username=form.username)
        if user is None or not user.is_active:
            return None
        old = request.cookies.get(SESSION_COOKIE)
        if old:
            users_service.end_web_session(session, cookie=old)
        ttl = timedelta(hours=settings.session_hours)
        return users_service.start_web_session(session, user=user, ttl=ttl)


def _turn(request: Request) -> AbstractAsyncContextManager[None]:
    """A database connection slot, waited for in the event loop."""
    gate: DbGate = request.app.state.db_gate
    return gate.turn()


def _limiter(request: Request, settings: Settings) -> SlidingWindowLimiter[LoginKey]:
    """The application's failed-login limiter."""
    return app_limiter(request, "login", settings.login_attempts, THROTTLE_WINDOW_SECONDS)


def _throttled(request: Request, next_url: str, username: str, wait: float) -> Response:
    seconds = max(math.ceil(wait), 1)
    minutes = math.ceil(seconds / 60)
    message = (
        f"Too many failed sign-ins for {username.strip() or 'this user'} from this address. "
        f"Wait {minutes} minute{'s' if minutes != 1 else ''} and try again, "
        "or ask a supervisor to check the account."
    )
    response = _form(request, next_url=next_url, error=message, username=username, status=429)
    response.headers["Retry-After"] = str(seconds)
    return response


def _form(
    request: Request, *, next_url: str, error: str = "", username: str = "", status: int = 200
) -> Response:
    """The sign-in page with a fresh or reused double-submit token."""
    settings: Settings = request.app.state.settings
    token = request.cookies.get(LOGIN_CSRF_COOKIE, "")
    if len(token) < 32 or not token.replace("-", "").replace("_", "").isalnum():
        token = secrets.token_urlsafe(32)
    context = {"login_token": token, "next_url": next_url, "error": error, "username": username}
    templates = request.app.state.templates
    response: Response = templates.TemplateResponse(
        request, "login.html", context, status_code=status
    )
    response.headers["Cache-Control"] = "no-store"
    response.set_cookie(
        LOGIN_CSRF_COOKIE,
        token,
        path="/login",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
    return response


def _set_session_cookie(response: Response, opened: WebLogin, settings: Settings) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        opened.cookie,
        max_age=int(settings.session_hours * 3600),
        path="/",
        httponly=True,
        samesite="lax",
        secure=settings.cookie_secure,
    )
