"""What becomes of an incoming signal. Pure decisions: no session, no I/O.

The caller looks up what is recent in the database (`Recent`); `decide` never queries.
The rules, in order; the first that applies decides:

1. Flapping. The alarm/clear changes of this fingerprint within `flap_seconds` (this
   signal counts when its state differs from the previous signal's) reach
   `flap_changes`; or the fingerprint is already flapping and was last seen within
   `flap_seconds`. FLAPPING goes to the fingerprint's open incident, if any; it never
   opens one.
2. A clear. When the fingerprint's previous signal belongs to an open incident:
   CLEARED to it, and with `resolve_on_clear` the caller resolves it when this device
   opened it and nothing else was attached (one signal). A clear with nothing open is
   IGNORED.
3. De-duplication. The previous signal of the same source and fingerprint is an alarm,
   was last seen within `dedup_seconds` and its incident is still open: DUPLICATE to it.
4. Correlation. The signal has a type and an open incident of the same site (and zone)
   and type was reported within `correlate_seconds`: CORRELATED to it.
5. Otherwise NEW: the caller opens an incident.

Every decision goes on the incident's timeline except most repeats: a DUPLICATE is
noted at the 2nd, 10th, 100th ... signal (`worth_an_entry`); its row keeps the count.

"Within n seconds" includes exactly n seconds; a time after `now` (a clock running
ahead) counts as within. Every datetime must be timezone-aware.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from murphy.core.errors import ValidationFailed


class Decision(StrEnum):
    """What happens to a signal."""

    NEW = "new"
    DUPLICATE = "duplicate"
    CORRELATED = "correlated"
    CLEARED = "cleared"
    FLAPPING = "flapping"
    IGNORED = "ignored"
    UPDATED = "updated"  # a CAP Update of an earlier alert
    CANCELLED = "cancelled"  # a CAP Cancel of an earlier alert


@dataclass(frozen=True)
class Windows:
    """The windows and limits of one integration source, in seconds."""

    dedup_seconds: int = 300
    correlate_seconds: int = 600
    flap_changes: int = 5
    flap_seconds: int = 600
    resolve_on_clear: bool = False

    def __post_init__(self) -> None:
        for name in ("dedup_seconds", "correlate_seconds", "flap_seconds"):
            if getattr(self, name) < 0:
                raise ValidationFailed(f"{name} must be 0 or more")
        if self.flap_changes < 2:
            raise ValidationFailed("flap_changes must be 2 or more (one change is a clear)")


@dataclass(frozen=True)
class SignalView:
    """An earlier signal, as the rules need it."""

    id: int
    received_at: datetime
    last_seen_at: datetime
    is_clear: bool
    incident_id: int | None
    incident_open: bool
    flapping: bool


@dataclass(frozen=True)
class IncidentView:
    """An incident, as the rules need it; `signals` counts the signals attached to it."""

    id: int
    number: str
    reported_at: datetime
    signals: int
    opened_by_fingerprint: str | None


@dataclass(frozen=True)
class Recent:
    """What the caller found in the database for this signal.

    `same_fingerprint`: the newest earlier signal of this source and fingerprint.
    `open_incident_same_place_type`: the newest open incident of the same site (and zone
    when set) and type, reported by a signal within `correlate_seconds`.
    `changes`: times of earlier alarm/clear changes of this fingerprint, newest last.
    `fingerprint_incident`: the incident of `same_fingerprint`, to decide whether a clear
    resolves it; when left out, `open_incident_same_place_type` is used if it is that one.
    """

    same_fingerprint: SignalView | None = None
    open_incident_same_place_type: IncidentView | None = None
    changes: tuple[datetime, ...] = ()
    fingerprint_incident: IncidentView | None = None


@dataclass(frozen=True)
class Outcome:
    """The decision, the rule that made it (for the timeline) and the incident it concerns:
    an existing one, or None for NEW (the caller opens one) and IGNORED."""

    decision: Decision
    rule: str
    incident_id: int | None
    resolve: bool = False


def decide(
    *,
    now: datetime,
    is_clear: bool,
    fingerprint: str,
    has_type: bool,
    windows: Windows,
    recent: Recent,
) -> Outcome:
    """What becomes of a signal received at `now` (see the module docstring)."""
    _check_aware(now, recent)
    flapping = _flapping(now, is_clear, windows, recent)
    if flapping is not None:
        return flapping
    if is_clear:
        return _clear(fingerprint, windows, recent)
    duplicate = _duplicate(now, windows, recent.same_fingerprint)
    if duplicate is not None:
        return duplicate
    nearby = recent.open_incident_same_place_type
    if (
        has_type
        and nearby is not None
        and _within(now, nearby.reported_at, windows.correlate_seconds)
    ):
        return Outcome(
            Decision.CORRELATED,
            f"correlation: the same site, zone and type within {windows.correlate_seconds} s "
            f"(incident {nearby.number} reported {_age(now, nearby.reported_at)} s ago)",
            nearby.id,
        )
    nothing = f"new: no open incident of this fingerprint within {windows.dedup_seconds} s"
    if has_type:
        nothing += f", nor of this type and place within {windows.correlate_seconds} s"
    else:
        nothing += ", and no type to correlate by"
    return Outcome(Decision.NEW, nothing, None)


def worth_an_entry(decision: Decision, count: int) -> bool:
    """Whether a decision goes on the incident's timeline: every one but a repeat, and a
    repeat the first time and then at 10, 100, 1,000 ... repeats, so that a chattering
    device does not bury the people's entries (the signal row keeps the exact count and
    the time it was last seen)."""
    if decision is not Decision.DUPLICATE:
        return True
    return count == 2 or (count >= 10 and str(count).rstrip("0") == "1")


def _flapping(now: datetime, is_clear: bool, windows: Windows, recent: Recent) -> Outcome | None:
    previous = recent.same_fingerprint
    open_id = previous.incident_id if previous is not None and previous.incident_open else None
    if (
        previous is not None
        and previous.flapping
        and _within(now, previous.last_seen_at, windows.flap_seconds)
    ):
        return Outcome(
            Decision.FLAPPING,
            f"flapping: the fingerprint is flapping and was last seen "
            f"{_age(now, previous.last_seen_at)} s ago, within {windows.flap_seconds} s",
            open_id,
        )
    changed = previous is not None and previous.is_clear != is_clear
    count = int(changed) + sum(1 for t in recent.changes if _within(now, t, windows.flap_seconds))
    if count < windows.flap_changes:
        return None
    return Outcome(
        Decision.FLAPPING,
        f"flapping: {count} alarm/clear changes of the fingerprint within "
        f"{windows.flap_seconds} s (the limit is {windows.flap_changes})",
        open_id,
    )


def _clear(fingerprint: str, windows: Windows, recent: Recent) -> Outcome:
    previous = recent.same_fingerprint
    if previous is None or previous.incident_id is None or not previous.incident_open:
        return Outcome(Decision.IGNORED, "clear: a clear with nothing open", None)
    incident = next(
        (
            i
            for i in (recent.fingerprint_incident, recent.open_incident_same_place_type)
            if i is not None and i.id == previous.incident_id
        ),
        None,
    )
    if not windows.resolve_on_clear:
        why = "resolve on clear is off"
    elif incident is None or incident.opened_by_fingerprint != fingerprint:
        why = "this device did not open it"
    elif incident.signals != 1:
        why = f"{incident.signals} signals are attached"
    else:
        return Outcome(
            Decision.CLEARED,
            "clear: the alarm ended and resolves the incident "
            "(resolve on clear; only this device's signal is attached)",
            previous.incident_id,
            resolve=True,
        )
    return Outcome(
        Decision.CLEARED,
        f"clear: the alarm ended; the incident stays open ({why})",
        previous.incident_id,
    )


def _duplicate(now: datetime, windows: Windows, previous: SignalView | None) -> Outcome | None:
    if (
        previous is None
        or previous.is_clear
        or previous.incident_id is None
        or not previous.incident_open
        or not _within(now, previous.last_seen_at, windows.dedup_seconds)
    ):
        return None
    return Outcome(
        Decision.DUPLICATE,
        f"de-duplication: the same source and fingerprint within {windows.dedup_seconds} s "
        f"(last seen {_age(now, previous.last_seen_at)} s ago)",
        previous.incident_id,
    )


def _within(now: datetime, then: datetime, seconds: int) -> bool:
    return now - then <= timedelta(seconds=seconds)


def _age(now: datetime, then: datetime) -> int:
    """Whole seconds from `then` to `now`; 0 for a time ahead of `now`."""
    return max(0, int((now - then).total_seconds()))


def _check_aware(now: datetime, recent: Recent) -> None:
    """ValueError for a naive datetime anywhere in the input."""
    named: list[tuple[str, datetime]] = [("now", now)]
    named += [("changes", t) for t in recent.changes]
    if recent.same_fingerprint is not None:
        named.append(("same_fingerprint.received_at", recent.same_fingerprint.received_at))
        named.append(("same_fingerprint.last_seen_at", recent.same_fingerprint.last_seen_at))
    for label, incident in (
        ("open_incident_same_place_type", recent.open_incident_same_place_type),
        ("fingerprint_incident", recent.fingerprint_incident),
    ):
        if incident is not None:
            named.append((f"{label}.reported_at", incident.reported_at))
    for label, value in named:
        if value.tzinfo is None or value.utcoffset() is None:
            raise ValueError(f"{label} must be timezone-aware, not naive: {value.isoformat()}")
