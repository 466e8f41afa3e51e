"""Small HTTP helpers shared by the routes: versions in ETag and If-Match, stored photos."""

from __future__ import annotations

from fastapi import Request, Response

from murphy.core.errors import ValidationFailed


def set_etag(response: Response, version: int) -> None:
    """Expose a record's version as a weak ETag."""
    response.headers["ETag"] = f'W/"{version}"'


def if_match(request: Request) -> int | None:
    """The version a client says it is changing (If-Match: W/"3" or "3"), if any."""
    raw = request.headers.get("if-match")
    if raw is None or raw.strip() == "*":
        return None
    value = raw.strip().removeprefix("W/").strip('"')
    if not value.isdigit():
        raise ValidationFailed('If-Match must be the ETag you received, e.g. W/"3"')
    return int(value)


def photo_response(data: bytes, media_type: str, sha256: str, *, max_age: int = 0) -> Response:
    """A stored photo of a person or vehicle: never sniffed or run, kept by no shared
    cache (by the browser for `max_age` seconds if given); its SHA-256 as the ETag."""
    cache = f"private, max-age={max_age}" if max_age else "private, no-store"
    headers = {
        "X-Content-Type-Options": "nosniff",
        "Cache-Control": cache,
        "Content-Security-Policy": "default-src 'none'; sandbox",
        "ETag": f'"{sha256}"',
    }
    return Response(data, media_type=media_type, headers=headers)
