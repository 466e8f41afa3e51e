"""BOLO rules: plates for display, expiry limits, states and "expires in" wording (pure)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime, timedelta

from murphy.bolos.schemas import BoloKind, BoloState
from murphy.core.errors import PreconditionFailed, ValidationFailed
from murphy.subjects.schemas import SubjectOut

MAX_DAYS = 365  # a notice lasts at most this long
MAX_PHOTO_BYTES = 5 * 1024 * 1024
UNKNOWN = "unknown"
_SPACES = re.compile(r"\s+")
_PLATE = re.compile(r"[A-Z0-9][A-Z0-9 \-.]*")


def plate_display(text: str) -> str:
    """A plate as people read it: upper case, single spaces ("b-mr  4521" -> "B-MR 4521")."""
    return _SPACES.sub(" ", text.strip().upper())


def check_identity(kind: BoloKind, name: str, plate: str) -> tuple[str, str]:
    """The (name, plate) to keep: a person's name ("unknown" if not given), a vehicle's
    plate (required, letters, digits, spaces and dashes)."""
    if kind is BoloKind.PERSON:
        return (name.strip() or UNKNOWN), ""
    shown = plate_display(plate)
    if not shown:
        raise ValidationFailed("plate: a vehicle BOLO needs the plate (or part of it)")
    if not _PLATE.fullmatch(shown):
        raise ValidationFailed(f"plate: {plate!r} has characters a plate does not have")
    return name.strip(), shown


def check_expiry(expires_at: datetime, now: datetime) -> None:
    """The end must be in the future and at most MAX_DAYS ahead."""
    if expires_at <= now:
        raise ValidationFailed("expires_at: the end must be in the future")
    if expires_at > now + timedelta(days=MAX_DAYS):
        raise ValidationFailed(f"expires_at: a BOLO lasts at most {MAX_DAYS} days")


def site_codes(codes: Iterable[str]) -> list[str]:
    """The site codes given, upper case, without repeats; at least one."""
    out = list(dict.fromkeys(c.strip().upper() for c in codes if c.strip()))
    if not out:
        raise ValidationFailed("sites: choose at least one site the BOLO is for")
    return out


def state(cancelled_at: datetime | None, expires_at: datetime, now: datetime) -> BoloState:
    """Cancelled, expired or active, at `now`."""
    if cancelled_at is not None:
        return BoloState.CANCELLED
    return BoloState.ACTIVE if expires_at > now else BoloState.EXPIRED


def ended_at(cancelled_at: datetime | None, expires_at: datetime) -> datetime:
    """When a notice stopped (or will stop) being active."""
    return min(cancelled_at, expires_at) if cancelled_at else expires_at


def span(seconds: float) -> str:
    """A duration as people say it, rounded: "45 minutes", "5 hours", "3 days"."""
    minutes = max(round(seconds / 60), 1)
    if minutes < 60:
        value, unit = minutes, "minute"
    elif minutes < 48 * 60:
        value, unit = round(minutes / 60), "hour"
    else:
        value, unit = round(minutes / (24 * 60)), "day"
    return f"{value} {unit}{'' if value == 1 else 's'}"


def expires_phrase(expires_at: datetime, now: datetime, cancelled_at: datetime | None) -> str:
    """ "expires in 3 days", "expired 2 hours ago", or "cancelled"."""
    if cancelled_at is not None:
        return "cancelled"
    seconds = (expires_at - now).total_seconds()
    if seconds > 0:
        return f"expires in {span(seconds)}"
    return f"expired {span(-seconds)} ago"


def label(kind: str, name: str, plate: str) -> str:
    """What a notice is about, in a few words: the plate of a vehicle, a person's name."""
    if kind == BoloKind.VEHICLE.value:
        return plate or name or "Unknown vehicle"
    return "Unknown person" if name.strip().lower() in ("", UNKNOWN) else name


def entry_data(
    bolo_id: int, kind: str, name: str, plate: str, sites: list[str], **more: object
) -> dict[str, object]:
    """What the incident's timeline records of a notice (no photo, no date of birth)."""
    return {
        "bolo": bolo_id,
        "kind": kind,
        "label": label(kind, name, plate),
        "sites": sites,
        **more,
    }


def prefilled(
    name: str, plate: str, description: str, subject: SubjectOut | None
) -> tuple[str, str, str]:
    """Name, plate and description as given, the blanks filled from the person or vehicle
    record (its make, model and colour, its description; never its date of birth)."""
    if subject is None:
        return name, plate, description
    car = " ".join(x for x in (subject.make, subject.model) if x)
    looks = ", ".join(x for x in (car, subject.colour) if x)
    known = "; ".join(x for x in (looks, subject.description) if x)
    return name or (subject.name or ""), plate or (subject.plate or ""), description or known


def check_version(bolo_id: int, current: int, expected: int | None) -> None:
    """Refuse a change made from an older version (If-Match, the form's hidden field)."""
    if expected is not None and expected != current:
        raise PreconditionFailed(
            f"BOLO {bolo_id} was changed by someone else (now version {current}, you had"
            f" {expected}); reload it and try again"
        )
