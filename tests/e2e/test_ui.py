"""The web UI in a real browser: the whole life of an incident, and the report form on a phone."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.conftest import sign_in
from tests.factories import Factory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PHONE = {"width": 390, "height": 844}


def press(page: Any, label: str) -> None:
    """Press a button and wait for the page it leads to."""
    with page.expect_navigation():
        page.get_by_role("button", name=label, exact=True).click()


def status_of(page: Any) -> str:
    """The big status badge of the incident page."""
    return str(page.locator(".incident-head .badge").inner_text()).strip().lower()


def sign_out(page: Any) -> None:
    """Sign out through the header."""
    press(page, "Sign out")
    page.wait_for_url("**/login")


def test_the_whole_life_of_an_incident(
    new_page: Any, factory: Factory, csp_violations: list[str]
) -> None:
    factory.site("HQ")
    factory.user("dana", "dispatcher", ["HQ"])
    factory.user("sam", "supervisor", ["HQ"])
    page = new_page()

    sign_in(page, "dana")
    page.get_by_role("link", name="Report", exact=True).click()
    page.get_by_label("What happened?").fill("Smoke in stairwell B")
    page.get_by_label("Where").select_option(label="Building A › Floor 1 › Lobby")
    page.get_by_label("Exact spot").fill("next to the lifts")
    page.get_by_label("Details").fill("Caller smells burning plastic.")
    press(page, "Send report")
    assert re.search(r"/incidents/INC-\d{4}-\d{5}$", page.url)
    number = page.url.rsplit("/", 1)[1]
    assert status_of(page) == "new"
    assert "Building A · Floor 1 · Lobby · next to the lifts" in page.inner_text(".incident-head")

    press(page, "Triage")
    assert status_of(page) == "triaged"
    press(page, "Respond")
    assert status_of(page) == "responding"
    page.get_by_label("Note", exact=True).fill("Fire brigade on scene, stairwell evacuated.")
    press(page, "Add note")
    page.get_by_label("Resolution").select_option(label="False alarm")
    page.get_by_label("Summary").fill("A kettle left on in the 1st floor kitchen.")
    press(page, "Resolve")
    assert status_of(page) == "resolved"
    assert page.get_by_role("button", name="Close", exact=True).count() == 0  # not a dispatcher's

    sign_out(page)
    sign_in(page, "sam", f"/incidents/{number}")
    press(page, "Close")
    assert status_of(page) == "closed"

    timeline = page.inner_text("#timeline")
    steps = [
        "Reported via the web form",
        "Triaged",
        "Response started",
        "Note",
        "Resolved",
        "Closed",
    ]
    positions = [timeline.index(step) for step in steps]
    assert positions == sorted(positions), timeline
    for text in ("Fire brigade on scene", "False alarm", "A kettle left on", "Sam", "Dana"):
        assert text in timeline, text
    assert csp_violations == []


def test_the_report_form_on_a_phone(
    new_page: Any, factory: Factory, csp_violations: list[str]
) -> None:
    factory.site("HQ")
    factory.user("olu", "officer", ["HQ"])
    page = new_page(PHONE)
    sign_in(page, "olu", "/incidents/new")

    labels = ["What happened?", "Site", "Where", "Exact spot", "When it happened", "Details"]
    for label in labels:
        field = page.get_by_label(label, exact=label == "Site")
        field.scroll_into_view_if_needed()
        assert field.is_visible(), label
        box = field.bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], label
        assert box["height"] >= 44, f"{label} is too small to tap"
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the page scrolls sideways: {width}px"
    send = page.get_by_role("button", name="Send report")
    send.scroll_into_view_if_needed()
    assert send.is_visible() and send.is_enabled()
    assert (send.bounding_box() or {}).get("height", 0) >= 44

    page.get_by_label("What happened?").fill("Broken glass at the car park gate")
    page.get_by_label("Where").select_option(label="Car park")
    with page.expect_navigation():
        send.click()
    assert re.search(r"/incidents/INC-\d{4}-\d{5}$", page.url)
    assert "Broken glass at the car park gate" in page.inner_text("h1")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert csp_violations == []


def test_the_queue_on_a_phone_fits_its_width(
    new_page: Any, factory: Factory, csp_violations: list[str]
) -> None:
    factory.site("HQ", name="Riverside Headquarters and Logistics Campus (long name)")
    factory.site("DC", name="Noordhaven Data Centre and Network Operations Centre")
    dana = factory.user("dana", "dispatcher", ["HQ", "DC"])
    factory.incident(dana, title="Vehicle broken into in the multi-storey garage, level P4")
    page = new_page(PHONE)
    sign_in(page, "dana", "/incidents")
    for url in ("/incidents", "/incidents?status=all"):
        page.goto(url)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{url} scrolls sideways: {width}px"
        site_filter = page.locator("form.filters select")
        box = site_filter.bounding_box() or {}
        assert box.get("x", -1) >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert csp_violations == []
