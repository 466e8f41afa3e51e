"""Secret keys that every process of one installation shares: made at random on first
use and kept in the database (the `config` table), so `murphy serve` and `murphy worker`
sign and check with the same key without any setting. Deleting the row rotates the key
(everything signed with the old one stops working)."""

from __future__ import annotations

import base64
import secrets

from sqlalchemy.orm import Session

from murphy.core import config
from murphy.core.clock import utcnow


def get(session: Session, name: str) -> bytes | None:
    """The key called `name`, or None if none was made yet."""
    value = config.get(session, f"key.{name}")
    return base64.b64decode(value) if value else None


def ensure(session: Session, name: str) -> bytes:
    """The key called `name`, made now (256 random bits) if there is none yet."""
    found = get(session, name)
    if found is not None:
        return found
    made = base64.b64encode(secrets.token_bytes(32)).decode()
    return base64.b64decode(config.put_if_absent(session, f"key.{name}", made, now=utcnow()))
