"""The taxonomy and suggestion routes: who may do what, bad input, round trips."""

from __future__ import annotations

import pytest
import yaml
from fastapi.testclient import TestClient

from murphy.core.db import Database
from murphy.taxonomy import service
from tests.factories import Account, Factory

YAML = {"Content-Type": "application/yaml"}

PACK = """
pack: mini
categories:
  - code: mini
    name: Mini
    children:
      - code: mini.fight
        name: Fight
        keywords: [fight, punched]
        playbook:
          - {key: weapon, title: Ask about weapons, question: "Weapon involved?"}
          - {key: police, title: "Call police (911)", when: {step: weapon, answer: true}}
      - code: mini.fire
        name: Fire
        keywords: [smoke, flames]
"""


@pytest.fixture
def admin(factory: Factory) -> Account:
    factory.site("HQ")
    return factory.user("root", "admin", all_sites=True)


def _import(client: TestClient, who: Account, text: str):  # type: ignore[no-untyped-def]
    return client.post(
        "/api/v1/taxonomy/import", content=text.encode(), headers={**who.headers, **YAML}
    )


def test_everyone_reads_the_tree(client: TestClient, factory: Factory, admin: Account) -> None:
    assert _import(client, admin, PACK).json()["created"] == 3
    reporter = factory.user("rep", "reporter", ["HQ"])
    r = client.get("/api/v1/taxonomy", headers=reporter.headers)
    assert r.status_code == 200
    (root,) = r.json()
    assert root["code"] == "mini" and [c["code"] for c in root["children"]] == [
        "mini.fight",
        "mini.fire",
    ]
    fight = root["children"][0]
    assert fight["playbook_version"] == 1 and fight["playbook"][1]["when"]["step"] == "weapon"
    assert client.get("/api/v1/taxonomy").status_code == 401


@pytest.mark.parametrize("role", ["reporter", "dispatcher", "supervisor", "analyst"])
def test_only_admins_change_or_export(
    client: TestClient, factory: Factory, admin: Account, role: str
) -> None:
    who = factory.user(f"u-{role}", role, ["HQ"])
    assert _import(client, who, PACK).status_code == 403
    assert client.get("/api/v1/taxonomy/export", headers=who.headers).status_code == 403
    new = {"code": "x", "name": "X"}
    assert client.post("/api/v1/taxonomy/types", json=new, headers=who.headers).status_code == 403
    _import(client, admin, PACK)
    patch = client.patch("/api/v1/taxonomy/types/mini", json={"name": "Y"}, headers=who.headers)
    assert patch.status_code == 403
    assert client.get("/api/v1/taxonomy/types/mini", headers=who.headers).json()["name"] == "Mini"


@pytest.mark.parametrize(
    ("text", "names"),
    [
        ("pack: x\ncategories: [\n", "not valid YAML"),
        (
            "pack: x\ntypes:\n  - {code: a, name: A, parent: b}\n  - {code: b, name: B, parent: a}\n",
            "cycle: a → b → a",
        ),
        (
            "pack: x\ncategories:\n  - {code: a, name: A}\n  - {code: a, name: A again}\n",
            "duplicate type code 'a'",
        ),
        (
            "pack: x\ncategories:\n  - {code: a, name: A, children: [{code: a.b, name: B, "
            "required_fields: [mood]}]}\n",
            "type 'a.b'",
        ),
    ],
)
def test_a_bad_import_is_a_clear_422_and_writes_nothing(
    client: TestClient, admin: Account, text: str, names: str
) -> None:
    r = _import(client, admin, text)
    assert r.status_code == 422
    assert r.headers["content-type"].startswith("application/problem+json")
    assert names in r.json()["detail"]
    assert client.get("/api/v1/taxonomy", headers=admin.headers).json() == []


def test_export_then_import_round_trips(client: TestClient, admin: Account, db: Database) -> None:
    with db.transaction() as s:
        service.load_pack(s, name="cyber")
    exported = client.get("/api/v1/taxonomy/export", headers=admin.headers)
    assert exported.status_code == 200
    assert exported.headers["content-type"].startswith("application/yaml")
    tree = client.get("/api/v1/taxonomy", headers=admin.headers).json()
    again = _import(client, admin, exported.text).json()
    assert (again["created"], again["updated"], again["playbooks"]) == (0, 0, 0)
    assert client.get("/api/v1/taxonomy", headers=admin.headers).json() == tree
    assert yaml.safe_load(exported.text)["categories"][0]["code"].startswith("cyber.")


def test_admins_add_change_and_deactivate_a_type(client: TestClient, admin: Account) -> None:
    _import(client, admin, PACK)
    h = admin.headers
    new = {"code": "mini.theft", "name": "Theft", "parent": "mini", "default_impact": 4}
    r = client.post("/api/v1/taxonomy/types", json=new, headers=h)
    assert r.status_code == 201 and r.json()["level"] == "type"
    assert r.headers["location"] == "/api/v1/taxonomy/types/mini.theft"
    assert client.post("/api/v1/taxonomy/types", json=new, headers=h).status_code == 409
    steps = [{"key": "cctv", "title": "Check CCTV", "role": "dispatcher"}]
    r = client.patch("/api/v1/taxonomy/types/mini.fight", json={"playbook": steps}, headers=h)
    assert r.status_code == 200 and r.json()["playbook_version"] == 2
    renamed = client.patch("/api/v1/taxonomy/types/mini.fight", json={"code": "z"}, headers=h)
    assert renamed.status_code == 422
    r = client.patch("/api/v1/taxonomy/types/mini.fire", json={"active": False}, headers=h)
    assert r.status_code == 200 and r.json()["active"] is False
    (root,) = client.get("/api/v1/taxonomy", headers=h).json()
    assert [c["code"] for c in root["children"]] == ["mini.fight", "mini.theft"]
    unknown = client.patch("/api/v1/taxonomy/types/nope", json={"name": "N"}, headers=h)
    assert unknown.status_code == 404
    bad = {"code": "mini.x", "name": "X", "parent": "mini", "required_fields": ["mood"]}
    assert client.post("/api/v1/taxonomy/types", json=bad, headers=h).status_code == 422


def test_suggestions_give_types_and_similar_incidents_in_scope(
    client: TestClient, factory: Factory, admin: Account, db: Database
) -> None:
    with db.transaction() as s:
        service.load_pack(s, name="corporate")
    factory.site("LAB")
    near = factory.incident(admin, site="HQ", title="Fight in the car park, one man punched")
    far = factory.incident(admin, site="LAB", title="Fight at the LAB gate, punches thrown")
    officer = factory.user("off", "officer", ["HQ"])
    body = {"title": "Two men fighting by gate 2", "description": "one punched the other"}
    r = client.post("/api/v1/suggestions", json=body, headers=officer.headers)
    assert r.status_code == 200
    out = r.json()
    assert out["types"][0]["code"] == "violence.assault"
    assert out["types"][0]["words"] and 0 < out["types"][0]["score"] <= 1
    assert [i["number"] for i in out["similar"]] == [near]
    everything = client.post("/api/v1/suggestions", json=body, headers=admin.headers).json()
    assert {i["number"] for i in everything["similar"]} == {near, far}
    empty = client.post("/api/v1/suggestions", json={"title": ""}, headers=officer.headers)
    assert empty.status_code == 200 and empty.json() == {"types": [], "similar": []}
