"""What every command shares: settings, the database, the acting user, output."""

from __future__ import annotations

import os
import sys
from functools import cache
from typing import NoReturn

from pydantic import ValidationError
from rich.console import Console

from murphy import migrations, plugins
from murphy.core.db import Database
from murphy.settings import Settings
from murphy.users import service as users_service
from murphy.users.schemas import Principal

console = Console(highlight=False)
err_console = Console(stderr=True, highlight=False)


def fail(message: str, code: int = 1) -> NoReturn:
    """Print one line to stderr and exit non-zero."""
    err_console.print(f"[bold red]error:[/] {message}", markup=True, soft_wrap=True)
    sys.exit(code)


@cache
def settings() -> Settings:
    """Settings from the environment, or a one-line error naming the bad variable."""
    try:
        return Settings()
    except ValidationError as exc:
        first = exc.errors()[0]
        name = "MURPHY_" + str(first["loc"][0]).upper() if first.get("loc") else "settings"
        fail(f"{name}: {first['msg']}")


@cache
def database() -> Database:
    """The database named by MURPHY_DATABASE_URL, with the plugins installed."""
    db = Database(settings().database_url, pool_size=2)
    plugins.install(db)
    return db


def migrated_database() -> Database:
    """The database, refusing to go on if its schema is missing or old."""
    db = database()
    have, want = migrations.current(db), migrations.head()
    if have != want:
        fail(f"the database schema is at {have or 'nothing'}, not {want}: run `murphy db upgrade`")
    return db


def acting_principal(db: Database, username: str | None) -> Principal:
    """Who a command acts as: --as, else MURPHY_CLI_USER, else 'admin'."""
    name = username or os.environ.get("MURPHY_CLI_USER") or "admin"
    with db.transaction(write=False) as session:
        user = users_service.get(session, username=name)
        if user is None or not user.is_active:
            fail(f"no active user {name!r} to act as: pass --as USERNAME or set MURPHY_CLI_USER")
        return users_service.principal(session, user)
