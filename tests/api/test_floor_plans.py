"""Floor plans through HTTP: uploading a plan, drawing zones on it, the board's floor map,
and the places admin pages; with problem+json (or a message on the page) for bad input,
and nothing stored when something is refused."""

from __future__ import annotations

import io
import json
import random
import re

import pytest
from fastapi.testclient import TestClient
from PIL import Image, PngImagePlugin

from tests.api.test_incidents import assert_problem, report
from tests.api.test_pages import alert, sign_in, token_of
from tests.api.test_units_api import add_unit, triaged
from tests.factories import Account, Factory

PLAN = "/api/v1/floor-plans/HQ/A/1"
SQUARE = [[100, 100], [300, 100], [300, 200], [100, 200]]


@pytest.fixture
def ada(hq: Factory) -> Account:
    return hq.user("ada", "admin", ["HQ"])


@pytest.fixture
def sam(hq: Factory) -> Account:
    return hq.user("sam", "supervisor", ["HQ"])


@pytest.fixture
def desk(hq: Factory) -> Account:
    return hq.user("dina", "dispatcher", ["HQ"])


def picture(width: int = 800, height: int = 600, fmt: str = "PNG", **extra) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), "white").save(out, fmt, **extra)
    return out.getvalue()


def upload(client: TestClient, account: Account, data: bytes, path: str = PLAN):
    return client.put(path, content=data, headers={**account.headers, "content-type": "image/png"})


def floor_of(client: TestClient, account: Account, code: str = "1") -> dict:
    site = client.get("/api/v1/sites/HQ", headers=account.headers).json()
    (building,) = site["buildings"]
    return next(f for f in building["floors"] if f["code"] == code)


def outline(client: TestClient, account: Account, zone: str, points) -> object:
    return client.put(
        f"/api/v1/sites/HQ/zones/{zone}/outline", json={"points": points}, headers=account.headers
    )


def test_a_plan_is_uploaded_cleaned_and_served_with_its_version(client, hq, ada, desk):
    info = PngImagePlugin.PngInfo()
    info.add_text("Author", "the architect's laptop")
    r = upload(client, ada, picture(pnginfo=info))
    assert r.status_code == 200, r.text
    plan = r.json()
    assert (plan["width"], plan["height"]) == (800, 600)
    assert plan["url"].startswith(PLAN + "?v=") and plan["sha256"][:12] in plan["url"]
    assert floor_of(client, ada)["plan"] == plan
    assert floor_of(client, ada, "2")["plan"] is None

    dana = desk
    got = client.get(plan["url"], headers=dana.headers)
    assert got.status_code == 200 and got.headers["content-type"] == "image/png"
    assert b"the architect" not in got.content  # the text chunk was stripped
    assert Image.open(io.BytesIO(got.content)).size == (800, 600)
    assert got.headers["etag"] == f'"{plan["sha256"]}"'
    again = client.get(plan["url"], headers={**dana.headers, "if-none-match": got.headers["etag"]})
    assert again.status_code == 304 and again.content == b""


def test_bad_plans_are_refused_and_nothing_is_stored(client, hq, ada, desk):
    assert_problem(upload(client, ada, b"%PDF-1.7 not a picture"), 422, "not a JPEG, PNG or WebP")
    assert_problem(upload(client, ada, picture()[:-40]), 422, "incomplete")
    assert_problem(upload(client, ada, picture(60, 60)), 422, "at least 100×100")
    assert_problem(upload(client, ada, b""), 422, "empty")
    assert_problem(upload(client, ada, picture(), "/api/v1/floor-plans/HQ/A/9"), 404, "A/9")
    assert_problem(upload(client, ada, picture(), "/api/v1/floor-plans/NOPE/A/1"), 404, "NOPE")
    assert_problem(upload(client, desk, picture()), 403, "only admins")
    assert floor_of(client, ada)["plan"] is None
    assert_problem(client.get(PLAN, headers=ada.headers), 404, "no plan")


def test_who_may_see_a_plan(client, hq, ada):
    url = upload(client, ada, picture()).json()["url"]
    reporter = hq.user("rita", "reporter", ["HQ"])
    assert_problem(client.get(url, headers=reporter.headers), 403, "security staff")
    outsider = hq.user("lou", "dispatcher", ["LAB"])
    assert_problem(client.get(url, headers=outsider.headers), 404)  # as if there were no HQ
    assert client.get(url).status_code == 401


def test_zones_are_drawn_on_the_plan_and_checked(client, hq, ada, desk):
    assert_problem(outline(client, ada, "LOBBY", SQUARE), 422, "no plan yet")
    upload(client, ada, picture())
    r = outline(client, ada, "LOBBY", [*SQUARE, SQUARE[0]])  # closed: the repeat goes
    assert r.status_code == 200, r.text
    assert r.json()["outline"] == SQUARE
    (lobby,) = floor_of(client, ada)["zones"]
    assert lobby["outline"] == SQUARE

    off = [[100, 100], [900, 100], [300, 200]]
    assert_problem(outline(client, ada, "LOBBY", off), 422, "off the plan", "800×600")
    assert_problem(outline(client, ada, "LOBBY", [[0, 0], [10, 10], [20, 20]]), 422, "no area")
    assert_problem(outline(client, ada, "LOBBY", [[0, 0], [10, 10]]), 422, "points")
    assert_problem(outline(client, ada, "CARPARK", SQUARE), 422, "on no floor")
    assert_problem(outline(client, ada, "NOWHERE", SQUARE), 422, "no zone")
    assert_problem(outline(client, desk, "LOBBY", SQUARE), 403)
    assert floor_of(client, ada)["zones"][0]["outline"] == SQUARE  # unchanged by the refusals

    r = client.delete("/api/v1/sites/HQ/zones/LOBBY/outline", headers=ada.headers)
    assert r.status_code == 200 and r.json()["outline"] is None


def test_a_replacement_of_another_size_scales_the_drawing_and_removal_rubs_it_out(client, hq, ada):
    upload(client, ada, picture())
    outline(client, ada, "LOBBY", SQUARE)
    r = upload(client, ada, picture(1600, 1200, "JPEG"))
    assert r.status_code == 200 and (r.json()["width"], r.json()["height"]) == (1600, 1200)
    floor = floor_of(client, ada)
    assert floor["plan"]["url"] != PLAN and floor["zones"][0]["outline"] == [
        [x * 2, y * 2] for x, y in SQUARE
    ]
    assert client.get(floor["plan"]["url"], headers=ada.headers).headers["content-type"] == (
        "image/jpeg"
    )
    assert client.delete(PLAN, headers=ada.headers).status_code == 204
    floor = floor_of(client, ada)
    assert floor["plan"] is None and floor["zones"][0]["outline"] is None
    assert_problem(client.delete(PLAN, headers=ada.headers), 404, "no plan")


def test_the_floor_map_puts_incidents_and_units_at_their_zones(client, hq, ada, sam, desk):
    dana = desk
    upload(client, ada, picture())
    outline(client, ada, "LOBBY", SQUARE)
    in_lobby = report(client, dana, place={"zone": "LOBBY"})["number"]
    on_floor = report(client, dana, place={"building": "A", "floor": "1"})["number"]
    report(client, dana, place={"building": "A", "floor": "2"})
    body = {"callsign": "A12", "site": "HQ", "on_duty": True}
    assert client.post("/api/v1/units", json=body, headers=sam.headers).status_code == 201
    r = client.post("/api/v1/units/A12/position", json={"zone": "LOBBY"}, headers=sam.headers)
    assert r.status_code == 200, r.text

    r = client.get(
        "/api/v1/map/floor",
        params={"site": "HQ", "building": "A", "floor": "1"},
        headers=dana.headers,
    )
    assert r.status_code == 200, r.text
    m = r.json()
    assert m["name"] == "Building A · Floor 1" and m["plan"]["width"] == 800
    assert m["zones"] == [
        {"code": "LOBBY", "name": "Lobby", "outline": SQUARE, "x": 200.0, "y": 150.0}
    ]
    spots = {i["number"]: (i["x"], i["y"]) for i in m["incidents"]}
    assert spots == {in_lobby: (200.0, 150.0), on_floor: (None, None)}  # floor 2's is not here
    assert [(u["callsign"], u["x"], u["y"]) for u in m["units"]] == [("A12", 200.0, 150.0)]
    assert m["floors"] == [
        {
            "building": "A",
            "floor": "1",
            "name": "Building A · Floor 1",
            "level": 1,
            "incidents": 2,
            "units": 1,
        }
    ]
    assert client.get("/api/v1/map?site=HQ", headers=dana.headers).json()["floors"] == m["floors"]

    # a fresh GPS fix is newer than the zone: the unit leaves the plan
    gps = {"latitude": 52.52, "longitude": 13.40}
    client.post("/api/v1/units/A12/position", json=gps, headers=sam.headers)
    m = client.get(
        "/api/v1/map/floor",
        params={"site": "HQ", "building": "A", "floor": "1"},
        headers=dana.headers,
    ).json()
    assert m["units"] == [] and m["floors"][0]["units"] == 0

    params = {"site": "HQ", "building": "A", "floor": "2"}
    assert_problem(client.get("/api/v1/map/floor", params=params, headers=dana.headers), 404)
    outsider = hq.user("lou", "dispatcher", ["LAB"])
    params["floor"] = "1"
    assert_problem(client.get("/api/v1/map/floor", params=params, headers=outsider.headers), 404)


# --- pages ------------------------------------------------------------------------------


PLACES = "/admin/places"


def post(web: TestClient, path: str, **fields):
    data = {"csrf_token": token_of(web, PLACES), **fields}
    return web.post(path, data=data, follow_redirects=False)


def test_the_places_page_adds_buildings_floors_and_zones(web, hq, ada):
    sign_in(web, "ada")
    page = web.get(PLACES)
    assert (
        page.status_code == 200 and "Building A" in page.text and "No plan: upload one" in page.text
    )

    r = post(
        web,
        f"{PLACES}/buildings",
        site="HQ",
        code="b",
        name="Annex",
        latitude="52.5",
        longitude="13.4",
    )
    assert r.status_code == 303 and "Building+B+added" in r.headers["location"]
    r = post(web, f"{PLACES}/floors", site="HQ", building="B", code="g", name="Ground", level="0")
    assert r.status_code == 303
    r = post(web, f"{PLACES}/zones", site="HQ", code="annex-hall", name="Annex hall", floor="B/G")
    assert r.status_code == 303
    site = web.get("/api/v1/sites/HQ").json()
    annex = next(b for b in site["buildings"] if b["code"] == "B")
    assert annex["latitude"] == 52.5
    assert (
        annex["floors"][0]["code"] == "G" and annex["floors"][0]["zones"][0]["code"] == "ANNEX-HALL"
    )

    # refusals: a message, what was typed kept, nothing added
    r = post(web, f"{PLACES}/zones", site="HQ", code="LOBBY", name="Second lobby")
    assert r.status_code == 409 and "already exists" in alert(r.text)
    assert 'value="Second lobby"' in r.text
    r = post(web, f"{PLACES}/buildings", site="HQ", code="C", name="Half", latitude="52.5")
    assert r.status_code == 422 and "both latitude and longitude" in alert(r.text)
    r = post(web, f"{PLACES}/floors", site="HQ", building="B", code="bad code!", name="X")
    assert r.status_code == 422 and "floor code" in alert(r.text)
    site = web.get("/api/v1/sites/HQ").json()
    assert [b["code"] for b in site["buildings"]] == ["A", "B"]
    assert [f["code"] for f in site["buildings"][1]["floors"]] == ["G"]
    assert [z["code"] for z in site["outdoor_zones"]] == ["CARPARK"]


def test_the_plan_page_uploads_and_saves_a_drawn_zone(web, hq, ada):
    sign_in(web, "ada")
    token = token_of(web, PLACES)
    fields = {"site": "HQ", "building": "A", "floor": "1", "csrf_token": token}
    r = web.post(
        f"{PLACES}/plan",
        data=fields,
        files={"plan": ("plan.txt", b"just text", "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "not a JPEG, PNG or WebP" in alert(r.text)
    r = web.post(
        f"{PLACES}/plan",
        data=fields,
        files={"plan": ("plan.png", picture(), "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "Plan+saved" in r.headers["location"]
    page = web.get(r.headers["location"])
    assert "data-plan-draw" in page.text and "800 × 600 pixels" in page.text
    assert 'data-draw-zone="LOBBY"' in page.text

    r = web.post(
        f"{PLACES}/outline",
        data={**fields, "zone": "LOBBY", "points": "[[1,1],"},
        follow_redirects=False,
    )
    assert r.status_code == 422 and "draw it again" in alert(r.text)
    r = web.post(
        f"{PLACES}/outline",
        data={**fields, "zone": "LOBBY", "points": json.dumps(SQUARE)},
        follow_redirects=False,
    )
    assert r.status_code == 303 and "Lobby+drawn" in r.headers["location"]
    page = web.get(r.headers["location"]).text
    drawn = json.loads(re.search(r'data-zones="([^"]*)"', page).group(1).replace("&#34;", '"'))
    assert drawn == [{"code": "LOBBY", "name": "Lobby", "outline": SQUARE}]

    # the board offers the floor, and its map asks for the floor's data
    board = web.get("/board?site=HQ&floor=A/1").text
    assert 'data-floor-tab="A/1"' in board
    assert 'data-map="/api/v1/map/floor?site=HQ&amp;building=A&amp;floor=1"' in board
    assert 'data-map="/api/v1/map?site=HQ"' in web.get("/board?site=HQ&floor=Z/9").text


def test_places_are_for_admins(web, hq):
    sign_in(web, "dana")
    assert web.get(PLACES).status_code == 403
    r = web.post(
        f"{PLACES}/buildings",
        data={"csrf_token": token_of(web), "site": "HQ", "code": "X", "name": "X"},
        follow_redirects=False,
    )
    assert r.status_code == 403
    sign_in(web, "dana")
    assert "/admin/places" not in web.get("/incidents").text


def test_forms_without_the_csrf_token_change_nothing(web, hq, ada):
    sign_in(web, "ada")
    r = web.post(f"{PLACES}/buildings", data={"site": "HQ", "code": "X", "name": "X"})
    assert r.status_code == 403
    assert [b["code"] for b in web.get("/api/v1/sites/HQ").json()["buildings"]] == ["A"]


def test_an_officer_can_send_a_phone_sized_photo(web, hq, desk):
    """A phone photo is several MiB: the officer's note takes the upload limit, not the
    1 MiB of other forms."""
    sam = hq.user("sam", "supervisor", ["HQ"])
    hq.user("olu", "officer", ["HQ"])
    add_unit(web, sam, members=["olu"])
    number = triaged(web, desk)
    r = web.post(f"/api/v1/incidents/{number}/units", json={"unit": "A12"}, headers=sam.headers)
    assert r.status_code == 201
    noise = Image.frombytes("RGB", (1000, 700), random.Random(5).randbytes(1000 * 700 * 3))
    out = io.BytesIO()
    noise.save(out, "PNG")
    photo = out.getvalue()
    assert len(photo) > 1_100_000
    sign_in(web, "olu")
    r = web.post(
        "/officer/notes",
        data={"csrf_token": token_of(web, "/officer"), "number": number, "body": "At the door"},
        files={"photos": ("door.png", photo, "image/png")},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text[:300]
    photos = web.get(f"/api/v1/incidents/{number}/attachments", headers=sam.headers).json()
    assert [p["size"] for p in photos] == [len(photo)]
