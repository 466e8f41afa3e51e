"""The demo organization (placeholder until the generator lands)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import select

from murphy.core.db import Database

PASSWORD = "murphy-demo"
DEFAULT_INCIDENTS = 2000


@dataclass(frozen=True)
class Login:
    username: str
    role: str
    sites: str


LOGINS: list[Login] = []


def is_empty(db: Database) -> bool:
    from murphy.sites.models import Site

    with db.transaction(write=False) as session:
        return session.scalar(select(Site.id).limit(1)) is None


def load(db: Database, *, incidents: int, seed: int, progress: Callable[[int], None] | None = None) -> None:
    raise NotImplementedError
