"""The incidents domain's built-in plugin: the handler of follow-up checks."""

from __future__ import annotations

from murphy.core.hooks import hookimpl
from murphy.core.timers import Handler
from murphy.incidents import rules, service


@hookimpl
def timer_handlers() -> dict[str, Handler]:
    """`incident.follow_up`: the check that a resolved incident's fix held is due."""
    return {rules.FOLLOW_UP: service.follow_up_due}
