"""On-call rules: rotations across daylight-saving changes, layers, restrictions,
overrides, the merged timeline, and its iCalendar export."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from itertools import pairwise
from zoneinfo import ZoneInfo

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from murphy.core.errors import ValidationFailed
from murphy.oncall import rules
from murphy.oncall.rules import (
    WEEKDAYS,
    WEEKEND,
    Layer,
    Override,
    Rotation,
    Schedule,
    Shift,
    Window,
    on_call,
    shifts,
)

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")
H = timedelta(hours=1)


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)  # type: ignore[misc]


def local(tz: ZoneInfo, *args: int) -> datetime:
    """A local time that exists and is not ambiguous, as a UTC instant."""
    return datetime(*args, tzinfo=tz).astimezone(UTC)  # type: ignore[misc]


def one_layer(zone: str, rotation: Rotation, *windows: Window) -> Schedule:
    return Schedule(zone, (Layer(rotation, tuple(windows)),))


def timeline(s: Schedule, start: datetime, end: datetime) -> list[tuple[str, datetime, datetime]]:
    return [(x.user, x.start, x.end) for x in shifts(s, start, end)]


def user_at(tl: list[Shift], at: datetime) -> str | None:
    hits = [x.user for x in tl if x.start <= at < x.end]
    assert len(hits) <= 1, f"{len(hits)} shifts cover {at}"
    return hits[0] if hits else None


# --- daily rotations over Europe/Berlin's changes ----------------------------------------


def test_daily_rotation_hands_off_at_local_time_across_the_spring_change() -> None:
    s = one_layer("Europe/Berlin", Rotation(("ann", "bob", "cat"), date(2026, 3, 27), time(8)))
    tl = shifts(s, utc(2026, 3, 27, 7), utc(2026, 3, 31, 6))
    assert [(x.user, x.start, x.end) for x in tl] == [
        ("ann", utc(2026, 3, 27, 7), utc(2026, 3, 28, 7)),  # 08:00 CET
        ("bob", utc(2026, 3, 28, 7), utc(2026, 3, 29, 6)),  # the 23-hour shift
        ("cat", utc(2026, 3, 29, 6), utc(2026, 3, 30, 6)),  # 08:00 CEST
        ("ann", utc(2026, 3, 30, 6), utc(2026, 3, 31, 6)),
    ]
    assert [x.end - x.start for x in tl] == [24 * H, 23 * H, 24 * H, 24 * H]
    assert all(x.start.astimezone(BERLIN).time() == time(8) for x in tl)
    assert all(x.start.tzinfo is UTC and x.source == "layer 1" for x in tl)
    assert on_call(s, utc(2026, 3, 29, 5, 59, 59)) == "bob"
    assert on_call(s, utc(2026, 3, 29, 6)) == "cat"


def test_daily_rotation_hands_off_at_local_time_across_the_autumn_change() -> None:
    s = one_layer("Europe/Berlin", Rotation(("ann", "bob", "cat"), date(2026, 10, 23), time(8)))
    assert timeline(s, utc(2026, 10, 23, 6), utc(2026, 10, 26, 7)) == [
        ("ann", utc(2026, 10, 23, 6), utc(2026, 10, 24, 6)),  # 08:00 CEST
        ("bob", utc(2026, 10, 24, 6), utc(2026, 10, 25, 7)),  # the 25-hour shift
        ("cat", utc(2026, 10, 25, 7), utc(2026, 10, 26, 7)),  # 08:00 CET
    ]
    assert on_call(s, utc(2026, 10, 25, 6, 59)) == "bob"
    assert on_call(s, utc(2026, 10, 25, 7)) == "cat"


def test_one_rotation_over_a_whole_year_keeps_its_local_handoff() -> None:
    s = one_layer("Europe/Berlin", Rotation(("ann", "bob", "cat"), date(2026, 1, 1), time(8)))
    tl = shifts(s, utc(2026, 1, 1, 7), local(BERLIN, 2027, 1, 1, 8))
    assert len(tl) == 365
    assert all(x.start.astimezone(BERLIN).time() == time(8) for x in tl)
    assert sorted({x.end - x.start for x in tl}) == [23 * H, 24 * H, 25 * H]
    # 2026-10-24 is day 296 of the rotation: 296 % 3 == 2
    assert on_call(s, local(BERLIN, 2026, 10, 24, 12)) == "cat"


# --- weekly rotations over America/New_York's changes ------------------------------------


def test_weekly_rotation_hands_off_monday_0900_across_the_spring_change() -> None:
    s = one_layer("America/New_York", Rotation(("ann", "bob"), date(2026, 3, 2), time(9), 7))
    assert timeline(s, utc(2026, 3, 2, 14), utc(2026, 3, 23, 13)) == [
        ("ann", utc(2026, 3, 2, 14), utc(2026, 3, 9, 13)),  # EST, then EDT: 167 hours
        ("bob", utc(2026, 3, 9, 13), utc(2026, 3, 16, 13)),
        ("ann", utc(2026, 3, 16, 13), utc(2026, 3, 23, 13)),
    ]
    assert on_call(s, utc(2026, 3, 8, 7)) == "ann"  # 03:00 EDT, just after the jump
    assert on_call(s, utc(2026, 3, 9, 12, 59)) == "ann"
    assert on_call(s, utc(2026, 3, 9, 13)) == "bob"


def test_weekly_rotation_hands_off_monday_0900_across_the_autumn_change() -> None:
    s = one_layer("America/New_York", Rotation(("ann", "bob"), date(2026, 10, 19), time(9), 7))
    tl = shifts(s, utc(2026, 10, 19, 13), utc(2026, 11, 9, 14))
    assert [(x.user, x.start, x.end) for x in tl] == [
        ("ann", utc(2026, 10, 19, 13), utc(2026, 10, 26, 13)),
        ("bob", utc(2026, 10, 26, 13), utc(2026, 11, 2, 14)),  # EDT, then EST: 169 hours
        ("ann", utc(2026, 11, 2, 14), utc(2026, 11, 9, 14)),
    ]
    assert all(x.start.astimezone(NEW_YORK).strftime("%a %H:%M") == "Mon 09:00" for x in tl)


# --- handoff times the clocks skip or repeat ---------------------------------------------


def test_a_local_time_in_the_spring_gap_is_the_instant_the_clocks_jump() -> None:
    # 2026-03-29 in Berlin: 02:00 CET becomes 03:00 CEST at 01:00 UTC.
    for minute in (0, 30, 59):
        assert rules.resolve(datetime(2026, 3, 29, 2, minute), BERLIN) == utc(2026, 3, 29, 1)
    assert rules.resolve(datetime(2026, 3, 29, 1, 59), BERLIN) == utc(2026, 3, 29, 0, 59)
    assert rules.resolve(datetime(2026, 3, 29, 3, 0), BERLIN) == utc(2026, 3, 29, 1)
    assert rules.resolve(datetime(2026, 3, 29, 3, 1), BERLIN) == utc(2026, 3, 29, 1, 1)
    # New York, 2026-03-08: 02:00 EST becomes 03:00 EDT at 07:00 UTC.
    assert rules.resolve(datetime(2026, 3, 8, 2, 30), NEW_YORK) == utc(2026, 3, 8, 7)


def test_a_handoff_in_the_spring_gap_happens_when_the_clocks_jump() -> None:
    s = one_layer("Europe/Berlin", Rotation(("ann", "bob", "cat"), date(2026, 3, 28), time(2, 30)))
    assert timeline(s, utc(2026, 3, 28, 1, 30), utc(2026, 3, 31, 0, 30)) == [
        ("ann", utc(2026, 3, 28, 1, 30), utc(2026, 3, 29, 1)),  # 02:30 CET to 03:00 CEST
        ("bob", utc(2026, 3, 29, 1), utc(2026, 3, 30, 0, 30)),  # to 02:30 CEST
        ("cat", utc(2026, 3, 30, 0, 30), utc(2026, 3, 31, 0, 30)),
    ]
    assert on_call(s, utc(2026, 3, 29, 0, 59, 59)) == "ann"
    assert on_call(s, utc(2026, 3, 29, 1)) == "bob"


def test_a_local_time_in_the_autumn_overlap_is_its_first_occurrence() -> None:
    # 2026-10-25 in Berlin: 02:30 happens at 00:30 UTC (CEST) and at 01:30 UTC (CET).
    assert rules.resolve(datetime(2026, 10, 25, 2, 30), BERLIN) == utc(2026, 10, 25, 0, 30)
    s = one_layer("Europe/Berlin", Rotation(("ann", "bob", "cat"), date(2026, 10, 24), time(2, 30)))
    assert timeline(s, utc(2026, 10, 24, 0, 30), utc(2026, 10, 27, 1, 30)) == [
        ("ann", utc(2026, 10, 24, 0, 30), utc(2026, 10, 25, 0, 30)),
        ("bob", utc(2026, 10, 25, 0, 30), utc(2026, 10, 26, 1, 30)),  # 25 hours
        ("cat", utc(2026, 10, 26, 1, 30), utc(2026, 10, 27, 1, 30)),
    ]
    assert on_call(s, utc(2026, 10, 25, 1, 30)) == "bob"  # the second 02:30 is no handoff


def test_a_restriction_window_edge_in_the_gap_moves_to_the_jump() -> None:
    window = Window(frozenset({rules.SUNDAY}), time(2, 30), time(4))
    s = one_layer("Europe/Berlin", Rotation(("ann",), date(2026, 3, 1)), window)
    assert timeline(s, utc(2026, 3, 28), utc(2026, 3, 30)) == [
        ("ann", utc(2026, 3, 29, 1), utc(2026, 3, 29, 2)),  # 03:00 to 04:00 CEST
    ]


# --- hour-based rotations: elapsed time ---------------------------------------------------


def test_a_12_hour_rotation_steps_in_elapsed_time_across_a_change() -> None:
    rotation = Rotation(("ann", "bob"), date(2026, 3, 28), time(8), 12, "hours")
    s = one_layer("Europe/Berlin", rotation)
    tl = shifts(s, utc(2026, 3, 28, 7), utc(2026, 3, 30, 7))
    assert [(x.user, x.start) for x in tl] == [
        ("ann", utc(2026, 3, 28, 7)),
        ("bob", utc(2026, 3, 28, 19)),
        ("ann", utc(2026, 3, 29, 7)),
        ("bob", utc(2026, 3, 29, 19)),
    ]
    assert all(x.end - x.start == 12 * H for x in tl)
    # the local handoff moves by the hour the clocks jumped
    assert [x.start.astimezone(BERLIN).hour for x in tl] == [8, 20, 9, 21]


def test_a_custom_3_day_rotation_of_4_people_goes_in_order() -> None:
    s = one_layer("Europe/Berlin", Rotation(("a", "b", "c", "d"), date(2026, 1, 5), time(9), 3))
    tl = shifts(s, local(BERLIN, 2026, 1, 5, 9), local(BERLIN, 2026, 2, 1, 9))
    assert [x.user for x in tl] == ["a", "b", "c", "d", "a", "b", "c", "d", "a"]
    assert all(x.end - x.start == timedelta(days=3) for x in tl)
    assert on_call(s, local(BERLIN, 2026, 1, 7, 12)) == "a"
    assert on_call(s, local(BERLIN, 2026, 1, 8, 8, 59)) == "a"
    assert on_call(s, local(BERLIN, 2026, 1, 8, 9)) == "b"
    assert on_call(s, local(BERLIN, 2026, 1, 16, 12)) == "d"
    assert on_call(s, local(BERLIN, 2026, 1, 17, 12)) == "a"


def test_nobody_is_on_call_before_the_first_handoff() -> None:
    s = one_layer("Europe/Berlin", Rotation(("ann", "bob"), date(2026, 3, 2), time(8)))
    assert on_call(s, local(BERLIN, 2026, 3, 2, 7, 59)) is None
    assert on_call(s, local(BERLIN, 2026, 3, 2, 8)) == "ann"
    assert shifts(s, utc(2026, 2, 1), utc(2026, 3, 1)) == []
    assert timeline(s, utc(2026, 3, 2), local(BERLIN, 2026, 3, 3, 8)) == [
        ("ann", local(BERLIN, 2026, 3, 2, 8), local(BERLIN, 2026, 3, 3, 8))
    ]


# --- layers, restrictions, overrides ------------------------------------------------------

BASE = Layer(Rotation(("ann", "bob"), date(2026, 6, 1), time(9), 7))  # Monday 09:00
EVENINGS = Layer(
    Rotation(("xi", "yu"), date(2026, 6, 1), time(18)),
    (Window(WEEKDAYS, time(18), time(8)),),  # Monday 18:00 to Tuesday 08:00 ... Fri-Sat
)


def b(day: int, hour: int, minute: int = 0) -> datetime:
    """An instant in Berlin in June 2026 (CEST); 2026-06-01 is a Monday."""
    return local(BERLIN, 2026, 6, day, hour, minute)


@pytest.mark.parametrize(
    ("at", "expected"),
    [
        (b(1, 12), "ann"),  # Monday noon: the base layer
        (b(1, 17, 59), "ann"),
        (b(1, 18), "xi"),  # weekday evening: the evening layer wins
        (b(2, 7, 59), "xi"),  # its Monday window runs to Tuesday 08:00
        (b(2, 8), "ann"),
        (b(2, 19), "yu"),  # the evening rotation has handed off
        (b(5, 18), "xi"),  # Friday evening ...
        (b(6, 7, 59), "xi"),  # ... until Saturday 08:00
        (b(6, 8), "ann"),
        (b(7, 20), "ann"),  # Sunday is not in the window's days
        (b(8, 7), "ann"),  # nor is Sunday night into Monday
        (b(8, 9), "bob"),  # the weekly base hands off Monday 09:00
        (b(8, 18), "yu"),
    ],
)
def test_a_restricted_layer_wins_over_the_base_only_inside_its_windows(
    at: datetime, expected: str
) -> None:
    s = Schedule("Europe/Berlin", (BASE, EVENINGS))
    assert on_call(s, at) == expected
    assert user_at(shifts(s, b(1, 0), b(9, 0)), at) == expected


def test_a_weekend_window_covers_whole_days() -> None:
    weekends = Layer(Rotation(("wes",), date(2026, 1, 1)), (Window(WEEKEND, time(0), time(0)),))
    s = Schedule("Europe/Berlin", (BASE, weekends))
    assert timeline(s, b(5, 12), b(8, 12)) == [
        ("ann", b(5, 12), b(6, 0)),
        ("wes", b(6, 0), b(8, 0)),  # Saturday and Sunday, one piece
        ("ann", b(8, 0), b(8, 9)),
        ("bob", b(8, 9), b(8, 12)),
    ]


def test_overrides_replace_whoever_is_on_call_and_the_later_one_wins() -> None:
    zed = Override(b(2, 19), b(2, 21), "zed")
    wes = Override(b(2, 20), b(2, 22), "wes")  # made after zed
    s = Schedule("Europe/Berlin", (BASE, EVENINGS), (zed, wes))
    assert [on_call(s, b(2, h, 30)) for h in (18, 19, 20, 21, 22)] == [
        "yu",
        "zed",
        "wes",
        "wes",
        "yu",
    ]
    assert [(x.user, x.start, x.end, x.source) for x in shifts(s, b(2, 6), b(3, 0))] == [
        ("xi", b(2, 6), b(2, 8), "layer 2"),
        ("ann", b(2, 8), b(2, 18), "layer 1"),
        ("yu", b(2, 18), b(2, 19), "layer 2"),
        ("zed", b(2, 19), b(2, 20), "override"),
        ("wes", b(2, 20), b(2, 22), "override"),
        ("yu", b(2, 22), b(3, 0), "layer 2"),
    ]
    reordered = Schedule("Europe/Berlin", (BASE, EVENINGS), (wes, zed))
    assert [on_call(reordered, b(2, h, 30)) for h in (19, 20, 21)] == ["zed", "zed", "wes"]


def test_an_override_inside_another_splits_it_and_the_outer_one_resumes() -> None:
    outer = Override(b(3, 0), b(4, 0), "zed")
    inner = Override(b(3, 10), b(3, 12), "wes")
    s = Schedule("Europe/Berlin", (BASE,), (outer, inner))
    assert timeline(s, b(2, 12), b(4, 12)) == [
        ("ann", b(2, 12), b(3, 0)),
        ("zed", b(3, 0), b(3, 10)),
        ("wes", b(3, 10), b(3, 12)),
        ("zed", b(3, 12), b(4, 0)),
        ("ann", b(4, 0), b(4, 12)),
    ]
    # the earlier-made override hidden under a later one changes nothing
    hidden = Schedule("Europe/Berlin", (BASE,), (inner, outer))
    assert timeline(hidden, b(3, 0), b(4, 0)) == [("zed", b(3, 0), b(4, 0))]


def test_an_override_with_no_layers_and_a_gap_when_nobody_is_on_call() -> None:
    s = Schedule("UTC", (), (Override(utc(2026, 5, 1, 8), utc(2026, 5, 1, 9), "zed"),))
    assert on_call(s, utc(2026, 5, 1, 7, 59)) is None
    assert on_call(s, utc(2026, 5, 1, 8)) == "zed"
    assert on_call(s, utc(2026, 5, 1, 9)) is None
    assert timeline(s, utc(2026, 5, 1), utc(2026, 5, 2)) == [
        ("zed", utc(2026, 5, 1, 8), utc(2026, 5, 1, 9))
    ]


# --- the timeline: clipping and joining ---------------------------------------------------


def test_shifts_are_clipped_to_the_period() -> None:
    s = one_layer("Europe/Berlin", Rotation(("ann", "bob"), date(2026, 6, 1), time(8)))
    assert timeline(s, b(1, 12), b(2, 10)) == [
        ("ann", b(1, 12), b(2, 8)),
        ("bob", b(2, 8), b(2, 10)),
    ]
    assert timeline(s, b(1, 12), b(1, 13)) == [("ann", b(1, 12), b(1, 13))]
    assert shifts(s, b(1, 12), b(1, 12)) == []


def test_one_persons_next_to_next_shifts_from_one_source_are_joined() -> None:
    alone = one_layer("Europe/Berlin", Rotation(("ann",), date(2026, 6, 1), time(8)))
    assert timeline(alone, b(1, 8), b(15, 8)) == [("ann", b(1, 8), b(15, 8))]
    # ann again by override: a different source, so not joined with her layer shift
    s = Schedule(alone.zone, alone.layers, (Override(b(3, 8), b(4, 8), "ann"),))
    assert [(x.start, x.end, x.source) for x in shifts(s, b(1, 8), b(6, 8))] == [
        (b(1, 8), b(3, 8), "layer 1"),
        (b(3, 8), b(4, 8), "override"),
        (b(4, 8), b(6, 8), "layer 1"),
    ]
    # a rotation listing someone twice in a row gives one shift for both turns
    twice = one_layer("Europe/Berlin", Rotation(("ann", "ann", "bob"), date(2026, 6, 1), time(8)))
    assert [x.user for x in shifts(twice, b(1, 8), b(7, 8))] == ["ann", "bob", "ann", "bob"]


def test_a_year_of_a_two_layer_schedule_is_one_unbroken_timeline() -> None:
    evenings = Layer(
        Rotation(("xi", "yu", "zoe"), date(2025, 12, 1), time(18)),
        (Window(WEEKDAYS, time(18), time(8)), Window(WEEKEND, time(0), time(0))),
    )
    base = Layer(Rotation(("ann", "bob"), date(2025, 12, 1), time(8)))
    overrides = tuple(
        Override(utc(2026, m, 10, 12), utc(2026, m, 12, 12), "zed") for m in range(1, 13, 2)
    )
    s = Schedule("Europe/Berlin", (base, evenings), overrides)
    tl = shifts(s, utc(2026, 1, 1), utc(2027, 1, 1))
    assert len(tl) > 600
    assert all(x.end == y.start for x, y in pairwise(tl))  # the base covers every instant
    assert {x.user for x in tl} == {"ann", "bob", "xi", "yu", "zoe", "zed"}


# --- properties over random schedules -----------------------------------------------------

ZONES = [
    "Europe/Berlin",
    "America/New_York",
    "America/Havana",  # jumps at midnight
    "America/Santiago",  # goes back over midnight into the previous day
    "Asia/Beirut",
    "Australia/Lord_Howe",  # half-hour changes
    "Asia/Kolkata",
    "UTC",
]
NAMES = ["ann", "bob", "cat", "dan", "eve"]
PERIOD = timedelta(days=35)

period_starts = st.sampled_from(
    [utc(2026, 3, 1), utc(2026, 3, 20), utc(2026, 9, 1), utc(2026, 10, 15)]
)
clock = st.builds(time, st.integers(0, 23), st.sampled_from([0, 15, 30, 45]))


@st.composite
def rotations(draw: st.DrawFn, near: date) -> Rotation:
    unit = draw(st.sampled_from(["days", "hours"]))
    length = draw(st.integers(1, 10) if unit == "days" else st.integers(1, 48))
    return Rotation(
        tuple(draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4))),
        near + timedelta(days=draw(st.integers(-20, 20))),
        draw(clock),
        length,
        unit,
    )


windows = st.builds(Window, st.frozensets(st.integers(0, 6), min_size=1), clock, clock)


@st.composite
def schedules(draw: st.DrawFn, start: datetime, *, unrestricted_base: bool = False) -> Schedule:
    zone = draw(st.sampled_from(ZONES))
    near = start.date()
    layers = []
    for n in range(draw(st.integers(1, 4))):
        if n == 0 and unrestricted_base:
            rotation = draw(rotations(near - timedelta(days=25)))
            layers.append(Layer(rotation))
        else:
            rotation = draw(rotations(near))
            layers.append(Layer(rotation, tuple(draw(st.lists(windows, max_size=2)))))
    overrides = []
    for _ in range(draw(st.integers(0, 3))):
        begin = start + timedelta(minutes=draw(st.integers(-3000, PERIOD // timedelta(minutes=1))))
        length = timedelta(minutes=draw(st.integers(1, 4 * 24 * 60)))
        overrides.append(Override(begin, begin + length, draw(st.sampled_from(NAMES))))
    return Schedule(zone, tuple(layers), tuple(overrides))


@st.composite
def cases(draw: st.DrawFn, *, unrestricted_base: bool = False) -> tuple[Schedule, datetime]:
    start = draw(period_starts) + timedelta(minutes=draw(st.integers(0, 24 * 60)))
    return draw(schedules(start, unrestricted_base=unrestricted_base)), start


def check_timeline(tl: list[Shift], start: datetime, end: datetime) -> None:
    for x in tl:
        assert start <= x.start < x.end <= end
        assert x.start.tzinfo is UTC and x.end.tzinfo is UTC
    for x, y in pairwise(tl):
        assert x.end <= y.start, "shifts overlap or are out of order"
        assert not (x.end == y.start and x.user == y.user and x.source == y.source), "not joined"


PROPERTY = settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@PROPERTY
@given(cases(), st.lists(st.integers(0, PERIOD // timedelta(microseconds=1) - 1), max_size=40))
def test_on_call_agrees_with_shifts_at_every_instant(
    case: tuple[Schedule, datetime], offsets: list[int]
) -> None:
    s, start = case
    end = start + PERIOD
    tl = shifts(s, start, end)
    check_timeline(tl, start, end)
    for us in offsets:
        at = start + timedelta(microseconds=us)
        assert on_call(s, at) == user_at(tl, at), at
    for x in tl:  # at the edges of every shift, and just outside them
        assert on_call(s, x.start) == x.user
        assert on_call(s, x.end - timedelta(microseconds=1)) == x.user
        if x.start > start:
            assert on_call(s, x.start - timedelta(microseconds=1)) == user_at(
                tl, x.start - timedelta(microseconds=1)
            )


@PROPERTY
@given(cases(unrestricted_base=True))
def test_an_unrestricted_base_layer_covers_every_instant_exactly_once(
    case: tuple[Schedule, datetime],
) -> None:
    s, start = case
    end = start + PERIOD
    tl = shifts(s, start, end)
    check_timeline(tl, start, end)
    assert tl[0].start == start
    assert tl[-1].end == end
    assert all(x.end == y.start for x, y in pairwise(tl)), "a gap"


@PROPERTY
@given(cases(), st.integers(1, PERIOD // timedelta(minutes=1) - 1))
def test_a_period_split_in_two_gives_the_same_timeline(
    case: tuple[Schedule, datetime], minutes: int
) -> None:
    s, start = case
    end, middle = start + PERIOD, start + timedelta(minutes=minutes)
    joined: list[Shift] = []
    for x in shifts(s, start, middle) + shifts(s, middle, end):
        last = joined[-1] if joined else None
        if last and (last.user, last.source, last.end) == (x.user, x.source, x.start):
            joined[-1] = Shift(x.user, last.start, x.end, x.source)
        else:
            joined.append(x)
    assert joined == shifts(s, start, end)


# --- iCalendar ------------------------------------------------------------------------------

LONG_NAME = "Équipe sécurité — astreinte de nuit 🌙, bâtiment A; étage 2 \\ accès nord\nrelève 18h"
SHIFTS = [
    Shift("ann", utc(2026, 3, 28, 7), utc(2026, 3, 29, 6), "layer 1"),
    Shift("ann", utc(2026, 3, 31, 6), utc(2026, 4, 1, 6), "override"),
    Shift("Zoë Müller, ops", utc(2026, 4, 2, 6), utc(2026, 4, 3, 6, 30), "layer 2"),
]
NOW = utc(2026, 3, 20, 12, 0, 5)


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").replace("\r\n\t", "").split("\r\n")[:-1]


def unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "\\" and i + 1 < len(value):
            nxt = value[i + 1]
            out.append("\n" if nxt in "nN" else nxt)
            i += 2
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def parse_events(text: str) -> list[dict[str, str]]:
    """A tiny iCalendar reader: the properties of each VEVENT, values still escaped."""
    events: list[dict[str, str]] = []
    current: dict[str, str] | None = None
    for line in unfold(text):
        name, _, value = line.partition(":")
        if line == "BEGIN:VEVENT":
            current = {}
        elif line == "END:VEVENT":
            assert current is not None
            events.append(current)
            current = None
        elif current is not None:
            current[name.split(";")[0]] = value
    return events


def stamp(value: str) -> datetime:
    return datetime.strptime(value, "%Y%m%dT%H%M%SZ").replace(tzinfo=UTC)


def test_ical_lines_end_in_crlf_and_fold_at_75_octets_without_splitting_characters() -> None:
    text = rules.ical(SHIFTS, calendar_name=LONG_NAME * 2, uid_prefix="murphy-7", now=NOW)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert "\n" not in text.replace("\r\n", "") and "\r" not in text.replace("\r\n", "")
    physical = text.encode("utf-8").split(b"\r\n")[:-1]
    assert max(len(line) for line in physical) == 75  # folding happened, to the octet
    for line in physical:
        assert len(line) <= 75
        line.decode("utf-8")  # strict: a split character would not decode
    assert any(line.startswith(b" ") for line in physical)
    lines = unfold(text)
    assert lines[:3] == ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//Murphy//On-call//EN"]
    assert lines.count("BEGIN:VEVENT") == lines.count("END:VEVENT") == 3


def test_ical_escapes_text_values() -> None:
    text = rules.ical(SHIFTS[:1], calendar_name="a,b;c\\d\ne", uid_prefix="p", now=NOW)
    (event,) = parse_events(text)
    assert event["SUMMARY"] == "On call: a\\,b\\;c\\\\d\\ne"
    assert unescape(event["SUMMARY"]) == "On call: a,b;c\\d\ne"
    assert "X-WR-CALNAME:a\\,b\\;c\\\\d\\ne" in unfold(text)


def test_ical_events_read_back_as_the_shifts() -> None:
    text = rules.ical(SHIFTS, calendar_name=LONG_NAME, uid_prefix="murphy-7", now=NOW)
    events = parse_events(text)
    assert [(stamp(e["DTSTART"]), stamp(e["DTEND"])) for e in events] == [
        (x.start, x.end) for x in SHIFTS
    ]
    assert all(e["DTSTART"].endswith("Z") and e["DTEND"].endswith("Z") for e in events)
    assert {e["DTSTAMP"] for e in events} == {"20260320T120005Z"}
    assert all(unescape(e["SUMMARY"]) == "On call: " + LONG_NAME for e in events)
    assert unescape(events[2]["DESCRIPTION"]) == "Zoë Müller, ops (layer 2)"


def test_ical_uids_are_stable_and_distinct() -> None:
    first = parse_events(rules.ical(SHIFTS, calendar_name="Ops", uid_prefix="m7", now=NOW))
    later = parse_events(
        rules.ical(SHIFTS, calendar_name="Ops", uid_prefix="m7", now=NOW + timedelta(days=3))
    )
    uids = [e["UID"] for e in first]
    assert uids == [e["UID"] for e in later]
    assert len(set(uids)) == 3
    assert uids[0] == "m7-ann-20260328T070000Z"
    assert uids[2] == "m7-Zo%C3%AB%20M%C3%BCller%2C%20ops-20260402T060000Z"
    # a shift whose end moves keeps its UID; another person's shift gets another one
    moved = Shift("ann", SHIFTS[0].start, SHIFTS[0].end + H, "layer 1")
    assert (
        parse_events(rules.ical([moved], calendar_name="Ops", uid_prefix="m7", now=NOW))[0]["UID"]
        == uids[0]
    )


def test_ical_of_a_timeline_from_a_schedule() -> None:
    s = one_layer("Europe/Berlin", Rotation(("ann", "bob"), date(2026, 3, 27), time(8)))
    mine = rules.of("ann", shifts(s, utc(2026, 3, 27), utc(2026, 4, 3, 6)))
    events = parse_events(rules.ical(mine, calendar_name="Ops", uid_prefix="m", now=NOW))
    assert [(stamp(e["DTSTART"]), stamp(e["DTEND"])) for e in events] == [
        (utc(2026, 3, 27, 7), utc(2026, 3, 28, 7)),
        (utc(2026, 3, 29, 6), utc(2026, 3, 30, 6)),
        (utc(2026, 3, 31, 6), utc(2026, 4, 1, 6)),
        (utc(2026, 4, 2, 6), utc(2026, 4, 3, 6)),
    ]


def test_ical_with_no_shifts_is_an_empty_calendar() -> None:
    text = rules.ical([], calendar_name="Ops", uid_prefix="m", now=NOW)
    assert unfold(text) == [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//Murphy//On-call//EN",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
        "X-WR-CALNAME:Ops",
        "END:VCALENDAR",
    ]


@pytest.mark.parametrize(
    ("line", "physical"),
    [
        ("x" * 75, ["x" * 75]),
        ("x" * 76, ["x" * 75, " x"]),
        ("x" * 74 + "é", ["x" * 74, " é"]),  # é is 2 octets: it does not fit in the 75th
        ("x" * 73 + "é", ["x" * 73 + "é"]),
        ("x" * 72 + "🌙y", ["x" * 72, " 🌙y"]),  # 4 octets
        ("x" * 75 + "y" * 74 + "z", ["x" * 75, " " + "y" * 74, " z"]),
    ],
)
def test_fold(line: str, physical: list[str]) -> None:
    assert rules.fold(line).split("\r\n") == physical


@given(st.text(st.characters(exclude_characters="\r\n", exclude_categories=["Cs"]), max_size=400))
def test_folding_keeps_the_text_and_the_limit(line: str) -> None:
    physical = rules.fold(line).split("\r\n")
    assert physical[0] + "".join(p.removeprefix(" ") for p in physical[1:]) == line
    assert all(p.startswith(" ") for p in physical[1:])
    assert all(len(p.encode("utf-8")) <= 75 for p in physical)


def test_ical_parses_with_the_icalendar_package_if_present() -> None:
    icalendar = pytest.importorskip("icalendar")
    text = rules.ical(SHIFTS, calendar_name=LONG_NAME, uid_prefix="m7", now=NOW)
    cal = icalendar.Calendar.from_ical(text)
    events = list(cal.walk("VEVENT"))
    assert [(e.decoded("DTSTART"), e.decoded("DTEND")) for e in events] == [
        (x.start, x.end) for x in SHIFTS
    ]
    assert str(events[0]["SUMMARY"]) == "On call: " + LONG_NAME


# --- what is refused ------------------------------------------------------------------------


@pytest.mark.parametrize(
    "zone", ["Mars/Olympus", "europe/berlin", "", "../etc/passwd", "/etc/localtime"]
)
def test_an_unknown_time_zone_is_refused(zone: str) -> None:
    with pytest.raises(ValidationFailed, match="unknown time zone") as caught:
        Schedule(zone)
    assert "Europe/Berlin" in caught.value.detail
    with pytest.raises(ValidationFailed):
        rules.validate_zone(zone)
    assert rules.validate_zone("America/New_York") == NEW_YORK


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: Rotation((), date(2026, 1, 1)), "a rotation needs at least one participant"),
        (
            lambda: Rotation(("ann", " "), date(2026, 1, 1)),
            "a participant of a rotation has an empty name",
        ),
        (
            lambda: Rotation(("ann",), date(2026, 1, 1), length=0),
            "a shift lasts 1 to 365 days, not 0",
        ),
        (
            lambda: Rotation(("ann",), date(2026, 1, 1), length=366),
            "a shift lasts 1 to 365 days, not 366",
        ),
        (
            lambda: Rotation(("ann",), date(2026, 1, 1), length=0, unit="hours"),
            "a shift lasts 1 to 8760 hours, not 0",
        ),
        (
            lambda: Rotation(("ann",), date(2026, 1, 1), unit="weeks"),
            "counted in 'days' or 'hours', not 'weeks'",
        ),  # type: ignore[arg-type]
        (
            lambda: Rotation(("ann",), date(2026, 1, 1), time(8, tzinfo=UTC)),
            "give it without a time zone",
        ),
        (
            lambda: Window(frozenset(), time(18), time(8)),
            "a restriction window needs at least one day",
        ),
        (lambda: Window(frozenset({0, 7}), time(18), time(8)), "0 (Monday) to 6 (Sunday), not 7"),
        (lambda: Window(WEEKDAYS, time(18, tzinfo=UTC), time(8)), "give them without a time zone"),
        (
            lambda: Override(utc(2026, 5, 2), utc(2026, 5, 1), "zed"),
            "an override must end after it starts: it starts at 2026-05-02 00:00 UTC and ends at 2026-05-01 00:00 UTC",
        ),
        (
            lambda: Override(utc(2026, 5, 1), utc(2026, 5, 1), "zed"),
            "an override must end after it starts",
        ),
        (
            lambda: Override(utc(2026, 5, 1), utc(2026, 5, 2), ""),
            "an override needs the person who takes over",
        ),
        (
            lambda: rules.parse_clock("25:00", what="the handoff time"),
            "the handoff time must be a time of day like 08:00 or 18:30, not '25:00'",
        ),
        (lambda: rules.parse_clock("8h"), "must be a time of day"),
        (
            lambda: shifts(Schedule("UTC"), utc(2026, 5, 2), utc(2026, 5, 1)),
            "the period ends (2026-05-01 00:00 UTC) before it starts",
        ),
    ],
)
def test_mistakes_are_refused_with_a_sentence(make: object, message: str) -> None:
    with pytest.raises(ValidationFailed) as caught:
        make()  # type: ignore[operator]
    assert message in caught.value.detail
    assert caught.value.status == 422


def test_clock_times_are_read() -> None:
    assert rules.parse_clock("08:00") == time(8)
    assert rules.parse_clock(" 8:05 ") == time(8, 5)
    assert rules.parse_clock("23:59") == time(23, 59)
    assert rules.parse_clock("00:00") == time(0)


def test_windows_describe_themselves() -> None:
    assert Window(WEEKDAYS, time(18), time(8)).describe() == (
        "Monday, Tuesday, Wednesday, Thursday, Friday 18:00-08:00 (next day)"
    )
    assert Window(WEEKEND, time(0), time(0)).describe() == "Saturday, Sunday all day"
    assert Window(frozenset({2}), time(9), time(17)).describe() == "Wednesday 09:00-17:00"


def test_naive_datetimes_are_refused() -> None:
    s = one_layer("UTC", Rotation(("ann",), date(2026, 1, 1)))
    naive = datetime(2026, 5, 1, 12)
    with pytest.raises(ValueError, match="has no time zone"):
        on_call(s, naive)
    with pytest.raises(ValueError, match="the start of the period"):
        shifts(s, naive, utc(2026, 5, 2))
    with pytest.raises(ValueError, match="the end of the period"):
        shifts(s, utc(2026, 5, 1), naive)
    with pytest.raises(ValueError, match="the override's start"):
        Override(naive, utc(2026, 5, 2), "zed")
    with pytest.raises(ValueError, match="now"):
        rules.ical([], calendar_name="Ops", uid_prefix="m", now=naive)


def test_other_zones_give_the_same_instants() -> None:
    s = one_layer("Europe/Berlin", Rotation(("ann", "bob"), date(2026, 3, 27), time(8)))
    tokyo = ZoneInfo("Asia/Tokyo")
    assert on_call(s, utc(2026, 3, 28, 7).astimezone(tokyo)) == "bob"
    assert shifts(s, utc(2026, 3, 28, 7).astimezone(tokyo), utc(2026, 3, 28, 8)) == shifts(
        s, utc(2026, 3, 28, 7), utc(2026, 3, 28, 8)
    )
