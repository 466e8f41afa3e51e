"""The on-call page in a real browser, on a phone: it fits the screen, says who is on
call and where nobody is, and a supervisor adds an override through the form."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest

from murphy.core.db import Database
from murphy.oncall import service
from murphy.oncall.schemas import ScheduleIn
from tests.e2e.conftest import sign_in
from tests.factories import Factory

pytestmark = [pytest.mark.e2e, pytest.mark.xdist_group("e2e")]

PHONE = {"width": 390, "height": 844}
BERLIN = ZoneInfo("Europe/Berlin")


def test_a_supervisor_adds_an_override_on_a_phone(
    new_page: Any, factory: Factory, db: Database, csp_violations: list[str]
) -> None:
    factory.site("HQ")
    sam = factory.user("sam", "supervisor", ["HQ"])
    factory.user("kim", "supervisor", ["HQ"])
    factory.user("dana", "dispatcher", ["HQ"])
    today = datetime.now(BERLIN).date()
    rota = {"participants": ["sam", "kim"], "start_date": today - timedelta(days=3), "length": 7}
    later = {"participants": ["kim"], "start_date": today + timedelta(days=2), "length": 1}
    with db.transaction() as s:
        for name, layer in (("Control room supervisors", rota), ("Nights", later)):
            data = ScheduleIn.model_validate(
                {"name": name, "timezone": "Europe/Berlin", "layers": [layer]}
            )
            service.create(s, principal=sam.principal, data=data)
    page = new_page(PHONE)
    sign_in(page, "sam", "/on-call")
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    card = page.locator("section.oc-card", has_text="Control room supervisors")
    assert card.locator(".oc-who").inner_text() == "Sam"
    nights = page.locator("section.oc-card", has_text="Nights")
    assert "Nobody is on call" in nights.locator(".oc-who").inner_text()
    card.locator("details.oc-add > summary").click()
    card.get_by_label("Who takes over").select_option("dana")
    end = datetime.now(UTC) + timedelta(hours=2)
    card.locator("input[name=end]").fill(f"{end.astimezone(BERLIN):%Y-%m-%dT%H:%M}")
    with page.expect_navigation():
        card.get_by_role("button", name="Add the override").click()
    assert "Override added" in page.locator(".notice").inner_text()
    card = page.locator("section.oc-card", has_text="Control room supervisors")
    assert card.locator(".oc-who").inner_text() == "Dana"
    assert page.evaluate("document.scrollingElement.scrollWidth") <= PHONE["width"]
    assert csp_violations == []
