"""Retention on a real database and a real evidence store: a run long after an incident
ended anonymizes its people, vehicles and statements, deletes its evidence files, its
reporter's contact details and its photos, and says so on the (still valid) timeline; the
incident, its facts and the roles of the people in it stay. Open incidents are never
touched, a dry run changes nothing, the rules are the privacy officer's, and everything
held about a person can be exported (and the export is logged)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from murphy.analytics.models import IncidentFact
from murphy.core import timers
from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.core.models import Timer
from murphy.incidents import audit
from murphy.incidents import service as incidents_service
from murphy.retention import plugin, service
from murphy.retention.schemas import RecordType
from murphy.settings import Settings
from murphy.subjects import service as subjects_service
from tests.api.test_evidence import JPEG, upload
from tests.factories import Account, Factory

EIGHT_YEARS = timedelta(days=8 * 365)
CONTACT = {"name": "Ana Reyes", "phone": "+49 30 1234567", "email": "ana@example.org"}
PERSON = {
    "name": "Marek Novak",
    "birth_date": "1990-04-02",
    "description": "tall, grey hoodie",
    "identifiers": [{"kind": "id_card", "value": "X1234567"}],
}


@pytest.fixture
def people(factory: Factory) -> dict[str, Account]:
    factory.site("HQ")
    factory.taxonomy()
    return {
        "ada": factory.user("ada", "admin"),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
        "olga": factory.user("olga", "officer", ["HQ"]),
    }


def documented(
    client: TestClient, factory: Factory, who: Account, title: str
) -> dict[str, int | str]:
    """An incident with a reporter's contact, a person, a vehicle, a statement and a file."""
    number = factory.incident(who, title=title, contact=CONTACT)
    base = f"/api/v1/incidents/{number}"
    person = client.post(
        f"{base}/subjects", json={"person": PERSON, "role": "suspect"}, headers=who.headers
    )
    vehicle = client.post(
        f"{base}/subjects",
        json={"vehicle": {"plate": "B-MN 4711"}, "role": "subject"},
        headers=who.headers,
    )
    assert person.status_code == vehicle.status_code == 201, person.text
    said = client.post(
        f"{base}/statements",
        json={
            "giver": "witness",
            "name": "Jane Okafor",
            "contact": "+44 7700 900123",
            "method": "typed",
            "body": "He ran to the car park with the laptop.",
        },
        headers=who.headers,
    ).json()
    done = client.post(
        f"{base}/statements/{said['id']}/submit",
        json={"sign_off": "signed", "signed_name": "Jane Okafor"},
        headers=who.headers,
    )
    assert done.status_code == 200, done.text
    file = upload(client, who, number, JPEG)
    assert file.status_code == 201, file.text
    return {
        "number": number,
        "person": person.json()["subject_id"],
        "vehicle": vehicle.json()["subject_id"],
        "statement": said["id"],
        "file": file.json()["id"],
    }


def cancel(client: TestClient, who: Account, number: str) -> None:
    r = client.post(
        f"/api/v1/incidents/{number}/transitions",
        json={"to": "cancelled", "reason": "handled by the police"},
        headers=who.headers,
    )
    assert r.status_code == 200, r.text


def test_a_run_long_after_an_incident_ended_removes_personal_data_and_keeps_statistics(
    client: TestClient, db: Database, settings: Settings, factory: Factory, people
) -> None:
    sam, ada = people["sam"], people["ada"]
    old = documented(client, factory, sam, "Laptop taken")
    still_open = documented(client, factory, sam, "Bike taken")
    cancel(client, sam, str(old["number"]))
    stored = [p for p in Path(settings.evidence_dir).rglob("*") if p.is_file()]
    assert len(stored) == 2
    with db.transaction(write=False) as s:
        facts_before = s.scalar(select(func.count()).select_from(IncidentFact))

    with db.transaction() as s:
        out = service.run(s, principal=ada.principal, now=utcnow() + EIGHT_YEARS)
    # The open incident's person shares nothing with the old one: only the old one's go.
    assert out.counts["people"] == 1 and out.counts["vehicles"] == 1
    assert out.counts["statements"] == 1 and out.counts["evidence_files"] == 1
    assert out.counts["reporter_contacts"] == 1 and out.id is not None

    with db.transaction(write=False) as s:
        gone = subjects_service.export(s, principal=ada.principal, subject_id=int(old["person"]))
        kept = subjects_service.export(
            s, principal=ada.principal, subject_id=int(still_open["person"])
        )
        assert (
            gone["record"]["name"] == "Anonymized person" and gone["record"]["birth_date"] is None
        )
        assert gone["record"]["identifiers"] == [] and gone["record"]["description"] == ""
        assert gone["incidents"][0]["role"] == "suspect"  # the role, and so the statistics, stay
        assert kept["record"]["name"] == "Marek Novak" and kept["record"]["identifiers"]
        assert incidents_service.contact(s, incident_id=_id(s, old["number"])) is None
        assert incidents_service.contact(s, incident_id=_id(s, still_open["number"])) is not None
        found = subjects_service.search(s, principal=sam.principal, q="Novak", kind=None)
        assert [h.id for h in found] == [still_open["person"]]  # the old record is no longer found
        entries = incidents_service.timeline(s, principal=sam.principal, number=str(old["number"]))
        applied = [e for e in entries if e.kind == service.APPLIED]
        written = json.dumps([e.data for e in entries])
        for personal in ("Marek Novak", "Jane Okafor", "B-MN 4711"):
            assert personal not in written  # off the timeline too, which still verifies
        assert "Anonymized person" in written and "Anonymized vehicle" in written
        assert len(applied) == 1 and applied[0].data["statements"] == 1
        assert applied[0].data["evidence_files"] == 1 and applied[0].data["reporter_contacts"] == 1
        assert audit.verify(s).ok
        assert s.scalar(select(func.count()).select_from(IncidentFact)) == facts_before

    statement = client.get(
        f"/api/v1/incidents/{old['number']}/statements/{old['statement']}", headers=sam.headers
    ).json()
    assert statement["name"] == "" and statement["contact"] == "" and "removed" in statement["body"]
    assert statement["sha256"] and statement["anonymized_at"]
    # The evidence file: marked deleted in the run, its bytes removed after it committed.
    content = client.get(
        f"/api/v1/incidents/{old['number']}/evidence/{old['file']}/content", headers=sam.headers
    )
    assert content.status_code == 410 and "retention" in content.json()["detail"]
    assert len([p for p in Path(settings.evidence_dir).rglob("*") if p.is_file()]) == 2
    with db.transaction() as s:
        from murphy.core.blobs import LocalBlobStore
        from murphy.evidence import service as evidence_service

        assert (
            evidence_service.remove_deleted(s, store=LocalBlobStore(Path(settings.evidence_dir)))
            == 1
        )
    assert len([p for p in Path(settings.evidence_dir).rglob("*") if p.is_file()]) == 1

    # An anonymized record and statement cannot be changed back.
    edit = client.patch(
        f"/api/v1/subjects/{old['person']}", json={"description": "x"}, headers=ada.headers
    )
    assert edit.status_code == 409 and "anonymized" in edit.json()["detail"]

    with db.transaction() as s:  # a second run finds only the two exports' logged views
        again = service.run(s, principal=ada.principal, now=utcnow() + EIGHT_YEARS)
    assert again.total == again.counts["person_views"] == 2


def test_a_dry_run_counts_exactly_and_changes_nothing(
    client: TestClient, db: Database, factory: Factory, people
) -> None:
    sam, ada = people["sam"], people["ada"]
    old = documented(client, factory, sam, "Laptop taken")
    cancel(client, sam, str(old["number"]))
    r = client.post("/api/v1/retention/runs", params={"dry_run": "true"}, headers=ada.headers)
    assert r.status_code == 200 and r.json()["total"] == 0  # not yet: the periods are years
    with db.transaction() as s:
        dry = service.run(s, principal=ada.principal, now=utcnow() + EIGHT_YEARS, dry_run=True)
    assert dry.dry_run and dry.id is None and dry.counts["people"] == 1 and dry.total >= 5
    with db.transaction(write=False) as s:
        record = subjects_service.export(s, principal=ada.principal, subject_id=int(old["person"]))
        assert record["record"]["name"] == "Marek Novak"
        assert service.runs(s, principal=ada.principal) == []
        kinds = [
            e.kind
            for e in incidents_service.timeline(
                s, principal=sam.principal, number=str(old["number"])
            )
        ]
        assert service.APPLIED not in kinds


def test_rules_are_the_privacy_officers_and_bad_changes_are_refused(
    client: TestClient, db: Database, factory: Factory, people
) -> None:
    ada, sam = people["ada"], people["sam"]
    refused = client.get("/api/v1/retention/rules", headers=sam.headers)
    assert refused.status_code == 403 and refused.headers["content-type"].startswith(
        "application/problem+json"
    )
    rules = {
        r["record_type"]: r
        for r in client.get("/api/v1/retention/rules", headers=ada.headers).json()
    }
    assert set(rules) == {t.value for t in RecordType} and rules["people"]["action"] == "anonymize"
    bad = [
        ("people", {"action": "delete"}, 422, "only be set to anonymize"),
        ("people", {"days": 0}, 422, "days"),
        ("planets", {"days": 10}, 422, "unknown record type"),
        ("people", {"days": 30, "colour": "red"}, 422, "colour"),
    ]
    for record_type, body, status, words in bad:
        r = client.patch(f"/api/v1/retention/rules/{record_type}", json=body, headers=ada.headers)
        assert r.status_code == status and words in r.text, (record_type, body, r.text)
    ok = client.patch(
        "/api/v1/retention/rules/statements",
        json={"days": 30, "enabled": False},
        headers=ada.headers,
    )
    assert ok.status_code == 200 and ok.json()["changed"] and ok.json()["updated_by"] == "ada"
    old = documented(client, factory, sam, "Laptop taken")
    cancel(client, sam, str(old["number"]))
    with db.transaction() as s:
        out = service.run(s, principal=ada.principal, now=utcnow() + EIGHT_YEARS)
    assert "statements" not in out.counts  # switched off: not run
    statement = client.get(
        f"/api/v1/incidents/{old['number']}/statements/{old['statement']}", headers=sam.headers
    )
    assert statement.json()["name"] == "Jane Okafor"


def test_everything_held_about_a_person_is_exported_and_the_export_is_logged(
    client: TestClient, db: Database, factory: Factory, people
) -> None:
    ada, sam = people["ada"], people["sam"]
    case = documented(client, factory, sam, "Laptop taken")
    link = client.post(
        f"/api/v1/incidents/{case['number']}/statements",
        json={"giver": "suspect", "name": "marek novak ", "method": "typed", "body": "I found it."},
        headers=sam.headers,
    )
    assert link.status_code == 201
    assert (
        client.get(f"/api/v1/subjects/{case['person']}/export", headers=sam.headers).status_code
        == 403
    )
    r = client.get(f"/api/v1/subjects/{case['person']}/export", headers=ada.headers)
    assert r.status_code == 200 and "attachment" in r.headers["content-disposition"]
    data = r.json()
    assert data["person"]["name"] == "Marek Novak" and data["person"]["birth_date"] == "1990-04-02"
    assert data["person"]["identifiers"] == [{"kind": "id_card", "value": "X1234567"}]
    assert [i["number"] for i in data["incidents"]] == [case["number"]]
    assert [s["body"] for s in data["statements"]] == ["I found it."]  # given under the name
    assert client.get("/api/v1/subjects/999999/export", headers=ada.headers).status_code == 404
    with db.transaction(write=False) as s:
        views = subjects_service.views_of(s, subject_id=int(case["person"]))
    assert [how for _, _, how in views] == ["export"]


def test_the_daily_run_is_armed_once_and_arms_the_next(db: Database, people) -> None:
    now = utcnow()
    with db.transaction() as s:
        service.arm(s, now=now)
        service.arm(s, now=now)  # at every start: armed already, nothing changes
    with db.transaction(write=False) as s:
        armed = s.scalars(select(Timer).where(Timer.kind == service.RUN)).all()
    assert len(armed) == 1 and armed[0].state == "pending" and armed[0].due_at.hour == 3
    assert timedelta(0) < armed[0].due_at - now <= timedelta(days=1)
    with db.transaction() as s:
        fired = timers.fire_due(
            s, {service.RUN: plugin.daily}, now=armed[0].due_at + timedelta(seconds=1), limit=5
        )
    assert fired == 1
    with db.transaction(write=False) as s:
        timer = s.scalars(select(Timer).where(Timer.kind == service.RUN)).one()
        runs = service.runs(s, principal=people["ada"].principal)
    assert timer.state == "pending" and timer.due_at == armed[0].due_at + timedelta(days=1)
    assert [r.started_by for r in runs] == ["schedule"]


def _id(session, number: object) -> int:  # type: ignore[no-untyped-def]
    return incidents_service.get_or_raise(session, principal=_admin(session), number=str(number)).id


def _admin(session):  # type: ignore[no-untyped-def]
    from murphy.users import service as users_service

    return users_service.principal(session, users_service.get(session, username="ada"))


def test_a_ban_holds_its_person_and_ended_bans_and_bolos_go(
    client: TestClient, db: Database, factory: Factory, people
) -> None:
    sam, ada = people["sam"], people["ada"]
    held = documented(client, factory, sam, "Laptop taken")
    cancel(client, sam, str(held["number"]))
    now = utcnow()
    for ends in (now + timedelta(days=9 * 365), now + timedelta(days=30)):
        r = client.post(
            "/api/v1/bans",
            json={
                "subject_id": held["person"],
                "incident": held["number"],
                "reason": "theft from the office",
                "sites": ["HQ"],
                "ends_at": ends.isoformat(),
            },
            headers=sam.headers,
        )
        assert r.status_code == 201, r.text
    bolo = client.post(
        "/api/v1/bolos",
        json={
            "kind": "vehicle",
            "subject_id": held["vehicle"],
            "incident": held["number"],
            "reason": "used in the theft",
            "sites": ["HQ"],
            "expires_at": (now + timedelta(days=7)).isoformat(),
        },
        headers=sam.headers,
    )
    assert bolo.status_code == 201, bolo.text
    with db.transaction() as s:
        out = service.run(s, principal=ada.principal, now=now + EIGHT_YEARS)
    # The ban that ended 8 years ago and the expired BOLO go; the ban still running holds
    # its person; the vehicle, no longer held by its BOLO, is anonymized.
    assert out.counts["bans"] == 1 and out.counts["bolos"] == 1
    assert out.counts["people"] == 0 and out.counts["vehicles"] == 1
    with db.transaction(write=False) as s:
        data = service.export_person(s, principal=ada.principal, subject_id=int(held["person"]))
    assert data.person["name"] == "Marek Novak" and len(data.bans) == 1 and data.bolos == []
    with db.transaction(write=False) as s:
        entries = incidents_service.timeline(s, principal=sam.principal, number=str(held["number"]))
        issued = next(e for e in entries if e.kind == "bolo_issued")
        assert issued.data["label"] == "removed under the retention policy"
        assert "B-MN" not in json.dumps(issued.data) and audit.verify(s).ok
        bans = sorted(e.data["label"] for e in entries if e.kind == "ban_issued")
        assert bans == ["Marek Novak", "removed under the retention policy"]  # the running one
