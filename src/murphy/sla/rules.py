"""Priority and service-target arithmetic. Pure: no session, no I/O.

Impact and urgency run from 1 (the worst) to 5 (the least); so does priority (P1 the
most urgent). The matrix maps impact x urgency to a priority.
"""

from __future__ import annotations

import math

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
