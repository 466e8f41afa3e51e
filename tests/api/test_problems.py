"""Problems and recurrence over HTTP: incidents that keep coming back are proposed as
candidates (scoped: another site's and a restricted type's incidents do not count for
those who may not see them), a problem is opened from one, marked fixed (with what fixed
it), and the next incident of that kind at that place reopens it and tells its owner.
Also ETag/If-Match, permissions, refusals that store nothing, and the two pages."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from murphy.app import create_app
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn, IncidentCreate
from murphy.notify.models import OutboxMessage
from murphy.problems.models import Problem
from murphy.settings import Settings
from murphy.sites.schemas import PlaceIn
from tests.api.test_pages import sign_in, token_of
from tests.api.test_pages_triage import text


@pytest.fixture
def settings(database_url: str) -> Settings:
    return Settings(database_url=database_url, delivery=False, scheduler=False)


@pytest.fixture
def client(settings, db):
    with TestClient(create_app(settings, db=db), raise_server_exceptions=False) as c:
        yield c


@pytest.fixture
def people(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("NORTH")
    return {
        "admin": factory.user("root", "admin", all_sites=True, clearances=["safeguarding"]),
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
        "ana": factory.user("ana", "analyst", ["NORTH"]),
        "olly": factory.user("olly", "officer", ["HQ"]),
    }


def report(db, who, *, zone="CARPARK", kind="theft.vehicle", site="HQ", title="Car window smashed"):
    with db.transaction() as s:
        data = IncidentCreate(title=title, site=site, place=PlaceIn(zone=zone))
        number = incidents_service.report(s, principal=who.principal, data=data).number
    if kind:
        with db.transaction() as s:
            triage.classify(s, principal=who.principal, number=number, data=ClassifyIn(type=kind))
    return number


@pytest.fixture
def car_park(db, people):
    """Five vehicle break-ins in HQ's car park, two in its lobby, one restricted."""
    numbers = [report(db, people["admin"]) for _ in range(5)]
    report(db, people["admin"], zone="LOBBY")
    report(db, people["admin"], zone="LOBBY")
    report(db, people["admin"], kind="assault", title="Assault in the car park")
    return numbers


def candidates(client, who, **params):
    r = client.get("/api/v1/problems/candidates", params=params, headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()


def test_a_place_that_keeps_coming_back_is_a_candidate_with_evidence(client, people, car_park):
    (found,) = candidates(client, people["sam"], min_count=4)
    assert (found["site"], found["place"], found["type"]) == ("HQ", "CARPARK", "theft.vehicle")
    assert sorted(found["incidents"]) == sorted(car_park)
    ev = found["evidence"]
    assert (
        ev["count"] == 5
        and sum(ev["hours"]) == 5
        and ev["words"][:2]
        in (
            ["window", "smashed"],
            ["smashed", "window"],
        )
    )
    assert ev["findings"][0].startswith("5 incidents in 90 days")
    # three at the lobby do not reach four; at two they do, strongest first
    assert [c["place"] for c in candidates(client, people["sam"], min_count=2)] == [
        "CARPARK",
        "LOBBY",
    ]


def test_candidates_respect_scope_and_restricted_types(client, db, people, car_park):
    assert candidates(client, people["ana"], min_count=2) == []  # NORTH only
    for _ in range(2):
        report(db, people["admin"], kind="assault", title="Assault in the car park")
    # three restricted assaults: the admin sees them, the supervisor (no clearance) does not
    assert "assault" in [c["type"] for c in candidates(client, people["admin"], min_count=3)]
    assert "assault" not in [c["type"] for c in candidates(client, people["sam"], min_count=3)]
    r = client.get("/api/v1/problems/candidates", headers=people["olly"].headers)
    assert r.status_code == 403 and r.headers["content-type"] == "application/problem+json"
    r = client.get("/api/v1/problems/candidates?days=3", headers=people["sam"].headers)
    assert r.status_code == 422


def open_problem(client, who, numbers, **extra):
    body = {
        "title": "Vehicle break-ins in the car park",
        "site": "HQ",
        "place": "CARPARK",
        "type": "theft.vehicle",
        "owner": "sam",
        "incidents": numbers,
    } | extra
    return client.post("/api/v1/problems", json=body, headers=who.headers)


def test_fixed_problem_reopens_when_it_comes_back_and_tells_its_owner(client, db, people, car_park):
    r = open_problem(client, people["sam"], car_park)
    assert r.status_code == 201, r.text
    made = r.json()
    assert made["ref"] == r.headers["Location"].rsplit("/", 1)[1] and made["status"] == "open"
    assert len(made["incidents"]) == 5 and made["place_label"] == "Car park"
    timeline = client.get(
        f"/api/v1/incidents/{car_park[0]}/timeline", headers=people["sam"].headers
    )
    assert "problem_linked" in [e["kind"] for e in timeline.json()]
    assert candidates(client, people["sam"], min_count=4) == []  # covered now
    ref = made["ref"]
    r = client.post(
        f"/api/v1/problems/{ref}/status", json={"status": "fixed"}, headers=people["sam"].headers
    )
    assert r.status_code == 422 and "what fixed it" in r.json()["detail"]
    fix = {"status": "fixed", "note": "Lighting and a camera on the car park"}
    r = client.post(f"/api/v1/problems/{ref}/status", json=fix, headers=people["sam"].headers)
    assert r.status_code == 200 and r.json()["status"] == "fixed"
    report(db, people["dana"], zone="LOBBY")  # the same kind elsewhere: still fixed
    assert (
        client.get(f"/api/v1/problems/{ref}", headers=people["sam"].headers).json()["status"]
        == "fixed"
    )
    back = report(db, people["dana"])
    again = client.get(f"/api/v1/problems/{ref}", headers=people["sam"].headers).json()
    assert again["status"] == "open" and again["recurrences"] == 1
    assert [i["number"] for i in again["incidents"] if i["recurrence"]] == [back]
    entries = client.get(f"/api/v1/incidents/{back}/timeline", headers=people["sam"].headers).json()
    (recurred,) = [e for e in entries if e["kind"] == "problem_recurred"]
    assert recurred["data"]["problem"] == ref and recurred["data"]["owner"] == "sam"
    with db.transaction(write=False) as s:
        rows = s.scalars(
            select(OutboxMessage).where(OutboxMessage.event == "problem.recurred")
        ).all()
    assert [(m.recipient_kind, m.recipient) for m in rows] == [("user", "sam")]


def test_changes_are_versioned_permitted_and_refusals_store_nothing(client, db, people, car_park):
    made = open_problem(client, people["sam"], car_park[:2]).json()
    ref, headers = made["ref"], people["sam"].headers
    r = client.patch(
        f"/api/v1/problems/{ref}",
        json={"root_cause": "No lighting"},
        headers=headers | {"If-Match": '"1"'},
    )
    assert r.status_code == 200 and r.headers["ETag"] == '"2"'
    r = client.patch(
        f"/api/v1/problems/{ref}",
        json={"root_cause": "Stale"},
        headers=headers | {"If-Match": '"1"'},
    )
    assert r.status_code == 412
    assert (
        client.get(f"/api/v1/problems/{ref}", headers=headers).json()["root_cause"] == "No lighting"
    )
    assert open_problem(client, people["dana"], []).status_code == 403  # reads, does not write
    assert client.get("/api/v1/problems", headers=people["dana"].headers).status_code == 200
    assert client.get(f"/api/v1/problems/{ref}", headers=people["ana"].headers).status_code == 404
    with db.transaction(write=False) as s:
        before = s.scalar(select(func.count()).select_from(Problem))
    for bad, message in [
        ({"place": "NOPE"}, "no building or zone"),
        ({"owner": "ghost"}, "no active user"),
        ({"incidents": [car_park[0], "2026-99999"]}, "no incident"),
        ({"type": "nope"}, "nope"),
    ]:
        r = open_problem(client, people["sam"], [], **bad)
        assert r.status_code in (404, 422) and message in r.json()["detail"], (bad, r.text)
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Problem)) == before
    r = client.post(
        f"/api/v1/problems/{ref}/links",
        json={"kind": "change", "ref": "CHG-42", "url": "javascript:x"},
        headers=headers,
    )
    assert r.status_code == 422
    r = client.post(
        f"/api/v1/problems/{ref}/links",
        json={"kind": "change", "ref": "CHG-42", "title": "Camera"},
        headers=headers,
    )
    assert r.status_code == 200 and r.json()["links"][0]["ref"] == "CHG-42"


def test_pages_propose_open_and_move_a_problem(client, people, car_park):
    assert sign_in(client, "sam").status_code == 303
    page = client.get("/problems")
    assert page.status_code == 200
    shown = text(page.text)
    assert "Theft from a vehicle at Car park" in shown and "5 incidents in 90 days" in shown
    assert "Open a problem from these" in shown
    csrf = token_of(client, "/problems")
    form = {
        "csrf_token": csrf,
        "title": "Break-ins at the car park",
        "site": "HQ",
        "place": "CARPARK",
        "type": "theft.vehicle",
        "incidents": ",".join(car_park),
    }
    r = client.post("/problems", data=form, follow_redirects=False)
    assert r.status_code == 303, r.text
    detail = client.get(r.headers["location"])
    assert "Incidents (5)" in text(detail.text)
    ref = r.headers["location"].split("?")[0].rsplit("/", 1)[1]
    r = client.post(
        f"/problems/{ref}/status", data={"csrf_token": csrf, "status": "fixed", "note": ""}
    )
    assert r.status_code == 422 and "what fixed it" in text(r.text)
    r = client.post(f"/problems/{ref}/status", data={"status": "closed"}, follow_redirects=False)
    assert r.status_code == 403  # no CSRF token
