"""Bans and trespass notices over HTTP: a supervisor bans a person seen through an
incident (linked to it as "subject" if not yet; the timeline says so without a date of
birth), the front desk asks "is this person banned here?" by name or ID number and sees
only people banned from one of its sites, bans expire by themselves, are lifted once with
If-Match, every refusal stores nothing, and the retention helpers do what they say."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select, update

from murphy.bans import service
from murphy.bans.models import Ban, BanSite
from murphy.incidents import audit as incidents_audit
from murphy.incidents import service as incidents_service
from murphy.subjects import service as subjects_service
from murphy.subjects.models import SubjectLink


@pytest.fixture
def people(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("NORTH")
    return {
        "root": factory.user("root", "admin", all_sites=True),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
        "nick": factory.user("nick", "supervisor", ["NORTH"]),
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "olly": factory.user("olly", "officer", ["HQ"]),
        "rita": factory.user("rita", "reporter", ["HQ"]),
    }


@pytest.fixture
def incidents(factory, people):
    root = people["root"]
    return {
        "hq": factory.incident(root, "HQ", "Fight in the lobby"),
        "hq2": factory.incident(root, "HQ", "Shoplifting"),
        "north": factory.incident(root, "NORTH", "Abuse at the gate"),
    }


def later(**delta):
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def person(client, who, number, name, role="suspect", **extra):
    body = {"role": role, "person": {"name": name, **extra}}
    r = client.post(f"/api/v1/incidents/{number}/subjects", json=body, headers=who.headers)
    assert r.status_code == 201, r.text
    return r.json()["subject_id"]


def ban(client, who, subject_id, number, status=201, **fields):
    body = {
        "subject_id": subject_id,
        "incident": number,
        "reason": "Assaulted a guard",
        "sites": ["HQ"],
        "ends_at": later(days=30),
        **fields,
    }
    r = client.post("/api/v1/bans", json=body, headers=who.headers)
    assert r.status_code == status, r.text
    return r.json()


def check(client, who, q, site="HQ"):
    r = client.get("/api/v1/bans/check", params={"q": q, "site": site}, headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()["people"]


def timeline(db, who, number):
    with db.transaction() as s:
        entries = incidents_service.timeline(s, principal=who.principal, number=number)
        return [(e.kind, dict(e.data)) for e in entries]


def count(db, model):
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def move(db, ban_id, **times):
    """Move a ban's times (the clock moving on, as far as the ban can tell)."""
    with db.transaction() as s:
        s.execute(update(Ban).where(Ban.id == ban_id).values(**times))


def test_a_supervisor_bans_a_person_who_is_linked_to_the_incident(client, db, people, incidents):
    olly, sam = people["olly"], people["sam"]
    john = person(
        client,
        olly,
        incidents["hq2"],
        "John Smith",
        birth_date="1980-02-03",
        identifiers=[{"kind": "id_card", "value": "X 123-456"}],
    )
    out = ban(client, sam, john, incidents["hq"], conditions="may attend A&E for treatment")
    assert (out["status"], out["kind"], out["name"], out["sites"]) == (
        "active",
        "ban",
        "John Smith",
        ["HQ"],
    )
    assert (out["incident"], out["issued_by"], out["version"]) == (incidents["hq"], "sam", 1)
    with db.transaction() as s:
        roles = s.execute(select(SubjectLink.role).where(SubjectLink.subject_id == john)).all()
    assert sorted(r for (r,) in roles) == ["subject", "suspect"]
    kinds = [k for k, _ in timeline(db, sam, incidents["hq"])]
    assert kinds[-2:] == ["subject_linked", "ban_issued"]
    _, data = timeline(db, sam, incidents["hq"])[-1]
    assert data["ban"] == out["id"] and data["label"] == "John Smith" and data["sites"] == ["HQ"]
    assert "1980" not in str(data) and "123" not in str(data)
    r = client.get(f"/api/v1/bans/{out['id']}", headers=olly.headers)
    assert r.status_code == 200 and r.headers["etag"] == 'W/"1"'
    assert r.json()["conditions"] == "may attend A&E for treatment"


def test_a_person_already_on_the_incident_is_not_linked_twice(client, db, people, incidents):
    sam = people["sam"]
    john = person(client, sam, incidents["hq"], "John Smith")
    ban(client, sam, john, incidents["hq"])
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(SubjectLink)) == 1


def test_the_front_desk_finds_a_banned_person_by_name_or_id_number(client, db, people, incidents):
    sam, dana = people["sam"], people["dana"]
    john = person(
        client,
        sam,
        incidents["hq"],
        "John Smith",
        identifiers=[{"kind": "passport", "value": "X 123-456"}],
    )
    person(client, sam, incidents["hq"], "Jane Smith")
    out = ban(client, sam, john, incidents["hq"], reason="Threatened staff")
    for q in ("smi", "john smith", "Smith J", "x123456", "X-123 456"):
        (found,) = check(client, dana, q)
        assert (found["subject_id"], found["verdict"]) == (john, "banned_here"), q
        assert found["here"]["id"] == out["id"]
        assert found["here"]["reason"] == "Threatened staff"
    assert check(client, dana, "jane") == []  # on record, but no ban: nothing shown
    assert check(client, dana, "nobody") == []


def test_a_ban_at_another_site_an_upcoming_one_and_an_ended_one_read_calm(
    client, db, people, incidents
):
    root = people["root"]
    john = person(client, root, incidents["north"], "John Smith")
    out = ban(client, root, john, incidents["north"], sites=["NORTH"])
    (found,) = check(client, root, "smith", site="HQ")
    assert (found["verdict"], found["here"]["sites"]) == ("banned_elsewhere", ["NORTH"])
    assert check(client, root, "smith", site="NORTH")[0]["verdict"] == "banned_here"
    move(db, out["id"], starts_at=datetime.now(UTC) + timedelta(days=2))
    assert check(client, root, "smith", site="NORTH")[0]["verdict"] == "upcoming"
    ended = datetime.now(UTC) - timedelta(days=1)
    move(db, out["id"], starts_at=ended - timedelta(days=30), ends_at=ended)
    (found,) = check(client, root, "smith", site="NORTH")
    assert (found["verdict"], found["here"]["status"]) == ("ended", "expired")


def test_people_banned_only_from_sites_out_of_scope_stay_hidden(client, people, incidents):
    nick, dana = people["nick"], people["dana"]
    john = person(client, nick, incidents["north"], "John Smith")
    out = ban(client, nick, john, incidents["north"], sites=["NORTH"])
    assert check(client, dana, "smith") == []
    assert client.get(f"/api/v1/bans/{out['id']}", headers=dana.headers).status_code == 404
    r = client.get("/api/v1/bans", headers=dana.headers)
    assert r.status_code == 200 and r.json() == []
    r = client.get(
        "/api/v1/bans/check", params={"q": "smith", "site": "NORTH"}, headers=dana.headers
    )
    assert r.status_code == 404


def test_bans_expire_by_themselves(client, db, people, incidents):
    sam = people["sam"]
    john = person(client, sam, incidents["hq"], "John Smith")
    out = ban(client, sam, john, incidents["hq"])
    active = client.get(
        "/api/v1/bans", params={"site": "HQ", "status": "active"}, headers=sam.headers
    )
    assert [b["id"] for b in active.json()] == [out["id"]]
    past = datetime.now(UTC) - timedelta(minutes=1)
    move(db, out["id"], starts_at=past - timedelta(days=10), ends_at=past)
    active = client.get("/api/v1/bans", params={"status": "active"}, headers=sam.headers)
    assert active.json() == []
    expired = client.get("/api/v1/bans", params={"status": "expired"}, headers=sam.headers)
    assert [(b["id"], b["status"]) for b in expired.json()] == [(out["id"], "expired")]


def test_a_ban_is_lifted_once_with_if_match(client, db, people, incidents):
    sam, olly = people["sam"], people["olly"]
    john = person(client, sam, incidents["hq"], "John Smith")
    out = ban(client, sam, john, incidents["hq"])
    url = f"/api/v1/bans/{out['id']}/lift"
    body = {"reason": "Appeal upheld"}
    assert client.post(url, json=body, headers=olly.headers).status_code == 403
    stale = client.post(url, json=body, headers={**sam.headers, "If-Match": 'W/"7"'})
    assert stale.status_code == 412
    r = client.post(url, json=body, headers={**sam.headers, "If-Match": 'W/"1"'})
    assert r.status_code == 200, r.text
    assert (r.json()["status"], r.json()["lifted_by"], r.json()["version"]) == ("lifted", "sam", 2)
    again = client.post(url, json=body, headers=sam.headers)
    assert again.status_code == 409
    assert again.headers["content-type"].startswith("application/problem+json")
    kind, data = timeline(db, sam, incidents["hq"])[-1]
    assert (kind, data["reason"], data["ban"]) == ("ban_lifted", "Appeal upheld", out["id"])
    with db.transaction() as s:  # the names are sealed (retention may remove them later)
        assert incidents_audit.verify(s).ok
    (found,) = check(client, sam, "smith")
    assert (found["verdict"], found["here"]["status"]) == ("ended", "lifted")


def test_an_ended_ban_cannot_be_lifted(client, db, people, incidents):
    sam = people["sam"]
    john = person(client, sam, incidents["hq"], "John Smith")
    out = ban(client, sam, john, incidents["hq"])
    past = datetime.now(UTC) - timedelta(minutes=1)
    move(db, out["id"], starts_at=past - timedelta(days=1), ends_at=past)
    r = client.post(f"/api/v1/bans/{out['id']}/lift", json={"reason": "x"}, headers=sam.headers)
    assert r.status_code == 409 and "already ended" in r.json()["detail"]


@pytest.mark.parametrize(
    ("who", "fields", "status", "words"),
    [
        ("olly", {}, 403, "may not issue"),
        ("rita", {}, 403, "may not issue"),
        ("sam", {"sites": []}, 422, "at least one site"),
        ("sam", {"sites": ["NORTH"]}, 422, "NORTH is not one of your sites"),
        ("sam", {"sites": ["NOPE"]}, 422, "NOPE is not one of your sites"),
        ("sam", {"starts_at": later(days=5), "ends_at": later(days=4)}, 422, "end after"),
        ("sam", {"ends_at": later(days=-1)}, 422, "already past"),
        ("sam", {"ends_at": later(days=3700)}, 422, "at most 10 years"),
        ("sam", {"ends_at": "2030-01-01T00:00:00"}, 422, "offset"),
        ("sam", {"reason": ""}, 422, "reason"),
        ("sam", {"kind": "trespass"}, 422, "served"),
        ("sam", {"served_how": "post"}, 422, "only a trespass notice"),
        ("sam", {"incident": "INC-999999"}, 404, "no incident"),
    ],
)
def test_bad_bans_are_refused_and_nothing_is_stored(
    client, db, people, incidents, who, fields, status, words
):
    john = person(client, people["root"], incidents["hq"], "John Smith")
    out = ban(client, people[who], john, incidents["hq"], status=status, **fields)
    assert words in str(out), out
    assert count(db, Ban) == 0 and count(db, BanSite) == 0


def test_a_vehicle_or_a_record_out_of_sight_cannot_be_banned(client, db, people, incidents):
    root, sam = people["root"], people["sam"]
    body = {"role": "subject", "vehicle": {"plate": "AB12CDE"}}
    r = client.post(
        f"/api/v1/incidents/{incidents['hq']}/subjects", json=body, headers=root.headers
    )
    car = r.json()["subject_id"]
    out = ban(client, sam, car, incidents["hq"], status=422)
    assert "vehicle" in out["detail"]
    hidden = person(client, root, incidents["north"], "Nina North")
    out = ban(client, sam, hidden, incidents["hq"], status=404)
    assert count(db, Ban) == 0
    with db.transaction() as s:  # not linked to HQ's incident through the refusal either
        assert s.scalar(select(func.count()).where(SubjectLink.subject_id == hidden)) == 1


def test_a_reporter_may_not_read_bans(client, people, incidents):
    rita = people["rita"]
    john = person(client, people["sam"], incidents["hq"], "John Smith")
    out = ban(client, people["sam"], john, incidents["hq"])
    r = client.get("/api/v1/bans/check", params={"q": "smith", "site": "HQ"}, headers=rita.headers)
    assert r.status_code == 403
    assert r.headers["content-type"].startswith("application/problem+json")
    assert client.get(f"/api/v1/bans/{out['id']}", headers=rita.headers).status_code == 403
    assert client.get("/api/v1/bans", headers=rita.headers).status_code == 403


def test_a_trespass_notice_records_how_it_was_served(client, people, incidents):
    sam = people["sam"]
    john = person(client, sam, incidents["hq"], "John Smith")
    out = ban(client, sam, john, incidents["hq"], kind="trespass", served_how="in_person")
    assert (out["kind"], out["served_how"], out["served_by"]) == ("trespass", "in_person", "Sam")
    assert out["served_at"] is not None
    out = ban(
        client,
        sam,
        john,
        incidents["hq"],
        kind="trespass",
        served_how="post",
        served_by="Site office",
    )
    assert out["served_by"] == "Site office"


def test_opening_a_ban_logs_a_view_of_the_persons_record(client, db, people, incidents):
    sam, dana = people["sam"], people["dana"]
    john = person(client, sam, incidents["hq"], "John Smith")
    out = ban(client, sam, john, incidents["hq"])
    check(client, dana, "smith")  # the lookup shows a verdict only: not a view
    with db.transaction() as s:
        assert subjects_service.views_of(s, subject_id=john) == []
    client.get(f"/api/v1/bans/{out['id']}", headers=dana.headers)
    with db.transaction() as s:
        views = subjects_service.views_of(s, subject_id=john)
    assert [(u, how) for u, _, how in views] == [(dana.principal.id, "api")]


def test_a_ban_follows_its_person_into_a_merged_record(client, db, people, incidents):
    root = people["root"]
    old = person(client, root, incidents["hq"], "Jon Smyth")
    keep = person(client, root, incidents["hq2"], "John Smith")
    ban(client, root, old, incidents["hq"])
    r = client.post(f"/api/v1/subjects/{old}/merge", json={"into": keep}, headers=root.headers)
    assert r.status_code == 200, r.text
    for q in ("smyth", "john smith"):
        (found,) = check(client, root, q)
        assert (found["subject_id"], found["verdict"]) == (keep, "banned_here"), q


def test_retention_helpers(client, db, people, incidents):
    sam = people["sam"]
    john = person(client, sam, incidents["hq"], "John Smith")
    jane = person(client, sam, incidents["hq"], "Jane Doe")
    old = ban(client, sam, john, incidents["hq"])
    live = ban(client, sam, jane, incidents["hq"])
    lifted = ban(client, sam, jane, incidents["hq"])
    client.post(f"/api/v1/bans/{lifted['id']}/lift", json={"reason": "x"}, headers=sam.headers)
    long_ago = datetime.now(UTC) - timedelta(days=800)
    move(db, old["id"], starts_at=long_ago - timedelta(days=30), ends_at=long_ago)
    now = datetime.now(UTC)
    with db.transaction() as s:
        (plain,) = service.for_subject(s, subject_id=john)
        assert (plain["id"], plain["status"], plain["sites"]) == (old["id"], "expired", ["HQ"])
        assert plain["ends_at"].endswith("Z")
        assert service.subjects_held_since(s, since=now - timedelta(days=365)) == {jane}
        assert service.subjects_held_since(s, since=long_ago - timedelta(days=1)) == {john, jane}
        assert service.apply_retention(s, before=now - timedelta(days=365)) == 1
    with db.transaction() as s:
        assert service.for_subject(s, subject_id=john) == []
        assert {b["id"] for b in service.for_subject(s, subject_id=jane)} == {
            live["id"],
            lifted["id"],
        }
        assert service.apply_retention(s, before=now + timedelta(minutes=1)) == 1  # the lifted
        assert s.scalar(select(func.count()).select_from(BanSite)) == 1
