"""Service-target rules: which targets apply, and the due-time arithmetic with pauses."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule

from murphy.core.errors import ValidationFailed
from murphy.sla import rules
from murphy.sla.rules import DEFAULT_TARGETS, TargetRow, Targets

T0 = datetime(2026, 11, 28, 8, 0, tzinfo=UTC)
instants = st.integers(min_value=0, max_value=10**11).map(
    lambda us: T0 + timedelta(microseconds=us)
)


# --- which targets apply --------------------------------------------------------------


def row(priority: int, type_id: int | None, site_id: int | None, ack: int) -> TargetRow:
    return TargetRow(priority, type_id, site_id, Targets(ack, None, None))


TABLE = [
    row(2, None, None, 1),  # P2 anywhere
    row(2, None, 7, 2),  # P2 at site 7
    row(2, 30, None, 3),  # P2 of type 30 (a type under category 3)
    row(2, 30, 7, 4),  # P2 of type 30 at site 7
    row(2, 3, None, 5),  # P2 of category 3
]


@pytest.mark.parametrize(
    ("types", "site", "expected"),
    [
        ([30, 3], 7, 4),  # type and site
        ([30, 3], 8, 3),  # type
        ([31, 3], 7, 5),  # the nearest ancestor with a row, before the site
        ([40], 7, 2),  # site
        ([40], 8, 1),  # the priority alone
        ([], None, 1),
    ],
)
def test_precedence_is_type_and_site_then_type_then_site_then_priority(
    types: list[int], site: int | None, expected: int
) -> None:
    picked = rules.pick_targets(TABLE, priority=2, types=types, site_id=site)
    assert picked.acknowledge == expected


def test_a_priority_without_rows_gets_the_defaults() -> None:
    assert rules.pick_targets(TABLE, priority=1, types=[30], site_id=7) == DEFAULT_TARGETS[1]


def test_defaults_are_complete_and_in_order() -> None:
    assert sorted(DEFAULT_TARGETS) == [1, 2, 3, 4, 5]
    for p, t in DEFAULT_TARGETS.items():
        rules.check_targets(t, f"P{p}")
        assert t.acknowledge is not None and t.resolve is not None
    # a more urgent priority never has a longer target
    for p in range(1, 5):
        assert DEFAULT_TARGETS[p].acknowledge <= DEFAULT_TARGETS[p + 1].acknowledge  # type: ignore[operator]
        assert DEFAULT_TARGETS[p].resolve <= DEFAULT_TARGETS[p + 1].resolve  # type: ignore[operator]


@pytest.mark.parametrize(
    ("targets", "message"),
    [
        (Targets(30, 10, 60), "acknowledge (30 min) cannot be later than respond (10 min)"),
        (Targets(30, None, 20), "acknowledge (30 min) cannot be later than resolve (20 min)"),
        (Targets(0, 10, 60), "acknowledge must be 1 to"),
        (Targets(5, 10, 10**7), "resolve must be 1 to"),
    ],
)
def test_bad_targets_are_refused_with_the_reason(targets: Targets, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message.replace("(", r"\(").replace(")", r"\)")):
        rules.check_targets(targets, "P1")


def test_a_table_with_the_same_row_twice_is_refused() -> None:
    with pytest.raises(ValidationFailed, match="row 2: P1 for this type and site twice"):
        rules.check_table([row(1, None, None, 1), row(1, None, None, 2)])
    with pytest.raises(ValidationFailed, match="row 1: priority must be 1-5"):
        rules.check_table([row(6, None, None, 1)])


# --- due times ------------------------------------------------------------------------


@given(
    start=instants,
    minutes=st.integers(1, 60 * 24 * 30),
    pauses=st.lists(
        st.tuples(st.integers(0, 10**10), st.integers(0, 10**10)), min_size=0, max_size=6
    ),
)
def test_due_is_start_plus_target_plus_whole_seconds_paused(
    start: datetime, minutes: int, pauses: list[tuple[int, int]]
) -> None:
    """Pausing and resuming moves the due time by exactly the pauses' whole seconds."""
    clock = rules.start("resolve", start, minutes)
    at, paused = start, 0
    for gap_us, length_us in pauses:
        at += timedelta(microseconds=gap_us)
        clock = rules.pause(clock, at, "waiting for the police")
        assert clock.due_at == start + timedelta(minutes=minutes, seconds=paused)
        end = at + timedelta(microseconds=length_us)
        clock = rules.resume(clock, end)
        paused += length_us // 1_000_000
        at = end
    assert clock.paused_seconds == paused
    assert clock.due_at == start + timedelta(minutes=minutes) + timedelta(seconds=paused)


@given(start=instants, minutes=st.integers(1, 10_000), new=st.integers(1, 10_000))
def test_retarget_moves_a_running_clock_but_not_a_settled_one(
    start: datetime, minutes: int, new: int
) -> None:
    clock = rules.start("acknowledge", start, minutes)
    assert rules.retarget(clock, new).due_at == start + timedelta(minutes=new)
    met = rules.meet(clock, start + timedelta(seconds=30))
    assert rules.retarget(met, new) == met
    late = rules.breach(clock, clock.due_at)
    assert late is not None and rules.retarget(late, new) == late


@given(start=instants, minutes=st.integers(1, 10_000), offset=st.integers(-(10**9), 10**9))
def test_a_breach_happens_only_at_or_after_the_due_time(
    start: datetime, minutes: int, offset: int
) -> None:
    clock = rules.start("respond", start, minutes)
    now = clock.due_at + timedelta(microseconds=offset)
    late = rules.breach(clock, now)
    if offset < 0:
        assert late is None
    else:
        assert late is not None and late.breached_at == clock.due_at
        assert rules.breach(late, now) is None  # once


def test_a_paused_or_met_clock_never_breaches() -> None:
    clock = rules.start("resolve", T0, 10)
    paused = rules.pause(clock, T0 + timedelta(minutes=5), "contractor on the way")
    assert rules.breach(paused, T0 + timedelta(days=30)) is None
    assert rules.breach(rules.meet(clock, T0), T0 + timedelta(days=30)) is None


def test_pausing_twice_or_resuming_a_running_clock_is_refused() -> None:
    clock = rules.start("resolve", T0, 10)
    with pytest.raises(ValueError, match="not paused"):
        rules.resume(clock, T0)
    paused = rules.pause(clock, T0, "police")
    with pytest.raises(ValueError, match="not running"):
        rules.pause(paused, T0, "again")


def test_meeting_a_paused_clock_ends_the_pause() -> None:
    clock = rules.pause(rules.start("resolve", T0, 60), T0 + timedelta(minutes=10), "police")
    met = rules.meet(clock, T0 + timedelta(minutes=25, seconds=30.5))
    assert met.met_at == T0 + timedelta(minutes=25, seconds=30.5)
    assert met.paused_at is None and met.paused_seconds == 15 * 60 + 30
    assert met.due_at == T0 + timedelta(minutes=75, seconds=30)


def test_a_stopped_clock_is_frozen_and_a_met_one_stays_met() -> None:
    clock = rules.start("respond", T0, 10)
    stopped = rules.stop(clock, T0 + timedelta(minutes=3), "stopped: incident cancelled")
    assert not stopped.running and stopped.pause_reason == "stopped: incident cancelled"
    met = rules.meet(clock, T0 + timedelta(minutes=2))
    assert rules.stop(met, T0 + timedelta(minutes=3), "stopped") == met


class ClockMachine(RuleBasedStateMachine):
    """Any sequence of pauses, resumes, retargets, a meeting and breach checks keeps the
    clock's invariants: due = start + target + whole seconds paused, never breached while
    paused or met, breached at most once and only at its due time."""

    def __init__(self) -> None:
        super().__init__()
        self.clock = rules.start("resolve", T0, 60)
        self.now = T0
        self.paused_total = 0
        self.pause_began: datetime | None = None

    @rule(us=st.integers(0, 3 * 60 * 60 * 10**6))
    def time_passes(self, us: int) -> None:
        self.now += timedelta(microseconds=us)

    @precondition(lambda self: self.clock.running)
    @rule()
    def pause(self) -> None:
        self.clock = rules.pause(self.clock, self.now, "third party")
        self.pause_began = self.now

    @precondition(lambda self: self.clock.paused_at is not None and self.clock.met_at is None)
    @rule()
    def resume(self) -> None:
        assert self.pause_began is not None
        self.paused_total += (self.now - self.pause_began) // timedelta(seconds=1)
        self.clock = rules.resume(self.clock, self.now)
        self.pause_began = None

    @rule(minutes=st.integers(1, 600))
    def retarget(self, minutes: int) -> None:
        before = self.clock
        self.clock = rules.retarget(self.clock, minutes)
        if before.settled:
            assert self.clock == before

    @rule()
    def check_breach(self) -> None:
        late = rules.breach(self.clock, self.now)
        if late is not None:
            assert self.clock.running and self.clock.due_at <= self.now
            assert late.breached_at == self.clock.due_at
            self.clock = late

    @precondition(lambda self: self.clock.met_at is None)
    @rule()
    def meet(self) -> None:
        if self.pause_began is not None:
            self.paused_total += (self.now - self.pause_began) // timedelta(seconds=1)
            self.pause_began = None
        self.clock = rules.meet(self.clock, self.now)

    @invariant()
    def due_is_start_plus_target_plus_pauses(self) -> None:
        expected = T0 + timedelta(minutes=self.clock.target_minutes, seconds=self.paused_total)
        assert self.clock.due_at == expected

    @invariant()
    def a_breach_is_at_the_due_time(self) -> None:
        if self.clock.breached_at is not None:
            assert self.clock.breached_at <= self.now


TestClockMachine = ClockMachine.TestCase
TestClockMachine.settings = settings(max_examples=200, stateful_step_count=30)


@given(start=instants)
def test_whole_seconds_never_exceed_the_pause(start: datetime) -> None:
    for us in (0, 999_999, 1_000_000, 1_500_000, 59_999_999):
        counted = rules.paused_for(start, start + timedelta(microseconds=us))
        assert counted * 1_000_000 <= us < (counted + 1) * 1_000_000
    assert rules.paused_for(start, start - timedelta(seconds=5)) == 0
