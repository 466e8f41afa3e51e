"""Hot spots on the analytics dashboard: with one site chosen, its buildings and zones with
coordinates carry their incident counts (for the map) and its busiest floor plans their
drawn zones' counts; restricted incidents count only for the cleared; all sites draw none.
The page shows the map and the plans as SVG."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from murphy.core.db import Database
from murphy.demo.plans import layout, png
from murphy.sites import service as sites_service
from murphy.sites.schemas import BuildingIn, FloorIn, OutlineIn, SiteIn, ZoneIn
from tests.api.conftest import HTML
from tests.api.test_analytics import OCTOBER, figures, make
from tests.api.test_pages import sign_in
from tests.factories import Account, Factory

LOBBY = (52.5201, 13.4051)
BUILDING = (52.5200, 13.4050)
CARPARK = (52.5190, 13.4070)


@pytest.fixture
def people(db: Database, factory: Factory) -> dict[str, Account]:
    factory.taxonomy()
    root = factory.user("root", "admin", all_sites=True, clearances=["safeguarding"])
    with db.transaction() as s:
        site = sites_service.create(s, data=SiteIn(code="HQ", name="HQ", timezone="Europe/Berlin"))
        b = sites_service.add_building(
            s,
            site=site,
            data=BuildingIn(code="A", name="Tower A", latitude=BUILDING[0], longitude=BUILDING[1]),
        )
        sites_service.add_floor(s, building=b, data=FloorIn(code="1", name="Ground", level=0))
        for code, where in (("LOBBY", LOBBY), ("DOCK", None)):
            coords = {"latitude": where[0], "longitude": where[1]} if where else {}
            data = ZoneIn(code=code, name=code.title(), building="A", floor="1", **coords)
            sites_service.add_zone(s, site=site, data=data)
        data = ZoneIn(code="CARPARK", name="Car park", latitude=CARPARK[0], longitude=CARPARK[1])
        sites_service.add_zone(s, site=site, data=data)
    rooms = layout(2)
    with db.transaction() as s:
        sites_service.set_plan(
            s,
            principal=root.principal,
            site="HQ",
            building_code="A",
            floor_code="1",
            upload=png(rooms),
        )
        for zone, (left, top, right, bottom) in zip(("LOBBY", "DOCK"), rooms, strict=True):
            corners = [(left, top), (right, top), (right, bottom), (left, bottom)]
            points = [(float(x), float(y)) for x, y in corners]
            sites_service.set_outline(
                s,
                principal=root.principal,
                site="HQ",
                zone_code=zone,
                data=OutlineIn(points=points),
            )
    factory.site("LAB")
    sam = factory.user("sam", "supervisor", ["HQ", "LAB"])
    for zone, n in (("LOBBY", 3), ("DOCK", 1), ("CARPARK", 2)):
        for _ in range(n):
            make(db, factory, root, zone=zone)
    make(db, factory, root, zone="CARPARK", type_code="assault")  # restricted
    make(db, factory, root, site="LAB", zone="LOBBY")
    return {"root": root, "sam": sam}


def spots(out: dict[str, Any]) -> dict[tuple[float, float], int]:
    return {(s["latitude"], s["longitude"]): s["count"] for s in out["hot_spots"]["spots"]}


def test_the_map_counts_each_place_with_coordinates(client: TestClient, people) -> None:
    out = figures(client, people["sam"], site="HQ")
    # The dock has no coordinates of its own: it is drawn at its building.
    assert spots(out) == {LOBBY: 3, BUILDING: 1, CARPARK: 2}
    labels = [s["label"] for s in out["hot_spots"]["spots"]]
    assert labels[0].endswith("Lobby")  # busiest first
    assert labels[1:] == ["Car park", "Tower A"]  # the dock's spot is named after its building


def test_the_floor_plan_counts_its_drawn_zones(client: TestClient, people) -> None:
    (plan,) = figures(client, people["sam"], site="HQ")["hot_spots"]["plans"]
    assert plan["name"] == "Tower A · Ground"
    assert plan["url"].startswith("/") and plan["width"] > 0
    assert {z["label"]: z["count"] for z in plan["zones"]} == {"Lobby": 3, "Dock": 1}
    lobby = next(z for z in plan["zones"] if z["label"] == "Lobby")
    assert len(lobby["outline"]) == 4


def test_restricted_incidents_count_only_for_the_cleared(client: TestClient, people) -> None:
    assert spots(figures(client, people["root"], site="HQ"))[CARPARK] == 3
    assert spots(figures(client, people["sam"], site="HQ"))[CARPARK] == 2


def test_all_sites_and_a_site_without_places_draw_none(client: TestClient, people) -> None:
    assert figures(client, people["sam"])["hot_spots"] is None
    assert figures(client, people["sam"], site="LAB")["hot_spots"] is None  # no coordinates


def test_the_page_draws_the_map_and_the_plan(client: TestClient, people) -> None:
    client.headers["accept"] = HTML
    sign_in(client, "sam")
    page = client.get("/analytics", params={**OCTOBER, "site": "HQ"})
    assert page.status_code == 200
    text = page.text
    assert "Hot spots on the site map" in text
    assert text.count('class="ch-spot"') == 3
    assert "<figcaption>Tower A · Ground</figcaption>" in text
    assert text.count('class="ch-zone"') == 2
    assert '<image href="/' in text
    everywhere = client.get("/analytics", params=OCTOBER).text
    assert "Choose a site to see its hot spots" in everywhere
