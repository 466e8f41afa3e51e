"""Public reporting through the JSON API: no account, a follow-up code, photos stripped
of their location, limits per address, and nothing half-stored on bad input."""

from __future__ import annotations

import base64
import hashlib
import io
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from PIL import Image
from sqlalchemy import func, select, text

from murphy.app import create_app
from murphy.core.db import Database
from murphy.incidents import audit
from murphy.incidents.models import Attachment, Incident
from murphy.public import rules
from murphy.public.models import FollowUp
from murphy.settings import Settings
from tests.api.test_incidents import assert_problem, move
from tests.factories import Account, Factory

REPORTS = "/api/v1/public/reports"
STATUS = "/api/v1/public/status"
ADDITIONS = "/api/v1/public/additions"
GPS = 0x8825  # the GPSInfo IFD of EXIF


@pytest.fixture
def hq(factory: Factory) -> Factory:
    factory.taxonomy()
    factory.site("HQ")
    return factory


@pytest.fixture
def dana(hq: Factory) -> Account:
    return hq.user("dana", "dispatcher", ["HQ"])


def jpeg_with_gps() -> bytes:
    """A real JPEG whose EXIF says where it was taken."""
    exif = Image.Exif()
    exif[0x010F] = "PhoneMaker"  # camera make
    exif.get_ifd(GPS).update({1: "N", 2: (52.0, 31.0, 12.0), 3: "E", 4: (13.0, 24.0, 36.0)})
    out = io.BytesIO()
    Image.new("RGB", (32, 24), (200, 30, 30)).save(out, "JPEG", exif=exif.tobytes())
    return out.getvalue()


def photo(data: bytes, name: str = "IMG_0001.jpg") -> dict[str, str]:
    return {"filename": name, "data": base64.b64encode(data).decode()}


def send(client: TestClient, **fields: Any) -> Any:
    body = {"title": "Man trying car doors", "site": "HQ", **fields}
    return client.post(REPORTS, json=body)


def counts(db: Any) -> tuple[int, int, int]:
    with db.engine.connect() as conn:
        return (
            conn.scalar(select(func.count()).select_from(Incident)) or 0,
            conn.scalar(select(func.count()).select_from(Attachment)) or 0,
            conn.scalar(select(func.count()).select_from(FollowUp)) or 0,
        )


def test_anyone_reports_and_gets_a_code_only_its_hash_is_stored(
    client: TestClient, hq: Factory, dana: Account
) -> None:
    r = send(client, description="Level 2, grey hoodie", where="Car park P2")
    assert r.status_code == 201, r.text
    out = r.json()
    assert re.fullmatch(r"([0-9A-HJKMNP-TV-Z]{5}-){3}[0-9A-HJKMNP-TV-Z]{5}", out["code"])
    assert len(rules.normalize(out["code"])) * 5 >= 80  # base32: 5 bits a character
    assert send(client).json()["code"] != out["code"]
    with hq.db.engine.connect() as conn:
        stored = conn.execute(select(FollowUp.code_hash)).scalars().all()
        dump = " ".join(
            str(v) for row in conn.execute(text("SELECT * FROM public_followups")) for v in row
        )
    assert rules.code_hash(rules.normalize(out["code"])) in stored
    assert rules.normalize(out["code"]) not in dump and out["code"] not in dump
    seen = client.get(f"/api/v1/incidents/{out['number']}", headers=dana.headers).json()
    assert seen["channel"] == "public" and seen["status"] == "new"
    assert seen["reporter"]["username"] == "public"
    assert seen["place"]["detail"] == "Car park P2"
    r = client.get(f"/api/v1/incidents/{out['number']}/contact", headers=dana.headers)
    assert r.status_code == 200 and r.json() is None  # anonymous


def test_contact_details_reach_staff_but_stay_off_the_timeline(
    client: TestClient, hq: Factory, dana: Account
) -> None:
    contact = {"name": "Ana Reyes", "phone": "+49 30 1234567", "email": "ana@example.org"}
    number = send(client, contact=contact).json()["number"]
    r = client.get(f"/api/v1/incidents/{number}/contact", headers=dana.headers)
    assert r.json() == contact
    timeline = client.get(f"/api/v1/incidents/{number}/timeline", headers=dana.headers).json()
    assert timeline[0]["data"]["contact"] is True
    assert "Ana" not in str(timeline) and "1234567" not in str(timeline)
    assert_problem(send(client, contact={"email": "not an address"}), 422, "email")


def test_the_status_shows_only_what_the_reporter_may_know(
    client: TestClient, hq: Factory, dana: Account
) -> None:
    out = send(client, description="Grey hoodie").json()
    number, code = out["number"], out["code"]
    headers = dana.headers
    client.post(
        f"/api/v1/incidents/{number}/notes", json={"body": "Suspect is J. Smith"}, headers=headers
    )
    client.patch(
        f"/api/v1/incidents/{number}",
        json={"title": "Theft attempt by known suspect"},
        headers=headers,
    )
    client.put(
        f"/api/v1/incidents/{number}/classification", json={"type": "theft"}, headers=headers
    )
    assert move(client, dana, number, to="triaged").status_code == 200
    typed = code.lower().replace("-", " ").replace("1", "l")  # forgiving, as typed on a phone
    r = client.post(STATUS, json={"code": typed})
    assert r.status_code == 200, r.text
    status = r.json()
    assert status["number"] == number and status["status"] == "Being handled"
    assert status["title"] == "Man trying car doors"  # their words, not the edited title
    assert [s["text"] for s in status["sent"]] == ["Man trying car doors\n\nGrey hoodie"]
    assert (
        "Smith" not in r.text and "suspect" not in r.text.lower() and "theft" not in r.text.lower()
    )


def test_the_reporter_adds_information_until_it_is_finished(
    client: TestClient, hq: Factory, dana: Account
) -> None:
    out = send(client).json()
    r = client.post(ADDITIONS, json={"code": out["code"], "text": "He went towards the exit"})
    assert r.status_code == 200, r.text
    assert [s["text"] for s in r.json()["sent"]][-1] == "He went towards the exit"
    timeline = client.get(
        f"/api/v1/incidents/{out['number']}/timeline", headers=dana.headers
    ).json()
    assert timeline[-1]["kind"] == "note" and timeline[-1]["actor"]["username"] == "public"
    assert move(client, dana, out["number"], to="cancelled", reason="Duplicate").status_code == 200
    r = client.post(ADDITIONS, json={"code": out["code"], "text": "Again"})
    assert_problem(r, 422, "nothing can be added")
    assert client.post(STATUS, json={"code": out["code"]}).json()["open"] is False
    kinds = [
        e["kind"]
        for e in client.get(
            f"/api/v1/incidents/{out['number']}/timeline", headers=dana.headers
        ).json()
    ]
    assert kinds.count("note") == 1


def test_wrong_and_malformed_codes(client: TestClient, hq: Factory) -> None:
    send(client)
    assert_problem(client.post(STATUS, json={"code": rules.new_code()}), 404, "no report has this")
    assert_problem(client.post(STATUS, json={"code": "1234"}), 422, "20 letters and digits")


def test_photos_lose_their_location_unless_the_reporter_keeps_it(
    client: TestClient, hq: Factory, dana: Account
) -> None:
    original = jpeg_with_gps()
    assert Image.open(io.BytesIO(original)).getexif().get_ifd(GPS)  # it has a position
    out = send(client, photos=[photo(original, "../../etc/IMG 1.jpeg")]).json()
    assert out["photos"] == 1
    listed = client.get(
        f"/api/v1/incidents/{out['number']}/attachments", headers=dana.headers
    ).json()
    (one,) = listed
    assert one["filename"] == "IMG 1.jpg" and "EXIF" in one["stripped"]
    served = client.get(one["url"], headers=dana.headers)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    stored = Image.open(io.BytesIO(served.content))
    assert stored.size == (32, 24) and not stored.getexif()
    timeline = client.get(
        f"/api/v1/incidents/{out['number']}/timeline", headers=dana.headers
    ).json()
    photos_entry = next(e for e in timeline if e["kind"] == "photos")
    assert photos_entry["data"]["photos"][0]["sha256"] == hashlib.sha256(served.content).hexdigest()
    r = client.post(
        ADDITIONS, json={"code": out["code"], "text": "And another", "photos": [photo(original)]}
    )
    assert r.status_code == 200 and r.json()["sent"][-1]["photos"] == 1
    with hq.db.transaction(write=False) as session:  # every chain still verifies
        report = audit.verify(session)
    assert report.ok and report.incidents == 1, report.problems
    kept = send(client, photos=[photo(original)], keep_location=True).json()
    url = client.get(
        f"/api/v1/incidents/{kept['number']}/attachments", headers=dana.headers
    ).json()[0]["url"]
    assert client.get(url, headers=dana.headers).content == original
    assert client.get(url).status_code == 401  # never without signing in


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"photos": [photo(b"just some text", "notes.txt")]}, 422, "notes.txt"),
        ({"photos": [{"filename": "x.jpg", "data": "%%% not base64"}]}, 422, "not valid base64"),
        ({"site": "NOPE"}, 422, "unknown site"),
        ({"title": ""}, 422, "title"),
        ({"occurred_at": "2099-01-01T00:00:00Z"}, 422, "future"),
    ],
    ids=["not-an-image", "bad-base64", "unknown-site", "no-title", "future"],
)
def test_bad_input_stores_nothing(
    client: TestClient, hq: Factory, fields: dict[str, Any], status: int, message: str
) -> None:
    r = send(client, **fields)
    assert_problem(r, status, message)
    assert counts(hq.db) == (0, 0, 0)


def test_a_photo_that_fails_after_a_good_one_stores_nothing(
    client: TestClient, hq: Factory
) -> None:
    r = send(client, photos=[photo(jpeg_with_gps()), photo(b"\xff\xd8\xff broken", "b.jpg")])
    assert_problem(r, 422, "b.jpg")
    assert counts(hq.db) == (0, 0, 0)


def test_the_honeypot_and_the_limit_answer_429_with_retry_after(
    client: TestClient, hq: Factory
) -> None:
    r = send(client, website="http://spam.example")
    assert_problem(r, 429, "too many requests")
    assert int(r.headers["retry-after"]) > 0
    assert counts(hq.db) == (0, 0, 0)
    r = send(client)  # the same address, now blocked for the hour
    assert r.status_code == 429


def test_reports_per_address_are_limited(settings: Settings, db: Database, hq: Factory) -> None:
    limited = create_app(settings.model_copy(update={"public_reports_per_hour": 2}), db=db)
    with TestClient(limited, raise_server_exceptions=False) as client:
        assert send(client).status_code == 201
        code = send(client).json()["code"]
        r = send(client)
        assert_problem(r, 429, "try again in")
        assert 0 < int(r.headers["retry-after"]) <= 3600
        r = client.post(ADDITIONS, json={"code": code, "text": "More"})  # writes count too
        assert r.status_code == 429
    assert counts(hq.db)[0] == 2


def test_photos_may_be_larger_than_other_requests(client: TestClient, hq: Factory) -> None:
    big = Image.new("RGB", (400, 400))
    out = io.BytesIO()
    big.save(out, "PNG", compress_level=0)  # ~480 KB, over the 64 KiB of other requests
    r = send(client, photos=[photo(out.getvalue(), "big.png")])
    assert r.status_code == 201, r.text
    r = client.post(
        "/api/v1/incidents", content=b"x" * 100_000, headers={"content-type": "application/json"}
    )
    assert r.status_code == 413
