"""Charts as inline SVG: pure functions from numbers to markup, every text escaped.

Colours come from CSS (classes `ch-*` in static/analytics.css, which use the page's
variables), so the charts follow the light and dark themes and print black on white.
Each chart has a <title> and <desc> and each mark a <title> with its number."""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
ROW = 40  # height of a bar row: its label, then the bar
BARS_W = 360  # narrow, so that a phone shows the labels at a readable size
WIDTH = 640
MAP_W = 420  # narrow, so that a phone shows the place names at a readable size


def _e(text: object) -> str:
    return escape(str(text), quote=True)


def _open(width: int, height: int, title: str, desc: str, css: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart {css}" '
        f'viewBox="0 0 {width} {height}" role="img" aria-label="{_e(title)}: {_e(desc)}" '
        f'preserveAspectRatio="xMinYMin meet">'
        f"<title>{_e(title)}</title><desc>{_e(desc)}</desc>"
    )


def _short(text: str, limit: int = 44) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def bars(items: Sequence[tuple[str, float]], *, title: str, unit: str = "") -> str:
    """A bar list: per item its label, then a bar as long as its number, the number after.
    Labels sit above the bars so that they keep the whole width on a phone."""
    if not items:
        return _empty(title)
    top = max(v for _, v in items) or 1
    height = ROW * len(items) + 4
    span = BARS_W - 50
    desc = "; ".join(f"{label}: {_num(v)}{unit}" for label, v in items)
    out = [_open(BARS_W, height, title, desc, "ch-bars")]
    for i, (label, value) in enumerate(items):
        y = i * ROW
        w = max(2.0, span * value / top) if value else 0
        out.append(
            f"<g><title>{_e(label)}: {_e(_num(value))}{_e(unit)}</title>"
            f'<text class="ch-label" x="0" y="{y + 15}">{_e(_short(label))}</text>'
            f'<rect class="ch-bar" x="0" y="{y + 20}" width="{w:.1f}" height="14" rx="2"/>'
            f'<text class="ch-value" x="{w + 6:.1f}" y="{y + 32}">'
            f"{_e(_num(value))}{_e(unit)}</text></g>"
        )
    out.append("</svg>")
    return "".join(out)


def columns(items: Sequence[tuple[str, int]], *, title: str) -> str:
    """Counts over time as columns, the first, middle and last dates written under them."""
    if not items:
        return _empty(title)
    height, base, left = 200, 170, 40
    top = max(v for _, v in items) or 1
    step = (WIDTH - left - 10) / len(items)
    desc = f"{len(items)} periods from {items[0][0]} to {items[-1][0]}; highest {top}"
    out = [_open(WIDTH, height, title, desc, "ch-columns"), _axis(left, base, top)]
    for i, (label, value) in enumerate(items):
        h = (base - 10) * value / top
        x = left + i * step
        out.append(
            f'<rect class="ch-bar" x="{x + step * 0.1:.1f}" y="{base - h:.1f}" '
            f'width="{max(step * 0.8, 1):.1f}" height="{h:.1f}">'
            f"<title>{_e(label)}: {value}</title></rect>"
        )
    for i in sorted({0, len(items) // 2, len(items) - 1}):
        anchor = "start" if i == 0 else ("end" if i == len(items) - 1 else "middle")
        x = left + i * step + (0 if i == 0 else step if anchor == "end" else step / 2)
        out.append(
            f'<text class="ch-label" x="{x:.1f}" y="{base + 20}" text-anchor="{anchor}">'
            f"{_e(items[i][0])}</text>"
        )
    out.append("</svg>")
    return "".join(out)


def _axis(left: int, base: int, top: int) -> str:
    return (
        f'<line class="ch-axis" x1="{left}" y1="{base}" x2="{WIDTH - 10}" y2="{base}"/>'
        f'<text class="ch-label" x="{left - 6}" y="{base}" text-anchor="end">0</text>'
        f'<text class="ch-label" x="{left - 6}" y="14" text-anchor="end">{top}</text>'
        f'<line class="ch-grid" x1="{left}" y1="10" x2="{WIDTH - 10}" y2="10"/>'
    )


def heat_map(grid: Sequence[Sequence[int]], *, title: str) -> str:
    """A 7×24 hour-of-week grid (Monday first), darker for more, with a legend."""
    cell, left, head = 24, 44, 22
    width, height = left + 24 * cell + 4, head + 7 * cell + 44
    top = max((v for row in grid for v in row), default=0)
    busiest = _busiest(grid)
    desc = f"Incidents by weekday and local hour; most {top}" + (f" ({busiest})" if top else "")
    out = [_open(width, height, title, desc, "ch-heat")]
    for hour in range(0, 24, 3):
        x = left + hour * cell + cell / 2
        out.append(
            f'<text class="ch-label" x="{x}" y="{head - 6}" text-anchor="middle">{hour:02d}</text>'
        )
    for d, row in enumerate(grid):
        y = head + d * cell
        out.append(
            f'<text class="ch-label" x="{left - 6}" y="{y + 16}" text-anchor="end">{DAYS[d]}</text>'
        )
        for hour, value in enumerate(row):
            out.append(
                f'<rect class="ch-cell" x="{left + hour * cell}" y="{y}" width="{cell - 2}" '
                f'height="{cell - 2}" fill-opacity="{_shade(value, top):.2f}">'
                f"<title>{DAYS[d]} {hour:02d}:00–{hour:02d}:59: {value}</title></rect>"
            )
    out.append(_legend(left, head + 7 * cell + 12, top))
    out.append("</svg>")
    return "".join(out)


def _legend(x: int, y: int, top: int) -> str:
    parts = [f'<text class="ch-label" x="{x}" y="{y + 14}">Fewer</text>']
    for i in range(5):
        share = i / 4
        parts.append(
            f'<rect class="ch-cell" x="{x + 50 + i * 26}" y="{y}" width="22" height="18" '
            f'fill-opacity="{_shade(share * top, top) if top else 0.06:.2f}"/>'
        )
    parts.append(
        f'<text class="ch-label" x="{x + 50 + 5 * 26 + 4}" y="{y + 14}">'
        f"More (0 to {top} a cell)</text>"
    )
    return "".join(parts)


def _shade(value: float, top: float) -> float:
    return 0.06 if not value or not top else 0.18 + 0.82 * value / top


def _busiest(grid: Sequence[Sequence[int]]) -> str:
    best = max(
        ((v, d, h) for d, row in enumerate(grid) for h, v in enumerate(row)), default=(0, 0, 0)
    )
    return f"{DAYS[best[1]]} {best[2]:02d}:00"


def hot_map(spots: Sequence[tuple[str, float, float, int]], *, title: str) -> str:
    """Places (label, latitude, longitude, count) as circles on a plain plane, larger and
    darker for more incidents, the busiest labelled; north up, distances kept (a site is
    small enough for a flat projection)."""
    if not spots:
        return _empty(title)
    lat0 = sum(s[1] for s in spots) / len(spots)
    squeeze = math.cos(math.radians(lat0))
    xs = [lon * squeeze for _, _, lon, _ in spots]
    ys = [-lat for _, lat, _, _ in spots]
    dx, dy = max(xs) - min(xs), max(ys) - min(ys)
    width, pad, tallest = MAP_W, 44, 300
    inner = width - 2 * pad
    scale = min(inner / dx if dx else math.inf, tallest / dy if dy else math.inf)
    scale = 0 if math.isinf(scale) else scale  # one place: in the middle
    height = int(max(dy * scale, 160)) + 2 * pad
    left = pad + (inner - dx * scale) / 2
    up = pad + (height - 2 * pad - dy * scale) / 2
    points = [
        (left + (x - min(xs)) * scale, up + (y - min(ys)) * scale)
        for x, y in zip(xs, ys, strict=True)
    ]
    top = max(s[3] for s in spots) or 1
    ranked = sorted(range(len(spots)), key=lambda i: -spots[i][3])
    desc = "; ".join(f"{spots[i][0]}: {spots[i][3]}" for i in ranked[:8])
    out = [_open(width, height, title, desc, "ch-hotmap")]
    out.append(f'<rect class="ch-ground" x="0" y="0" width="{width}" height="{height}" rx="6"/>')
    for i in ranked:  # the biggest first, so that the smaller ones stay on top
        label, _, _, count = spots[i]
        x, y = points[i]
        r = 6 + 22 * math.sqrt(count / top)
        out.append(
            f'<circle class="ch-spot" cx="{x:.1f}" cy="{y:.1f}" r="{r:.1f}" '
            f'fill-opacity="{_shade(count, top):.2f}"><title>{_e(label)}: {count}</title></circle>'
        )
    for i in ranked[:8]:
        label, _, _, count = spots[i]
        x, y = points[i]
        r = 6 + 22 * math.sqrt(count / top)
        anchor = "end" if x > width / 2 else "start"
        dx = -(r + 4) if anchor == "end" else r + 4
        out.append(
            f'<text class="ch-label ch-map-label ch-halo" x="{x + dx:.1f}" y="{y + 6:.1f}" '
            f'text-anchor="{anchor}">{_e(_short(label, 20))} {count}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def hot_plan(
    url: str,
    size: tuple[int, int],
    zones: Sequence[tuple[str, int, Sequence[tuple[float, float]], tuple[float, float]]],
    *,
    title: str,
) -> str:
    """A floor plan picture with its drawn zones (label, count, outline, centre) filled
    darker for more incidents and the count written in each busy one."""
    width, height = size
    top = max((z[1] for z in zones), default=0) or 1
    font = max(width, height) / 24
    busy = sorted((z for z in zones if z[1]), key=lambda z: -z[1])
    desc = "; ".join(f"{label}: {count}" for label, count, _, _ in busy[:8]) or "No incidents"
    out = [_open(width, height, title, desc, "ch-plan")]
    out.append(f'<image href="{_e(url)}" x="0" y="0" width="{width}" height="{height}"/>')
    for label, count, outline, _ in zones:
        points = " ".join(f"{x:.1f},{y:.1f}" for x, y in outline)
        shade = _shade(count, top) * 0.8 if count else 0
        out.append(
            f'<polygon class="ch-zone" points="{points}" fill-opacity="{shade:.2f}">'
            f"<title>{_e(label)}: {count}</title></polygon>"
        )
    for _, count, _, (x, y) in busy:
        out.append(
            f'<text class="ch-zone-n ch-halo" x="{x:.1f}" y="{y + font / 3:.1f}" '
            f'text-anchor="middle" font-size="{font:.0f}">{count}</text>'
        )
    out.append("</svg>")
    return "".join(out)


def _empty(title: str) -> str:
    return (
        _open(WIDTH, 40, title, "No incidents in this period", "ch-empty")
        + '<text class="ch-label" x="8" y="25">No incidents in this period</text></svg>'
    )


def _num(value: float) -> str:
    return f"{value:.0f}" if float(value).is_integer() else f"{value:.1f}"


def duration(seconds: float | None) -> str:
    """Seconds as a short human duration: 45 s, 12 min, 3 h 20 min, 2 d 4 h; '—' if none."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return f"{s} s"
    if s < 3600:
        return f"{s // 60} min"
    if s < 86400:
        h, m = divmod(s // 60, 60)
        return f"{h} h {m} min" if m else f"{h} h"
    d, h = divmod(s // 3600, 24)
    return f"{d} d {h} h" if h else f"{d} d"
