"""The application's rate limiters: one `SlidingWindowLimiter` per name, made on first use
and kept on the app's state, so that every request of a process counts against it."""

from __future__ import annotations

import threading
from collections.abc import Hashable
from typing import Any

from fastapi import Request

from murphy.core.ratelimit import SlidingWindowLimiter

_LOCK = threading.Lock()


def app_limiter(
    request: Request, name: str, limit: int, window: float
) -> SlidingWindowLimiter[Any]:
    """The limiter called `name` of this application (`limit` events per `window` s)."""
    state = request.app.state
    attr = f"limiter_{name}"
    with _LOCK:
        limiter: SlidingWindowLimiter[Hashable] | None = getattr(state, attr, None)
        if limiter is None:
            limiter = SlidingWindowLimiter(limit, window)
            setattr(state, attr, limiter)
    return limiter
