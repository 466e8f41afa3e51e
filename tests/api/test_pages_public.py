"""The public report pages as a browser without JavaScript uses them: plain form posts."""

from __future__ import annotations

import re

import pytest
from fastapi.testclient import TestClient

from tests.api.test_pages import alert
from tests.api.test_pages_triage import text
from tests.api.test_public_api import counts, jpeg_with_gps
from tests.factories import Factory

CODE = re.compile(r"<code>((?:[0-9A-Z]{5}-){3}[0-9A-Z]{5})</code>")


@pytest.fixture
def sites(factory: Factory) -> Factory:
    factory.taxonomy()
    factory.site("HQ", name="Riverside HQ")
    factory.site("LAB", name="North Lab")
    return factory


def test_the_form_needs_no_account(web: TestClient, sites: Factory) -> None:
    r = web.get("/report")
    assert r.status_code == 200
    page = r.text
    assert "Report an incident" in page and "No account needed" in page
    assert '<option value="HQ">Riverside HQ</option>' in page
    assert 'enctype="multipart/form-data"' in page and 'name="photos"' in page
    assert 'class="hp" aria-hidden="true"' in page and 'name="website"' in page
    assert "Sign out" not in page and 'href="/report"' in page


def test_reporting_with_a_photo_shows_the_code_once_and_the_status_page_uses_it(
    web: TestClient, sites: Factory
) -> None:
    r = web.post(
        "/report",
        data={
            "title": "Broken window, ground floor",
            "site": "LAB",
            "where": "Room G.12",
            "description": "Glass on the floor",
            "name": "Sam",
        },
        files=[("photos", ("window.jpg", jpeg_with_gps(), "image/jpeg"))],
    )
    assert r.status_code == 201, alert(r.text)
    assert "shown only this once" in r.text and "with 1 photo" in r.text
    (code,) = CODE.findall(r.text)
    r = web.post("/report/status", data={"code": code})
    assert r.status_code == 200
    page = text(r.text)
    assert "Received" in page and "Broken window, ground floor" in page and "North Lab" in page
    assert "Glass on the floor" in page and "1 photo" in page
    r = web.post(
        "/report/status/add",
        data={"code": code, "text": "The window frame is loose too"},
        files=[("photos", ("", b"", "application/octet-stream"))],  # an empty file input
    )
    assert r.status_code == 200, (r.status_code, r.text[-600:])
    assert "Added to your report" in r.text and "The window frame is loose too" in r.text


def test_mistakes_keep_what_was_typed_and_store_nothing(web: TestClient, sites: Factory) -> None:
    r = web.post(
        "/report",
        data={
            "title": "Smoke in the stairwell",
            "site": "LAB",
            "email": "not-an-email",
            "description": "Third floor",
        },
    )
    assert r.status_code == 422
    assert "Email: give an address like name@example.org" in alert(r.text)
    assert 'value="Smoke in the stairwell"' in r.text and "Third floor" in r.text
    r = web.post(
        "/report",
        data={"title": "Smoke", "site": "LAB"},
        files=[("photos", ("evil.jpg", b"<script>alert(1)</script>", "image/jpeg"))],
    )
    assert r.status_code == 422 and "evil.jpg" in alert(r.text).lower()
    assert counts(sites.db) == (0, 0, 0)
    r = web.post("/report/status", data={"code": "ABCDE"})
    assert r.status_code == 422 and "20 letters and digits" in alert(r.text)
    assert 'value="ABCDE"' in r.text


def test_a_bot_filling_the_honeypot_gets_429(web: TestClient, sites: Factory) -> None:
    r = web.post("/report", data={"title": "Buy now", "site": "HQ", "website": "spam"})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    assert "emergency number" in alert(r.text)
    assert counts(sites.db) == (0, 0, 0)
