"""The BOLO pages: issued from a person's record with a photo on the phone form, shown as
cards and on one page, printed on exactly one PDF page, on the board's and the officer's
strip, cancelled from its page; a refused form keeps what was typed and stores nothing;
who may open what."""

from __future__ import annotations

import io
import re

import pytest
from fastapi.testclient import TestClient
from pypdf import PdfReader
from sqlalchemy import func, select

from murphy.bolos.models import Bolo
from murphy.core.db import Database
from tests.api.conftest import HTML
from tests.api.test_pages import alert, sign_in, token_of
from tests.api.test_public_api import jpeg_with_gps
from tests.factories import Account, Factory


@pytest.fixture
def people(factory: Factory) -> dict[str, Account]:
    factory.taxonomy()
    factory.site("HQ")
    factory.site("LAB")
    return {
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "olu": factory.user("olu", "officer", ["HQ"]),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
        "rita": factory.user("rita", "reporter", ["HQ"]),
    }


@pytest.fixture
def web(client: TestClient) -> TestClient:
    client.headers["accept"] = HTML
    return client


def form(token: str, **fields: str) -> dict[str, str]:
    return {
        "csrf_token": token,
        "kind": "person",
        "name": "",
        "description": "",
        "reason": "Seen trying car doors on level 2",
        "caution": "Do not approach, call control",
        "sites": "HQ",
        "duration": "3d",
        "until": "",
        "incident": "",
        **fields,
    }


def issue_from_page(web: TestClient, **fields: str) -> str:
    token = token_of(web, "/bolos/new")
    files = {"photos": ("face.jpg", jpeg_with_gps(), "image/jpeg")}
    r = web.post("/bolos/new", data=form(token, **fields), files=files, follow_redirects=False)
    assert r.status_code == 303, r.text
    assert r.headers["location"].endswith("?done=issued")
    return r.headers["location"].split("?")[0]


def test_issue_from_a_person_record_with_a_photo_then_print_and_cancel(
    web: TestClient, factory: Factory, people: dict[str, Account]
) -> None:
    dana = people["dana"]
    number = factory.incident(dana, title="Car park break-in")
    person = {"name": "Sam Reed", "birth_date": "1990-04-01", "description": "Red cap, tall"}
    link = web.post(
        f"/api/v1/incidents/{number}/subjects",
        json={"role": "suspect", "person": person},
        headers=dana.headers,
    ).json()
    sign_in(web, "dana")
    subject_page = web.get(f"/subjects/{link['subject_id']}").text
    assert f'href="/bolos/new?subject={link["subject_id"]}"' in subject_page
    new = web.get(f"/bolos/new?subject={link['subject_id']}&incident={number}").text
    assert 'value="Sam Reed"' in new and "Red cap, tall" in new and f'value="{number}"' in new
    page = issue_from_page(
        web, subject_id=str(link["subject_id"]), incident=number, name="Sam Reed"
    )
    shown = web.get(page + "?done=issued").text
    assert "BOLO issued" in shown and "Sam Reed" in shown
    assert "Do not approach, call control" in shown and "Expires in 3 days" in shown
    bolo_id = page.rsplit("/", 1)[1]
    assert f'src="/bolos/{bolo_id}/photo?v=' in shown and "1990" not in shown
    photo = web.get(f"/bolos/{bolo_id}/photo")
    assert photo.status_code == 200 and photo.headers["content-type"] == "image/jpeg"
    assert photo.headers["x-content-type-options"] == "nosniff"
    listing = web.get("/bolos").text
    assert "Sam Reed" in listing and "Seen trying car doors" in listing
    pdf = web.get(f"/bolos/{bolo_id}.pdf")
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 1
    words = reader.pages[0].extract_text()
    assert "BE ON THE LOOKOUT" in words and "Sam Reed" in words and number in words
    assert "Do not approach" in words
    incident = web.get(f"/incidents/{number}").text
    assert "BOLO issued" in incident and f'href="/bolos/{bolo_id}"' in incident
    token = token_of(web, page)
    version = re.search(r'name="version" value="(\d+)"', shown)
    assert version
    done = web.post(
        f"{page}/cancel",
        data={"csrf_token": token, "reason": "Found and escorted off site", "version": "1"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    after = web.get(done.headers["location"]).text
    assert "BOLO cancelled" in after and "Found and escorted off site" in after
    assert "Cancel the BOLO" not in after
    assert "Sam Reed" not in web.get("/bolos").text.split("Ended in the last 30 days")[0]


def test_a_long_bolo_still_prints_on_one_page(web: TestClient, people: dict[str, Account]) -> None:
    sign_in(web, "dana")
    page = issue_from_page(
        web,
        name="Alexandra Maximiliana Wolfeschlegelsteinhausenbergerdorff " * 3,
        description="Wears a long green coat. " * 60,
        reason="Repeated thefts from the staff lockers on every floor. " * 35,
        caution="Known to carry a knife; do not approach. " * 10,
    )
    pdf = web.get(f"{page}.pdf")
    reader = PdfReader(io.BytesIO(pdf.content))
    assert len(reader.pages) == 1 and "Alexandra" in reader.pages[0].extract_text()


def test_a_refused_form_keeps_what_was_typed_and_stores_nothing(
    web: TestClient, db: Database, people: dict[str, Account]
) -> None:
    sign_in(web, "dana")
    token = token_of(web, "/bolos/new")
    data = form(token, name="Jo", until="2020-01-01T10:00", description="Blue scarf")
    r = web.post(
        "/bolos/new", data=data, files={"photos": ("x.jpg", b"not an image", "image/jpeg")}
    )
    assert r.status_code == 422 and "must be in the future" in alert(r.text)
    assert "Blue scarf" in r.text and "Seen trying car doors" in r.text
    bad_photo = web.post(
        "/bolos/new",
        data=form(token, name="Jo"),
        files={"photos": ("x.jpg", b"<svg/>", "image/jpeg")},
    )
    assert bad_photo.status_code == 422 and "not a JPEG, PNG or WebP" in alert(bad_photo.text)
    no_site = web.post("/bolos/new", data={**form(token), "sites": ""})
    assert no_site.status_code == 422 and "at least one site" in alert(no_site.text)
    with db.session(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Bolo)) == 0


def test_board_and_officer_show_the_strip(
    web: TestClient, factory: Factory, people: dict[str, Account]
) -> None:
    r = web.post(
        "/api/v1/units",
        json={"callsign": "A12", "site": "HQ", "on_duty": True, "members": ["olu"]},
        headers=people["sam"].headers,
    )
    assert r.status_code == 201, r.text
    sign_in(web, "dana")
    issue_from_page(web, kind="vehicle", plate="b-mr 4521", reason="Drove through the barrier")
    board = web.get("/board?site=HQ").text
    assert 'data-live-events="unit incident bolo"' in board
    strip = board.split('data-live-part="bolos"')[1]
    assert "B-MR 4521" in strip and "Drove through the barrier" in strip
    web.cookies.clear()
    sign_in(web, "olu")
    officer = web.get("/officer").text
    assert 'data-live-part="bolos"' in officer and "B-MR 4521" in officer
    cards = web.get("/bolos").text
    assert "B-MR 4521" in cards and "Issue a BOLO" not in cards  # officers read, not issue


def test_who_may_open_what(web: TestClient, people: dict[str, Account]) -> None:
    sign_in(web, "olu")
    assert web.get("/bolos/new").status_code == 403
    assert web.get("/bolos").status_code == 200
    assert web.get("/bolos/999").status_code == 404
    web.cookies.clear()
    sign_in(web, "rita")
    assert web.get("/bolos").status_code == 403
