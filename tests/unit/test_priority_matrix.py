"""The priority matrix: the default, and what a configured one must satisfy."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from murphy.core.errors import ValidationFailed
from murphy.sla import rules

levels = st.integers(min_value=1, max_value=5)


def test_default_is_itil_style() -> None:
    m = rules.default_matrix()
    assert m[0][0] == 1 and m[4][4] == 5
    assert rules.priority(m, 2, 1) == 1 and rules.priority(m, 3, 3) == 3
    assert rules.check_matrix(m) == m


@given(levels, levels, levels, levels)
def test_default_never_gets_more_urgent_as_things_ease(i: int, u: int, di: int, du: int) -> None:
    m = rules.default_matrix()
    worse = rules.priority(m, min(i, di), min(u, du))
    assert worse <= rules.priority(m, max(i, di), max(u, du))


@pytest.mark.parametrize(
    ("matrix", "fragment"),
    [
        ([[1] * 5] * 4, "5 rows"),
        ([[1] * 5] * 4 + [[1, 2, 3]], "impact 5"),
        ([[1, 2, 3, 4, 6]] + [[5] * 5] * 4, "urgency 5: 6"),
        ([[1, 1, 1, 1, "x"]] + [[5] * 5] * 4, "not a priority"),
        ([[3] * 5, [2] * 5, [3] * 5, [4] * 5, [5] * 5], "lesser impact must not raise"),
        ([[1, 3, 2, 4, 5]] + [[5] * 5] * 4, "lesser urgency must not raise"),
        ("P1", "5 rows"),
    ],
)
def test_invalid_matrices_name_the_problem(matrix: object, fragment: str) -> None:
    with pytest.raises(ValidationFailed, match=fragment):
        rules.check_matrix(matrix)


def test_out_of_range_levels_are_refused() -> None:
    with pytest.raises(ValidationFailed, match="1 \\(worst\\) to 5"):
        rules.priority(rules.default_matrix(), 0, 3)
