"""Working an incident in the web UI: the playbook checklist, the ICS command of a major
incident; and the taxonomy admin page (tree, YAML export and import)."""

from __future__ import annotations

import re
from html import unescape

import pytest
import yaml
from fastapi.testclient import TestClient

from murphy.incidents import service as incidents_service
from murphy.taxonomy import service as taxonomy_service
from tests.api.test_pages import alert, classify, move, post_form, sign_in, token_of
from tests.api.test_pages_triage import section, show, text
from tests.factories import TEST_PACK, Account, Factory


@pytest.fixture
def olu(hq: Factory) -> Account:
    """An officer at HQ."""
    return hq.user("olu", "officer", ["HQ"])


def tasks(client: TestClient, account: Account, number: str) -> dict[str, str]:
    """Each task's state, by step, through the API."""
    r = client.get(f"/api/v1/incidents/{number}/tasks", headers=account.headers)
    return {t["step"]: t["state"] for t in r.json()["tasks"]}


# --- the playbook checklist -------------------------------------------------------------


def test_the_playbook_becomes_a_checklist_to_work(
    web: TestClient, hq: Factory, olu: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    classify(web, number, "intrusion")
    page = show(web, number)
    checklist = text(section(page, "tasks"))
    assert "Playbook 0/3" in checklist and "2 mandatory still open" in checklist
    assert "Secure the area Mandatory Officer" in checklist
    assert "Review the CCTV Optional Officer" in checklist
    assert "Is the intruder armed?" in checklist  # the question, with Yes and No
    assert 'name="answer" value="yes"' in section(page, "tasks")
    assert post_form(web, number, "tasks/secure/done").status_code == 303
    r = post_form(web, number, "tasks/armed/done", answer="yes")
    assert r.status_code == 303 and r.headers["location"].endswith("#tasks")
    api = hq.user("api", "dispatcher", ["HQ"])
    assert tasks(web, api, number) == {
        "secure": "done",
        "armed": "done",
        "police": "open",  # the branch the answer opened
        "review": "open",
    }
    page = show(web, number)
    checklist = text(section(page, "tasks"))
    assert "Call the police" in checklist and "Yes · done" in checklist
    timeline = text(section(page, "timeline"))
    assert "Step done: Yes" in timeline and "After “yes” to armed: 1 more step" in timeline


def test_skipping_a_step_needs_a_reason(web: TestClient, hq: Factory, olu: Account) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    classify(web, number, "intrusion")
    r = post_form(web, number, "tasks/review/skip", step="review", reason=" ")
    assert r.status_code == 422 and "a reason is required" in alert(r.text)
    assert re.search(r'<details class="task-skip" open>', r.text)
    reason = "CCTV camera 4 out of order"
    assert post_form(web, number, "tasks/review/skip", reason=reason).status_code == 303
    page = show(web, number)
    assert "Skipped" in text(section(page, "tasks")) and reason in text(section(page, "tasks"))
    assert "Step skipped" in text(section(page, "timeline"))
    r = post_form(web, number, "tasks/review/done")
    assert r.status_code == 409 and "already skipped" in alert(r.text)
    r = post_form(web, number, "tasks/nope/done")
    assert r.status_code == 404


def test_an_officer_may_not_skip_a_mandatory_step(
    web: TestClient, hq: Factory, olu: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    classify(web, number, "intrusion")
    web.cookies.clear()
    sign_in(web, "olu")
    page = section(show(web, number), "tasks")
    secure = page[page.index('id="task-secure"') : page.index('id="task-armed"')]
    assert ">Done</button>" in secure and "Skip…" not in secure  # mandatory
    review = page[page.index('id="task-review"') :]
    assert "Skip…" in review  # optional
    r = post_form(web, number, "tasks/secure/skip", reason="busy")
    assert r.status_code == 403 and "mandatory" in alert(r.text)


def test_resolving_is_possible_once_the_mandatory_steps_are_done(
    web: TestClient, hq: Factory, olu: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    classify(web, number, "intrusion")
    move(web, number, "triaged")
    move(web, number, "responding")
    post_form(web, number, "tasks/secure/done")
    post_form(web, number, "tasks/armed/done", answer="no")
    post_form(web, number, "assessment", immediate_actions="Area secured")
    page = show(web, number)
    assert 'class="btn btn-move btn-resolve">Resolve</button>' in page
    r = move(web, number, "resolved", resolution_code="resolved")
    assert r.status_code == 303


# --- the ICS command ---------------------------------------------------------------------


def test_a_supervisor_declares_a_major_incident_and_fills_the_roster(
    web: TestClient, hq: Factory, olu: Account
) -> None:
    hq.user("sam", "supervisor", ["HQ"])
    number = hq.incident(olu, title="Flooding in the basement")
    sign_in(web, "dana")
    assert "Declare a major incident" not in show(web, number)  # not a dispatcher's
    r = post_form(web, number, "ics/declare", user="dana", complexity="3")
    assert r.status_code == 403
    web.cookies.clear()
    sign_in(web, "sam")
    assert "Declare a major incident" in show(web, number)
    r = post_form(web, number, "ics/declare", complexity="3")
    assert r.status_code == 422 and "pick a person from the list" in alert(r.text).lower()
    r = post_form(web, number, "ics/declare", user="sam", complexity="3")
    assert r.status_code == 303 and r.headers["location"].endswith("#ics")
    page = show(web, number)
    assert "Major · type 3" in page
    roster = text(section(page, "ics"))
    assert "Incident Commander Sam since" in roster and "Safety Officer vacant" in roster
    fire = "Watch Manager Diaz, fire service"
    r = post_form(web, number, "ics/roles", role="liaison_officer", name=fire)
    assert r.status_code == 303
    post_form(web, number, "ics/roles", role="safety_officer", user="olu")
    post_form(web, number, "ics/complexity", complexity="2", reason="Spreading to car park")
    page = show(web, number)
    roster = text(section(page, "ics"))
    assert f"Liaison Officer {fire}" in roster and "Safety Officer Olu since" in roster
    assert "complexity type 2" in roster
    assert post_form(web, number, "ics/roles/safety_officer/relieve").status_code == 303
    page = show(web, number)
    assert "Safety Officer vacant" in text(section(page, "ics"))
    timeline = text(section(page, "timeline"))
    for line in (
        "Declared a major incident",
        "Incident commander: Sam",
        f"Liaison Officer: {fire}",
        "Complexity type 3 → 2",
        "Safety Officer relieved: Olu",
    ):
        assert line in timeline, line


def test_operational_periods_follow_one_another(web: TestClient, hq: Factory, olu: Account) -> None:
    hq.user("sam", "supervisor", ["HQ"])
    number = hq.incident(olu, title="Power cut, whole campus")
    sign_in(web, "sam")
    post_form(web, number, "ics/declare", user="sam", complexity="3")
    assert "Plan the first operational period" in show(web, number)
    first = {"starts_at": "2026-11-28T06:00", "ends_at": "2026-11-28T18:00"}
    r = post_form(web, number, "ics/periods", objectives="Restore power to the wards", **first)
    assert r.status_code == 303 and r.headers["location"].endswith("#ics")
    page = show(web, number)
    assert "Plan the next operational period" in page
    assert 'value="2026-11-28T18:00"' in page  # the next one starts when this one ends
    assert "Restore power to the wards" in text(section(page, "ics"))
    overlap = {"starts_at": "2026-11-28T17:00", "ends_at": "2026-11-29T05:00"}
    r = post_form(web, number, "ics/periods", objectives="Night shift: generators", **overlap)
    assert r.status_code == 422
    assert "starts before the previous one ends" in alert(r.text)
    assert "Night shift: generators" in r.text  # what was typed is kept
    page = show(web, number)
    assert "Night shift: generators" not in page  # nothing half-applied
    timeline = text(section(page, "timeline"))
    assert "Operational period 1" in timeline and "Operational period 2" not in timeline


# --- the taxonomy admin page -------------------------------------------------------------


@pytest.fixture
def admin(hq: Factory) -> Account:
    return hq.user("root", "admin", all_sites=True)


def test_the_taxonomy_page_shows_the_tree_to_admins_only(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "dana")
    assert 'href="/admin/taxonomy"' not in web.get("/incidents").text
    r = web.get("/admin/taxonomy")
    assert r.status_code == 403 and "may not manage the taxonomy" in r.text
    assert web.get("/admin/taxonomy/export.yaml").status_code == 403
    web.cookies.clear()
    sign_in(web, "root")
    page = web.get("/admin/taxonomy")
    assert page.status_code == 200 and 'href="/admin/taxonomy" aria-current="page"' in page.text
    words = text(page.text)
    assert "Incident types 5" in words  # the category, its types and a subtype
    assert "Intrusion intrusion P1 by default (impact 2 · urgency 1)" in words
    assert "Before resolving: immediate actions" in words
    assert "Playbook v1: 4 steps" in words
    assert "only if armed = yes" in words and "asks “Is the intruder armed?”" in words
    assert "Sexual assault assault Restricted: safeguarding" in words
    html = page.text
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)


def test_the_taxonomy_exports_as_a_yaml_download(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "root")
    r = web.get("/admin/taxonomy/export.yaml")
    assert r.status_code == 200 and r.headers["content-type"].startswith("application/yaml")
    assert re.fullmatch(
        r'attachment; filename="murphy-taxonomy-\d{4}-\d\d-\d\d\.yaml"',
        r.headers["content-disposition"],
    )
    exported = yaml.safe_load(r.text)
    with hq.db.transaction(write=False) as s:
        assert exported == taxonomy_service.export(s)
    codes = [c["code"] for c in exported["categories"][0]["children"]]
    assert codes == ["assault", "intrusion", "theft"]


def upload(web: TestClient, body: bytes, name: str = "pack.yaml", token: str | None = None):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token if token is not None else token_of(web, "/admin/taxonomy")}
    files = {"file": (name, body, "application/yaml")}
    return web.post("/admin/taxonomy/import", data=data, files=files, follow_redirects=False)


def test_importing_a_pack(web: TestClient, hq: Factory, admin: Account) -> None:
    sign_in(web, "root")
    pack = TEST_PACK.replace("name: Theft\n", "name: Theft and loss\n") + (
        "  - code: safety\n    name: Safety\n    children:\n"
        "      - {code: safety.fire, name: Fire, default_impact: 1, default_urgency: 1}\n"
    )
    r = upload(web, pack.encode())
    assert r.status_code == 303
    assert r.headers["location"] == ("/admin/taxonomy?loaded=test&created=2&updated=1&playbooks=0")
    page = text(web.get(r.headers["location"]).text)
    assert "Pack “test” imported" in page and "2 new, 1 updated, 0 new playbook versions" in page
    assert "Fire safety.fire P1 by default" in page and "Theft and loss theft" in page


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (b"pack: x\ncategories: [1", "the pack is not valid YAML"),
        (b"", "the file is empty"),
        (b"\xff\xfe not text", "not UTF-8 text"),
        (
            b"pack: x\ncategories:\n  - {code: a, name: A}\n  - {code: a, name: B}\n",
            "duplicate type code 'a'",
        ),
    ],
    ids=["not-yaml", "empty", "not-utf8", "duplicate"],
)
def test_a_bad_pack_is_refused_with_the_reason_and_changes_nothing(
    web: TestClient, hq: Factory, admin: Account, body: bytes, message: str
) -> None:
    sign_in(web, "root")
    r = upload(web, body, name="mine.yaml")
    assert r.status_code == 422
    assert alert(r.text).startswith("Nothing was imported from mine.yaml")
    assert message.lower() in unescape(alert(r.text)).lower()
    assert "Incident types 5" in text(r.text)


def test_importing_needs_the_csrf_token(web: TestClient, hq: Factory, admin: Account) -> None:
    sign_in(web, "root")
    pack = b"pack: x\ncategories:\n  - {code: forged, name: Forged}\n"
    r = upload(web, pack, token="not-the-token")
    assert r.status_code == 403
    assert "forged" not in web.get("/admin/taxonomy").text


def type_form(web: TestClient, path: str, token: str | None = None, **fields: object):  # type: ignore[no-untyped-def]
    data = {"csrf_token": token if token is not None else token_of(web, "/admin/taxonomy")}
    return web.post(path, data={**data, **fields}, follow_redirects=False)


def test_adding_a_type_in_the_page(
    web: TestClient, hq: Factory, admin: Account, olu: Account
) -> None:
    sign_in(web, "root")
    r = type_form(
        web,
        "/admin/taxonomy/types",
        code="theft.bicycle",
        parent="theft",
        name="Bicycle theft",
        default_impact="4",
        default_urgency="4",
        keywords="bike, cycle rack",
        required_fields=["place", "description"],
    )
    assert r.status_code == 303, alert(r.text)
    assert r.headers["location"] == "/admin/taxonomy?saved=theft.bicycle#type-theft.bicycle"
    page = text(web.get(r.headers["location"]).text)
    assert "Saved theft.bicycle" in page
    assert "Bicycle theft theft.bicycle saved P4 by default" in page
    assert "Before resolving: place, description" in page
    with hq.db.transaction() as s:
        row = taxonomy_service.get(s, code="theft.bicycle")
        assert row is not None and row.keywords == ["bike", "cycle rack"]
    number = hq.incident(olu, title="Bike taken from the cycle rack")
    sign_in(web, "dana")
    assert 'value="theft.bicycle"' in web.get(f"/incidents/{number}").text


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"code": "theft", "name": "Again"}, "already exists"),
        ({"code": "x.y", "name": "Lost", "parent": "nowhere"}, "nowhere"),
        ({"code": "Bad Code", "name": "Bad"}, "Code"),
        ({"code": "ok", "name": ""}, "Name is required"),
        ({"code": "ok", "name": "Too deep", "parent": "theft.vehicle"}, "subtype"),
    ],
    ids=["duplicate", "unknown-parent", "bad-code", "no-name", "too-deep"],
)
def test_a_bad_new_type_is_refused_and_nothing_is_added(
    web: TestClient, hq: Factory, admin: Account, fields: dict[str, str], message: str
) -> None:
    sign_in(web, "root")
    r = type_form(web, "/admin/taxonomy/types", **fields)
    assert r.status_code in (409, 422)
    assert alert(r.text).startswith("Type not added")
    assert message.lower() in unescape(alert(r.text)).lower()
    assert "Incident types 5" in text(r.text)
    assert f'value="{fields["name"]}"' in r.text or not fields["name"]  # what was typed stays


def test_editing_a_type_keeps_the_history_of_incidents(
    web: TestClient, hq: Factory, admin: Account, olu: Account
) -> None:
    number = hq.incident(olu, title="Car broken into")
    sign_in(web, "dana")
    classify(web, number, "theft.vehicle")
    web.cookies.clear()
    sign_in(web, "root")
    r = type_form(
        web,
        "/admin/taxonomy/types/theft.vehicle",
        name="Vehicle crime",
        default_impact="2",
        default_urgency="2",
        clearance="",
        active="on",
    )
    assert r.status_code == 303, alert(r.text)
    assert "Vehicle crime theft.vehicle saved P2 by default" in text(
        web.get(r.headers["location"]).text
    )
    r = type_form(
        web, "/admin/taxonomy/types/theft.vehicle", name="Vehicle crime", clearance="Not OK!"
    )
    assert r.status_code == 422 and alert(r.text).startswith("theft.vehicle not changed")
    assert "Clearance" in alert(r.text)
    r = type_form(web, "/admin/taxonomy/types/theft.vehicle", name="Vehicle crime")  # active off
    assert r.status_code == 303
    page = web.get("/admin/taxonomy").text
    assert "inactive" in text(section_of(page, "type-theft.vehicle"))
    with hq.db.transaction() as s:  # the incident keeps the type it had, on its timeline
        entries = incidents_service.timeline(s, principal=olu.principal, number=number)
        classified = [e for e in entries if e.kind == "classified"]
        assert classified[0].data["type_name"] == "Theft from a vehicle"
    r = type_form(web, "/admin/taxonomy/types/theft.vehicle", token="forged", name="X")
    assert r.status_code == 403


def test_only_admins_change_types(web: TestClient, hq: Factory, admin: Account) -> None:
    sign_in(web, "dana")
    token = token_of(web)
    r = type_form(web, "/admin/taxonomy/types", token=token, code="mine", name="Mine")
    assert r.status_code == 403
    r = type_form(web, "/admin/taxonomy/types/theft", token=token, name="Stolen")
    assert r.status_code == 403


def section_of(html: str, element_id: str) -> str:
    """The HTML of the list item or details element with this id."""
    match = re.search(rf'<(li|details)[^>]*id="{re.escape(element_id)}".*?</\1>', html, re.S)
    assert match, f"no #{element_id}"
    return match.group(0)
