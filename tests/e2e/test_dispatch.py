"""A dispatcher and an officer, each in their own Chromium: the dispatcher sends a unit,
the officer's phone shows the assignment without a reload, the officer taps through it,
and the dispatcher's incident page and unit board follow without a reload."""

from __future__ import annotations

from typing import Any

from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn, IncidentCreate, PlaceIn, Status, TransitionIn
from murphy.units import service as units_service
from murphy.units.schemas import UnitIn
from tests.e2e.conftest import sign_in
from tests.factories import Factory

PHONE = {"width": 390, "height": 844}
HERE = {"latitude": 52.5205, "longitude": 13.4049}


def test_dispatcher_assigns_and_the_officer_works_it_live(
    new_page: Any, factory: Factory, csp_violations: list[str]
) -> None:
    number = _night(factory)
    dana = factory.user("dana2", "dispatcher", ["HQ"])

    officer = new_page(PHONE, geolocation=HERE, permissions=["geolocation"])
    sign_in(officer, "olu", "/officer")
    officer.get_by_text("Live", exact=True).wait_for(timeout=5000)
    assert officer.get_by_text("No assignment").is_visible()
    officer.evaluate("window.__same_page = true")

    board = new_page()
    sign_in(board, "dana", "/units")
    board.get_by_text("Live", exact=True).wait_for(timeout=5000)
    board.evaluate("window.__same_page = true")

    desk = new_page()
    sign_in(desk, "dana", f"/incidents/{number}")
    desk.get_by_role("button", name="Send A12").click()
    desk.wait_for_url(f"**/incidents/{number}#units")
    desk.get_by_text("Live", exact=True).wait_for(timeout=5000)
    desk.evaluate("window.__same_page = true")

    # the officer's phone shows the assignment by itself
    officer.get_by_text("New assignment").wait_for(timeout=5000)
    assert officer.evaluate("window.__same_page === true"), "the officer's page was reloaded"
    assert officer.get_by_text("Man down in the lobby").is_visible()
    row = board.locator("[data-unit=A12]")
    row.get_by_text("Dispatched").wait_for(timeout=5000)
    assert row.get_by_text(number).is_visible()

    # one-handed: acknowledge, then on scene
    officer.get_by_role("button", name="Acknowledge").click()
    officer.get_by_text("My assignment").wait_for()
    officer.get_by_role("button", name="On scene").click()
    officer.wait_for_load_state()
    assert officer.get_by_role("button", name="On scene").get_attribute("aria-pressed") == "true"

    # the dispatcher's incident page and board follow without a reload
    units = desk.locator("#units")
    units.get_by_text("On scene", exact=True).wait_for(timeout=5000)
    assert desk.evaluate("window.__same_page === true"), "the incident page was reloaded"
    assert "not acknowledged" not in units.inner_text()
    desk.locator("#timeline").get_by_text("A12 on scene", exact=True).wait_for(timeout=5000)
    row.get_by_text("On scene", exact=True).wait_for(timeout=5000)
    assert board.evaluate("window.__same_page === true"), "the board was reloaded"

    # the phone shares its position when asked (the browser has consent here)
    officer.get_by_role("button", name="Share my location while this page is open").click()
    officer.get_by_text("Sharing your location").wait_for(timeout=5000)
    with factory.db.transaction(write=False) as s:
        unit = units_service.get(s, principal=dana.principal, callsign="A12")
    assert unit.position is not None and unit.position.source == "gps"
    assert abs((unit.position.latitude or 0) - HERE["latitude"]) < 1e-6

    # the board's map draws it from the package's Leaflet, nothing fetched from outside
    outside: list[str] = []
    desk.on("request", lambda r: outside.append(r.url) if "127.0.0.1" not in r.url else None)
    desk.goto("/board?site=HQ")
    desk.locator("[data-drawn]").wait_for()
    assert desk.locator("path.map-unit").count() == 1  # A12 by GPS; B7 never said where
    assert outside == []
    assert csp_violations == []


def _night(factory: Factory) -> str:
    """HQ with units A12 (officer olu's) and B7, and a triaged incident in the lobby."""
    factory.taxonomy()
    factory.site("HQ")
    dana = factory.user("dana", "dispatcher", ["HQ"])
    sam = factory.user("sam", "supervisor", ["HQ"])
    factory.user("olu", "officer", ["HQ"])
    with factory.db.transaction() as s:
        units_service.create(
            s,
            principal=sam.principal,
            data=UnitIn(callsign="A12", site="HQ", members=["olu"], on_duty=True),
        )
        units_service.create(
            s, principal=sam.principal, data=UnitIn(callsign="B7", site="HQ", on_duty=True)
        )
        created = incidents_service.report(
            s,
            principal=dana.principal,
            data=IncidentCreate(
                title="Man down in the lobby", site="HQ", place=PlaceIn(zone="LOBBY")
            ),
        )
        number = created.number
        triage.classify(
            s, principal=dana.principal, number=number, data=ClassifyIn(type="intrusion")
        )
        incidents_service.transition(
            s, principal=dana.principal, number=number, data=TransitionIn(to=Status.TRIAGED)
        )

    return number
