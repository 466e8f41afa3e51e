"""Small HTTP helpers shared by the JSON routes: versions in ETag and If-Match."""

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
