"""Restricted types are visible only to users cleared for them: queue, search, counts,
incident, timeline, every write."""

from __future__ import annotations

import pytest

from tests.api.test_incidents import classify, report


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ")
    return factory


@pytest.fixture
def people(org):
    return {
        "dana": org.user("dana", "dispatcher", ["HQ"]),
        "sam": org.user("sam", "supervisor", ["HQ"], clearances=["safeguarding"]),
        "admin": org.user("root", "admin", all_sites=True),
    }


def test_restricted_incident_is_invisible_to_the_uncleared(client, people):
    dana, sam, admin = people["dana"], people["sam"], people["admin"]
    secret = report(client, dana, title="Zebra assault in stairwell", description="zebra")["number"]
    open_one = report(client, dana, title="Zebra poster defaced")["number"]
    classify(client, dana, secret, type="assault")  # dana classifies it, then loses sight of it

    def listed(account, **params):
        r = client.get("/api/v1/incidents", params=params, headers=account.headers)
        return [i["number"] for i in r.json()["items"]]

    assert listed(dana) == [open_one]
    assert listed(dana, q="zebra") == [open_one], "search hides it"
    assert listed(dana, q=secret) == [], "even by its number"
    assert listed(dana, sort="priority") == [open_one]
    assert listed(admin) == [open_one], "admins need the clearance too"
    for path in ("", "/timeline", "/assessment"):
        assert (
            client.get(f"/api/v1/incidents/{secret}{path}", headers=dana.headers).status_code == 404
        )
    writes = [
        ("post", "/notes", {"body": "x"}),
        ("post", "/transitions", {"to": "triaged"}),
        ("patch", "", {"title": "x"}),
        ("put", "/classification", {"type": "theft"}),
        ("put", "/assessment", {"risks": "x"}),
    ]
    for method, path, body in writes:
        r = getattr(client, method)(
            f"/api/v1/incidents/{secret}{path}", json=body, headers=dana.headers
        )
        assert r.status_code == 404, (method, path, r.text)
    assert sorted(listed(sam)) == sorted([secret, open_one])
    assert listed(sam, q="zebra assault") == [secret]
    shown = client.get(f"/api/v1/incidents/{secret}", headers=sam.headers).json()
    assert shown["type"]["code"] == "assault"
    assert len(client.get(f"/api/v1/incidents/{secret}/timeline", headers=sam.headers).json()) == 2


def test_reclassifying_out_of_a_restricted_type_makes_it_visible_again(client, people):
    dana, sam = people["dana"], people["sam"]
    number = report(client, dana)["number"]
    classify(client, sam, number, type="assault")
    assert client.get(f"/api/v1/incidents/{number}", headers=dana.headers).status_code == 404
    classify(client, sam, number, type="theft")
    assert client.get(f"/api/v1/incidents/{number}", headers=dana.headers).status_code == 200


def test_clearances_are_granted_and_revoked(client, db, people):
    from murphy.users import service as users_service

    dana = people["dana"]
    number = report(client, dana)["number"]
    classify(client, people["sam"], number, type="assault")
    with db.transaction() as s:
        users_service.grant_clearance(
            s, user=users_service.get_or_raise(s, username="dana"), clearance="Safeguarding"
        )
    assert client.get(f"/api/v1/incidents/{number}", headers=dana.headers).status_code == 200
    me = client.get("/api/v1/me", headers=dana.headers).json()
    assert me["clearances"] == ["safeguarding"]
    with db.transaction() as s:
        users_service.revoke_clearance(
            s, user=users_service.get_or_raise(s, username="dana"), clearance="safeguarding"
        )
    assert client.get(f"/api/v1/incidents/{number}", headers=dana.headers).status_code == 404
