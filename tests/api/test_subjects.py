"""People and vehicles over HTTP: added from an incident (its timeline says so, without
the date of birth), found by name words or plate (only through incidents the caller may
see: another site's or a restricted type's stay hidden), possible duplicates flagged and
merged only on request, every view of a record logged, permissions and refusals that
store nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn
from murphy.subjects import service
from murphy.subjects.models import Subject, SubjectLink, SubjectView


@pytest.fixture
def people(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("NORTH")
    return {
        "admin": factory.user("root", "admin", all_sites=True, clearances=["safeguarding"]),
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "olly": factory.user("olly", "officer", ["HQ"]),
        "ana": factory.user("ana", "analyst", ["HQ"]),
        "nora": factory.user("nora", "officer", ["NORTH"]),
    }


@pytest.fixture
def incidents(db, factory, people):
    """Two HQ incidents, one at NORTH, and a restricted (safeguarding) one at HQ."""
    admin = people["admin"]
    out = {
        "hq": factory.incident(admin, "HQ", "Fight in the lobby"),
        "hq2": factory.incident(admin, "HQ", "Car broken into"),
        "north": factory.incident(admin, "NORTH", "Theft at the gate"),
        "secret": factory.incident(admin, "HQ", "Assault reported"),
    }
    with db.transaction() as s:
        triage.classify(
            s, principal=admin.principal, number=out["secret"], data=ClassifyIn(type="assault")
        )
    return out


def add(client, who, number, role="witness", status=201, **subject):
    r = client.post(
        f"/api/v1/incidents/{number}/subjects", json={"role": role, **subject}, headers=who.headers
    )
    assert r.status_code == status, r.text
    return r.json()


def person(client, who, number, name, role="witness", **extra):
    return add(client, who, number, role, person={"name": name, **extra})


def vehicle(client, who, number, plate, role="subject", **extra):
    return add(client, who, number, role, vehicle={"plate": plate, **extra})


def find(client, who, q, **params):
    r = client.get("/api/v1/subjects", params={"q": q, **params}, headers=who.headers)
    assert r.status_code == 200, r.text
    return r.json()


def timeline(db, who, number):
    with db.transaction() as s:
        entries = incidents_service.timeline(s, principal=who.principal, number=number)
        return [(e.kind, dict(e.data)) for e in entries]


def count(db, model):
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_officer_adds_a_person_and_the_timeline_keeps_no_private_details(
    client, db, people, incidents
):
    olly = people["olly"]
    out = person(
        client,
        olly,
        incidents["hq"],
        "Zoë Müller",
        role="victim",
        birth_date="1985-04-02",
        description="tall, red jacket",
        identifiers=[{"kind": "passport", "value": "X 123-456"}],
    )
    assert (out["label"], out["role"], out["kind"]) == ("Zoë Müller", "victim", "person")
    assert out["possible_duplicates"] == []
    r = client.get(f"/api/v1/incidents/{incidents['hq']}/subjects", headers=olly.headers)
    assert [x["label"] for x in r.json()] == ["Zoë Müller"]
    kind, data = timeline(db, olly, incidents["hq"])[-1]
    assert kind == "subject_linked"
    assert data == {
        "subject": out["subject_id"],
        "kind": "person",
        "label": "Zoë Müller",
        "role": "victim",
    }
    detail = client.get(f"/api/v1/subjects/{out['subject_id']}", headers=olly.headers)
    assert detail.status_code == 200
    assert detail.headers["etag"] == '"1"'
    body = detail.json()
    assert body["birth_date"] == "1985-04-02"
    assert body["identifiers"] == [{"kind": "passport", "value": "X 123-456"}]
    assert [i["number"] for i in body["incidents"]] == [incidents["hq"]]


def test_names_are_found_by_the_start_of_any_word_in_either_order(client, people, incidents):
    dana = people["dana"]
    john = person(client, dana, incidents["hq"], "John Smith")["subject_id"]
    jane = person(client, dana, incidents["hq2"], "Smith, Jane")["subject_id"]
    zoe = person(client, dana, incidents["hq"], "Zoë Müller")["subject_id"]
    assert {h["id"] for h in find(client, dana, "smi")} == {john, jane}
    assert [h["id"] for h in find(client, dana, "john smi")] == [john]
    assert [h["id"] for h in find(client, dana, "SMITH, jo")] == [john]
    assert [h["id"] for h in find(client, dana, "muller")] == [zoe]
    assert [h["id"] for h in find(client, dana, "zoe")] == [zoe]
    assert find(client, dana, "smx") == []
    (hit,) = find(client, dana, "jane")
    assert hit["incidents"][0]["number"] == incidents["hq2"]
    assert hit["incidents"][0]["role"] == "witness"
    assert hit["incidents"][0]["title"] == "Car broken into"


def test_plates_are_found_whatever_their_spacing_and_by_prefix(client, people, incidents):
    dana = people["dana"]
    car = vehicle(client, dana, incidents["hq"], "AB-12 cde", make="Ford", colour="blue")
    assert car["label"] == "AB-12 cde"
    assert [h["id"] for h in find(client, dana, "AB12CDE")] == [car["subject_id"]]
    assert [h["id"] for h in find(client, dana, "ab 12", kind="vehicle")] == [car["subject_id"]]
    assert find(client, dana, "ab12", kind="person") == []
    assert find(client, dana, "XY12") == []
    assert find(client, dana, "AB12CDE")[0]["summary"] == "blue Ford"


def test_search_shows_only_incidents_the_caller_may_see(client, people, incidents):
    admin, dana = people["admin"], people["dana"]
    hidden = person(client, admin, incidents["secret"], "Harriet Quill", role="victim")
    person(client, admin, incidents["north"], "Norbert Gate")
    both = person(client, admin, incidents["hq"], "Bella Both")["subject_id"]
    add(client, admin, incidents["secret"], subject_id=both)
    # the restricted HR case does not leak through a name search, nor another site's
    assert find(client, dana, "harriet") == []
    assert find(client, dana, "norbert") == []
    assert [h["id"] for h in find(client, admin, "harriet")] == [hidden["subject_id"]]
    (hit,) = find(client, dana, "bella")
    assert [i["number"] for i in hit["incidents"]] == [incidents["hq"]]
    (seen,) = find(client, admin, "bella")
    assert {i["number"] for i in seen["incidents"]} == {incidents["hq"], incidents["secret"]}
    # nor through the record itself
    r = client.get(f"/api/v1/subjects/{hidden['subject_id']}", headers=dana.headers)
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("application/problem+json")
    r = client.get(f"/api/v1/subjects/{both}", headers=dana.headers)
    assert [i["number"] for i in r.json()["incidents"]] == [incidents["hq"]]


def test_possible_duplicates_are_flagged_never_merged(client, db, people, incidents):
    dana = people["dana"]
    first = person(client, dana, incidents["hq"], "John Smith", birth_date="1980-01-01")
    second = person(client, dana, incidents["hq2"], "Smith, John", birth_date="1980-01-01")
    (dup,) = second["possible_duplicates"]
    assert (dup["id"], dup["reason"]) == (first["subject_id"], "same name and date of birth")
    other_dob = person(client, dana, incidents["hq2"], "John Smith", birth_date="1990-05-05")
    assert other_dob["possible_duplicates"] == []
    no_dob = person(client, dana, incidents["hq"], "john  SMITH")
    reasons = {d["id"]: d["reason"] for d in no_dob["possible_duplicates"]}
    assert reasons[first["subject_id"]] == "same name, a date of birth missing"
    assert len(reasons) == 3
    ided = person(
        client,
        dana,
        incidents["hq"],
        "Ann Lee",
        identifiers=[{"kind": "staff_number", "value": "S-1001"}],
    )
    again = person(
        client,
        dana,
        incidents["hq2"],
        "Annie Leigh",
        identifiers=[{"kind": "staff_number", "value": "s1001"}],
    )
    assert [(d["id"], d["reason"]) for d in again["possible_duplicates"]] == [
        (ided["subject_id"], "same identifier")
    ]
    car = vehicle(client, dana, incidents["hq"], "AB 12 CDE")
    car2 = vehicle(client, dana, incidents["hq2"], "ab-12-cde")
    assert [d["id"] for d in car2["possible_duplicates"]] == [car["subject_id"]]
    r = client.get(f"/api/v1/subjects/{car['subject_id']}/duplicates", headers=dana.headers)
    assert [(d["id"], d["reason"]) for d in r.json()] == [(car2["subject_id"], "same plate")]
    with db.transaction() as s:
        assert s.scalar(select(func.count()).where(Subject.merged_into_id.is_not(None))) == 0


def test_merge_moves_links_without_doubles_and_the_old_record_points_on(
    client, db, people, incidents
):
    dana, olly = people["dana"], people["olly"]
    keep = person(client, dana, incidents["hq"], "John Smith", role="suspect")["subject_id"]
    gone = person(client, dana, incidents["hq2"], "Smith John", role="witness")["subject_id"]
    add(client, dana, incidents["hq"], role="victim", subject_id=gone)
    url = f"/api/v1/subjects/{gone}/merge"
    r = client.post(url, json={"into": keep}, headers=olly.headers)
    assert r.status_code == 403
    r = client.post(url, json={"into": gone}, headers=dana.headers)
    assert r.status_code == 422
    r = client.post(url, json={"into": keep}, headers=dana.headers)
    assert r.status_code == 200, r.text
    roles = {(i["number"], i["role"]) for i in r.json()["incidents"]}
    assert roles == {(incidents["hq"], "suspect"), (incidents["hq2"], "witness")}
    with db.transaction() as s:
        assert s.scalar(select(func.count()).select_from(SubjectLink)) == 2
        assert s.get(Subject, gone).merged_into_id == keep
    for number in (incidents["hq"], incidents["hq2"]):
        kind, data = timeline(db, dana, number)[-1]
        assert (kind, data["merged"], data["subject"]) == ("subjects_merged", gone, keep)
    r = client.get(f"/api/v1/subjects/{gone}", headers=dana.headers, follow_redirects=False)
    assert r.status_code == 308
    assert r.headers["location"] == f"/api/v1/subjects/{keep}"
    assert [h["id"] for h in find(client, dana, "smith")] == [keep]
    r = client.post(f"/api/v1/subjects/{gone}/merge", json={"into": keep}, headers=dana.headers)
    assert r.status_code == 409


def test_every_view_of_a_record_is_logged_but_not_a_search(client, db, people, incidents):
    dana, olly = people["dana"], people["olly"]
    sid = person(client, olly, incidents["hq"], "Peter Pan")["subject_id"]
    find(client, dana, "peter")
    assert count(db, SubjectView) == 0
    client.get(f"/api/v1/subjects/{sid}", headers=dana.headers)
    client.get(f"/api/v1/subjects/{sid}", headers=olly.headers)
    with db.transaction() as s:
        views = service.views_of(s, subject_id=sid)
    assert [(u, how) for u, _, how in views] == [
        (dana.principal.id, "api"),
        (olly.principal.id, "api"),
    ]


def test_permissions_refuse_and_store_nothing(client, db, people, incidents):
    ana, olly, nora = people["ana"], people["olly"], people["nora"]
    add(client, ana, incidents["hq"], status=403, person={"name": "No Body"})
    # another site's incident answers as if it did not exist
    add(client, nora, incidents["hq"], status=404, person={"name": "No Body"})
    add(client, olly, incidents["secret"], status=404, person={"name": "No Body"})
    assert count(db, Subject) == 0
    sid = person(client, olly, incidents["hq"], "Tom Thumb")["subject_id"]
    r = client.patch(f"/api/v1/subjects/{sid}", json={"description": "x"}, headers=ana.headers)
    assert r.status_code == 403
    r = client.get(f"/api/v1/subjects/{sid}", headers=nora.headers)
    assert r.status_code == 404
    assert count(db, SubjectView) == 0


def test_edit_with_if_match_and_keys_follow(client, people, incidents):
    olly = people["olly"]
    sid = person(client, olly, incidents["hq"], "Tom Thumb")["subject_id"]
    url = f"/api/v1/subjects/{sid}"
    r = client.patch(
        url, json={"name": "Thomas Thumbling"}, headers={**olly.headers, "If-Match": '"1"'}
    )
    assert r.status_code == 200, r.text
    assert r.headers["etag"] == '"2"'
    assert [h["id"] for h in find(client, olly, "thoma")] == [sid]
    assert find(client, olly, "tom") == []
    r = client.patch(url, json={"name": "Tom"}, headers={**olly.headers, "If-Match": '"1"'})
    assert r.status_code == 412
    assert client.get(url, headers=olly.headers).json()["name"] == "Thomas Thumbling"
    r = client.patch(url, json={"plate": "AB12CDE", "description": "x"}, headers=olly.headers)
    assert r.status_code == 422 and "a person has no plate" in r.text
    assert client.get(url, headers=olly.headers).json()["description"] != "x"


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"role": "witness", "person": {"name": ""}}, 422),
        ({"role": "witness", "person": {"name": " , - "}}, 422),
        ({"role": "witness", "person": {"name": "Al", "birth_date": "2999-01-01"}}, 422),
        ({"role": "witness", "person": {"name": "Al", "birth_date": "1899-12-31"}}, 422),
        ({"role": "witness", "vehicle": {"plate": "-- ·"}}, 422),
        ({"role": "bystander", "person": {"name": "Al"}}, 422),
        ({"role": "witness"}, 422),
        ({"role": "witness", "subject_id": 999}, 404),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(client, db, people, incidents, body, status):
    r = client.post(
        f"/api/v1/incidents/{incidents['hq']}/subjects", json=body, headers=people["olly"].headers
    )
    assert r.status_code == status, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert count(db, Subject) == 0
    assert count(db, SubjectLink) == 0


def test_a_second_link_to_the_same_incident_is_a_conflict_and_unlink_works(
    client, db, people, incidents
):
    olly = people["olly"]
    out = person(client, olly, incidents["hq"], "Tom Thumb")
    add(client, olly, incidents["hq"], role="victim", status=409, subject_id=out["subject_id"])
    assert count(db, SubjectLink) == 1
    other = client.delete(
        f"/api/v1/incidents/{incidents['hq2']}/subjects/{out['id']}", headers=olly.headers
    )
    assert other.status_code == 404
    r = client.delete(
        f"/api/v1/incidents/{incidents['hq']}/subjects/{out['id']}", headers=olly.headers
    )
    assert r.status_code == 204
    assert count(db, SubjectLink) == 0
    kind, data = timeline(db, olly, incidents["hq"])[-1]
    assert (kind, data["label"], data["role"]) == ("subject_unlinked", "Tom Thumb", "witness")
