"""The dashboard's SVG charts: well-formed XML, escaped text, one heat-map cell per hour of
the week, something readable when there is no data, and the pure period rules."""

from __future__ import annotations

import re
from datetime import date
from xml.etree.ElementTree import Element

import pytest
from defusedxml.ElementTree import fromstring

from murphy.analytics import render, rules
from murphy.core.errors import ValidationFailed

SVG = "{http://www.w3.org/2000/svg}"


def parse(svg: str) -> Element:
    root: Element = fromstring(svg)
    assert root.tag == f"{SVG}svg"
    assert root.find(f"{SVG}title") is not None and root.find(f"{SVG}desc") is not None
    return root


def test_bars_escape_labels() -> None:
    svg = render.bars([("Fire <&> smoke", 3.0), ("Theft", 1.0)], title="By <type>")
    root = parse(svg)
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "Fire <&> smoke" in texts and "3" in texts
    assert root.find(f"{SVG}title").text == "By <type>"  # type: ignore[union-attr]
    assert "<&>" not in svg and "Fire &lt;&amp;&gt; smoke" in svg
    assert "Fire <&> smoke: 3" in root.get("aria-label", "")


def test_bars_are_as_long_as_their_counts() -> None:
    root = parse(render.bars([("A", 10.0), ("B", 5.0)], title="t"))
    widths = [float(r.get("width", 0)) for r in root.iter(f"{SVG}rect")]
    assert widths[0] == pytest.approx(2 * widths[1])


def test_heat_map_has_a_cell_per_hour_of_the_week_and_a_legend() -> None:
    grid = [[0] * 24 for _ in range(7)]
    grid[0][10] = 7
    root = parse(render.heat_map(grid, title="Hour of the week"))
    cells = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is not None]
    assert len(cells) == 7 * 24
    busiest = [c for c in cells if c.find(f"{SVG}title").text == "Mon 10:00–10:59: 7"]  # type: ignore[union-attr]
    assert len(busiest) == 1 and busiest[0].get("fill-opacity") == "1.00"
    legend = [r for r in root.iter(f"{SVG}rect") if r.find(f"{SVG}title") is None]
    assert len(legend) == 5
    assert "Mon 10:00" in root.get("aria-label", "")


def test_columns_name_the_first_and_last_period() -> None:
    root = parse(render.columns([("01 Oct", 2), ("02 Oct", 0), ("03 Oct", 5)], title="Per day"))
    texts = [t.text for t in root.iter(f"{SVG}text")]
    assert "01 Oct" in texts and "03 Oct" in texts and "5" in texts


@pytest.mark.parametrize(
    "svg",
    [
        render.bars([], title="By type"),
        render.columns([], title="Per day"),
    ],
)
def test_empty_charts_say_so(svg: str) -> None:
    root = parse(svg)
    assert "No incidents in this period" in [t.text for t in root.iter(f"{SVG}text")]


def test_empty_heat_map_is_well_formed() -> None:
    root = parse(render.heat_map([[0] * 24 for _ in range(7)], title="Hour of the week"))
    assert len(list(root.iter(f"{SVG}rect"))) == 7 * 24 + 5


def test_durations_for_people() -> None:
    assert [render.duration(s) for s in (None, 42, 600, 5400, 3600, 90000)] == [
        "—",
        "42 s",
        "10 min",
        "1 h 30 min",
        "1 h",
        "1 d 1 h",
    ]


def test_period_rules() -> None:
    today = date(2026, 11, 28)
    assert rules.period(None, None, today) == (date(2026, 10, 30), today)
    assert rules.previous(date(2026, 10, 1), date(2026, 10, 31)) == (
        date(2026, 8, 31),
        date(2026, 9, 30),
    )
    with pytest.raises(ValidationFailed, match="before the start"):
        rules.period(date(2026, 2, 2), date(2026, 2, 1), today)
    with pytest.raises(ValidationFailed, match="five years"):
        rules.period(date(2020, 1, 1), date(2026, 1, 1), today)
    assert rules.step_for(31) == "day" and rules.step_for(365) == "week"
    assert rules.step_for(1000) == "month"
    assert rules.buckets(date(2026, 1, 15), date(2026, 3, 2), "month") == [
        date(2026, 1, 1),
        date(2026, 2, 1),
        date(2026, 3, 1),
    ]


def test_percentiles_interpolate() -> None:
    assert rules.percentile([], 0.5) is None
    assert rules.percentile([60.0, 120.0, 300.0], 0.5) == 120.0
    assert rules.percentile([60.0, 120.0, 300.0], 0.9) == pytest.approx(264.0)
    assert rules.top([("a", "A", 5), ("b", "B", 3), ("c", "C", 1)], 1) == [
        ("a", "A", 5),
        ("other", "Other", 4),
    ]


def test_hot_map_draws_a_circle_per_place_the_biggest_first_and_labels_escaped() -> None:
    svg = render.hot_map(
        [
            ("Car park <east>", 52.519, 13.407, 2),
            ("Lobby", 52.5201, 13.4051, 9),
            ("Dock", 52.52, 13.405, 1),
        ],
        title="Hot spots",
    )
    parse(svg)  # well-formed, with a title and a description
    assert svg.count('class="ch-spot"') == 3
    assert svg.index("Lobby: 9") < svg.index("Car park &lt;east&gt;: 2")
    assert "<east>" not in svg
    radii = [
        float(r) for r in re.findall(r'class="ch-spot" cx="[\d.]+" cy="[\d.]+" r="([\d.]+)"', svg)
    ]
    assert radii == sorted(radii, reverse=True) and radii[0] == 28.0


def test_hot_map_of_one_place_and_of_none() -> None:
    parse(render.hot_map([("Lobby", 52.5, 13.4, 4)], title="Hot spots"))
    assert "No incidents in this period" in render.hot_map([], title="Hot spots")


def test_hot_plan_fills_busy_zones_and_writes_their_counts() -> None:
    square = [(0.0, 0.0), (10.0, 0.0), (10.0, 10.0), (0.0, 10.0)]
    svg = render.hot_plan(
        "/plans/a.png?v=1&x=2",
        (800, 600),
        [("Lobby", 4, square, (5.0, 5.0)), ("Dock", 0, square, (5.0, 5.0))],
        title="Hot spots: Tower A",
    )
    parse(svg)
    assert 'href="/plans/a.png?v=1&amp;x=2"' in svg
    assert svg.count("<polygon") == 2
    assert 'fill-opacity="0.00"' in svg  # the quiet dock is outlined only
    assert svg.count('class="ch-zone-n ch-halo"') == 1  # only the lobby's count is written
    assert 'viewBox="0 0 800 600"' in svg


@pytest.mark.parametrize(
    "spread",
    [(0.01, 0.0001), (0.0001, 0.01), (0.003, 0.004)],  # wide, tall, square
)
def test_hot_map_keeps_every_circle_inside_the_picture(spread: tuple[float, float]) -> None:
    dlat, dlon = spread
    places = [("NW", 52.5 + dlat, 13.4, 5), ("SE", 52.5, 13.4 + dlon, 5), ("C", 52.5, 13.4, 1)]
    root = parse(render.hot_map(places, title="Hot spots"))
    width, height = (float(v) for v in root.get("viewBox", "").split()[2:])
    for c in root.iter(f"{SVG}circle"):
        x, y, r = (float(c.get(k, "nan")) for k in ("cx", "cy", "r"))
        assert r <= x <= width - r and r <= y <= height - r
