"""A person's photo through the API and the page: metadata removed on the way in, served
with nosniff to those who may see the record, refused when not an image or stale, taken
off on request, in the person's export, and gone when the record is anonymized."""

from __future__ import annotations

import base64
import hashlib
from datetime import timedelta

from fastapi.testclient import TestClient

from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.retention import service as retention_service
from tests.api.conftest import HTML
from tests.api.test_pages import sign_in, token_of
from tests.api.test_public_api import jpeg_with_gps
from tests.api.test_retention import EIGHT_YEARS, cancel, documented, people  # noqa: F401
from tests.factories import Factory


def test_a_photo_is_cleaned_served_replaced_and_removed(
    client: TestClient,
    db: Database,
    factory: Factory,
    people,  # noqa: F811
) -> None:
    sam, ada, olga = people["sam"], people["ada"], people["olga"]
    case = documented(client, factory, sam, "Laptop taken")
    url = f"/api/v1/subjects/{case['person']}/photo"
    raw = jpeg_with_gps()
    assert client.get(url, headers=sam.headers).status_code == 404  # none yet
    refused = client.put(url, content=b"GIF89a not a photo", headers=sam.headers)
    assert refused.status_code == 422 and "photo" in refused.json()["detail"]
    stale = client.put(url, content=raw, headers={**sam.headers, "If-Match": '"99"'})
    assert stale.status_code == 412
    rita = factory.user("rita", "reporter", ["HQ"])
    assert client.put(url, content=raw, headers=rita.headers).status_code == 404  # not hers
    saved = client.put(url, content=raw, headers=sam.headers)
    assert saved.status_code == 200, saved.text
    shown = client.get(url, headers=olga.headers)
    assert shown.status_code == 200 and shown.headers["content-type"] == "image/jpeg"
    assert shown.headers["x-content-type-options"] == "nosniff"
    assert b"PhoneMaker" in raw and b"PhoneMaker" not in shown.content  # EXIF removed
    digest = hashlib.sha256(shown.content).hexdigest()
    assert saved.json()["photo_sha256"] == digest == shown.headers["etag"].strip('"')
    export = client.get(f"/api/v1/subjects/{case['person']}/export", headers=ada.headers).json()
    assert base64.b64decode(export["person"]["photo"]["base64"]) == shown.content
    bolo = client.post(
        "/api/v1/bolos",
        json={
            "kind": "person",
            "subject_id": case["person"],
            "reason": "took a laptop",
            "sites": ["HQ"],
            "expires_at": (utcnow() + timedelta(days=7)).isoformat(),
        },
        headers=sam.headers,
    )
    assert bolo.status_code == 201 and bolo.json()["has_photo"]  # the record's photo
    bolo_photo = client.get(f"/api/v1/bolos/{bolo.json()['id']}/photo", headers=olga.headers)
    assert bolo_photo.content == shown.content
    removed = client.delete(url, headers=sam.headers)
    assert removed.status_code == 200 and removed.json()["photo_sha256"] is None
    assert client.delete(url, headers=sam.headers).status_code == 404


def test_the_page_takes_a_photo_and_anonymizing_removes_it(
    client: TestClient,
    db: Database,
    factory: Factory,
    people,  # noqa: F811
) -> None:
    case = documented(client, factory, people["sam"], "Laptop taken")
    client.headers["accept"] = HTML
    sign_in(client, "sam")
    page = f"/subjects/{case['person']}"
    token = token_of(client, page)
    empty = client.post(f"{page}/photo", data={"csrf_token": token})
    assert empty.status_code == 422 and "choose a picture first" in empty.text
    bad = client.post(
        f"{page}/photo",
        data={"csrf_token": token},
        files={"photos": ("x.jpg", b"not an image at all", "image/jpeg")},
    )
    assert bad.status_code == 422 and "Photo not saved" in bad.text
    done = client.post(
        f"{page}/photo",
        data={"csrf_token": token},
        files={"photos": ("me.jpg", jpeg_with_gps(), "image/jpeg")},
        follow_redirects=False,
    )
    assert done.status_code == 303
    shown = client.get(page).text
    assert f'src="/subjects/{case["person"]}/photo?v=' in shown and "Replace the photo" in shown
    assert client.get(f"{page}/photo").headers["content-type"] == "image/jpeg"
    cancel(client, people["sam"], str(case["number"]))
    with db.transaction() as s:
        retention_service.run(s, principal=people["ada"].principal, now=utcnow() + EIGHT_YEARS)
    assert client.get(f"{page}/photo").status_code == 404
    assert "Add a photo" not in client.get(page).text  # an anonymized record takes none
