"""The errors services raise. `web/errors.py` is the one place that maps them to HTTP.

Each carries an HTTP status, a short stable title and a slug for the RFC 9457 `type`,
and a `detail` written for the person who made the mistake: what was wrong and what
to do instead.
"""

from __future__ import annotations

from typing import Any, ClassVar


class MurphyError(Exception):
    """Base of every expected error."""

    status: ClassVar[int] = 500
    title: ClassVar[str] = "Internal error"
    slug: ClassVar[str] = "internal-error"

    def __init__(self, detail: str, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.extra = extra


class ValidationFailed(MurphyError):
    """The input is well-formed but not acceptable."""

    status = 422
    title = "Invalid input"
    slug = "invalid-input"


class NotFound(MurphyError):
    """The thing does not exist, or the caller may not know that it does."""

    status = 404
    title = "Not found"
    slug = "not-found"


class Conflict(MurphyError):
    """The request clashes with the current state."""

    status = 409
    title = "Conflict"
    slug = "conflict"


class IllegalTransition(Conflict):
    """A lifecycle move that the state machine does not allow from here."""

    title = "Illegal transition"
    slug = "illegal-transition"


class PreconditionFailed(MurphyError):
    """An `If-Match` version did not match: someone else changed the record first."""

    status = 412
    title = "Precondition failed"
    slug = "precondition-failed"


class Gone(MurphyError):
    """The thing existed but is no longer usable (an expired link)."""

    status = 410
    title = "Gone"
    slug = "gone"


class Unauthenticated(MurphyError):
    """No valid credentials."""

    status = 401
    title = "Authentication required"
    slug = "unauthenticated"


class PermissionDenied(MurphyError):
    """Valid credentials, but the role or scope does not allow this."""

    status = 403
    title = "Forbidden"
    slug = "forbidden"


class PayloadTooLarge(MurphyError):
    """The request body is over the configured limit."""

    status = 413
    title = "Payload too large"
    slug = "payload-too-large"


class TooManyRequests(MurphyError):
    """Slow down; `retry_after` seconds says for how long."""

    status = 429
    title = "Too many requests"
    slug = "too-many-requests"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after


class ServiceUnavailable(MurphyError):
    """Overloaded or a dependency is down; `retry_after` seconds says when to retry."""

    status = 503
    title = "Service unavailable"
    slug = "service-unavailable"

    def __init__(self, detail: str, *, retry_after: int) -> None:
        super().__init__(detail)
        self.retry_after = retry_after
