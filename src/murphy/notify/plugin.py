"""The notify domain's built-in plugin (hook implementations; see murphy.plugins.hookspecs).

Every incident change that is an event for the escalation rules writes its outbox rows
(and starts the pagings they name) in the change's own transaction. It runs first
among the plugins (`tryfirst`), so the incident's timeline head is still the entry this
change wrote when the rows are keyed. The plugin also provides the built-in
notification channels and the handler of the paging step timer.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from murphy.core.hooks import hookimpl
from murphy.core.timers import Handler
from murphy.incidents.schemas import Change
from murphy.notify import channels, paging
from murphy.settings import Settings


@hookimpl(tryfirst=True)
def incident_changed(session: Session, change: Change) -> None:
    """Tell whoever the escalation rules name (through the outbox), start the pagings
    they name, and end the incident's pagings when it is acknowledged or ends."""
    paging.on_change(session, change=change)


@hookimpl
def timer_handlers() -> dict[str, Handler]:
    """The handler of `page.step` timers: page the next level, or give up."""
    return {paging.STEP: paging.step}


@hookimpl
def notification_channels(settings: Settings) -> list[channels.Channel]:
    """The built-in channels: email, webhook, SMS and voice gateways."""
    return channels.builtin(settings)
