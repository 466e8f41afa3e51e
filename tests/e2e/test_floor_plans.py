"""Floor plans in Chromium: an admin uploads a plan and draws a zone on it by clicking its
corners; the board's floor view then shows the incident and the unit in that zone, and
follows a change live, with nothing fetched from outside the server."""

from __future__ import annotations

from typing import Any

from murphy.demo.plans import layout, png
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentCreate, PlaceIn
from murphy.sites import service as sites_service
from murphy.units import service as units_service
from murphy.units.schemas import PositionIn, UnitIn
from tests.e2e.conftest import sign_in
from tests.factories import Factory


def test_an_admin_draws_a_zone_and_the_board_shows_the_floor_live(
    new_page: Any, factory: Factory, csp_violations: list[str], tmp_path: Any
) -> None:
    factory.taxonomy()
    factory.site("HQ")
    factory.user("ada", "admin", ["HQ"])
    dana = factory.user("dana", "dispatcher", ["HQ"])
    sam = factory.user("sam", "supervisor", ["HQ"])
    plan = tmp_path / "floor-1.png"
    plan.write_bytes(png(layout(4)))  # 1400 x 800

    admin = new_page()
    sign_in(admin, "ada", "/admin/places?site=HQ")
    admin.get_by_role("link", name="No plan: upload one for Floor 1").click()
    admin.get_by_label("Picture of the floor").set_input_files(str(plan))
    admin.get_by_role("button", name="Upload the plan").click()
    admin.get_by_text("Plan saved").wait_for()
    admin.locator("img.plan-image").wait_for()

    # draw the lobby: four corners, then click the first one again to close it
    admin.get_by_role("button", name="Draw Lobby").click()
    box = admin.locator("#plan").bounding_box()
    assert box is not None
    corners = [(0.3, 0.3), (0.6, 0.3), (0.6, 0.6), (0.3, 0.6), (0.3, 0.3)]
    for fx, fy in corners:
        admin.mouse.click(box["x"] + box["width"] * fx, box["y"] + box["height"] * fy)
    admin.get_by_role("status").get_by_text("Lobby drawn").wait_for()
    with factory.db.transaction(write=False) as s:
        (floor,) = [
            f
            for b in sites_service.detail(
                s, site=sites_service.get_or_raise(s, code="HQ")
            ).buildings
            for f in b.floors
            if f.code == "1"
        ]
    (lobby,) = floor.zones
    assert lobby.outline is not None and len(lobby.outline) == 4
    xs = [x for x, _ in lobby.outline]
    assert 0 < min(xs) < max(xs) < 1400  # on the plan, in its pixels

    # an incident in the lobby and a unit there: the board's floor view shows both
    with factory.db.transaction() as s:
        incidents_service.report(
            s,
            principal=dana.principal,
            data=IncidentCreate(
                title="Tailgating at the gates", site="HQ", place=PlaceIn(zone="LOBBY")
            ),
        )
        units_service.create(
            s, principal=sam.principal, data=UnitIn(callsign="A12", site="HQ", on_duty=True)
        )
    outside: list[str] = []
    board = new_page()
    board.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
    sign_in(board, "dana", "/board?site=HQ")
    tab = board.locator('[data-floor-tab="A/1"]')
    tab.locator("[data-floor-count]").wait_for()
    assert tab.locator("[data-floor-count]").inner_text() == "1"
    tab.click()
    board.wait_for_url("**/board?site=HQ&floor=A/1")
    board.locator('#map[data-drawn="1"]').wait_for()
    assert board.locator("path.map-incident").count() == 1
    assert board.locator("img.plan-image").count() == 1
    board.get_by_text("Live", exact=True).wait_for(timeout=5000)
    board.evaluate("window.__same_page = true")

    # the unit says it is in the lobby: it appears on the plan without a reload
    with factory.db.transaction() as s:
        units_service.report_position(
            s, principal=sam.principal, callsign="A12", data=PositionIn(zone="LOBBY")
        )
    board.locator('#map[data-drawn="2"]').wait_for(timeout=5000)
    assert board.locator("path.map-unit").count() == 1
    assert board.evaluate("window.__same_page === true"), "the board was reloaded"
    assert outside == []
    assert csp_violations == []
