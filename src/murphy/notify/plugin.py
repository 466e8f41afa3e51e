"""The notify domain's built-in plugin (hook implementations; see murphy.plugins.hookspecs).

Every incident change that is an event for the escalation rules writes its outbox rows
in the change's own transaction. It runs first among the plugins (`tryfirst`), so the
incident's timeline head is still the entry this change wrote when the rows are keyed.
The plugin also provides the built-in notification channels.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from murphy.core.hooks import hookimpl
from murphy.incidents.schemas import Change
from murphy.notify import channels, service
from murphy.settings import Settings


@hookimpl(tryfirst=True)
def incident_changed(session: Session, change: Change) -> None:
    """Tell whoever the escalation rules name (through the outbox)."""
    service.on_change(session, change=change)


@hookimpl
def notification_channels(settings: Settings) -> list[channels.Channel]:
    """The built-in channels: email, webhook, SMS and voice gateways."""
    return channels.builtin(settings)
