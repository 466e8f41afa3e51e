"""Evidence through the API on a real database and a real blob store (a directory): files
streamed in and hashed, read back (each view and download on the timeline), physical items
through their chain of custody, and everything refused that must be: a file over the
limit, content that is not its declared type, a path in the name, a download out of scope,
a custody step after the item left custody. Refused uploads leave no file behind."""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from murphy.app import create_app
from murphy.core.db import Database
from murphy.evidence.models import Evidence
from murphy.incidents import audit
from murphy.incidents import service as incidents_service
from murphy.settings import Settings
from tests.factories import Account, Factory

JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(range(256)) * 40
MP4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 5000


@pytest.fixture
def people(factory: Factory) -> dict[str, Account]:
    factory.site("HQ")
    factory.site("LAB")
    factory.taxonomy()
    return {
        "olga": factory.user("olga", "officer", ["HQ"]),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
        "lena": factory.user("lena", "supervisor", ["LAB"]),
        "rita": factory.user("rita", "reporter", ["HQ"]),
    }


@pytest.fixture
def number(factory: Factory, people: dict[str, Account]) -> str:
    return factory.incident(people["sam"], title="Laptop taken from the 3rd floor")


def upload(
    client: TestClient,
    who: Account,
    number: str,
    body: bytes,
    *,
    kind: str = "image/jpeg",
    name: str = "cctv-still.jpg",
) -> object:
    return client.post(
        f"/api/v1/incidents/{number}/evidence/files",
        params={"filename": name, "description": "Camera 4, 14:02"},
        content=body,
        headers={**who.headers, "content-type": kind},
    )


def blobs(settings: Settings) -> list[Path]:
    root = Path(settings.evidence_dir)
    return [p for p in root.rglob("*") if p.is_file()] if root.exists() else []


def kinds(db: Database, who: Account, number: str) -> list[str]:
    with db.transaction(write=False) as s:
        return [
            e.kind for e in incidents_service.timeline(s, principal=who.principal, number=number)
        ]


def test_a_file_is_stored_hashed_and_on_the_timeline(
    client: TestClient, db: Database, settings: Settings, people, number: str
) -> None:
    response = upload(client, people["olga"], number, JPEG)
    assert response.status_code == 201, response.text
    out = response.json()
    assert out["sha256"] == hashlib.sha256(JPEG).hexdigest() and out["size"] == len(JPEG)
    assert out["media_type"] == "image/jpeg" and out["filename"] == "cctv-still.jpg"
    (stored,) = blobs(settings)
    assert stored.read_bytes() == JPEG and "cctv" not in stored.name  # the store names it
    with db.transaction(write=False) as s:
        entries = incidents_service.timeline(s, principal=people["sam"].principal, number=number)
        added = next(e for e in entries if e.kind == "evidence_added")
        assert added.data["sha256"] == out["sha256"] and added.actor == "olga"
        assert audit.verify(s).ok


def test_reading_it_back_is_logged_view_or_download(
    client: TestClient, db: Database, people, number: str
) -> None:
    evidence_id = upload(client, people["olga"], number, MP4, kind="video/mp4").json()["id"]
    url = f"/api/v1/incidents/{number}/evidence/{evidence_id}/content"
    got = client.get(url, headers=people["sam"].headers)
    assert got.status_code == 200 and got.content == MP4
    assert got.headers["content-type"] == "video/mp4"
    assert got.headers["content-disposition"].startswith("attachment;")
    assert got.headers["digest"] == f"sha-256={hashlib.sha256(MP4).hexdigest()}"
    seen = client.get(url, params={"download": "false"}, headers=people["olga"].headers)
    assert seen.headers["content-disposition"].startswith("inline;")
    assert kinds(db, people["sam"], number)[-2:] == ["evidence_downloaded", "evidence_viewed"]
    chain = client.get(
        f"/api/v1/incidents/{number}/evidence/{evidence_id}", headers=people["sam"].headers
    ).json()["custody"]
    assert [(c["kind"], c["actor"]) for c in chain] == [
        ("evidence_added", "olga"),
        ("evidence_downloaded", "sam"),
        ("evidence_viewed", "olga"),
    ]


@pytest.mark.parametrize(
    ("body", "kind", "name", "words"),
    [
        (JPEG, "image/png", "a.png", "declared image/png but it looks like image/jpeg"),
        (b"MZ\x90\x00" + b"\x00" * 100, "image/jpeg", "a.jpg", "its content is not a known type"),
        (JPEG, "application/x-msdownload", "a.exe", "are not taken as evidence"),
        (JPEG, "", "a.jpg", "say what the file is"),
        (JPEG, "image/jpeg", "../../etc/passwd", "may not hold a path"),
        (JPEG, "image/jpeg", "..\\boot.ini", "may not hold a path"),
        (b"", "image/jpeg", "empty.jpg", "the file is empty"),
    ],
)
def test_bad_files_are_refused_and_nothing_is_kept(
    client: TestClient,
    db: Database,
    settings: Settings,
    people,
    number: str,
    body: bytes,
    kind: str,
    name: str,
    words: str,
) -> None:
    response = upload(client, people["olga"], number, body, kind=kind, name=name)
    assert response.status_code == 422, response.text
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.json()["detail"]
    assert blobs(settings) == []
    with db.transaction(write=False) as s:
        assert s.scalars(select(Evidence)).all() == []
    assert "evidence_added" not in kinds(db, people["sam"], number)


def test_a_file_over_the_limit_gets_413_and_leaves_nothing(
    db: Database, settings: Settings, people, number: str
) -> None:
    small = settings.model_copy(update={"max_evidence_bytes": 4096})
    with TestClient(create_app(small, db=db), raise_server_exceptions=False) as client:
        response = upload(client, people["olga"], number, JPEG)  # 10 KiB
        assert response.status_code == 413
        assert blobs(settings) == []  # not even a part file
        assert upload(client, people["olga"], number, JPEG[:3000]).status_code == 201


def test_out_of_scope_and_unpermitted_callers(
    client: TestClient, db: Database, settings: Settings, people, number: str
) -> None:
    evidence_id = upload(client, people["olga"], number, JPEG).json()["id"]
    before = kinds(db, people["sam"], number)
    url = f"/api/v1/incidents/{number}/evidence/{evidence_id}/content"
    assert client.get(url, headers=people["lena"].headers).status_code == 404  # other site
    assert kinds(db, people["sam"], number) == before  # and nothing logged
    refused = upload(client, people["rita"], number, JPEG)  # a reporter may not add evidence
    assert refused.status_code in (403, 404)
    assert len(blobs(settings)) == 1


def test_an_item_through_its_chain_of_custody(
    client: TestClient, db: Database, people, number: str
) -> None:
    base = f"/api/v1/incidents/{number}/evidence"
    olga, sam = people["olga"].headers, people["sam"].headers
    item = client.post(
        f"{base}/items",
        json={"description": "Black rucksack, left in the lobby", "seal": "A-1001"},
        headers=olga,
    ).json()
    assert (item["kind"], item["holder"], item["state"]) == ("item", "olga", "held")
    steps = [
        {"action": "handed_over", "to": "sam"},
        {"action": "stored", "location": "Evidence locker 3", "seal": "A-1002"},
        {"action": "transferred", "to": "Metropolitan Police, PC 4411"},
    ]
    for step in steps:
        response = client.post(f"{base}/{item['id']}/custody", json=step, headers=sam)
        assert response.status_code == 200, response.text
    final = response.json()
    assert (final["state"], final["holder"], final["seal"]) == (
        "transferred",
        "Metropolitan Police, PC 4411",
        "A-1002",
    )
    late = client.post(
        f"{base}/{item['id']}/custody", json={"action": "stored", "location": "x"}, headers=sam
    )
    assert late.status_code == 409
    chain = client.get(f"{base}/{item['id']}", headers=sam).json()["custody"]
    custody = [c["data"] for c in chain if c["kind"] == "evidence_custody"]
    assert [c["from"] for c in custody] == ["olga", "sam", "sam"]
    assert custody[1]["previous_seal"] == "A-1001"


@pytest.mark.parametrize(
    ("step", "status", "words"),
    [
        ({"action": "disposed"}, 422, "as disposed, say why, in the note"),
        ({"action": "handed_over"}, 422, "as handed over, say who received it"),
        ({"action": "lost"}, 422, "action"),
    ],
)
def test_custody_steps_that_say_too_little(
    client: TestClient, people, number: str, step: dict[str, str], status: int, words: str
) -> None:
    base = f"/api/v1/incidents/{number}/evidence"
    item = client.post(
        f"{base}/items", json={"description": "Knife"}, headers=people["olga"].headers
    ).json()
    response = client.post(f"{base}/{item['id']}/custody", json=step, headers=people["sam"].headers)
    assert response.status_code == status
    assert words in response.text
    again = client.get(f"{base}/{item['id']}", headers=people["sam"].headers).json()
    assert again["state"] == "held" and again["holder"] == "olga"


def test_a_file_is_not_moved_only_transferred(client: TestClient, people, number: str) -> None:
    evidence_id = upload(client, people["olga"], number, JPEG).json()["id"]
    url = f"/api/v1/incidents/{number}/evidence/{evidence_id}/custody"
    moved = client.post(
        url, json={"action": "stored", "location": "x"}, headers=people["sam"].headers
    )
    assert moved.status_code == 422
    copy = {"action": "transferred", "to": "Police, by USB stick"}
    assert (
        client.post(url, json=copy, headers=people["sam"].headers).json()["state"] == "transferred"
    )
