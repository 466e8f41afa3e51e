"""Device and system signals through the API: credentials (token, HMAC), mapping,
idempotency, de-duplication, correlation, clear and flapping, and refusals that store
nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import time
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from murphy.core.clock import utcnow
from murphy.core.errors import Unauthenticated
from murphy.signals import service
from murphy.signals.models import Delivery, Signal
from tests.api.test_incidents import assert_problem, move
from tests.factories import Account, Factory

SIGNALS = "/api/v1/signals"
MAPPING = {
    "title": "{event} at {door}",
    "type": "{kind}",
    "severity": "{sev}",
    "severities": {"critical": 1, "high": 2, "low": 4},
    "zone": "{zone}",
    "place": "{door}",
    "fingerprint": ["device", "event"],
    "clear": {"path": "state", "equals": ["restored", "ok"]},
}


@pytest.fixture
def hq(factory: Factory) -> Factory:
    factory.taxonomy()
    factory.site("HQ")
    return factory


@pytest.fixture
def admin(hq: Factory) -> Account:
    return hq.user("root", "admin", all_sites=True)


@pytest.fixture
def dana(hq: Factory) -> Account:
    return hq.user("dana", "dispatcher", ["HQ"])


def add_source(client: TestClient, admin: Account, **fields: Any) -> dict[str, Any]:
    body = {"code": "panel", "name": "HQ alarm panel", "site": "HQ", "mapping": MAPPING, **fields}
    r = client.post("/api/v1/signal-sources", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    return r.json()


def alarm(**fields: Any) -> dict[str, Any]:
    return {
        "device": "door-12",
        "event": "Door forced",
        "door": "Loading dock",
        "kind": "intrusion",
        "sev": "HIGH",
        "zone": "DOCK",
        "state": "alarm",
        **fields,
    }


def post(client: TestClient, token: str, body: Any, **headers: str) -> Any:
    raw = body if isinstance(body, bytes) else json.dumps(body).encode()
    return client.post(
        SIGNALS, content=raw, headers={"Authorization": f"Bearer {token}", **headers}
    )


def signed(client: TestClient, source: str, secret: str, body: Any, at: int | None = None) -> Any:
    raw = json.dumps(body).encode()
    ts = str(at if at is not None else int(time.time()))
    sig = hmac.new(secret.encode(), ts.encode() + b"." + raw, hashlib.sha256).hexdigest()
    headers = {
        "X-Murphy-Source": source,
        "X-Murphy-Timestamp": ts,
        "X-Murphy-Signature": f"sha256={sig}",
    }
    return client.post(SIGNALS, content=raw, headers=headers)


def stored(hq: Factory) -> int:
    with hq.db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Signal)) or 0)


def timeline(client: TestClient, dana: Account, number: str) -> list[dict[str, Any]]:
    r = client.get(f"/api/v1/incidents/{number}/timeline", headers=dana.headers)
    return list(r.json())


def test_a_signal_opens_a_classified_incident_and_says_why(
    client: TestClient, admin: Account, dana: Account
) -> None:
    token = add_source(client, admin)["token"]
    assert token.startswith("msig_")
    r = post(client, token, alarm())
    assert r.status_code == 201, r.text
    answer = r.json()
    assert answer["decision"] == "new" and answer["count"] == 1
    incident = client.get(f"/api/v1/incidents/{answer['incident']}", headers=dana.headers).json()
    assert incident["title"] == "Door forced at Loading dock"
    assert incident["channel"] == "signal" and incident["type"]["code"] == "intrusion"
    assert incident["priority"] == 2  # HIGH -> 2 by the mapping, over the type's P1
    assert incident["place"]["detail"] == "Loading dock"
    kinds = [e["kind"] for e in timeline(client, dana, answer["incident"])]
    assert kinds[:2] == ["created", "classified"] and kinds[-1] == "signal"


def test_repeats_are_counted_and_a_retry_is_answered_once(
    client: TestClient, admin: Account, dana: Account, hq: Factory
) -> None:
    token = add_source(client, admin)["token"]
    first = post(client, token, alarm(), **{"Idempotency-Key": "k-1"}).json()
    retry = post(client, token, alarm(), **{"Idempotency-Key": "k-1"})
    assert retry.status_code == 200 and retry.headers["idempotent-replayed"] == "true"
    assert retry.json() == first
    again = post(client, token, alarm(), **{"Idempotency-Key": "k-2"}).json()
    assert again["decision"] == "duplicate" and again["incident"] == first["incident"]
    assert again["count"] == 2 and again["signal"] == first["signal"]
    assert "de-duplication" in again["rule"]
    assert stored(hq) == 1
    with hq.db.engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(Delivery)) == 2
    listed = client.get("/api/v1/incidents", headers=dana.headers).json()["items"]
    assert len(listed) == 1


def test_a_chattering_device_is_counted_exactly_and_noted_on_the_timeline_sparingly(
    client: TestClient, admin: Account, dana: Account, hq: Factory
) -> None:
    token = add_source(client, admin)["token"]
    answers = [post(client, token, alarm()).json() for _ in range(12)]
    assert [a["count"] for a in answers] == list(range(1, 13))
    assert {a["incident"] for a in answers} == {answers[0]["incident"]}
    assert stored(hq) == 1
    entries = [e for e in timeline(client, dana, answers[0]["incident"]) if e["kind"] == "signal"]
    noted = [(e["data"]["decision"], e["data"]["count"]) for e in entries]
    assert noted == [("new", 1), ("duplicate", 2), ("duplicate", 10)]
    assert all("de-duplication" in e["data"]["rule"] for e in entries[1:])


def test_another_device_in_the_same_zone_correlates(
    client: TestClient, admin: Account, dana: Account
) -> None:
    token = add_source(client, admin)["token"]
    first = post(client, token, alarm()).json()
    motion = post(client, token, alarm(device="pir-3", event="Motion", door="Dock hall")).json()
    assert motion["decision"] == "correlated" and motion["incident"] == first["incident"]
    elsewhere = post(client, token, alarm(device="pir-9", event="Motion", zone="LOBBY")).json()
    assert elsewhere["decision"] == "new" and elsewhere["incident"] != first["incident"]
    entries = [e for e in timeline(client, dana, first["incident"]) if e["kind"] == "signal"]
    assert [e["data"]["decision"] for e in entries] == ["new", "correlated"]


def test_a_restore_resolves_what_its_device_opened_when_the_source_says_so(
    client: TestClient, admin: Account, dana: Account
) -> None:
    windows = {"resolve_on_clear": True}
    mapping = {**MAPPING, "type": "theft"}  # no playbook or required field in the way
    token = add_source(client, admin, windows=windows, mapping=mapping)["token"]
    early = post(client, token, alarm(device="door-7", zone="GATE")).json()
    restored = post(client, token, alarm(device="door-7", zone="GATE", state="restored")).json()
    assert restored["decision"] == "cleared"
    entry = timeline(client, dana, early["incident"])[-1]["data"]
    assert entry["resolved"] is False and "before anyone responded" in entry["not_resolved_because"]
    opened = post(client, token, alarm()).json()
    for to in ("triaged", "responding"):
        assert move(client, dana, opened["incident"], to=to).status_code == 200
    cleared = post(client, token, alarm(state="restored")).json()
    assert cleared["decision"] == "cleared" and cleared["incident"] == opened["incident"]
    incident = client.get(f"/api/v1/incidents/{opened['incident']}", headers=dana.headers).json()
    assert incident["status"] == "resolved" and incident["resolution_code"] == "resolved"
    ignored = post(client, token, alarm(device="door-99", state="ok")).json()
    assert ignored["decision"] == "ignored" and ignored["incident"] is None


def test_a_flapping_device_is_flagged_not_multiplied(
    client: TestClient, admin: Account, dana: Account
) -> None:
    token = add_source(client, admin, windows={"flap_changes": 3, "dedup_seconds": 0})["token"]
    decisions = [
        post(client, token, alarm(state="restored" if i % 2 else "alarm")).json()["decision"]
        for i in range(6)
    ]
    assert "flapping" in decisions
    assert decisions[decisions.index("flapping") :] == ["flapping"] * (
        len(decisions) - decisions.index("flapping")
    )
    listed = client.get("/api/v1/incidents", headers=dana.headers).json()["items"]
    assert len(listed) == 1


def test_signed_requests_fresh_once_and_matching(
    client: TestClient, admin: Account, hq: Factory
) -> None:
    secret = add_source(client, admin, code="siem", auth="hmac")["secret"]
    ok = signed(client, "siem", secret, alarm())
    assert ok.status_code == 201, ok.text
    replay = client.post(SIGNALS, content=ok.request.content, headers=dict(ok.request.headers))
    assert_problem(replay, 401, "replayed")
    assert_problem(signed(client, "siem", "wrong", alarm(event="x")), 401, "does not match")
    stale = signed(client, "siem", secret, alarm(event="y"), at=int(time.time()) - 3600)
    assert_problem(stale, 401, "stale")
    assert_problem(signed(client, "nope", secret, alarm()), 401, "unknown source")
    assert stored(hq) == 1
    with hq.db.transaction() as session:  # signatures are kept only while they are fresh
        assert service.forget_replays(session) == 0
        assert service.forget_replays(session, now=utcnow() + timedelta(minutes=16)) == 1


@pytest.mark.parametrize(
    ("body", "headers", "status", "message"),
    [
        (b"{not json", {}, 422, "not valid JSON"),
        (b'{"a": 1}', {"Authorization": "Bearer msig_nope"}, 401, "unknown source token"),
        (b'{"a": 1}', {"Authorization": ""}, 401, "Bearer"),
        (b'{"a": "' + b"x" * (10 * 1024 * 1024) + b'"}', {}, 413, "limit"),
    ],
    ids=["bad-json", "bad-token", "no-credential", "10-MB"],
)
def test_refusals_store_nothing(
    client: TestClient,
    admin: Account,
    hq: Factory,
    body: bytes,
    headers: dict[str, str],
    status: int,
    message: str,
) -> None:
    token = add_source(client, admin)["token"]
    sent = {"Authorization": f"Bearer {token}", **headers}
    if not sent["Authorization"]:
        del sent["Authorization"]
    r = client.post(SIGNALS, content=body, headers=sent)
    assert_problem(r, status, message)
    assert stored(hq) == 0


def test_a_switched_off_source_and_a_rotated_token_are_refused(
    client: TestClient, admin: Account
) -> None:
    token = add_source(client, admin)["token"]
    r = client.post("/api/v1/signal-sources/panel/rotate", headers=admin.headers)
    new = r.json()["token"]
    assert_problem(post(client, token, alarm()), 401, "unknown source token")
    assert post(client, new, alarm()).status_code == 201
    client.patch("/api/v1/signal-sources/panel", json={"active": False}, headers=admin.headers)
    assert_problem(post(client, new, alarm()), 401, "switched off")
    listed = client.get("/api/v1/signal-sources", headers=admin.headers).json()
    assert listed[0]["signals"] == 1 and listed[0]["active"] is False


def test_a_token_known_in_a_batch_is_forgotten_when_its_source_changes(
    client: TestClient, admin: Account, hq: Factory
) -> None:
    """The writer runs a batch of requests in one transaction and remembers the tokens it
    checked; a rotation or a switch-off in the same batch must still take effect at once."""
    from murphy.signals.schemas import SourceUpdate

    token = add_source(client, admin)["token"]

    def check(session: Any, bearer: str) -> Any:
        return service.authenticate(
            session, bearer=bearer, source_code=None, timestamp=None, signature=None, body=b""
        )

    with hq.db.transaction() as session:
        assert check(session, token).code == "panel"
        assert check(session, token).code == "panel"  # remembered
        new = service.rotate(session, principal=admin.principal, code="panel").token
        with pytest.raises(Unauthenticated, match="unknown source token"):
            check(session, token)
        assert new is not None and check(session, new).code == "panel"
        off = SourceUpdate(active=False)
        service.update_source(session, principal=admin.principal, code="panel", data=off)
        with pytest.raises(Unauthenticated, match="switched off"):
            check(session, new)


def test_a_bad_mapping_is_refused_naming_it(client: TestClient, admin: Account) -> None:
    body = {"code": "cam", "name": "Cameras", "site": "HQ", "mapping": {"title": "{oops"}}
    r = client.post("/api/v1/signal-sources", json=body, headers=admin.headers)
    assert_problem(r, 422, "title")
    r = client.get("/api/v1/signal-sources", headers=admin.headers)
    assert r.json() == []
