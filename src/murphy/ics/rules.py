"""Pure rules of the ICS roster and operational periods. No session, no I/O."""

from __future__ import annotations

from datetime import datetime, timedelta

from murphy.core.clock import isoformat
from murphy.core.errors import ValidationFailed

MAX_PERIOD = timedelta(days=7)


def check_period(starts_at: datetime, ends_at: datetime, previous_end: datetime | None) -> None:
    """A period ends after it starts, lasts at most a week, and does not overlap the
    one before it."""
    if ends_at <= starts_at:
        raise ValidationFailed("an operational period must end after it starts")
    if ends_at - starts_at > MAX_PERIOD:
        raise ValidationFailed("an operational period lasts at most 7 days")
    if previous_end is not None and starts_at < previous_end:
        raise ValidationFailed(
            f"this period starts before the previous one ends ({isoformat(previous_end)}): "
            "operational periods follow one another"
        )
