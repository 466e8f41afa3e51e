"""Opaque keyset cursors: a page continues after the last key it showed."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from murphy.core.errors import ValidationFailed


def encode(key: dict[str, Any]) -> str:
    """An opaque cursor for `key`."""
    raw = json.dumps(key, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> dict[str, Any]:
    """The key inside `cursor`, or a clear error if it was not made by `encode`."""
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        value = json.loads(raw)
    except (binascii.Error, ValueError) as exc:
        raise ValidationFailed(
            "invalid cursor: pass the next_cursor value of the previous page unchanged"
        ) from exc
    if not isinstance(value, dict):
        raise ValidationFailed("invalid cursor: pass the next_cursor value unchanged")
    return value
