"""What people call things: resolution codes, lifecycle moves, channels and fields in words.

Shared by the pages (and, as they arrive, exports and reports) so one code reads the
same everywhere. The API keeps its codes; this is only how they are shown.
"""

from __future__ import annotations

from murphy.incidents.schemas import Action, Channel, ResolutionCode

RESOLUTIONS: dict[ResolutionCode, str] = {
    ResolutionCode.RESOLVED: "Resolved",
    ResolutionCode.FALSE_ALARM: "False alarm",
    ResolutionCode.REFERRED_POLICE: "Referred to police",
    ResolutionCode.REFERRED_EXTERNAL: "Referred to another agency",
    ResolutionCode.NO_FURTHER_ACTION: "No further action",
    ResolutionCode.UNFOUNDED: "Unfounded",
}

DONE: dict[Action, str] = {
    Action.TRIAGE: "Triaged",
    Action.RESPOND: "Response started",
    Action.RESOLVE: "Resolved",
    Action.CLOSE: "Closed",
    Action.REOPEN: "Reopened",
    Action.CANCEL: "Cancelled",
    Action.MERGE: "Merged as a duplicate",
}

CHANNELS: dict[Channel, str] = {
    Channel.WEB: "the web form",
    Channel.API: "the API",
    Channel.CLI: "the command line",
    Channel.PHONE: "phone",
    Channel.WALK_UP: "the desk (walk-up)",
    Channel.PUBLIC: "the public report page",
    Channel.SIGNAL: "a device signal",
}

FIELDS: dict[str, str] = {
    "title": "Title",
    "description": "Description",
    "site": "Site",
    "occurred_at": "When it happened",
    "detail": "Exact spot",
    "body": "Note",
    "reason": "Reason",
    "target": "Incident to merge into",
    "resolution_code": "Resolution",
    "to": "Action",
}

# API names inside service messages, as a form shows them.
MESSAGE_WORDS: dict[str, str] = {
    "occurred_at": "the time it happened",
    "resolution_code": "resolution",
    "place.floor": "floor",
    "place.building": "building",
    **{code.value: label for code, label in RESOLUTIONS.items() if code.value != label.lower()},
}
