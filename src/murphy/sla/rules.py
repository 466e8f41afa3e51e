"""Priority and service-target arithmetic. Pure: no session, no I/O.

Impact and urgency run from 1 (the worst) to 5 (the least); so does priority (P1 the
most urgent). The matrix maps impact x urgency to a priority.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass, replace
from datetime import datetime, timedelta

from murphy.core.errors import ValidationFailed

SCALE = range(1, 6)


def default_matrix() -> list[list[int]]:
    """ITIL-style: priority = ceil((impact + urgency - 1) / 2), so P1 needs both at 1-2."""
    return [[min(5, math.ceil((i + u - 1) / 2)) for u in SCALE] for i in SCALE]


def check_matrix(matrix: object) -> list[list[int]]:
    """A 5 x 5 matrix of priorities 1-5 that never gets more urgent as impact or urgency
    ease; otherwise an error naming the first bad cell."""
    if not isinstance(matrix, list) or len(matrix) != 5:
        raise ValidationFailed("the matrix needs 5 rows, one per impact 1-5")
    for i, row in enumerate(matrix, start=1):
        if not isinstance(row, list) or len(row) != 5:
            raise ValidationFailed(f"impact {i}: the row needs 5 priorities, one per urgency 1-5")
        for u, value in enumerate(row, start=1):
            if not isinstance(value, int) or isinstance(value, bool) or value not in SCALE:
                raise ValidationFailed(f"impact {i}, urgency {u}: {value!r} is not a priority 1-5")
    for i in range(5):
        for u in range(5):
            if i + 1 < 5 and matrix[i + 1][u] < matrix[i][u]:
                raise ValidationFailed(
                    f"impact {i + 2}, urgency {u + 1} is P{matrix[i + 1][u]}, more urgent than "
                    f"impact {i + 1} (P{matrix[i][u]}): a lesser impact must not raise priority"
                )
            if u + 1 < 5 and matrix[i][u + 1] < matrix[i][u]:
                raise ValidationFailed(
                    f"impact {i + 1}, urgency {u + 2} is P{matrix[i][u + 1]}, more urgent than "
                    f"urgency {u + 1} (P{matrix[i][u]}): a lesser urgency must not raise priority"
                )
    return [list(row) for row in matrix]


def priority(matrix: list[list[int]], impact: int, urgency: int) -> int:
    """The priority of an impact and an urgency."""
    if impact not in SCALE or urgency not in SCALE:
        raise ValidationFailed("impact and urgency run from 1 (worst) to 5 (least)")
    return matrix[impact - 1][urgency - 1]


# --- service targets ------------------------------------------------------------------

CLOCKS = ("acknowledge", "respond", "resolve")
MAX_MINUTES = 366 * 24 * 60  # a target longer than a year is a typing mistake


@dataclass(frozen=True)
class Targets:
    """Minutes to acknowledge, to be on scene (first response) and to resolve; None: no target."""

    acknowledge: int | None
    respond: int | None
    resolve: int | None

    def minutes(self, kind: str) -> int | None:
        """The target of clock `kind`."""
        value: int | None = getattr(self, kind)
        return value


# Defaults for a security control room, used for a priority the organization has not set.
# P1 is a threat to life or an attack in progress (assault, armed intruder, fire): the
# control room answers within 2 minutes and an officer is there within 10, as campus and
# hospital security commit to for emergencies. P5 is information only (lost property, a
# note for the log): nobody needs to go anywhere. Resolve targets run from half a shift
# (P1) to a week (P5).
DEFAULT_TARGETS: dict[int, Targets] = {
    1: Targets(acknowledge=2, respond=10, resolve=4 * 60),
    2: Targets(acknowledge=5, respond=20, resolve=8 * 60),
    3: Targets(acknowledge=15, respond=60, resolve=24 * 60),
    4: Targets(acknowledge=60, respond=4 * 60, resolve=3 * 24 * 60),
    5: Targets(acknowledge=4 * 60, respond=None, resolve=7 * 24 * 60),
}


@dataclass(frozen=True)
class TargetRow:
    """One row of the organization's table: a priority, optionally refined by type or site."""

    priority: int
    type_id: int | None
    site_id: int | None
    targets: Targets


def check_targets(targets: Targets, where: str) -> Targets:
    """Targets of whole positive minutes, in the order they come due (acknowledge, then
    respond, then resolve); otherwise an error naming `where` and the problem."""
    given = [(k, targets.minutes(k)) for k in CLOCKS]
    for kind, value in given:
        if value is not None and not (1 <= value <= MAX_MINUTES):
            raise ValidationFailed(
                f"{where}: {kind} must be 1 to {MAX_MINUTES} minutes (or none), not {value}"
            )
    present = [(k, v) for k, v in given if v is not None]
    for (k1, v1), (k2, v2) in itertools.pairwise(present):
        if v1 > v2:
            raise ValidationFailed(f"{where}: {k1} ({v1} min) cannot be later than {k2} ({v2} min)")
    return targets


def check_table(rows: list[TargetRow]) -> list[TargetRow]:
    """A table with one row per (priority, type, site), each row valid."""
    seen: set[tuple[int, int | None, int | None]] = set()
    for i, row in enumerate(rows, start=1):
        if row.priority not in SCALE:
            raise ValidationFailed(f"row {i}: priority must be 1-5, not {row.priority}")
        key = (row.priority, row.type_id, row.site_id)
        if key in seen:
            raise ValidationFailed(f"row {i}: P{row.priority} for this type and site twice")
        seen.add(key)
        check_targets(row.targets, f"row {i} (P{row.priority})")
    return rows


def pick_targets(
    rows: list[TargetRow], *, priority: int, types: list[int], site_id: int | None
) -> Targets:
    """The targets for an incident: `types` is its type then the type's ancestors, the
    nearest first. Precedence: type and site, then type (the nearest type first), then
    site, then the priority's own row, then the default."""
    table = {(r.type_id, r.site_id): r.targets for r in rows if r.priority == priority}
    order: list[tuple[int | None, int | None]] = [
        key for t in types for key in ((t, site_id), (t, None))
    ]
    order += [(None, site_id), (None, None)]
    for key in order:
        if key in table:
            return table[key]
    return DEFAULT_TARGETS[priority]


# --- clocks ---------------------------------------------------------------------------


@dataclass(frozen=True)
class ClockState:
    """One clock as plain values. Due = start + target + time paused (whole seconds)."""

    kind: str
    started_at: datetime
    target_minutes: int
    paused_seconds: int = 0
    paused_at: datetime | None = None
    pause_reason: str = ""
    met_at: datetime | None = None
    breached_at: datetime | None = None

    @property
    def due_at(self) -> datetime:
        """When the target is missed, counting the pauses that are over."""
        return due(self.started_at, self.target_minutes, self.paused_seconds)

    @property
    def settled(self) -> bool:
        """Met or breached: its outcome is known and its target no longer moves."""
        return self.met_at is not None or self.breached_at is not None

    @property
    def running(self) -> bool:
        """Counting down towards a breach (neither settled nor paused)."""
        return not self.settled and self.paused_at is None


def due(started_at: datetime, target_minutes: int, paused_seconds: int) -> datetime:
    """The due time of a clock."""
    return started_at + timedelta(minutes=target_minutes, seconds=paused_seconds)


def paused_for(since: datetime, until: datetime) -> int:
    """How long a pause counts, in whole seconds (rounded down, never negative): a pause
    never gives more time than it lasted."""
    return max(0, (until - since) // timedelta(seconds=1))


def start(kind: str, at: datetime, target_minutes: int) -> ClockState:
    """A new clock started at `at`."""
    return ClockState(kind=kind, started_at=at, target_minutes=target_minutes)


def retarget(clock: ClockState, target_minutes: int) -> ClockState:
    """A new target (priority, type or site changed); a settled clock stays as it was."""
    return clock if clock.settled else replace(clock, target_minutes=target_minutes)


def pause(clock: ClockState, at: datetime, reason: str) -> ClockState:
    """Stop counting from `at` (waiting on a third party)."""
    if not clock.running:
        raise ValueError(f"the {clock.kind} clock is not running")
    return replace(clock, paused_at=at, pause_reason=reason)


def resume(clock: ClockState, at: datetime) -> ClockState:
    """Count again from `at`; the pause moves the due time by its length."""
    if clock.paused_at is None:
        raise ValueError(f"the {clock.kind} clock is not paused")
    extra = paused_for(clock.paused_at, at)
    return replace(
        clock, paused_at=None, pause_reason="", paused_seconds=clock.paused_seconds + extra
    )


def meet(clock: ClockState, at: datetime) -> ClockState:
    """The milestone was reached at `at` (late or not); a pause in progress ends there."""
    if clock.met_at is not None:
        return clock
    if clock.paused_at is not None:
        clock = resume(clock, max(at, clock.paused_at))
    return replace(clock, met_at=at)


def stop(clock: ClockState, at: datetime, reason: str) -> ClockState:
    """The incident ended without the milestone (cancelled, merged, closed): the clock is
    frozen for good, shown as paused with `reason`. A met clock stays met."""
    if clock.met_at is not None:
        return clock
    return replace(clock, paused_at=clock.paused_at or at, pause_reason=reason)


def breach(clock: ClockState, now: datetime) -> ClockState | None:
    """The clock breached at its due time, if it is running and that time has come."""
    if not clock.running or clock.due_at > now:
        return None
    return replace(clock, breached_at=clock.due_at)
