"""The evidence pages: an officer adds a photo and logs an item from the form, a refused
file comes back with its reason and nothing kept, custody steps from the item's page, the
incident page's evidence section, and opening a file from the page is on the timeline."""

from __future__ import annotations

from pathlib import Path

from fastapi.testclient import TestClient

from murphy.core.db import Database
from murphy.incidents import service as incidents_service
from murphy.settings import Settings
from tests.api.conftest import HTML
from tests.api.test_evidence import JPEG, number, people  # noqa: F401 (fixtures)
from tests.api.test_pages import sign_in, token_of


def test_an_officer_adds_a_photo_and_an_item(
    client: TestClient,
    db: Database,
    settings: Settings,
    people,  # noqa: F811
    number: str,  # noqa: F811
) -> None:
    client.headers["accept"] = HTML
    sign_in(client, "olga")
    page = f"/incidents/{number}/evidence"
    token = token_of(client, page)
    sent = client.post(
        f"{page}/files",
        data={"csrf_token": token, "description": "Lobby camera"},
        files={"file": ("lobby.jpg", JPEG, "image/jpeg")},
        follow_redirects=False,
    )
    assert sent.status_code == 303 and sent.headers["location"].endswith("?done=file")
    listed = client.get(sent.headers["location"]).text
    assert "lobby.jpg" in listed
    assert "File added" in listed
    item = client.post(
        f"{page}/items",
        data={"csrf_token": token, "description": "Crowbar by the door", "seal": "B-7"},
        follow_redirects=False,
    )
    assert item.status_code == 303
    text = client.get(page).text
    assert "Crowbar by the door" in text and "seal B-7" in text and "held by olga" in text
    incident = client.get(f"/incidents/{number}").text
    assert 'id="evidence"' in incident and "lobby.jpg" in incident
    assert len([p for p in Path(settings.evidence_dir).rglob("*") if p.is_file()]) == 1


def test_a_refused_file_says_why_and_keeps_nothing(
    client: TestClient,
    settings: Settings,
    people,  # noqa: F811
    number: str,  # noqa: F811
) -> None:
    client.headers["accept"] = HTML
    sign_in(client, "olga")
    page = f"/incidents/{number}/evidence"
    sent = client.post(
        f"{page}/files",
        data={"csrf_token": token_of(client, page), "description": "kept text"},
        files={"file": ("notes.png", b"just some text", "image/png")},
    )
    assert sent.status_code == 422
    assert "declared image/png but it looks like text/plain" in sent.text
    assert 'value="kept text"' in sent.text
    assert not [p for p in Path(settings.evidence_dir).rglob("*") if p.is_file()]


def test_custody_from_the_item_page_and_a_logged_view(
    client: TestClient,
    db: Database,
    people,  # noqa: F811
    number: str,  # noqa: F811
) -> None:
    client.headers["accept"] = HTML
    sign_in(client, "sam")
    page = f"/incidents/{number}/evidence"
    token = token_of(client, page)
    client.post(f"{page}/items", data={"csrf_token": token, "description": "Phone found"})
    client.post(
        f"{page}/files",
        data={"csrf_token": token},
        files={"file": ("still.jpg", JPEG, "image/jpeg")},
    )
    item_id, file_id = 1, 2
    with db.transaction(write=False) as s:
        from murphy.evidence import service as evidence_service

        found = evidence_service.list(s, principal=people["sam"].principal, number=number)
        item_id = next(e.id for e in found if e.kind.value == "item")
        file_id = next(e.id for e in found if e.kind.value == "file")
    missing = client.post(
        f"{page}/{item_id}/custody", data={"csrf_token": token, "action": "handed_over"}
    )
    assert missing.status_code == 422 and "as handed over, say who received it" in missing.text
    done = client.post(
        f"{page}/{item_id}/custody",
        data={"csrf_token": token, "action": "handed_over", "to": "olga"},
        follow_redirects=False,
    )
    assert done.status_code == 303
    detail = client.get(f"{page}/{item_id}").text
    assert "Handed over" in detail and "to olga" in detail
    opened = client.get(f"{page}/{file_id}/content", params={"download": "false"})
    assert opened.status_code == 200 and opened.content == JPEG
    with db.transaction(write=False) as s:
        kinds = [
            e.kind
            for e in incidents_service.timeline(s, principal=people["sam"].principal, number=number)
        ]
    assert kinds[-1] == "evidence_viewed"


def test_the_timeline_tells_every_custody_step(
    client: TestClient,
    people,  # noqa: F811
    number: str,  # noqa: F811
) -> None:
    headers = people["sam"].headers
    base = f"/api/v1/incidents/{number}/evidence"
    item = client.post(
        f"{base}/items", json={"description": "Wallet", "seal": "S-1"}, headers=headers
    )
    step = {"action": "stored", "location": "Safe 2", "seal": "S-2"}
    client.post(f"{base}/{item.json()['id']}/custody", json=step, headers=headers)
    client.headers["accept"] = HTML
    sign_in(client, "sam")
    page = client.get(f"/incidents/{number}").text
    assert "Evidence item logged" in page and "held by sam" in page
    assert "stored" in page and "kept at Safe 2" in page and "(was S-1)" in page
