"""Pure rules about sites and places."""

from __future__ import annotations

import re

from murphy.core.errors import ValidationFailed

_CODE = re.compile(r"^[A-Z0-9][A-Z0-9_-]{0,23}$")


def normalize_code(value: str, *, what: str = "code", max_len: int = 16) -> str:
    """An upper-case code of letters, digits, '-' and '_', or a clear error."""
    code = value.strip().upper()
    if not _CODE.match(code) or len(code) > max_len:
        raise ValidationFailed(
            f"invalid {what} {value!r}: use 1-{max_len} letters, digits, '-' or '_'"
        )
    return code


def place_label(building: str | None, floor: str | None, zone: str | None, detail: str) -> str:
    """A short human label for a place: 'Main building · Floor 2 · ER triage · by the lifts'."""
    parts = [p for p in (building, floor, zone, detail.strip() or None) if p]
    return " · ".join(parts)


Point = tuple[float, float]

MAX_OUTLINE_POINTS = 200
MAX_PLAN_SIDE = 12_000  # pixels: a floor plan larger than this is a scan to be scaled down


def check_plan_size(width: int, height: int) -> None:
    """A floor plan's picture must be big enough to draw on and small enough to send."""
    if width < 100 or height < 100:
        raise ValidationFailed(f"the plan is {width}×{height} pixels: at least 100×100 is needed")
    if max(width, height) > MAX_PLAN_SIDE:
        raise ValidationFailed(
            f"the plan is {width}×{height} pixels: scale it down to at most "
            f"{MAX_PLAN_SIDE} pixels a side"
        )


def check_outline(points: list[Point], *, width: int, height: int) -> list[Point]:
    """A zone's outline on its floor plan: 3 to 200 corners, each on the picture
    (pixels from its top-left corner), enclosing some area. Returns the corners rounded
    to a tenth of a pixel, without a repeated closing corner."""
    corners = [(round(x, 1), round(y, 1)) for x, y in points]
    if len(corners) > 1 and corners[0] == corners[-1]:
        corners.pop()
    if len(corners) < 3:
        raise ValidationFailed("an outline needs at least 3 corners")
    if len(corners) > MAX_OUTLINE_POINTS:
        raise ValidationFailed(f"an outline has at most {MAX_OUTLINE_POINTS} corners")
    for x, y in corners:
        if not (0 <= x <= width and 0 <= y <= height):
            raise ValidationFailed(
                f"corner ({x:g}, {y:g}) is off the plan, which is {width}×{height} pixels"
            )
    if abs(_area(corners)) < 1:
        raise ValidationFailed("the outline encloses no area: its corners are on one line")
    return corners


def centre(points: list[Point]) -> Point:
    """Where to put a marker for a zone: its outline's centroid (the mean of the corners
    when the outline is degenerate)."""
    area = _area(points)
    if abs(area) < 1e-9:
        n = len(points)
        return (sum(x for x, _ in points) / n, sum(y for _, y in points) / n)
    cx = cy = 0.0
    for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True):
        cross = x0 * y1 - x1 * y0
        cx += (x0 + x1) * cross
        cy += (y0 + y1) * cross
    return (round(cx / (6 * area), 1), round(cy / (6 * area), 1))


def _area(points: list[Point]) -> float:
    """The signed area of a polygon (shoelace formula)."""
    return (
        sum(
            x0 * y1 - x1 * y0
            for (x0, y0), (x1, y1) in zip(points, points[1:] + points[:1], strict=True)
        )
        / 2
    )
