"""The web UI in a real browser: the whole life of an incident, and the report form on a phone."""

from __future__ import annotations

import re
from datetime import date, timedelta
from typing import Any

import pytest
from PIL import Image

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


def _review_to_approval(page: Any, number: str) -> None:
    """Sam cannot close the P2 before its post-incident review is approved: he writes it
    with one corrective action and submits it; kim, who did not write it, approves it."""
    sign_out(page)
    sign_in(page, "sam", f"/incidents/{number}")
    press(page, "Close")
    assert status_of(page) == "resolved"
    assert "approved post-incident review" in page.inner_text("body")
    with page.expect_navigation():
        page.get_by_role("link", name="Post-incident review").first.click()
    page.get_by_label("Summary").fill("A kettle set off the smoke detector; evacuation went well.")
    page.get_by_label("Root causes (one a line)").fill("Kettle without automatic switch-off")
    press(page, "Save the review")
    page.get_by_text("Add a corrective action").click()
    page.get_by_label("Action", exact=True).fill("Replace the kitchen kettles")
    page.get_by_label("Owner").select_option("sam")
    due = (date.today() + timedelta(days=30)).isoformat()
    page.get_by_label("Due date").fill(due)
    press(page, "Add the action")
    assert "Replace the kitchen kettles" in page.inner_text("body")
    press(page, "Submit for approval")
    sign_out(page)
    sign_in(page, "kim", f"/incidents/{number}/review")  # not an author: may approve
    press(page, "Approve")
    assert "approved by kim" in page.inner_text("body")


def test_the_whole_life_of_an_incident(
    new_page: Any, factory: Factory, csp_violations: list[str]
) -> None:
    factory.taxonomy()
    factory.site("HQ")
    factory.user("dana", "dispatcher", ["HQ"])
    factory.user("sam", "supervisor", ["HQ"])
    factory.user("kim", "supervisor", ["HQ"])
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

    assert page.get_by_role("button", name="Triage", exact=True).is_disabled()
    assert "Classify it first" in page.inner_text(".sec-actions")
    page.get_by_label("Type").select_option(label="Theft")
    preview = page.locator("[data-priority-preview]")
    assert preview.is_visible() and "P3" in preview.inner_text()  # 3 x 3, before saving
    page.get_by_label("Urgency").select_option("1")
    assert "P2" in preview.inner_text()
    press(page, "Classify")
    assert page.locator(".incident-head .prio").inner_text() == "P2"
    assert "Security › Theft" in page.inner_text(".incident-head")
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

    _review_to_approval(page, number)
    page.goto(f"/incidents/{number}")
    press(page, "Close")
    assert status_of(page) == "closed"

    timeline = page.inner_text("#timeline")
    steps = [
        "Reported via the web form",
        "Classified",
        "Triaged",
        "Response started",
        "Note",
        "Resolved",
        "Review approved",
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
    factory.taxonomy()
    factory.site("HQ", name="Riverside Headquarters and Logistics Campus (long name)")
    factory.site("DC", name="Noordhaven Data Centre and Network Operations Centre")
    dana = factory.user("dana", "dispatcher", ["HQ", "DC"])
    factory.incident(dana, title="Vehicle broken into in the multi-storey garage, level P4")
    number = factory.incident(dana, title="Man climbing the perimeter fence by gate 3")
    page = new_page(PHONE)
    sign_in(page, "dana", f"/incidents/{number}")
    page.get_by_label("Type").select_option(label="Theft › Theft from a vehicle")
    with page.expect_navigation():
        page.get_by_role("button", name="Classify", exact=True).click()
    for url in ("/incidents", "/incidents?status=all", "/incidents?type=security&priority=3"):
        page.goto(url)
        width = page.evaluate("document.scrollingElement.scrollWidth")
        assert width <= PHONE["width"], f"{url} scrolls sideways: {width}px"
        for label in ("Site", "Type", "Priority"):
            box = page.locator("form.filters").get_by_label(label).bounding_box() or {}
            assert box.get("x", -1) >= 0 and box["x"] + box["width"] <= PHONE["width"], label
        for part in (".q-prio .prio", ".q-due .due"):
            box = page.locator(part).first.bounding_box() or {}
            assert box.get("x", -1) >= 0 and box["x"] + box["width"] <= PHONE["width"], part
    assert csp_violations == []


def test_the_incident_page_on_a_phone_fits_and_counts_down(
    new_page: Any, factory: Factory, csp_violations: list[str]
) -> None:
    factory.taxonomy()
    factory.site("HQ", name="Riverside Headquarters and Logistics Campus (long name)")
    dana = factory.user("dana", "dispatcher", ["HQ"])
    number = factory.incident(dana, title="Intruder seen on the roof of the multi-storey car park")
    page = new_page(PHONE)
    sign_in(page, "dana", f"/incidents/{number}")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    first = page.locator(".sec-actions").bounding_box() or {}
    assert first.get("y", 10_000) < PHONE["height"], "the next step is on the first screen"
    page.get_by_label("Type").select_option(label="Intrusion")
    with page.expect_navigation():
        page.get_by_role("button", name="Classify", exact=True).click()
    for selector in (".sec-tasks", ".sec-class", ".sec-clocks", "#timeline"):
        box = page.locator(selector).bounding_box() or {}
        assert box.get("x", -1) >= 0 and box["x"] + box["width"] <= PHONE["width"], selector
    width = page.evaluate("document.scrollingElement.scrollWidth")
    assert width <= PHONE["width"], f"the incident page scrolls sideways: {width}px"
    clock = page.locator(".incident-head .due-left").first
    page.wait_for_function(
        "el => / left$/.test(el.textContent)", arg=clock.element_handle(), timeout=3000
    )
    before = clock.inner_text()
    page.wait_for_timeout(1500)
    assert clock.inner_text() != before, "the countdown ticks"
    assert csp_violations == []


def test_a_dispatcher_follows_the_playbook_to_resolution(
    new_page: Any, factory: Factory, csp_violations: list[str]
) -> None:
    factory.taxonomy()
    factory.site("HQ")
    dana = factory.user("dana", "dispatcher", ["HQ"])
    factory.incident(dana, title="Man climbing the fence at the back gate")  # a similar one
    number = factory.incident(dana, title="Man climbing over the fence near the gate")
    page = new_page()
    sign_in(page, "dana", f"/incidents/{number}")
    assert "Man climbing the fence at the back gate" in page.inner_text("#similar")
    page.get_by_label("Type").select_option(label="Intrusion")
    press(page, "Classify")
    tasks = page.locator("#tasks")
    assert "0/3" in tasks.locator(".count").inner_text()
    for step in ("Secure the area", "Check whether the intruder is armed", "Review the CCTV"):
        assert step in tasks.inner_text(), step
    assert "Call the police" not in tasks.inner_text()

    page.locator("#task-secure").get_by_role("button", name="Done").click()
    page.wait_for_load_state()
    assert "done" in page.locator("#task-secure .task-result").inner_text()
    page.locator("#task-armed").get_by_role("button", name="Yes").click()
    page.wait_for_load_state()
    assert "Call the police" in page.inner_text("#tasks"), "the answer brought its step"

    press(page, "Triage")
    press(page, "Respond")
    resolve = page.get_by_role("button", name="Resolve", exact=True)
    assert resolve.is_disabled(), "a mandatory step is open"
    assert "Call the police" in page.inner_text(".blocked")

    page.locator("#task-police summary").click()
    page.locator("#task-police textarea").fill("Intruder left before we called; CCTV reviewed.")
    with page.expect_navigation():
        page.locator("#task-police").get_by_role("button", name="Skip this step").click()
    assert "Skipped" in page.inner_text("#task-police")
    assessment = page.locator("#assessment")
    assert "Needed before it can be resolved: immediate actions taken" in assessment.inner_text()
    assessment.get_by_label("Immediate actions taken").fill("Area searched, gate locked.")
    press(page, "Save the assessment")
    page.get_by_label("Resolution").select_option(label="Resolved")
    press(page, "Resolve")
    assert status_of(page) == "resolved"
    timeline = page.inner_text("#timeline")
    for text in ("Playbook", "Step done", "Step skipped", "Assessment recorded", "Resolved"):
        assert text in timeline, text
    assert csp_violations == []


@pytest.mark.parametrize("javascript", [True, False], ids=["js", "no-js"])
def test_a_member_of_the_public_reports_on_a_phone_and_follows_up(
    new_page: Any, factory: Factory, csp_violations: list[str], tmp_path: Any, javascript: bool
) -> None:
    factory.taxonomy()
    factory.site("HQ", name="Riverside HQ")
    dana = factory.user("dana", "dispatcher", ["HQ"])
    picture = tmp_path / "car.png"
    Image.new("RGB", (64, 48), (40, 90, 200)).save(picture)
    page = new_page(PHONE, javascript=javascript)
    page.goto("/report")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    trap = page.locator(".hp").bounding_box() or {}
    assert trap.get("x", 0) + trap.get("width", 0) <= 0, "the honeypot is out of sight"
    page.get_by_label("What happened?").fill("Man trying car doors")
    page.get_by_label("Where exactly").fill("Car park, level 2")
    page.locator("#photos").set_input_files(str(picture))
    press(page, "Send report")
    code = page.locator(".followup-code code").inner_text().strip()
    assert re.fullmatch(r"([0-9A-Z]{5}-){3}[0-9A-Z]{5}", code)
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]

    page.goto("/report/status")
    page.get_by_label("Follow-up code").fill(code.lower())
    press(page, "Show my report")
    assert "Received" in page.inner_text(".public-status")
    page.get_by_label("What you want to add").fill("He had a red backpack")
    press(page, "Add to my report")
    assert "Added to your report" in page.inner_text("main")

    staff = new_page()
    sign_in(staff, "dana")
    staff.get_by_role("link", name="Man trying car doors").click()
    assert "Public report" in staff.inner_text(".sec-facts")
    assert "He had a red backpack" in staff.inner_text("#timeline")
    assert staff.locator("#photos img").count() == 1
    assert dana.username == "dana"
    assert csp_violations == []


def test_a_dispatcher_records_a_call_from_the_queue_with_the_keyboard(
    new_page: Any, factory: Factory, csp_violations: list[str]
) -> None:
    factory.taxonomy()
    factory.site("HQ")
    factory.user("dana", "dispatcher", ["HQ"])
    page = new_page()
    sign_in(page, "dana")
    page.keyboard.press("n")
    assert page.evaluate("document.activeElement.id") == "qe-title"
    page.keyboard.type("Smoke in stairwell B")
    page.keyboard.press("Tab")  # the site: the only one, already chosen
    page.keyboard.press("Tab")
    page.keyboard.type("2nd floor")
    page.keyboard.press("Tab")
    page.keyboard.type("Lee Park")
    page.keyboard.press("Tab")
    page.keyboard.type("+49 30 555 0101")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert "recorded" in page.inner_text(".notice")
    assert "Smoke in stairwell B" in page.inner_text(".queue, main")
    assert page.evaluate("document.activeElement.id") == "qe-title", "ready for the next call"
    assert csp_violations == []


def test_the_queue_shows_a_new_incident_without_a_reload(
    new_page: Any, factory: Factory, csp_violations: list[str]
) -> None:
    factory.site("HQ")
    dana = factory.user("dana", "dispatcher", ["HQ"])
    olu = factory.user("olu", "officer", ["HQ"])
    first = factory.incident(dana, title="Fire door propped open")
    page = new_page()
    sign_in(page, "dana", "/incidents")
    page.get_by_text("Live", exact=True).wait_for(timeout=5000)  # the stream is open
    page.evaluate("window.__same_page = true")
    number = factory.incident(olu, title="Smoke smell near the kitchen")  # elsewhere
    page.get_by_text(number).wait_for(timeout=5000)
    assert page.evaluate("window.__same_page === true"), "the page was reloaded"
    assert page.get_by_text(first).is_visible()
    assert page.locator("[data-live-part=count]").inner_text().strip() == "2"
    assert csp_violations == []
