"""The incident lifecycle and other pure rules: no session, no I/O.

new ──triage──▶ triaged ──respond──▶ responding ──resolve──▶ resolved ──close──▶ closed
                   ▲                                            │                   │
                   └──────────────────reopen────────────────────┴───────────────────┘
new | triaged | responding ──cancel (reason)──▶ cancelled
new | triaged | responding ──merge (target)───▶ merged (into another incident)
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, time, tzinfo
from typing import Any

from murphy.core.errors import IllegalTransition, ValidationFailed
from murphy.incidents.schemas import Action, ResolutionCode, Status, TransitionOption
from murphy.users.schemas import Permission, Principal

S, A = Status, Action
_ACTIVE = (S.NEW, S.TRIAGED, S.RESPONDING)

TRANSITIONS: dict[tuple[Status, Status], Action] = {
    (S.NEW, S.TRIAGED): A.TRIAGE,
    (S.TRIAGED, S.RESPONDING): A.RESPOND,
    (S.RESPONDING, S.RESOLVED): A.RESOLVE,
    (S.RESOLVED, S.CLOSED): A.CLOSE,
    (S.RESOLVED, S.TRIAGED): A.REOPEN,
    (S.CLOSED, S.TRIAGED): A.REOPEN,
    **{(s, S.CANCELLED): A.CANCEL for s in _ACTIVE},
    **{(s, S.MERGED): A.MERGE for s in _ACTIVE},
}

TERMINAL = frozenset({S.CANCELLED, S.MERGED})
OPEN = frozenset({S.NEW, S.TRIAGED, S.RESPONDING})
EDITABLE = frozenset({S.NEW, S.TRIAGED, S.RESPONDING, S.RESOLVED})

PERMISSION_FOR: dict[Action, Permission] = {
    A.TRIAGE: Permission.TRIAGE,
    A.RESPOND: Permission.RESPOND,
    A.RESOLVE: Permission.RESOLVE,
    A.CLOSE: Permission.CLOSE,
    A.REOPEN: Permission.REOPEN,
    A.CANCEL: Permission.CANCEL,
    A.MERGE: Permission.MERGE,
}

NEEDS_REASON = frozenset({A.CANCEL, A.REOPEN})

LABELS: dict[Action, str] = {
    A.TRIAGE: "Triage",
    A.RESPOND: "Respond",
    A.RESOLVE: "Resolve",
    A.CLOSE: "Close",
    A.REOPEN: "Reopen",
    A.CANCEL: "Cancel",
    A.MERGE: "Merge as duplicate",
}


@dataclass(frozen=True)
class Move:
    """A checked transition: what it is called and what it carries."""

    action: Action
    source: Status
    target: Status
    reason: str
    resolution_code: ResolutionCode | None
    merge_into: str | None


def targets(current: Status) -> list[Status]:
    """The statuses reachable in one move from `current`, in lifecycle order."""
    return [to for (src, to) in TRANSITIONS if src == current]


def plan(
    current: Status,
    to: Status,
    *,
    reason: str | None = None,
    resolution_code: ResolutionCode | None = None,
    merge_into: str | None = None,
) -> Move:
    """Check a move from `current` to `to` and what it needs; return the move.

    An impossible move is IllegalTransition (409) naming the moves there are; a
    possible move missing its reason, resolution or target is ValidationFailed (422).
    """
    action = TRANSITIONS.get((current, to))
    if action is None:
        options = ", ".join(f"'{t.value}'" for t in targets(current)) or "none: it is final"
        raise IllegalTransition(
            f"cannot move an incident from '{current.value}' to '{to.value}'; "
            f"from '{current.value}' it can go to {options}",
            current=current.value,
            allowed=[t.value for t in targets(current)],
        )
    text = (reason or "").strip()
    if action in NEEDS_REASON and not text:
        raise ValidationFailed(f"a reason is required to {action.value}")
    if action is A.RESOLVE and resolution_code is None:
        codes = ", ".join(c.value for c in ResolutionCode)
        raise ValidationFailed(f"a resolution_code is required to resolve: one of {codes}")
    if action is A.MERGE and not (merge_into or "").strip():
        raise ValidationFailed("merging needs a target: the number of the incident to merge into")
    return Move(
        action=action,
        source=current,
        target=to,
        reason=text,
        resolution_code=resolution_code if action is A.RESOLVE else None,
        merge_into=(merge_into or "").strip().upper() if action is A.MERGE else None,
    )


def options(current: Status, principal: Principal) -> list[TransitionOption]:
    """The moves `principal` may make from `current`, for buttons and API clients."""
    out = []
    for to in targets(current):
        action = TRANSITIONS[(current, to)]
        if principal.can(PERMISSION_FOR[action]):
            out.append(
                TransitionOption(
                    to=to,
                    action=action,
                    needs_reason=action in NEEDS_REASON,
                    needs_target=action is A.MERGE,
                    needs_resolution=action is A.RESOLVE,
                )
            )
    return out


def check_merge_target(number: str, target_number: str, target_status: Status) -> None:
    """An incident merges into another live incident, never into itself."""
    if target_number == number:
        raise ValidationFailed("an incident cannot be merged into itself")
    if target_status in TERMINAL:
        raise IllegalTransition(
            f"cannot merge into {target_number}: it is {target_status.value}; "
            "merge into the incident that survives instead"
        )


def check_editable(number: str, status: Status) -> None:
    """Closed, cancelled and merged incidents are read-only."""
    if status not in EDITABLE:
        hint = "reopen it first" if status is S.CLOSED else "it is final"
        raise IllegalTransition(f"{number} is {status.value} and cannot be edited: {hint}")


def check_notable(number: str, status: Status, merged_into: str | None) -> None:
    """Notes go on any incident except one merged away: they belong on the survivor."""
    if status is S.MERGED:
        raise IllegalTransition(f"{number} was merged into {merged_into}; add the note there")


# --- numbers --------------------------------------------------------------------------

_NUMBER = re.compile(r"^(?:INC-)?(\d{4})-(\d{1,9})$", re.IGNORECASE)


def format_number(year: int, seq: int) -> str:
    """The human number of the `seq`-th incident of `year`: INC-2026-00042."""
    return f"INC-{year}-{seq:05d}"


def parse_number(text: str) -> str | None:
    """The canonical number if `text` looks like one ('INC-2026-42', '2026-00042'), else None."""
    m = _NUMBER.match(text.strip())
    return format_number(int(m.group(1)), int(m.group(2))) if m else None


# --- text search ---------------------------------------------------------------------

_WORD = re.compile(r"\w+", re.UNICODE)
MAX_TERMS = 8


def search_terms(q: str) -> list[str]:
    """The words of a search, lower-case, at most eight; punctuation is dropped."""
    return [w.lower() for w in _WORD.findall(q)][:MAX_TERMS]


# --- who sees what on a timeline -----------------------------------------------------

PUBLIC_KINDS = frozenset({"created", "transition", "updated"})


def entry_visible(kind: str, actor: str | None, principal: Principal) -> bool:
    """Whether a timeline entry is shown: in full to readers, else only the public part."""
    if principal.can(Permission.READ):
        return True
    return kind in PUBLIC_KINDS or actor == principal.username


# --- replay: the incident row must agree with its own timeline ------------------------

REPLAYED = (
    "title",
    "description",
    "status",
    "site",
    "place",
    "occurred_at",
    "merged_into",
    "type",
    "priority",
)


def replay(entries: Iterable[tuple[str, Mapping[str, Any]]]) -> dict[str, Any]:
    """The incident's fields as its timeline says they should be now."""
    state: dict[str, Any] = {}
    for kind, data in entries:
        if kind == "created":
            state = {k: data.get(k) for k in REPLAYED}
            state["status"] = Status.NEW.value
            state["merged_into"] = state["type"] = state["priority"] = None
        elif kind == "updated":
            for field, change in data.get("changes", {}).items():
                state[field] = change.get("after")
        elif kind in ("classified", "prioritized"):
            state["priority"] = data.get("priority")
            if kind == "classified":
                state["type"] = data.get("type")
        elif kind == "transition":
            state["status"] = data["to"]
            if data.get("action") == Action.MERGE.value:
                state["merged_into"] = data.get("merged_into")
    return state


def differences(expected: Mapping[str, Any], actual: Mapping[str, Any]) -> list[str]:
    """The replayed fields on which the stored row and its timeline disagree."""
    return [f for f in REPLAYED if expected.get(f) != actual.get(f)]


# --- times and timeline bodies ---------------------------------------------------------

CLOCK_SKEW_SECONDS = 300


def check_occurred_at(occurred_at: datetime | None, reported_at: datetime) -> None:
    """An incident cannot have happened in the future (a few minutes of clock skew aside)."""
    if occurred_at is None:
        return
    if (occurred_at - reported_at).total_seconds() > CLOCK_SKEW_SECONDS:
        raise ValidationFailed("occurred_at is in the future: give the time it actually happened")
    if occurred_at.year < 1970:
        raise ValidationFailed("occurred_at is before 1970: check the date")


def entry_body(
    number: str, seq: int, at: str, actor: str | None, kind: str, data: Mapping[str, Any]
) -> dict[str, Any]:
    """What a timeline entry's hash covers."""
    return {"incident": number, "seq": seq, "at": at, "actor": actor, "kind": kind, "data": data}


# --- attachments --------------------------------------------------------------------------

_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._ -]+")


def photo_name(given: str, extension: str) -> str:
    """A safe file name for a photo: the given name's letters, digits, dots, dashes and
    spaces (no path), at most 100 characters, with the extension of what it really is."""
    base = given.replace("\\", "/").rsplit("/", 1)[-1]
    stem = base.rsplit(".", 1)[0] if "." in base else base
    stem = _UNSAFE_NAME.sub("_", stem).strip(" ._")[:100] or "photo"
    return f"{stem}.{extension}"


# --- effectiveness: did the action fix it, and when to check that it held ---------------

EFFECTIVENESS = "resolution.effectiveness"  # a type's required field: asked when resolving
FOLLOW_UP = "incident.follow_up"  # the durable timer of a follow-up check
FOLLOW_UP_HOUR = 9  # the reminder fires at this hour of the site's day
MAX_FOLLOW_UP_DAYS = 366


def check_follow_up(follow_up_on: date | None, today: date) -> None:
    """A follow-up check is a day after today (the site's), within a year."""
    if follow_up_on is None:
        return
    if follow_up_on <= today:
        raise ValidationFailed(
            f"follow_up_on must be after today ({today.isoformat()}): the check is for later"
        )
    if (follow_up_on - today).days > MAX_FOLLOW_UP_DAYS:
        raise ValidationFailed(f"follow_up_on must be within {MAX_FOLLOW_UP_DAYS} days")


def follow_up_at(follow_up_on: date, tz: tzinfo) -> datetime:
    """When the reminder fires: FOLLOW_UP_HOUR on that day, in the site's time zone."""
    return datetime.combine(follow_up_on, time(FOLLOW_UP_HOUR), tzinfo=tz)
