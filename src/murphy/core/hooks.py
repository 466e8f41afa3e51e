"""Extension points: pluggy hooks called inside the transaction of the change.

Domains announce what happened (`call(session, "incident_changed", ...)`) and the
plugins registered on the database react in the same transaction: the service
targets, the playbooks and the escalation rules are built-in plugins like any other
(ARCHITECTURE convention 13). `murphy.plugins.install(db)` registers them; a session of
a database without plugins refuses to run a hook rather than skip it silently.
"""

from __future__ import annotations

from typing import Any

import pluggy
from sqlalchemy.orm import Session

from murphy.core.db import Database

PROJECT = "murphy"
hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

_KEY = "murphy.plugins"


def attach(db: Database, manager: pluggy.PluginManager) -> None:
    """Make `manager` the plugin manager of every session of `db`."""
    db.sessionmaker.kw.setdefault("info", {})[_KEY] = manager


def manager(session: Session) -> pluggy.PluginManager:
    """The plugin manager of this session's database."""
    found: pluggy.PluginManager | None = session.info.get(_KEY)
    if found is None:
        raise RuntimeError("no plugins on this database: call murphy.plugins.install(db)")
    return found


def call(session: Session, name: str, **kwargs: Any) -> list[Any]:
    """Call hook `name` with `session` and `kwargs`; returns the plugins' results."""
    hook = getattr(manager(session).hook, name)
    result: list[Any] = hook(session=session, **kwargs)
    return result
