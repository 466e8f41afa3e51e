"""The queue in the browser's HTML: open incidents by priority then age, badges, types,
filters, search, pages."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.api.test_pages import classify, move, rows, sign_in
from tests.factories import Account, Factory


@pytest.fixture
def olu(hq: Factory) -> Account:
    """An officer at HQ, who reports."""
    return hq.user("olu", "officer", ["HQ"])


def test_queue_shows_open_incidents_with_what_matters(web: TestClient, hq: Factory) -> None:
    olu = hq.user("olu", "officer", ["HQ"])
    first = hq.incident(olu, title="Broken window", place={"zone": "CARPARK"})
    second = hq.incident(olu, title="Tailgating")
    sign_in(web, "dana")
    move(web, second, "cancelled", reason="Duplicate call")
    html = web.get("/incidents").text
    assert rows(html) == [first]
    row = html[html.index(f'href="/incidents/{first}"') :].split("</a>")[0]
    for part in (first, "badge-new", "Broken window", ">HQ<", "Car park", "<time"):
        assert part in row, part
    assert rows(web.get("/incidents", params={"status": "all"}).text) == [second, first]
    assert rows(web.get("/incidents", params={"status": "cancelled"}).text) == [second]


def test_queue_search_and_site_filter(web: TestClient, factory: Factory) -> None:
    factory.site("HQ")
    factory.site("LAB")
    me = factory.user("dana", "dispatcher", ["HQ", "LAB"])
    leak = factory.incident(me, title="Water leak in server room")
    fire = factory.incident(me, site="LAB", title="Small fire in lab")
    sign_in(web, "dana")
    assert rows(web.get("/incidents", params={"q": "leak"}).text) == [leak]
    assert rows(web.get("/incidents", params={"q": fire}).text) == [fire]
    assert rows(web.get("/incidents", params={"site": "LAB"}).text) == [fire]
    empty = web.get("/incidents", params={"q": "nothing-like-this"}).text
    assert rows(empty) == [] and "No open incidents match" in empty


@pytest.mark.parametrize(
    ("status", "order", "first", "next_page"),
    [
        ("open", slice(None), "Most urgent", "Next page"),
        ("all", slice(None, None, -1), "Newest", "Older"),
    ],
    ids=["open-by-priority-then-age", "all-newest-first"],
)
def test_queue_pages_with_a_next_page_link(
    web: TestClient, hq: Factory, status: str, order: slice, first: str, next_page: str
) -> None:
    olu = hq.user("olu", "officer", ["HQ"])
    numbers = [hq.incident(olu, title=f"Alarm {i}") for i in range(52)][order]
    sign_in(web, "dana")
    html = web.get("/incidents", params={"status": status}).text
    assert rows(html) == numbers[:50]
    older = re.search(rf'href="(/incidents\?[^"]*cursor=[^"]+)">{next_page}', html)
    assert older
    second = web.get(older.group(1).replace("&amp;", "&")).text
    assert rows(second) == numbers[50:]
    assert f"{next_page} →" not in second and f"← {first}" in second


def test_queue_refuses_an_unknown_status(web: TestClient, hq: Factory) -> None:
    sign_in(web, "dana")
    r = web.get("/incidents", params={"status": "burning"})
    assert r.status_code == 422 and "Unknown status filter" in r.text


def test_the_open_queue_is_by_priority_then_age_with_badges_and_types(
    web: TestClient, hq: Factory, olu: Account
) -> None:
    low = hq.incident(olu, title="Bike stolen")
    high = hq.incident(olu, title="Man in the server room")
    fresh = hq.incident(olu, title="Alarm, not yet looked at")
    also_low = hq.incident(olu, title="Second bike")
    sign_in(web, "dana")
    classify(web, low, "theft.vehicle")  # P4
    classify(web, high, "intrusion")  # P1
    classify(web, also_low, "theft.vehicle")
    html = web.get("/incidents").text
    assert rows(html) == [fresh, high, low, also_low]
    assert "Most urgent first" in html
    row = html[html.index(f'href="/incidents/{high}"') :].split("</a>")[0]
    assert 'class="prio prio-1"' in row and ">P1<" in row
    assert '<span class="q-type">Intrusion</span>' in row
    assert 'data-total="120"' in row  # acknowledge within 2 minutes: amber from its share
    row = html[html.index(f'href="/incidents/{fresh}"') :].split("</a>")[0]
    assert 'class="prio prio-none"' in row and ">P?<" in row
    everything = web.get("/incidents", params={"status": "all"}).text
    assert rows(everything) == [also_low, fresh, high, low]  # newest first
    assert "Most urgent first" not in everything


def test_the_queue_filters_by_type_and_priority(web: TestClient, hq: Factory, olu: Account) -> None:
    bike = hq.incident(olu, title="Bike stolen")
    laptop = hq.incident(olu, title="Laptop stolen")
    intruder = hq.incident(olu, title="Man in the server room")
    sign_in(web, "dana")
    classify(web, bike, "theft.vehicle")
    classify(web, laptop, "theft")
    classify(web, intruder, "intrusion")
    assert rows(web.get("/incidents", params={"type": "theft"}).text) == [bike, laptop]  # P3, P3
    assert rows(web.get("/incidents", params={"type": "theft.vehicle"}).text) == [bike]
    assert rows(web.get("/incidents", params={"type": "security"}).text) == [intruder, bike, laptop]
    assert rows(web.get("/incidents", params={"priority": "1"}).text) == [intruder]
    page = web.get("/incidents", params={"priority": "2"}).text
    assert rows(page) == [] and "No open incidents of P2" in page
    assert '<option value="2" selected>P2</option>' in page
    r = web.get("/incidents", params={"type": "nope"})
    assert r.status_code == 422 and "unknown incident type" in r.text.lower()
    r = web.get("/incidents", params={"priority": "7"})
    assert r.status_code == 422 and "choose P1 to P5" in r.text
