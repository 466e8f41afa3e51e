"""BOLOs through the JSON API on a real database: issued for the caller's sites (from a
person or vehicle record, for an incident, with a photo stripped of its metadata), listed
while active and gone by themselves once expired, cancelled with If-Match, on the linked
incident's timeline without the photo or a date of birth, and every bad input refused with
a problem and nothing stored. Also the functions the retention run calls."""

from __future__ import annotations

import hashlib
import io
import random
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select, update

from murphy.bolos import service
from murphy.bolos.models import Bolo, BoloPhoto, BoloSite
from murphy.core.db import Database
from murphy.core.models import LiveEvent
from murphy.sites.models import Site
from tests.api.test_incidents import assert_problem
from tests.api.test_public_api import GPS, jpeg_with_gps
from tests.factories import Account, Factory

API = "/api/v1/bolos"


@pytest.fixture
def people(factory: Factory) -> dict[str, Account]:
    factory.taxonomy()
    factory.site("HQ")
    factory.site("LAB")
    return {
        "dana": factory.user("dana", "dispatcher", ["HQ", "LAB"]),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
        "olga": factory.user("olga", "officer", ["HQ"]),
        "lena": factory.user("lena", "officer", ["LAB"]),
        "rita": factory.user("rita", "reporter", ["HQ"]),
        "root": factory.user("root", "admin", all_sites=True),
    }


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def issue(client: TestClient, who: Account, status: int = 201, **fields: Any) -> Any:
    body = {
        "kind": "person",
        "name": "Jo Bloggs",
        "description": "Tall, grey hoodie, black backpack",
        "reason": "Took a laptop from the 3rd floor",
        "caution": "Do not approach, call control",
        "sites": ["HQ"],
        "expires_at": later(days=3),
        **fields,
    }
    r = client.post(API, json=body, headers=who.headers)
    assert r.status_code == status, r.text
    return r


def count(db: Database, model: Any) -> int:
    with db.session(write=False) as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def test_issue_list_and_read_on_the_phone(client: TestClient, people: dict[str, Account]) -> None:
    made = issue(client, people["dana"], sites=["hq", "LAB"]).json()
    assert made["state"] == "active" and made["label"] == "Jo Bloggs"
    assert made["expires_in"] == "expires in 3 days"
    assert made["sites"] == ["HQ", "LAB"] and made["issued_by"] == "dana"
    assert made["has_photo"] is False and made["photo_url"] is None
    # The officer of HQ sees it (and only the site codes of her scope), LAB's sees it too.
    mine = client.get(API, headers=people["olga"].headers).json()
    assert [b["id"] for b in mine] == [made["id"]] and mine[0]["sites"] == ["HQ"]
    assert client.get(API, headers=people["lena"].headers).json()[0]["sites"] == ["LAB"]
    one = client.get(f"{API}/{made['id']}", headers=people["olga"].headers)
    assert one.status_code == 200 and one.headers["etag"] == 'W/"1"'
    assert one.json()["caution"] == "Do not approach, call control"


def test_newest_first_site_filter_and_scope(client: TestClient, people: dict[str, Account]) -> None:
    dana = people["dana"]
    first = issue(client, dana, name="First").json()
    lab = issue(client, dana, name="Lab only", sites=["LAB"]).json()
    last = issue(client, dana, kind="vehicle", name="", plate=" b-mr  4521 ").json()
    assert last["plate"] == "B-MR 4521" and last["label"] == "B-MR 4521"
    every = client.get(API, headers=dana.headers).json()
    assert [b["id"] for b in every] == [last["id"], lab["id"], first["id"]]
    only_lab = client.get(API, params={"site": "LAB"}, headers=dana.headers).json()
    assert [b["id"] for b in only_lab] == [lab["id"]]
    olga = people["olga"]
    assert lab["id"] not in [b["id"] for b in client.get(API, headers=olga.headers).json()]
    assert_problem(client.get(f"{API}/{lab['id']}", headers=olga.headers), 404)
    assert_problem(client.get(API, params={"site": "LAB"}, headers=olga.headers), 404)


def test_expired_bolos_leave_the_active_list_by_themselves(
    client: TestClient, db: Database, people: dict[str, Account]
) -> None:
    made = issue(client, people["dana"]).json()
    with db.transaction() as s:
        s.execute(update(Bolo).values(expires_at=datetime.now(UTC) - timedelta(minutes=5)))
    assert client.get(API, headers=people["olga"].headers).json() == []
    gone = client.get(f"{API}/{made['id']}", headers=people["olga"].headers).json()
    assert gone["state"] == "expired" and gone["expires_in"] == "expired 5 minutes ago"
    ended = client.get(f"{API}/ended", headers=people["sam"].headers).json()
    assert [b["id"] for b in ended] == [made["id"]]
    # And by moving the clock instead of the row: a notice for 3 days is gone in 5.
    fresh = issue(client, people["dana"]).json()
    olga = people["olga"].principal
    with db.session(write=False) as s:
        assert [b.id for b in service.active(s, principal=olga)] == [fresh["id"]]
        soon = datetime.now(UTC) + timedelta(days=5)
        assert service.active(s, principal=olga, now=soon) == []


def test_from_a_vehicle_record_for_an_incident_on_its_timeline(
    client: TestClient, factory: Factory, people: dict[str, Account]
) -> None:
    dana = people["dana"]
    number = factory.incident(dana, title="Car park break-in")
    link = client.post(
        f"/api/v1/incidents/{number}/subjects",
        json={
            "role": "suspect",
            "vehicle": {"plate": "b-jw 2207", "make": "Ford", "model": "Focus", "colour": "blue"},
        },
        headers=dana.headers,
    )
    assert link.status_code == 201, link.text
    subject = link.json()["subject_id"]
    made = issue(
        client, dana, kind="vehicle", name="", subject_id=subject, incident=number, description=""
    ).json()
    assert made["plate"] == "B-JW 2207" and made["description"] == "Ford Focus, blue"
    assert made["incident"] == number and made["subject_id"] == subject
    cancelled = client.post(
        f"{API}/{made['id']}/cancel",
        json={"reason": "Vehicle found and stopped"},
        headers={**dana.headers, "If-Match": 'W/"1"'},
    )
    assert cancelled.status_code == 200 and cancelled.json()["state"] == "cancelled"
    timeline = client.get(f"/api/v1/incidents/{number}/timeline", headers=dana.headers).json()
    kinds = [e["kind"] for e in timeline]
    assert kinds[-2:] == ["bolo_issued", "bolo_cancelled"]
    issued = timeline[-2]["data"]
    assert issued["label"] == "B-JW 2207" and issued["sites"] == ["HQ"]
    assert issued["photo_sha256"] is None and "birth" not in str(issued)
    assert timeline[-1]["data"]["reason"] == "Vehicle found and stopped"


def test_a_person_record_fills_the_blanks_and_its_birth_date_stays_off_the_timeline(
    client: TestClient, factory: Factory, people: dict[str, Account]
) -> None:
    dana = people["dana"]
    number = factory.incident(dana, title="Fight in the lobby")
    person = {"name": "Sam Reed", "birth_date": "1990-04-01", "description": "Red cap"}
    link = client.post(
        f"/api/v1/incidents/{number}/subjects",
        json={"role": "suspect", "person": person},
        headers=dana.headers,
    ).json()
    made = issue(
        client, dana, name="", description="", subject_id=link["subject_id"], incident=number
    ).json()
    assert made["name"] == "Sam Reed" and made["description"] == "Red cap"
    timeline = client.get(f"/api/v1/incidents/{number}/timeline", headers=dana.headers).json()
    assert timeline[-1]["kind"] == "bolo_issued"
    assert "1990" not in str(timeline[-1]["data"])
    with_record = client.get(f"{API}/{made['id']}", headers=dana.headers).json()
    assert "1990" not in str(with_record)


def test_the_photo_is_stripped_stored_and_served_in_scope(
    client: TestClient, db: Database, people: dict[str, Account]
) -> None:
    dana = people["dana"]
    made = issue(client, dana).json()
    raw = jpeg_with_gps()
    put = client.put(
        f"{API}/{made['id']}/photo",
        content=raw,
        headers={**dana.headers, "content-type": "image/jpeg", "If-Match": 'W/"1"'},
    )
    assert put.status_code == 200, put.text
    out = put.json()
    assert out["has_photo"] and out["version"] == 2 and out["photo_url"].endswith("/photo")
    got = client.get(f"{API}/{made['id']}/photo", headers=people["olga"].headers)
    assert got.status_code == 200 and got.headers["content-type"] == "image/jpeg"
    assert got.headers["x-content-type-options"] == "nosniff"
    assert hashlib.sha256(got.content).hexdigest() == out["photo_sha256"]
    assert GPS not in Image.open(io.BytesIO(got.content)).getexif()  # the location is gone
    assert got.content != raw
    lab_only = people["lena"]
    assert_problem(client.get(f"{API}/{made['id']}/photo", headers=lab_only.headers), 404)
    stale = client.put(
        f"{API}/{made['id']}/photo",
        content=raw,
        headers={**dana.headers, "content-type": "image/jpeg", "If-Match": 'W/"1"'},
    )
    assert_problem(stale, 412, "changed by someone else")
    assert count(db, BoloPhoto) == 1


def test_bad_photos_are_refused_and_nothing_is_kept(
    client: TestClient, db: Database, people: dict[str, Account]
) -> None:
    dana = people["dana"]
    made = issue(client, dana).json()
    fake = b"<html><script>alert(1)</script></html>"
    r = client.put(
        f"{API}/{made['id']}/photo",
        content=fake,
        headers={**dana.headers, "content-type": "image/jpeg"},
    )
    assert_problem(r, 422, "not a JPEG, PNG or WebP")
    big = io.BytesIO()
    noise = random.Random(8).randbytes(1400 * 1400 * 3)
    Image.frombytes("RGB", (1400, 1400), noise).save(big, "PNG")
    assert big.tell() > 5 * 1024 * 1024
    r = client.put(f"{API}/{made['id']}/photo", content=big.getvalue(), headers=dana.headers)
    assert_problem(r, 422, "larger than the 5 MiB limit")
    assert count(db, BoloPhoto) == 0
    assert client.get(f"{API}/{made['id']}", headers=dana.headers).json()["version"] == 1


@pytest.mark.parametrize(
    ("fields", "status", "words"),
    [
        ({"expires_at": later(hours=-1)}, 422, "must be in the future"),
        ({"expires_at": later(days=366)}, 422, "at most 365 days"),
        ({"expires_at": "2026-12-24T10:00:00"}, 422, ""),
        ({"sites": []}, 422, "at least one site"),
        ({"sites": ["LAB"]}, 422, "LAB is not one of your sites"),
        ({"sites": ["NOPE"]}, 422, "NOPE is not one of your sites"),
        ({"reason": ""}, 422, ""),
        ({"kind": "vehicle", "plate": ""}, 422, "needs the plate"),
        ({"kind": "vehicle", "plate": "<script>"}, 422, "characters a plate does not have"),
        ({"subject_id": 999}, 422, "no person or vehicle record 999"),
        ({"incident": "HQ-2026-999999"}, 422, "no incident"),
    ],
)
def test_bad_input_is_refused_with_a_problem_and_nothing_stored(
    client: TestClient,
    db: Database,
    people: dict[str, Account],
    fields: dict[str, Any],
    status: int,
    words: str,
) -> None:
    r = issue(client, people["sam"], status=status, **fields)
    assert_problem(r, status, *([words] if words else []))
    assert count(db, Bolo) == 0 and count(db, BoloSite) == 0


def test_a_subject_or_incident_the_caller_cannot_see_is_refused(
    client: TestClient, factory: Factory, db: Database, people: dict[str, Account]
) -> None:
    lab_incident = factory.incident(people["root"], site="LAB", title="Gate forced")
    seen = client.post(
        f"/api/v1/incidents/{lab_incident}/subjects",
        json={"role": "suspect", "person": {"name": "Hidden Person"}},
        headers=people["root"].headers,
    ).json()
    sam = people["sam"]  # HQ only
    assert_problem(issue(client, sam, status=422, subject_id=seen["subject_id"]), 422, "no person")
    assert_problem(issue(client, sam, status=422, incident=lab_incident), 422, "no incident")
    wrong_kind = issue(
        client,
        people["root"],
        status=422,
        kind="vehicle",
        plate="X 1",
        subject_id=seen["subject_id"],
    )
    assert_problem(wrong_kind, 422, "is a person, not a vehicle")
    assert count(db, Bolo) == 0


def test_who_may_do_what(client: TestClient, people: dict[str, Account]) -> None:
    made = issue(client, people["dana"]).json()
    assert_problem(issue(client, people["olga"], status=403), 403, "may not issue")
    assert_problem(client.get(API, headers=people["rita"].headers), 403, "may not read BOLOs")
    assert_problem(client.get(f"{API}/{made['id']}", headers=people["rita"].headers), 403)
    officer_cancel = client.post(
        f"{API}/{made['id']}/cancel", json={"reason": "x"}, headers=people["olga"].headers
    )
    assert_problem(officer_cancel, 403)
    assert_problem(client.get(f"{API}/ended", headers=people["olga"].headers), 403)


def test_cancel_checks_the_version_and_only_once(
    client: TestClient, people: dict[str, Account]
) -> None:
    sam = people["sam"]
    made = issue(client, sam).json()
    url = f"{API}/{made['id']}/cancel"
    assert_problem(client.post(url, json={"reason": ""}, headers=sam.headers), 422)
    stale = client.post(url, json={"reason": "found"}, headers={**sam.headers, "If-Match": 'W/"7"'})
    assert_problem(stale, 412)
    done = client.post(url, json={"reason": "found"}, headers=sam.headers)
    assert done.status_code == 200 and done.json()["cancelled_by"] == "sam"
    assert_problem(
        client.post(url, json={"reason": "again"}, headers=sam.headers), 409, "already cancelled"
    )
    assert client.get(API, headers=sam.headers).json() == []


def test_retention_functions(
    client: TestClient, db: Database, factory: Factory, people: dict[str, Account]
) -> None:
    dana = people["dana"]
    number = factory.incident(dana, title="Theft")
    link = client.post(
        f"/api/v1/incidents/{number}/subjects",
        json={"role": "suspect", "person": {"name": "Kim Low", "birth_date": "1985-01-02"}},
        headers=dana.headers,
    ).json()
    sid = link["subject_id"]
    old = issue(client, dana, name="", subject_id=sid).json()
    live = issue(client, dana, name="", subject_id=sid).json()
    other = issue(client, dana, name="Someone else").json()
    client.put(f"{API}/{old['id']}/photo", content=jpeg_with_gps(), headers=dana.headers)
    long_ago = datetime.now(UTC) - timedelta(days=400)
    with db.transaction() as s:
        s.execute(update(Bolo).where(Bolo.id == old["id"]).values(expires_at=long_ago))
    with db.session(write=False) as s:
        held = service.for_subject(s, subject_id=sid)
        assert [h["id"] for h in held] == [old["id"], live["id"]]
        assert held[0]["has_photo"] and held[0]["state"] == "expired" and "data" not in held[0]
        assert held[0]["name"] == "Kim Low" and "1985" not in str(held)
        assert held[1]["photo_sha256"] is None and held[1]["sites"] == ["HQ"]
        assert service.subjects_held_since(s, since=long_ago - timedelta(days=1)) == {sid}
        assert service.subjects_held_since(s, since=datetime.now(UTC)) == {sid}  # still active
    with db.transaction() as s:
        s.execute(update(Bolo).where(Bolo.id == live["id"]).values(cancelled_at=long_ago))
    with db.session(write=False) as s:
        assert service.subjects_held_since(s, since=datetime.now(UTC) - timedelta(days=30)) == set()
    with db.transaction() as s:
        assert service.apply_retention(s, before=datetime.now(UTC) - timedelta(days=30)) == 2
    with db.session(write=False) as s:
        assert s.scalars(select(Bolo.id)).all() == [other["id"]]
    assert count(db, BoloPhoto) == 0 and count(db, BoloSite) == 1


def test_issuing_and_cancelling_tell_the_live_screens_of_each_site(
    client: TestClient, db: Database, people: dict[str, Account]
) -> None:
    dana = people["dana"]
    made = issue(client, dana, sites=["HQ", "LAB"]).json()
    client.post(f"{API}/{made['id']}/cancel", json={"reason": "found"}, headers=dana.headers)
    with db.session(write=False) as s:
        rows = s.execute(
            select(LiveEvent.name, LiveEvent.site_id, LiveEvent.payload)
            .where(LiveEvent.name.like("bolo.%"))
            .order_by(LiveEvent.id)
        ).all()
        sites = dict(s.execute(select(Site.id, Site.code)).all())
    seen = [(name, sites[site_id]) for name, site_id, _ in rows]
    assert seen == [
        ("bolo.issued", "HQ"),
        ("bolo.issued", "LAB"),
        ("bolo.cancelled", "HQ"),
        ("bolo.cancelled", "LAB"),
    ]
    assert all(payload["bolo"] == made["id"] for _, _, payload in rows)


def test_a_restricted_incident_number_is_shown_only_to_the_cleared(
    client: TestClient, db: Database, factory: Factory, people: dict[str, Account]
) -> None:
    root = factory.user("chief", "admin", all_sites=True, clearances=["safeguarding"])
    number = factory.incident(root, title="Assault reported")
    r = client.put(
        f"/api/v1/incidents/{number}/classification", json={"type": "assault"}, headers=root.headers
    )
    assert r.status_code == 200, r.text
    made = issue(client, root, incident=number).json()
    assert made["incident"] == number
    seen = client.get(f"{API}/{made['id']}", headers=people["olga"].headers).json()
    assert seen["incident"] is None and seen["reason"] == made["reason"]
