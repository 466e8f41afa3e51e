"""Problems' pure rules: the status machine, what counts as a recurrence, and the
evidence that a group of incidents keeps coming back."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from murphy.core.errors import IllegalTransition, ValidationFailed
from murphy.problems import rules
from murphy.problems.schemas import ProblemStatus as S


def test_fixed_needs_a_note_and_moves_follow_the_machine() -> None:
    with pytest.raises(ValidationFailed, match="what fixed it"):
        rules.check_move(S.OPEN, S.FIXED, "  ")
    rules.check_move(S.OPEN, S.FIXED, "new lighting and a camera")
    rules.check_move(S.FIXED, S.OPEN, "")
    with pytest.raises(IllegalTransition, match="can move to: open"):
        rules.check_move(S.CLOSED, S.FIXED, "again")
    with pytest.raises(IllegalTransition, match="already fixed"):
        rules.check_move(S.FIXED, S.FIXED, "x")


def test_refs_round_trip() -> None:
    assert rules.ref(12) == "PRB-12"
    assert rules.parse_ref("prb-12") == 12 and rules.parse_ref(" 7 ") == 7
    assert rules.parse_ref("PRB-x") is None and rules.parse_ref("INC-1") is None


@pytest.mark.parametrize(
    ("watch", "seen", "expected"),
    [
        # a zone: only that zone, of the watched types
        (rules.Watch(1, 5, 9, frozenset({3, 4})), rules.Seen(1, 5, 9, 4), True),
        (rules.Watch(1, 5, 9, frozenset({3, 4})), rules.Seen(1, 5, 8, 4), False),
        (rules.Watch(1, 5, 9, frozenset({3, 4})), rules.Seen(1, 5, 9, 7), False),
        (rules.Watch(1, 5, 9, frozenset({3})), rules.Seen(1, 5, 9, None), False),
        # a building: any zone in it
        (rules.Watch(1, 5, None, None), rules.Seen(1, 5, 2, 7), True),
        (rules.Watch(1, 5, None, None), rules.Seen(1, 6, None, 7), False),
        # another site never
        (rules.Watch(1, None, None, frozenset({3})), rules.Seen(2, None, None, 3), False),
        (rules.Watch(1, None, None, frozenset({3})), rules.Seen(1, None, None, 3), True),
        # watching nothing in particular matches nothing (not every incident anywhere)
        (rules.Watch(None, None, None, None), rules.Seen(1, None, None, 3), False),
    ],
)
def test_recurs(watch: rules.Watch, seen: rules.Seen, expected: bool) -> None:
    assert rules.recurs(watch, seen) is expected


def test_hour_window_wraps_midnight() -> None:
    hours = [0] * 24
    hours[23], hours[0], hours[1], hours[12] = 3, 3, 2, 2
    start, share = rules.hour_window(hours)
    assert start == 22 or start == 23
    assert share == pytest.approx(8 / 10)


def test_weekday_patterns() -> None:
    assert rules.weekday_pattern([1, 0, 0, 0, 0, 4, 3]) == ("weekends", 7 / 8)
    assert rules.weekday_pattern([0, 0, 0, 0, 6, 1, 1])[0] == "Fridays"
    assert rules.weekday_pattern([1, 1, 1, 1, 1, 1, 1])[0] is None
    assert rules.weekday_pattern([0] * 7) == (None, 0.0)


def test_shared_words_ignore_filler_and_rare_words() -> None:
    titles = [
        "Car window smashed in the car park",
        "Window smashed on a parked car",
        "Smashed car window, bag taken",
        "Catalytic converter stolen",
    ]
    assert rules.shared_words(titles)[:3] == ["smashed", "window"][:3] or set(
        rules.shared_words(titles)
    ) >= {"smashed", "window"}
    assert "the" not in rules.shared_words(titles)
    assert rules.shared_words(["one title only"]) == []


def test_evidence_finds_a_night_weekend_pattern() -> None:
    saturday_night = datetime(2026, 11, 7, 23, 10)  # a Saturday
    times = [saturday_night + timedelta(days=7 * i, minutes=5 * i) for i in range(6)]
    times.append(datetime(2026, 11, 11, 14, 0))  # a Wednesday afternoon
    titles = ["Car window smashed"] * 6 + ["Bike stolen"]
    ev = rules.evidence(times, titles, days=90)
    assert ev.count == 7 and ev.hours[23] >= 3 and sum(ev.hours) == 7
    assert ev.hour_window is not None and ev.hour_share == pytest.approx(6 / 7, abs=1e-3)
    assert ev.weekday_pattern == "Saturdays" and ev.weekdays[5] == 6
    assert ev.words[:2] == ["window", "smashed"] or set(ev.words) >= {"window", "smashed"}
    assert ev.findings[0] == "7 incidents in 90 days (0.5 a week)"
    assert any("6 of 7 on Saturdays" in f for f in ev.findings)
    spread = rules.evidence([datetime(2026, 11, d, d % 24) for d in range(1, 8)], ["x"] * 7, 90)
    assert rules.score(ev) > rules.score(spread)


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=24, max_size=24))
def test_hour_window_share_is_a_share(hours: list[int]) -> None:
    start, share = rules.hour_window(hours)
    assert 0 <= start < 24 and 0.0 <= share <= 1.0
    if sum(hours):
        best = max(sum(hours[(h + i) % 24] for i in range(4)) for h in range(24))
        assert share == pytest.approx(best / sum(hours))
