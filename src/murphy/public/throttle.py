"""Per-address limits of the public routes (in this process; see `core.ratelimit`).

Two counts per client address over an hour: reports and additions (writes), and
follow-up code lookups (status checks and additions; wrong codes count too). A
filled-in honeypot field is answered like a client over its limit.
"""

from __future__ import annotations

import math

from fastapi import Request

from murphy.core.errors import TooManyRequests
from murphy.core.ratelimit import SlidingWindowLimiter
from murphy.settings import Settings
from murphy.web.limits import app_limiter

WINDOW = 3600.0


def client(request: Request) -> str:
    """The client's address as this process sees it (behind a proxy: the proxy's)."""
    return request.client.host if request.client else ""


def check_write(request: Request, settings: Settings) -> None:
    """Count a report or an addition; 429 over the limit."""
    _check(_limiter(request, "writes", settings.public_reports_per_hour), client(request))


def check_lookup(request: Request, settings: Settings) -> None:
    """Count a code lookup; 429 over the limit."""
    _check(_limiter(request, "lookups", settings.public_lookups_per_hour), client(request))


def trapped(request: Request, settings: Settings) -> TooManyRequests:
    """The answer to a bot that filled in the honeypot: as if over the limit, for an hour."""
    limiter = _limiter(request, "writes", settings.public_reports_per_hour)
    for _ in range(limiter.limit):
        limiter.hit(client(request))
    return TooManyRequests(_message(WINDOW), retry_after=int(WINDOW))


def _check(limiter: SlidingWindowLimiter[str], key: str) -> None:
    wait = limiter.try_hit(key)
    if wait > 0:
        raise TooManyRequests(_message(wait), retry_after=max(1, math.ceil(wait)))


def _message(wait: float) -> str:
    minutes = max(1, math.ceil(wait / 60))
    return (
        f"too many requests from this address: try again in {minutes} minute"
        f"{'s' if minutes != 1 else ''}. In an emergency, call your local emergency number."
    )


def _limiter(request: Request, name: str, limit: int) -> SlidingWindowLimiter[str]:
    return app_limiter(request, f"public_{name}", limit, WINDOW)
