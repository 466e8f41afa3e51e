"""The rules of floor plans, without a database: outlines and where a zone's marker goes."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from murphy.core.errors import ValidationFailed
from murphy.sites import rules


def test_an_outline_is_rounded_and_loses_its_closing_corner() -> None:
    corners = [(10.04, 10.06), (50.0, 10.0), (50.0, 40.0), (10.04, 10.06)]
    assert rules.check_outline(corners, width=100, height=100) == [
        (10.0, 10.1),
        (50.0, 10.0),
        (50.0, 40.0),
    ]


@pytest.mark.parametrize(
    ("corners", "message"),
    [
        ([(0, 0), (10, 10)], "at least 3 corners"),
        ([(0, 0), (10, 10), (0, 0)], "at least 3 corners"),
        ([(0, 0), (10, 0), (101, 10)], "off the plan"),
        ([(0, 0), (10, 0), (5, -1)], "off the plan"),
        ([(0, 0), (5, 5), (10, 10)], "no area"),
        ([(float(i % 50), float(i // 50)) for i in range(201)], "at most 200"),
    ],
)
def test_bad_outlines_say_what_is_wrong(corners: list[tuple[float, float]], message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        rules.check_outline(corners, width=100, height=100)


@pytest.mark.parametrize(
    ("width", "height", "message"),
    [(99, 500, "at least 100×100"), (500, 99, "at least 100×100"), (12_001, 100, "scale it down")],
)
def test_plans_too_small_or_too_large(width: int, height: int, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        rules.check_plan_size(width, height)
    rules.check_plan_size(100, 12_000)  # the limits themselves are fine


def test_the_centre_of_an_l_shaped_zone_is_its_centroid() -> None:
    # An L: a 2x1 bar along the bottom and a 1x1 square on its left end (area 3).
    ell = [(0.0, 0.0), (2.0, 0.0), (2.0, 1.0), (1.0, 1.0), (1.0, 2.0), (0.0, 2.0)]
    x, y = rules.centre(ell)
    assert (x, y) == (pytest.approx(0.8, abs=0.05), pytest.approx(0.8, abs=0.05))
    assert rules.centre(list(reversed(ell))) == (x, y)  # either winding
    assert rules.centre([(0.0, 0.0), (4.0, 4.0), (8.0, 8.0)]) == (4.0, 4.0)  # degenerate: mean


@given(
    left=st.integers(0, 5000),
    top=st.integers(0, 5000),
    w=st.integers(1, 5000),
    h=st.integers(1, 5000),
)
def test_a_rectangle_s_centre_is_its_middle(left: int, top: int, w: int, h: int) -> None:
    box = [(left, top), (left + w, top), (left + w, top + h), (left, top + h)]
    x, y = rules.centre([(float(a), float(b)) for a, b in box])
    assert x == pytest.approx(left + w / 2, abs=0.06) and y == pytest.approx(top + h / 2, abs=0.06)
