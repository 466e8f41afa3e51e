"""Units and dispatch through HTTP: the JSON API (with problem+json for bad input and
scope), the incident page's Units panel, the officer's phone view and the unit board."""

from __future__ import annotations

import io

import pytest
from fastapi.testclient import TestClient
from PIL import Image

from tests.api.test_incidents import assert_problem, classify, move, report
from tests.api.test_pages import alert, sign_in, token_of
from tests.api.test_pages_triage import section, show, text
from tests.factories import Account, Factory


@pytest.fixture
def sam(hq: Factory) -> Account:
    return hq.user("sam", "supervisor", ["HQ"])


@pytest.fixture
def olu(hq: Factory) -> Account:
    return hq.user("olu", "officer", ["HQ"])


@pytest.fixture
def dana(hq: Factory) -> Account:
    return hq.user("dana2", "dispatcher", ["HQ"])


def add_unit(client, sam, callsign="A12", **body):
    body = {"callsign": callsign, "site": "HQ", "on_duty": True, **body}
    r = client.post("/api/v1/units", json=body, headers=sam.headers)
    assert r.status_code == 201, r.text
    return r.json()


def triaged(client, account):
    number = report(client, account, place={"zone": "LOBBY"})["number"]
    classify(client, account, number, "theft")
    assert move(client, account, number, to="triaged").status_code == 200
    return number


def test_dispatch_and_the_officer_steps_through_the_api(client, sam, olu, dana):
    add_unit(client, sam, members=["olu"], skills=["first_aid"])
    number = triaged(client, dana)
    r = client.get(f"/api/v1/incidents/{number}/recommendation", headers=dana.headers)
    assert r.status_code == 200 and r.json()["picks"][0]["unit"] == "A12"
    assert r.json()["picks"][0]["eligible"] is True
    r = client.post(f"/api/v1/incidents/{number}/units", json={"unit": "A12"}, headers=dana.headers)
    assert r.status_code == 201, r.text
    assert r.json()["assignments"][0]["role"] == "primary"
    mine = client.get("/api/v1/units/me", headers=olu.headers).json()
    assert mine["status"] == "dispatched" and mine["assignment"]["incident"] == number
    ack = client.post(f"/api/v1/incidents/{number}/units/A12/acknowledge", headers=olu.headers)
    assert ack.status_code == 200 and ack.json()["assignments"][0]["acknowledged_at"]
    for step in ("en_route", "on_scene"):
        r = client.post("/api/v1/units/A12/status", json={"status": step}, headers=olu.headers)
        assert r.status_code == 200 and r.json()["status"] == step
    r = client.get(f"/api/v1/incidents/{number}/units", headers=dana.headers).json()
    times = r["assignments"][0]
    assert times["en_route_at"] and times["on_scene_at"] and times["cleared_at"] is None
    history = client.get("/api/v1/units/me/assignments", headers=olu.headers).json()
    assert [a["incident"] for a in history] == [number]


def test_bad_input_and_scope_are_clear_problems(client, hq, sam, olu, dana):
    add_unit(client, sam, members=["olu"])
    r = client.post(
        "/api/v1/units", json={"callsign": "bad call", "site": "HQ"}, headers=sam.headers
    )
    assert_problem(r, 422, "callsign")
    r = client.post(
        "/api/v1/units",
        json={"callsign": "B1", "site": "HQ", "skills": ["no way!"]},
        headers=sam.headers,
    )
    assert_problem(r, 422, "invalid skill")
    assert_problem(
        client.post("/api/v1/units", json={"callsign": "A12", "site": "HQ"}, headers=sam.headers),
        409,
        "already exists",
    )
    assert_problem(
        client.post("/api/v1/units", json={"callsign": "C1", "site": "HQ"}, headers=dana.headers),
        403,
        "may not add units",
    )
    r = client.post(
        "/api/v1/units/A12/position", json={"latitude": 123, "longitude": 0}, headers=olu.headers
    )
    assert_problem(r, 422, "latitude")
    assert_problem(
        client.post("/api/v1/units/A12/position", json={}, headers=olu.headers),
        422,
        "give latitude and longitude",
    )
    assert_problem(
        client.post("/api/v1/units/A12/status", json={"status": "on_scene"}, headers=olu.headers),
        409,
        "has no assignment",
    )
    lab = hq.user("lee", "dispatcher", ["LAB"])
    assert_problem(client.get("/api/v1/units/A12", headers=lab.headers), 404, "no unit A12")
    assert client.get("/api/v1/units", headers=lab.headers).json() == []
    number = triaged(client, dana)
    assert_problem(
        client.post(f"/api/v1/incidents/{number}/units", json={"unit": "A12"}, headers=olu.headers),
        403,
        "may not dispatch",
    )
    assert_problem(
        client.post(
            f"/api/v1/incidents/{number}/units", json={"unit": "NOPE"}, headers=dana.headers
        ),
        404,
        "no unit NOPE",
    )
    assert_problem(client.get("/api/v1/units/me", headers=dana.headers), 404, "not a member")
    r = client.patch(
        f"/api/v1/incidents/{number}/resources/99", json={"status": "arrived"}, headers=dana.headers
    )
    assert_problem(r, 404, "no resource request 99")
    # a refused dispatch wrote nothing
    assert (
        client.get(f"/api/v1/incidents/{number}/units", headers=dana.headers).json()["assignments"]
        == []
    )


def test_the_incident_page_recommends_and_sends_a_unit(web, hq, sam):
    add_unit(web, sam, "A12", skills=["first_aid"])
    add_unit(web, sam, "B7")
    api = hq.user("api", "dispatcher", ["HQ"])
    number = triaged(web, api)
    sign_in(web, "dana")
    panel = text(section(show(web, number), "units"))
    assert "Send a unit" in panel and "Send A12" in panel and "Send B7" in panel
    assert "Available" in panel
    data = {"csrf_token": token_of(web, f"/incidents/{number}"), "unit": "B7"}
    r = web.post(f"/incidents/{number}/units", data=data, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#units")
    page = show(web, number)
    panel = text(section(page, "units"))
    assert "B7 Dispatched primary not acknowledged" in panel
    assert "B7 dispatched" in text(section(page, "timeline"))
    # the radio says B7 is on scene; then a refusal keeps the page with its message
    data = {"csrf_token": token_of(web, f"/incidents/{number}"), "status": "on_scene"}
    assert (
        web.post(
            f"/incidents/{number}/units/B7/status", data=data, follow_redirects=False
        ).status_code
        == 303
    )
    assert "B7 On scene" in text(section(show(web, number), "units"))
    data = {"csrf_token": token_of(web, f"/incidents/{number}"), "unit": "B7"}
    r = web.post(f"/incidents/{number}/units", data=data)
    assert r.status_code == 409 and "B7 is already on" in alert(r.text)
    data = {"csrf_token": token_of(web, f"/incidents/{number}"), "what": "Police", "kind": "agency"}
    assert (
        web.post(f"/incidents/{number}/resources", data=data, follow_redirects=False).status_code
        == 303
    )
    assert "Police agency Requested" in text(section(show(web, number), "units"))


def photo() -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (40, 30), (200, 30, 30)).save(out, "JPEG")
    return out.getvalue()


def test_the_officer_works_an_assignment_from_the_phone_view(web, hq, sam, olu):
    add_unit(web, sam, "A12", members=["olu"])
    api = hq.user("api", "dispatcher", ["HQ"])
    number = triaged(web, api)
    sign_in(web, "olu")
    page = web.get("/officer").text
    assert "No assignment" in page and "A12" in page
    r = web.post(f"/api/v1/incidents/{number}/units", json={"unit": "A12"}, headers=api.headers)
    assert r.status_code == 201
    page = text(web.get("/officer").text)
    assert "New assignment" in page and number in page and "Door forced at loading bay" in page
    token = token_of(web, "/officer")
    assert (
        web.post(
            "/officer/acknowledge",
            data={"csrf_token": token, "number": number},
            follow_redirects=False,
        ).status_code
        == 303
    )
    assert (
        web.post(
            "/officer/status",
            data={"csrf_token": token, "status": "on_scene"},
            follow_redirects=False,
        ).status_code
        == 303
    )
    page = text(web.get("/officer").text)
    assert "My assignment" in page and "On scene" in page
    r = web.post(
        "/officer/notes",
        data={"csrf_token": token, "number": number, "body": "Door wedged open by a trolley"},
        files={"photos": ("door.jpg", photo(), "image/jpeg")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    timeline = client_timeline(web, api, number)
    assert "note" in timeline and "photos" in timeline
    r = web.post("/officer/notes", data={"csrf_token": token, "number": number, "body": ""})
    assert r.status_code == 422 and "write a note or choose a photo" in alert(r.text).lower()
    r = web.post(
        "/officer/resolve",
        data={"csrf_token": token, "number": number, "resolution_code": "", "reason": "x"},
    )
    assert r.status_code == 422 and "resolution" in alert(r.text).lower()
    r = web.post(
        "/officer/resolve",
        data={
            "csrf_token": token,
            "number": number,
            "resolution_code": "resolved",
            "reason": "Trolley moved, door closed",
        },
        follow_redirects=False,
    )
    assert r.status_code == 303
    page = text(web.get("/officer?done=resolved").text)
    assert "Resolved" in page and "No assignment" in page and number in page  # recent
    incident = web.get(f"/api/v1/incidents/{number}", headers=api.headers).json()
    assert incident["status"] == "resolved" and incident["resolution_code"] == "resolved"


def client_timeline(client: TestClient, account: Account, number: str) -> list[str]:
    r = client.get(f"/api/v1/incidents/{number}/timeline", headers=account.headers)
    return [e["kind"] for e in r.json()]


def test_the_unit_board_lists_units_by_status(web, hq, sam, olu):
    add_unit(web, sam, "A12", members=["olu"])
    add_unit(web, sam, "K9", kind="k9", on_duty=False, skills=["k9"])
    api = hq.user("api", "dispatcher", ["HQ"])
    number = triaged(web, api)
    web.post(f"/api/v1/incidents/{number}/units", json={"unit": "A12"}, headers=api.headers)
    sign_in(web, "dana")
    page = text(web.get("/units").text)
    assert "1 on duty" in page
    assert "A12 Officer · olu Dispatched" in page and number in page
    assert "K9 K9 Off duty" in page


def test_the_map_shows_places_incidents_and_units_with_coordinates(client, hq, sam, olu, dana):
    add_unit(client, sam, "A12", members=["olu"])
    add_unit(client, sam, "OFF", on_duty=False)
    number = triaged(client, dana)
    r = client.post(
        "/api/v1/units/A12/position",
        json={"latitude": 52.52, "longitude": 13.4},
        headers=olu.headers,
    )
    assert r.status_code == 200
    body = client.get("/api/v1/map?site=HQ", headers=dana.headers).json()
    assert body["site"] == "HQ"
    assert [u["callsign"] for u in body["units"]] == ["A12"]  # on duty only
    assert body["units"][0]["latitude"] == 52.52 and body["units"][0]["source"] == "gps"
    assert [i["number"] for i in body["incidents"]] == [number]
    assert body["incidents"][0]["latitude"] is None  # the test site has no coordinates
    lab = hq.user("lee", "dispatcher", ["LAB"])
    assert_problem(client.get("/api/v1/map?site=HQ", headers=lab.headers), 404, "no site")
    assert_problem(client.get("/api/v1/map", headers=dana.headers), 422)


def test_the_board_page_lists_the_queue_and_units_of_a_site(web, hq, sam):
    add_unit(web, sam, "A12")
    api = hq.user("api", "dispatcher", ["HQ"])
    number = triaged(web, api)
    sign_in(web, "dana")
    page = web.get("/board")
    assert page.status_code == 200
    body = text(page.text)
    assert number in body and "Units on duty 1" in body and "A12 Available" in body
    assert 'data-map="/api/v1/map?site=HQ"' in page.text
    assert "/static/leaflet/leaflet.js" in page.text
    assert web.get("/static/leaflet/leaflet.js").status_code == 200


def test_a_tile_server_is_allowed_only_when_set(settings, db):
    from murphy.app import create_app
    from murphy.settings import Settings

    with TestClient(create_app(settings, db=db)) as plain:
        assert (
            "img-src 'self' data: blob:;" in plain.get("/login").headers["content-security-policy"]
        )
    tiled = Settings(
        database_url=settings.database_url,
        map_tile_url="https://{s}.tile.example.org/{z}/{x}/{y}.png",
    )
    with TestClient(create_app(tiled, db=db)) as client:
        csp = client.get("/login").headers["content-security-policy"]
    assert "img-src 'self' https://*.tile.example.org data: blob:;" in csp
    with pytest.raises(ValueError, match="map_tile_url"):
        Settings(map_tile_url="http://insecure.example.org/{z}/{x}/{y}.png")
