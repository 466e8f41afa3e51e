"""The incident API end to end: report, read, list, change, move, note, timeline."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

PROBLEM = "application/problem+json"


@pytest.fixture
def hq(factory):
    factory.taxonomy()
    factory.site("HQ", timezone="Europe/Berlin")
    factory.site("DC", timezone="America/Chicago")
    return factory


@pytest.fixture
def dispatcher(hq):
    return hq.user("dana", "dispatcher", ["HQ"])


@pytest.fixture
def supervisor(hq):
    return hq.user("sam", "supervisor", ["HQ", "DC"])


def report(client, account, **fields):
    body = {"title": "Door forced at loading bay", "site": "HQ", **fields}
    r = client.post("/api/v1/incidents", json=body, headers=account.headers)
    assert r.status_code == 201, r.text
    return r.json()


def move(client, account, number, **body):
    return client.post(
        f"/api/v1/incidents/{number}/transitions", json=body, headers=account.headers
    )


def classify(client, account, number, type="theft", **extra):
    r = client.put(
        f"/api/v1/incidents/{number}/classification",
        json={"type": type, **extra},
        headers=account.headers,
    )
    assert r.status_code == 200, r.text
    return r.json()


def assert_problem(r, status, *fragments):
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith(PROBLEM)
    body = r.json()
    assert body["status"] == status and body["title"] and body["type"].startswith("https://")
    for fragment in fragments:
        assert fragment in body["detail"], body["detail"]
    return body


# --- report -------------------------------------------------------------------------


def test_report_returns_number_status_and_location(client, dispatcher):
    r = client.post(
        "/api/v1/incidents",
        json={"title": "Tailgating at turnstile", "site": "hq", "place": {"zone": "lobby"}},
        headers=dispatcher.headers,
    )
    assert r.status_code == 201
    body = r.json()
    year = datetime.now(UTC).year
    assert body["number"] == f"INC-{year}-00001"
    assert body["status"] == "new"
    assert r.headers["location"] == f"/api/v1/incidents/{body['number']}"
    assert body["place"]["zone"]["code"] == "LOBBY"
    assert body["place"]["building"]["code"] == "A", "a zone implies its building"
    assert body["reporter"]["username"] == "dana"
    assert body["channel"] == "api"
    second = report(client, dispatcher)
    assert second["number"] == f"INC-{year}-00002"


def test_naive_occurred_at_is_site_local_time(client, supervisor):
    body = report(client, supervisor, site="DC", occurred_at="2026-07-01T08:00:00")
    assert body["occurred_at"].startswith("2026-07-01T13:00:00")  # Chicago is UTC-5 in July


def test_occurred_in_the_future_is_refused(client, dispatcher):
    later = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    r = client.post(
        "/api/v1/incidents",
        json={"title": "x", "site": "HQ", "occurred_at": later},
        headers=dispatcher.headers,
    )
    assert_problem(r, 422, "future")


@pytest.mark.parametrize(
    ("body", "fragment"),
    [
        ({"title": "x", "site": "HQ", "severity": 1}, "unknown field 'severity'"),
        ({"title": 5, "site": "HQ"}, "title"),
        ({"site": "HQ"}, "title"),
        ({"title": "", "site": "HQ"}, "title"),
        ({"title": "x" * 201, "site": "HQ"}, "title"),
        ({"title": "x", "site": "HQ", "place": {"zone": "NOPE"}}, "no zone"),
        ({"title": "x", "site": "HQ", "place": {"floor": "1"}}, "needs place.building"),
        ({"title": "x", "site": "HQ", "place": {"building": "A", "floor": "9"}}, "no floor"),
        ({"title": "x", "site": "MARS"}, "unknown site"),
        ({"title": "x", "site": "HQ", "occurred_at": "yesterday"}, "occurred_at"),
    ],
)
def test_bad_reports_get_a_clear_422_and_store_nothing(client, dispatcher, body, fragment):
    r = client.post("/api/v1/incidents", json=body, headers=dispatcher.headers)
    problem = assert_problem(r, 422, fragment)
    assert problem["instance"] == "/api/v1/incidents"
    assert client.get("/api/v1/incidents", headers=dispatcher.headers).json()["items"] == []


def test_invalid_json_is_422(client, dispatcher):
    r = client.post(
        "/api/v1/incidents",
        content=b"{not json",
        headers={**dispatcher.headers, "content-type": "application/json"},
    )
    assert_problem(r, 422, "JSON")


def test_oversized_body_is_413(client, dispatcher):
    r = client.post(
        "/api/v1/incidents",
        json={"title": "x", "site": "HQ", "description": "a" * 70_000},
        headers=dispatcher.headers,
    )
    assert_problem(r, 413, "limit")


def test_oversized_chunked_body_is_413(client, dispatcher):
    def chunks():
        yield b'{"title": "x", "site": "HQ", "description": "'
        for _ in range(80):
            yield b"a" * 1024
        yield b'"}'

    r = client.post(
        "/api/v1/incidents",
        content=chunks(),
        headers={**dispatcher.headers, "content-type": "application/json"},
    )
    assert_problem(r, 413, "limit")


def test_report_outside_scope_is_403(client, dispatcher):
    r = client.post(
        "/api/v1/incidents", json={"title": "x", "site": "DC"}, headers=dispatcher.headers
    )
    assert_problem(r, 403, "DC")


# --- auth and scope -------------------------------------------------------------------


def test_no_or_bad_token_is_401(client, dispatcher):
    r = client.get("/api/v1/incidents")
    assert_problem(r, 401, "Bearer")
    assert r.headers["www-authenticate"].startswith("Bearer")
    r = client.get("/api/v1/incidents", headers={"Authorization": "Bearer mur_nope"})
    assert_problem(r, 401, "invalid")


def test_other_sites_incident_is_indistinguishable_from_missing(client, hq, supervisor):
    officer = hq.user("olly", "officer", ["HQ"])
    number = report(client, supervisor, site="DC")["number"]
    hidden = client.get(f"/api/v1/incidents/{number}", headers=officer.headers)
    missing = client.get("/api/v1/incidents/INC-1999-00001", headers=officer.headers)
    assert hidden.status_code == missing.status_code == 404
    assert hidden.json()["detail"].replace(number, "N") == missing.json()["detail"].replace(
        "INC-1999-00001", "N"
    )
    for path in ("timeline",):
        assert (
            client.get(f"/api/v1/incidents/{number}/{path}", headers=officer.headers).status_code
            == 404
        )
    r = client.post(
        f"/api/v1/incidents/{number}/notes", json={"body": "hi"}, headers=officer.headers
    )
    assert r.status_code == 404
    r = move(client, officer, number, to="triaged")
    assert r.status_code == 404
    listed = client.get("/api/v1/incidents", headers=officer.headers).json()["items"]
    assert number not in {i["number"] for i in listed}


def test_reporter_sees_only_own_reports_and_no_internal_notes(client, hq, dispatcher):
    rita = hq.user("rita", "reporter", ["HQ"])
    mine = report(client, rita, title="Water leak in corridor")["number"]
    theirs = report(client, dispatcher)["number"]
    listed = [
        i["number"] for i in client.get("/api/v1/incidents", headers=rita.headers).json()["items"]
    ]
    assert listed == [mine]
    assert client.get(f"/api/v1/incidents/{theirs}", headers=rita.headers).status_code == 404
    client.post(
        f"/api/v1/incidents/{mine}/notes",
        json={"body": "internal: suspect staff"},
        headers=dispatcher.headers,
    )
    client.post(
        f"/api/v1/incidents/{mine}/notes",
        json={"body": "it is dripping faster"},
        headers=rita.headers,
    )
    kinds = [
        (e["kind"], e["data"].get("body"))
        for e in client.get(f"/api/v1/incidents/{mine}/timeline", headers=rita.headers).json()
    ]
    assert ("note", "it is dripping faster") in kinds
    assert ("note", "internal: suspect staff") not in kinds
    assert (
        client.get(f"/api/v1/incidents/{mine}", headers=rita.headers).json()["allowed_transitions"]
        == []
    )
    assert_problem(move(client, rita, mine, to="triaged"), 403, "reporter")


def test_analyst_reads_but_cannot_change(client, hq, dispatcher):
    ana = hq.user("ana", "analyst", all_sites=True)
    number = report(client, dispatcher)["number"]
    assert client.get(f"/api/v1/incidents/{number}", headers=ana.headers).status_code == 200
    r = client.patch(f"/api/v1/incidents/{number}", json={"title": "y"}, headers=ana.headers)
    assert_problem(r, 403, "analyst")
    r = client.post(f"/api/v1/incidents/{number}/notes", json={"body": "n"}, headers=ana.headers)
    assert_problem(r, 403, "analyst")
    r = client.post("/api/v1/incidents", json={"title": "x", "site": "HQ"}, headers=ana.headers)
    assert_problem(r, 403, "analyst")


def test_browser_session_needs_csrf_header_for_writes(client, hq, db, dispatcher):
    from murphy.users import service as users_service

    with db.transaction() as s:
        user = users_service.get_or_raise(s, username="dana")
        login = users_service.start_web_session(s, user=user, ttl=timedelta(hours=1))
    client.cookies.set("murphy_session", login.cookie)
    assert client.get("/api/v1/incidents").status_code == 200
    r = client.post("/api/v1/incidents", json={"title": "x", "site": "HQ"})
    assert_problem(r, 403, "CSRF")
    r = client.post(
        "/api/v1/incidents", json={"title": "x", "site": "HQ"}, headers={"X-CSRF-Token": "wrong"}
    )
    assert_problem(r, 403, "CSRF")
    r = client.post(
        "/api/v1/incidents",
        json={"title": "x", "site": "HQ"},
        headers={"X-CSRF-Token": login.csrf_token},
    )
    assert r.status_code == 201


def test_revoked_and_expired_tokens_are_refused(client, hq, db, dispatcher):
    from murphy.users import service as users_service

    with db.transaction() as s:
        user = users_service.get_or_raise(s, username="dana")
        short = users_service.create_token(
            s, user=user, ttl=timedelta(seconds=1), now=datetime.now(UTC) - timedelta(seconds=5)
        )
    assert (
        client.get("/api/v1/me", headers={"Authorization": f"Bearer {short.token}"}).status_code
        == 401
    )
    assert client.get("/api/v1/me", headers=dispatcher.headers).status_code == 200
    with db.transaction() as s:
        assert (
            users_service.revoke_tokens(s, user=users_service.get_or_raise(s, username="dana")) == 2
        )  # the expired one too
    assert client.get("/api/v1/me", headers=dispatcher.headers).status_code == 401


def test_site_detail_places_every_zone(client, hq, db, dispatcher):
    from murphy.sites import service as sites_service
    from murphy.sites.schemas import ZoneIn

    with db.transaction() as s:
        site = sites_service.get_or_raise(s, code="HQ")
        sites_service.add_zone(
            s, site=site, data=ZoneIn(code="ATRIUM", name="Atrium", building="A")
        )
    detail = client.get("/api/v1/sites/HQ", headers=dispatcher.headers).json()
    (building,) = detail["buildings"]
    assert [z["code"] for z in building["zones"]] == ["ATRIUM"], "in the building, on no floor"
    assert [z["code"] for z in building["floors"][0]["zones"]] == ["LOBBY"]
    assert [z["code"] for z in detail["outdoor_zones"]] == ["CARPARK"]
    assert client.get("/api/v1/sites/DC", headers=dispatcher.headers).status_code == 404
