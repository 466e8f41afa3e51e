"""The one place that turns errors into HTTP: RFC 9457 problem+json, or an HTML page.

API paths always get problem+json. Other paths get an HTML page when the client
accepts HTML (a browser), else problem+json.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse, Response
from sqlalchemy.exc import OperationalError
from starlette.exceptions import HTTPException as StarletteHTTPException

from murphy.core.errors import MurphyError, ServiceUnavailable, TooManyRequests

log = logging.getLogger(__name__)

PROBLEM = "application/problem+json"
TYPE_BASE = "https://murphy.invalid/problems/"

_TITLES = {
    400: "Bad request",
    401: "Authentication required",
    403: "Forbidden",
    404: "Not found",
    405: "Method not allowed",
    406: "Not acceptable",
    413: "Payload too large",
    415: "Unsupported media type",
    422: "Invalid input",
    429: "Too many requests",
    500: "Internal error",
    503: "Service unavailable",
}


class LoginRequired(Exception):
    """A page needs a signed-in user: send the browser to the login page."""

    def __init__(self, next_url: str) -> None:
        super().__init__(next_url)
        self.next_url = next_url


def problem(
    request: Request,
    status: int,
    detail: str,
    *,
    slug: str | None = None,
    title: str | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response:
    """An RFC 9457 problem response, or an HTML error page for a browser."""
    title = title or _TITLES.get(status, "Error")
    if _wants_html(request):
        templates = request.app.state.templates
        page: Response = templates.TemplateResponse(
            request,
            "error.html",
            {"status": status, "title": title, "detail": detail},
            status_code=status,
            headers=headers,
        )
        return page
    body = {
        "type": TYPE_BASE + (slug or title.lower().replace(" ", "-")),
        "title": title,
        "status": status,
        "detail": detail,
        "instance": request.url.path,
        **extra,
    }
    return JSONResponse(body, status_code=status, media_type=PROBLEM, headers=headers)


def _wants_html(request: Request) -> bool:
    if request.url.path.startswith("/api/"):
        return False
    return "text/html" in request.headers.get("accept", "")


def _field(loc: tuple[Any, ...]) -> str:
    parts = [str(p) for p in loc if p not in ("body", "query", "path", "header")]
    return ".".join(parts) or "body"


def _describe(err: dict[str, Any]) -> str:
    where = _field(tuple(err.get("loc", ())))
    if err.get("type") == "extra_forbidden":
        return f"unknown field '{where}'"
    if err.get("type") == "json_invalid":
        return f"body is not valid JSON: {err.get('ctx', {}).get('error', 'parse error')}"
    return f"{where}: {err.get('msg', 'invalid')}"


def install(app: FastAPI) -> None:
    """Register the handlers on `app`."""

    @app.exception_handler(MurphyError)
    async def _murphy(request: Request, exc: MurphyError) -> Response:
        headers = None
        if isinstance(exc, TooManyRequests | ServiceUnavailable):
            headers = {"Retry-After": str(exc.retry_after)}
        if exc.status == 401:
            headers = {"WWW-Authenticate": 'Bearer realm="murphy"'}
        return problem(
            request,
            exc.status,
            exc.detail,
            slug=exc.slug,
            title=exc.title,
            headers=headers,
            **exc.extra,
        )

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> Response:
        errors = [
            {
                "field": _field(tuple(e.get("loc", ()))),
                "message": _describe(e),
                "type": e.get("type"),
            }
            for e in exc.errors()
        ]
        detail = "; ".join(e["message"] for e in errors[:5]) or "invalid input"
        return problem(request, 422, detail, slug="invalid-input", errors=errors)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> Response:
        detail = exc.detail if isinstance(exc.detail, str) else _TITLES.get(exc.status_code, "")
        if exc.status_code == 404 and detail == "Not Found":
            detail = f"nothing at {request.url.path}"
        return problem(request, exc.status_code, detail, headers=getattr(exc, "headers", None))

    @app.exception_handler(LoginRequired)
    async def _login(request: Request, exc: LoginRequired) -> Response:
        return RedirectResponse(f"/login?next={quote(exc.next_url)}", status_code=303)

    @app.exception_handler(OperationalError)
    async def _db_down(request: Request, exc: OperationalError) -> Response:
        log.error("database error on %s %s: %s", request.method, request.url.path, exc)
        return problem(
            request,
            503,
            "the database is unavailable or busy; try again in a moment",
            headers={"Retry-After": "2"},
        )

    @app.exception_handler(Exception)
    async def _crash(request: Request, exc: Exception) -> Response:
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        return problem(request, 500, "an unexpected error occurred; it has been logged")
