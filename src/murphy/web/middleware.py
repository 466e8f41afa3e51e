"""Pure ASGI middleware: a body-size limit and security headers on every response."""

from __future__ import annotations

import json
import re
from typing import Any

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

SECURITY_HEADERS = [
    (b"x-content-type-options", b"nosniff"),
    (b"x-frame-options", b"DENY"),
    (b"referrer-policy", b"same-origin"),
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data: blob:; style-src 'self'; "
        b"script-src 'self'; frame-ancestors 'none'; form-action 'self'; base-uri 'none'",
    ),
]
_DOCS_CSP = (
    b"default-src 'self'; img-src 'self' data: https:; style-src 'self' 'unsafe-inline' https:; "
    b"script-src 'self' 'unsafe-inline' https:; frame-ancestors 'none'"
)


class SecurityHeaders:
    """Add conservative security headers; the API docs page gets a looser CSP. `images`
    adds origins pictures may come from (the map's tile server, when one is set)."""

    def __init__(self, app: ASGIApp, images: str = "") -> None:
        self.app = app
        extra = b"img-src 'self' " + images.encode() if images else b"img-src 'self'"
        self.headers = [
            (key, value.replace(b"img-src 'self'", extra)) for key, value in SECURITY_HEADERS
        ]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        docs = scope["path"] in ("/docs", "/redoc")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for key, value in self.headers:
                    if key not in present:
                        if docs and key == b"content-security-policy":
                            value = _DOCS_CSP
                        headers.append((key, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyTooLarge(HTTPException):
    """Raised inside the app when a streamed body passes the limit (handled as 413)."""

    def __init__(self, max_bytes: int) -> None:
        super().__init__(413, f"request body is over the limit of {max_bytes} bytes")


def _declared_length(scope: Scope) -> int:
    for key, value in scope.get("headers", []):
        if key == b"content-length":
            return int(value) if value.isdigit() else 0
    return 0


class BodyLimit:
    """Refuse request bodies over `max_bytes` with 413, whether or not they declare a length."""

    def __init__(
        self,
        app: ASGIApp,
        max_bytes: int,
        *,
        uploads: tuple[str, ...] = (),
        max_upload_bytes: int = 0,
        large: tuple[tuple[re.Pattern[str], int], ...] = (),
    ) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.uploads = uploads  # path prefixes that take `max_upload_bytes` (photos)
        self.max_upload_bytes = max(max_upload_bytes, max_bytes)
        self.large = large  # paths (patterns) with a limit of their own (evidence files)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self._limit(scope)
        if _declared_length(scope) > limit:
            await self._refuse(scope, send, limit)
            return
        seen = 0
        started = False

        async def limited_receive() -> Message:
            nonlocal seen
            message = await receive()
            if message["type"] == "http.request":
                seen += len(message.get("body", b""))
                if seen > limit:
                    raise BodyTooLarge(limit)
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal started
            if message["type"] == "http.response.start":
                started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except BodyTooLarge:
            if not started:
                await self._refuse(scope, send, limit)

    def _limit(self, scope: Scope) -> int:
        path = str(scope.get("path", ""))
        for pattern, limit in self.large:
            if pattern.fullmatch(path):
                return limit
        return self.max_upload_bytes if path.startswith(self.uploads) else self.max_bytes

    async def _refuse(self, scope: Scope, send: Send, limit: int) -> None:
        body: dict[str, Any] = {
            "type": "https://murphy.invalid/problems/payload-too-large",
            "title": "Payload too large",
            "status": 413,
            "detail": f"request body is over the limit of {limit} bytes",
            "instance": scope.get("path", ""),
        }
        raw = json.dumps(body).encode()
        await send(
            {
                "type": "http.response.start",
                "status": 413,
                "headers": [
                    (b"content-type", b"application/problem+json"),
                    (b"content-length", str(len(raw)).encode()),
                    (b"connection", b"close"),
                ],
            }
        )
        await send({"type": "http.response.body", "body": raw})
