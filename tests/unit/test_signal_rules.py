"""Signal rules: flapping, clears, de-duplication, correlation, their order and windows."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from murphy.core.errors import ValidationFailed
from murphy.signals.rules import (
    Decision,
    IncidentView,
    Outcome,
    Recent,
    SignalView,
    Windows,
    decide,
    worth_an_entry,
)

NOW = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)
FP = "f" * 64
TINY = timedelta(microseconds=1)


def ago(seconds: float) -> datetime:
    return NOW - timedelta(seconds=seconds)


def previous(
    seen: float = 12,
    *,
    is_clear: bool = False,
    incident_id: int | None = 1,
    open_: bool = True,
    flapping: bool = False,
) -> SignalView:
    """The newest earlier signal of the fingerprint, last seen `seen` seconds ago."""
    return SignalView(
        id=10,
        received_at=ago(seen + 30),
        last_seen_at=ago(seen),
        is_clear=is_clear,
        incident_id=incident_id,
        incident_open=open_,
        flapping=flapping,
    )


def incident(
    reported: float = 60, *, id_: int = 2, signals: int = 1, by: str | None = FP
) -> IncidentView:
    return IncidentView(
        id=id_,
        number=f"INC-{id_}",
        reported_at=ago(reported),
        signals=signals,
        opened_by_fingerprint=by,
    )


def run(
    recent: Recent = Recent(),  # noqa: B008 - frozen, so sharing the default is safe
    *,
    is_clear: bool = False,
    has_type: bool = True,
    windows: Windows = Windows(),  # noqa: B008
    now: datetime = NOW,
) -> Outcome:
    return decide(
        now=now,
        is_clear=is_clear,
        fingerprint=FP,
        has_type=has_type,
        windows=windows,
        recent=recent,
    )


# --- 5. new ------------------------------------------------------------------------------


def test_nothing_recent_is_new() -> None:
    outcome = run()
    assert outcome == Outcome(Decision.NEW, outcome.rule, None)
    assert outcome.rule.startswith("new:")
    assert "300 s" in outcome.rule
    assert "600 s" in outcome.rule


def test_the_defaults() -> None:
    assert Windows() == Windows(300, 600, 5, 600, False)


# --- 1. flapping -------------------------------------------------------------------------


def test_changes_reaching_the_limit_are_flapping() -> None:
    changes = (ago(500), ago(400), ago(300), ago(200))
    # the previous signal was an alarm; this clear is the fifth change
    outcome = run(Recent(previous(), None, changes), is_clear=True)
    assert outcome.decision is Decision.FLAPPING
    assert outcome.incident_id == 1
    assert outcome.rule == (
        "flapping: 5 alarm/clear changes of the fingerprint within 600 s (the limit is 5)"
    )


def test_one_change_fewer_is_not_flapping() -> None:
    changes = (ago(400), ago(300), ago(200))
    outcome = run(Recent(previous(), None, changes), is_clear=True)
    assert outcome.decision is Decision.CLEARED


def test_this_signal_counts_only_when_it_changes_state() -> None:
    changes = (ago(500), ago(400), ago(300), ago(200))
    same_state = run(Recent(previous(), None, changes), is_clear=False)
    assert same_state.decision is Decision.DUPLICATE
    first_ever = run(Recent(None, None, changes), is_clear=False)
    assert first_ever.decision is Decision.NEW


def test_a_change_exactly_at_the_flap_window_counts() -> None:
    at_limit = (ago(600), ago(400), ago(300), ago(200))
    assert run(Recent(previous(), None, at_limit), is_clear=True).decision is Decision.FLAPPING
    past = (ago(600) - TINY, ago(400), ago(300), ago(200))
    assert run(Recent(previous(), None, past), is_clear=True).decision is Decision.CLEARED


def test_a_flapping_fingerprint_stays_flapping_within_the_window() -> None:
    outcome = run(Recent(previous(600, flapping=True)))
    assert outcome.decision is Decision.FLAPPING
    assert outcome.incident_id == 1
    assert "last seen 600 s ago, within 600 s" in outcome.rule


def test_flapping_stops_after_a_quiet_window() -> None:
    quiet = replace(previous(flapping=True), last_seen_at=ago(600) - TINY)
    assert run(Recent(quiet)).decision is Decision.NEW


def test_flapping_never_opens_an_incident() -> None:
    changes = tuple(ago(s) for s in (500, 400, 300, 200, 100))
    outcome = run(Recent(None, None, changes))
    assert (outcome.decision, outcome.incident_id) == (Decision.FLAPPING, None)
    closed = previous(incident_id=9, open_=False, flapping=True)
    assert run(Recent(closed)).incident_id is None
    none = previous(incident_id=None, flapping=True)
    assert run(Recent(none)).incident_id is None


def test_a_smaller_flap_limit() -> None:
    windows = Windows(flap_changes=2, flap_seconds=60)
    # alarm, clear (one change), alarm again: two changes
    outcome = run(Recent(previous(is_clear=True), None, (ago(30),)), windows=windows)
    assert outcome.decision is Decision.FLAPPING


# --- 2. clears ----------------------------------------------------------------------------


def test_a_clear_goes_to_the_open_incident() -> None:
    outcome = run(Recent(previous()), is_clear=True)
    assert outcome.decision is Decision.CLEARED
    assert outcome.incident_id == 1
    assert outcome.resolve is False
    assert "resolve on clear is off" in outcome.rule


def test_a_clear_long_after_the_alarm_still_clears() -> None:
    outcome = run(Recent(previous(86_400)), is_clear=True)
    assert (outcome.decision, outcome.incident_id) == (Decision.CLEARED, 1)


def test_resolve_on_clear_resolves_what_the_device_alone_opened() -> None:
    windows = Windows(resolve_on_clear=True)
    mine = incident(id_=1, signals=1, by=FP)
    outcome = run(Recent(previous(), fingerprint_incident=mine), is_clear=True, windows=windows)
    assert outcome == Outcome(Decision.CLEARED, outcome.rule, 1, resolve=True)
    assert "resolves the incident" in outcome.rule


def test_the_correlation_candidate_serves_when_it_is_the_same_incident() -> None:
    windows = Windows(resolve_on_clear=True)
    mine = incident(id_=1, signals=1, by=FP)
    assert run(Recent(previous(), mine), is_clear=True, windows=windows).resolve is True
    other = incident(id_=2, signals=1, by=FP)
    assert run(Recent(previous(), other), is_clear=True, windows=windows).resolve is False


@pytest.mark.parametrize(
    ("view", "says"),
    [
        (incident(id_=1, signals=2, by=FP), "2 signals are attached"),
        (incident(id_=1, signals=1, by="other"), "this device did not open it"),
        (incident(id_=1, signals=1, by=None), "this device did not open it"),
        (None, "this device did not open it"),
    ],
)
def test_resolve_on_clear_leaves_shared_or_foreign_incidents_open(
    view: IncidentView | None, says: str
) -> None:
    windows = Windows(resolve_on_clear=True)
    outcome = run(Recent(previous(), fingerprint_incident=view), is_clear=True, windows=windows)
    assert (outcome.decision, outcome.incident_id, outcome.resolve) == (Decision.CLEARED, 1, False)
    assert says in outcome.rule


@pytest.mark.parametrize(
    "before",
    [None, previous(open_=False), previous(incident_id=None), previous(is_clear=True, open_=False)],
)
def test_a_clear_with_nothing_open_is_ignored(before: SignalView | None) -> None:
    outcome = run(Recent(before, incident(30)), is_clear=True)
    assert outcome == Outcome(Decision.IGNORED, "clear: a clear with nothing open", None)


# --- 3. de-duplication --------------------------------------------------------------------


def test_the_same_alarm_within_the_window_is_a_duplicate() -> None:
    outcome = run(Recent(previous(12)))
    assert outcome == Outcome(
        Decision.DUPLICATE,
        "de-duplication: the same source and fingerprint within 300 s (last seen 12 s ago)",
        1,
    )


def test_dedup_window_boundary() -> None:
    assert run(Recent(previous(300))).decision is Decision.DUPLICATE
    late = replace(previous(), last_seen_at=ago(300) - TINY)
    assert run(Recent(late)).decision is Decision.NEW


def test_a_zero_dedup_window_takes_only_the_same_instant() -> None:
    windows = Windows(dedup_seconds=0)
    assert run(Recent(previous(0)), windows=windows).decision is Decision.DUPLICATE
    assert run(Recent(previous(0.001)), windows=windows).decision is Decision.NEW


def test_a_duplicate_whose_incident_was_resolved_is_new() -> None:
    outcome = run(Recent(previous(12, open_=False)))
    assert (outcome.decision, outcome.incident_id) == (Decision.NEW, None)


def test_an_alarm_after_a_clear_is_not_a_duplicate() -> None:
    outcome = run(Recent(previous(12, is_clear=True)))
    assert outcome.decision is Decision.NEW


def test_a_previous_signal_without_incident_is_not_a_duplicate() -> None:
    assert run(Recent(previous(12, incident_id=None))).decision is Decision.NEW


def test_a_clock_running_ahead_counts_as_within() -> None:
    outcome = run(Recent(previous(-30)))
    assert outcome.decision is Decision.DUPLICATE
    assert "last seen 0 s ago" in outcome.rule


def test_other_time_zones_compare_as_instants() -> None:
    paris = timezone(timedelta(hours=1))
    outcome = run(Recent(previous(300)), now=NOW.astimezone(paris))
    assert outcome.decision is Decision.DUPLICATE


# --- 4. correlation ----------------------------------------------------------------------


def test_the_same_place_and_type_within_the_window_is_correlated() -> None:
    outcome = run(Recent(None, incident(60, id_=7)))
    assert outcome == Outcome(
        Decision.CORRELATED,
        "correlation: the same site, zone and type within 600 s (incident INC-7 reported 60 s ago)",
        7,
    )


def test_correlation_window_boundary() -> None:
    assert run(Recent(None, incident(600))).decision is Decision.CORRELATED
    late = replace(incident(), reported_at=ago(600) - TINY)
    assert run(Recent(None, late)).decision is Decision.NEW


def test_without_a_type_nothing_is_correlated() -> None:
    outcome = run(Recent(None, incident(60)), has_type=False)
    assert outcome.decision is Decision.NEW
    assert "no type" in outcome.rule


def test_an_expired_duplicate_may_still_correlate() -> None:
    outcome = run(Recent(previous(400), incident(400, id_=1)))
    assert (outcome.decision, outcome.incident_id) == (Decision.CORRELATED, 1)


# --- the order of the rules ----------------------------------------------------------------


def test_a_clear_while_flapping_is_flapping() -> None:
    outcome = run(Recent(previous(30, flapping=True)), is_clear=True)
    assert outcome.decision is Decision.FLAPPING
    assert outcome.resolve is False


def test_flapping_comes_before_de_duplication() -> None:
    changes = tuple(ago(s) for s in (500, 400, 300, 200, 100))
    outcome = run(Recent(previous(12), None, changes))
    assert (outcome.decision, outcome.incident_id) == (Decision.FLAPPING, 1)


def test_a_clear_is_never_correlated() -> None:
    assert run(Recent(None, incident(60)), is_clear=True).decision is Decision.IGNORED


def test_de_duplication_comes_before_correlation() -> None:
    outcome = run(Recent(previous(12), incident(60, id_=2)))
    assert (outcome.decision, outcome.incident_id) == (Decision.DUPLICATE, 1)


# --- refusals --------------------------------------------------------------------------

NAIVE = datetime(2026, 11, 28, 9, 0)


@pytest.mark.parametrize(
    ("changes", "label"),
    [
        ({"now": NAIVE}, "now"),
        ({"recent": Recent(changes=(NAIVE,))}, "changes"),
        ({"recent": Recent(replace(previous(), received_at=NAIVE))}, "received_at"),
        ({"recent": Recent(replace(previous(), last_seen_at=NAIVE))}, "last_seen_at"),
        ({"recent": Recent(None, replace(incident(), reported_at=NAIVE))}, "open_incident"),
        (
            {"recent": Recent(fingerprint_incident=replace(incident(), reported_at=NAIVE))},
            "fingerprint_incident",
        ),
    ],
)
def test_naive_datetimes_are_refused(changes: dict[str, Any], label: str) -> None:
    args: dict[str, Any] = {
        "now": NOW,
        "is_clear": False,
        "fingerprint": FP,
        "has_type": True,
        "windows": Windows(),
        "recent": Recent(),
    }
    with pytest.raises(ValueError, match=label):
        decide(**(args | changes))


@pytest.mark.parametrize(
    "fields",
    [{"dedup_seconds": -1}, {"correlate_seconds": -1}, {"flap_seconds": -1}, {"flap_changes": 1}],
)
def test_bad_windows_are_refused(fields: dict[str, Any]) -> None:
    with pytest.raises(ValidationFailed, match=next(iter(fields))):
        Windows(**fields)


# --- properties ----------------------------------------------------------------------------

times = st.integers(min_value=-60, max_value=1_500).map(ago)
windows_st = st.builds(
    Windows,
    dedup_seconds=st.integers(0, 900),
    correlate_seconds=st.integers(0, 900),
    flap_changes=st.integers(2, 8),
    flap_seconds=st.integers(0, 900),
    resolve_on_clear=st.booleans(),
)
signals_st = st.builds(
    SignalView,
    id=st.integers(1, 10**6),
    received_at=times,
    last_seen_at=times,
    is_clear=st.booleans(),
    incident_id=st.none() | st.integers(1, 20),
    incident_open=st.booleans(),
    flapping=st.booleans(),
)
incidents_st = st.builds(
    IncidentView,
    id=st.integers(1, 20),
    number=st.sampled_from(["INC-1", "INC-2"]),
    reported_at=times,
    signals=st.integers(0, 4),
    opened_by_fingerprint=st.none() | st.sampled_from([FP, "other"]),
)
recent_st = st.builds(
    Recent,
    same_fingerprint=st.none() | signals_st,
    open_incident_same_place_type=st.none() | incidents_st,
    changes=st.lists(times, max_size=10).map(lambda ts: tuple(sorted(ts))),
    fingerprint_incident=st.none() | incidents_st,
)
inputs = st.fixed_dictionaries(
    {
        "now": st.just(NOW),
        "is_clear": st.booleans(),
        "fingerprint": st.sampled_from([FP, "other"]),
        "has_type": st.booleans(),
        "windows": windows_st,
        "recent": recent_st,
    }
)


@settings(max_examples=500)
@given(args=inputs)
def test_decide_is_deterministic(args: dict[str, Any]) -> None:
    assert decide(**args) == decide(**args)


@settings(max_examples=1_000)
@given(args=inputs)
def test_incident_ids_fit_the_decision(args: dict[str, Any]) -> None:
    outcome = decide(**args)
    recent: Recent = args["recent"]
    before = recent.same_fingerprint
    if outcome.decision in (Decision.DUPLICATE, Decision.CORRELATED, Decision.CLEARED):
        assert outcome.incident_id is not None
    if outcome.decision in (Decision.NEW, Decision.IGNORED):
        assert outcome.incident_id is None
    own = (Decision.DUPLICATE, Decision.CLEARED, Decision.FLAPPING)
    if outcome.decision in own and outcome.incident_id is not None:
        # only ever the fingerprint's own open incident: flapping never creates one
        assert before is not None
        assert outcome.incident_id == before.incident_id
        assert before.incident_open
    if outcome.decision is Decision.CORRELATED:
        assert recent.open_incident_same_place_type is not None
        assert outcome.incident_id == recent.open_incident_same_place_type.id
    if outcome.resolve:
        assert outcome.decision is Decision.CLEARED
        assert args["windows"].resolve_on_clear
    if args["is_clear"]:
        assert outcome.decision in (Decision.CLEARED, Decision.IGNORED, Decision.FLAPPING)
    assert outcome.rule.split(":")[0] in (
        "new",
        "de-duplication",
        "correlation",
        "clear",
        "flapping",
    )


@st.composite
def duplicates(draw: st.DrawFn) -> dict[str, Any]:
    """An alarm whose previous signal is an alarm within the dedup window with an open
    incident, and no flapping."""
    windows = draw(windows_st)
    seen = draw(st.integers(0, windows.dedup_seconds))
    before = SignalView(
        id=1,
        received_at=ago(seen + draw(st.integers(0, 3_600))),
        last_seen_at=ago(seen),
        is_clear=False,
        incident_id=draw(st.integers(1, 20)),
        incident_open=True,
        flapping=False,
    )
    changes = draw(st.lists(times, max_size=windows.flap_changes - 1))
    return {
        "now": NOW,
        "is_clear": False,
        "fingerprint": FP,
        "has_type": draw(st.booleans()),
        "windows": windows,
        "recent": Recent(
            same_fingerprint=before,
            open_incident_same_place_type=draw(st.none() | incidents_st),
            changes=tuple(sorted(changes)),
        ),
    }


@settings(max_examples=500)
@given(args=duplicates())
def test_a_duplicate_in_the_window_is_never_new(args: dict[str, Any]) -> None:
    outcome = decide(**args)
    assert outcome.decision is Decision.DUPLICATE
    assert outcome.incident_id == args["recent"].same_fingerprint.incident_id


def test_a_repeat_goes_on_the_timeline_at_its_2nd_10th_100th_signal() -> None:
    noted = [n for n in range(1, 20_001) if worth_an_entry(Decision.DUPLICATE, n)]
    assert noted == [2, 10, 100, 1_000, 10_000]
    others = [d for d in Decision if d is not Decision.DUPLICATE]
    assert all(worth_an_entry(d, n) for d in others for n in (1, 3, 11, 57))
