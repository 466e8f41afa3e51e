"""Pure rules about sites and places."""

from __future__ import annotations

import re

from murphy.core.errors import ValidationFailed

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,23}$")


def normalize_code(value: str, *, what: str = "code", max_len: int = 16) -> str:
    """An upper-case code of letters, digits, '-' and '_', or a clear error."""
    code = value.strip().upper()
    if not _CODE.match(code) or len(code) > max_len:
        raise ValidationFailed(
            f"invalid {what} {value!r}: use 1-{max_len} letters, digits, '-' or '_'"
        )
    return code


def place_label(building: str | None, floor: str | None, zone: str | None, detail: str) -> str:
    """A short human label for a place: 'Main building · Floor 2 · ER triage · by the lifts'."""
    parts = [p for p in (building, floor, zone, detail.strip() or None) if p]
    return " · ".join(parts)
