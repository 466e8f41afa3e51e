"""Murphy's hook specifications. A plugin implements any of them with `@hookimpl`
(`from murphy.core.hooks import hookimpl`) and is found through the `murphy` entry
point group, or is one of the built-ins in `murphy.plugins.BUILTIN`."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from murphy.core.hooks import hookspec


@hookspec
def incident_changed(session: Session, change: Any) -> None:
    """An incident changed (`change` is a `murphy.incidents.schemas.Change`).

    Called inside the transaction of the change, after its timeline entry was
    appended: what a plugin writes commits or rolls back with it. Service targets,
    playbooks and escalation rules react here.
    """


@hookspec
def incident_move_allowed(session: Session, incident: Any, action: str) -> str | None:
    """Return a reason to refuse a lifecycle move, or None to allow it.

    `incident` is a `murphy.incidents.schemas.IncidentFacts`; `action` an `Action` value
    (`resolve`, `close`, ...). The first reason returned refuses the move with 409.
    """


@hookspec
def timer_handlers() -> dict[str, Any]:
    """Handlers of durable timers, by timer kind: `{"sla.breach": handler, ...}`.

    A handler is `handler(session, timer)` (`timer` a `murphy.core.timers.DueTimer`); the
    scheduler runs it in the transaction that marks the timer fired. It must re-check
    its subject and do nothing if the timer's reason went away (see `murphy.core.timers`).
    Called once at start-up, without a session; a kind may have only one handler.
    """
    return {}


@hookspec
def notification_channels(settings: Any) -> list[Any]:
    """Channels that can send messages (`settings` is the `murphy.settings.Settings`).

    Each is an object like `murphy.notify.channels.Channel`: a unique `name` (the
    `channel` of a delivery: "email", "webhook", "sms", "voice", or a new one), a
    `problem` (None, or why it cannot send), `async send(message) -> Result` and `async
    close()`. Called once when a delivery worker starts, without a session.
    """
    return []
