"""Pure report rules: notes that say nothing, quiet shifts, shift and day windows (DST),
and the Latin-1 text of the PDF."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from murphy.reports import rules
from murphy.reports.render import latin1

BERLIN = ZoneInfo("Europe/Berlin")


@pytest.mark.parametrize(
    ("text", "empty"),
    [
        ("all quiet", True),
        ("All quiet.", True),
        ("NTR", True),
        ("N.T.R.", True),
        ("Nothing to report", True),
        ("nothing to report!", True),
        ("no issues", True),
        ("No incidents to report", True),
        ("patrol completed", True),
        ("Rounds done", True),
        ("All quiet. NTR", True),
        ("ok", True),
        ("   ", True),
        ("Patrol completed, door 3 found open and locked", False),
        ("All quiet except the car park barrier is stuck", False),
        ("Fire alarm at B2, false alarm, reset at 03:10", False),
        ("NTR - but CCTV camera 4 is offline", False),
        ("Contractor left at 18:00", False),
    ],
)
def test_says_nothing(text: str, empty: bool) -> None:
    assert rules.says_nothing(text) is empty


def test_quiet_shift_needs_notes_and_all_of_them_empty() -> None:
    assert rules.quiet_shift(["all quiet", "NTR", "patrol completed"])
    assert not rules.quiet_shift(["all quiet", "Gate 2 left open, closed it"])
    assert not rules.quiet_shift([])


@pytest.mark.parametrize(
    ("now", "start", "end"),
    [
        # Day shift 07-19 Berlin (CET, UTC+1) ended at 18:00 UTC.
        (datetime(2026, 11, 28, 20, 0, tzinfo=UTC), (11, 28, 6), (11, 28, 18)),
        # Mid-morning: the night shift 19-07 ended at 06:00 UTC.
        (datetime(2026, 11, 28, 12, 0, tzinfo=UTC), (11, 27, 18), (11, 28, 6)),
        # Just after midnight: the day shift of yesterday.
        (datetime(2026, 11, 28, 0, 30, tzinfo=UTC), (11, 27, 6), (11, 27, 18)),
        # The night clocks go forward (29 March 2026): 19:00 CET to 07:00 CEST is 11 h.
        (datetime(2026, 3, 29, 8, 0, tzinfo=UTC), (3, 28, 18), (3, 29, 5)),
        # The night clocks go back (25 October 2026): 19:00 CEST to 07:00 CET is 13 h.
        (datetime(2026, 10, 25, 9, 0, tzinfo=UTC), (10, 24, 17), (10, 25, 6)),
    ],
)
def test_last_shift(now: datetime, start: tuple[int, int, int], end: tuple[int, int, int]) -> None:
    got = rules.last_shift(now, BERLIN)
    assert got == (
        datetime(2026, *start, tzinfo=UTC),
        datetime(2026, *end, tzinfo=UTC),
    )


def test_day_window_follows_local_midnight_and_dst() -> None:
    start, end = rules.day_window(date(2026, 11, 20), BERLIN)
    assert start == datetime(2026, 11, 19, 23, 0, tzinfo=UTC)
    assert end - start == timedelta(hours=24)
    short_start, short_end = rules.day_window(date(2026, 3, 29), BERLIN)
    assert short_end - short_start == timedelta(hours=23)


def test_month_window() -> None:
    start, end = rules.month_window(2026, 12, BERLIN)
    assert start == datetime(2026, 11, 30, 23, 0, tzinfo=UTC)
    assert end == datetime(2026, 12, 31, 23, 0, tzinfo=UTC)


def test_latin1_maps_what_core_fonts_cannot_show() -> None:
    assert latin1("A → B “quoted” – 5 € … Zoë 漢") == 'A -> B "quoted" - 5 EUR ... Zoë ?'
    assert latin1(42) == "42"


def test_short_cuts_with_an_ellipsis() -> None:
    assert rules.short("a  b\nc") == "a b c"
    assert rules.short("x" * 200, 10) == "x" * 9 + "\u2026"


def test_most_urgent_lists_the_highest_priority_then_the_oldest_and_counts_the_rest() -> None:
    from types import SimpleNamespace

    t0 = datetime(2026, 11, 1, tzinfo=UTC)
    found = [
        SimpleNamespace(number=f"N{i}", priority=p, reported_at=t0 + timedelta(hours=i))
        for i, p in enumerate([3, 1, None, 1, 2])
    ]
    shown, more = rules.most_urgent(found, limit=3)
    assert [i.number for i in shown] == ["N1", "N3", "N4"]
    assert more.startswith("The 3 most urgent of 5 are listed") and "2 more" in more
    assert rules.most_urgent(found, limit=5) == (
        sorted(found, key=lambda i: (i.priority or 9, i.reported_at)),
        "",
    )
