"""The privacy page (/admin/retention): the rules for the privacy officer only, a change
and a refused one (nothing saved, a sentence saying why), a preview that changes nothing,
a run, the person page's export button and an anonymized record's page."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient

from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.retention import service
from tests.api.conftest import HTML
from tests.api.test_pages import sign_in, token_of
from tests.api.test_retention import EIGHT_YEARS, cancel, documented, people  # noqa: F401
from tests.factories import Factory

PAGE = "/admin/retention"


def test_rules_preview_and_run_from_the_page(
    client: TestClient,
    db: Database,
    factory: Factory,
    people,  # noqa: F811
) -> None:
    client.headers["accept"] = HTML
    sign_in(client, "sam")
    assert client.get(PAGE).status_code == 403
    assert "/admin/retention" not in client.get("/incidents").text  # no Privacy link
    client.cookies.clear()
    sign_in(client, "ada")
    page = client.get(PAGE)
    assert page.status_code == 200 and "Person records" in page.text and "Privacy" in page.text
    token = token_of(client, PAGE)
    bad = client.post(f"{PAGE}/rules/people", data={"csrf_token": token, "days": "0"})
    assert bad.status_code == 422 and "not changed, nothing was saved" in bad.text
    ok = client.post(
        f"{PAGE}/rules/bolos",
        data={"csrf_token": token, "days": "45", "action": "delete", "enabled": "on"},
        follow_redirects=False,
    )
    assert ok.status_code == 303 and "saved=bolos" in ok.headers["location"]
    shown = client.get(ok.headers["location"]).text
    assert 'value="45"' in shown and "set by ada" in shown
    preview = client.post(f"{PAGE}/runs", data={"csrf_token": token, "dry_run": "1"})
    assert (
        preview.status_code == 200 and "Preview: a run now would change 0 records" in preview.text
    )
    run = client.post(f"{PAGE}/runs", data={"csrf_token": token, "dry_run": "0"})
    assert "Run 1 changed 0 records" in run.text
    with db.transaction(write=False) as s:
        assert [r.started_by for r in service.runs(s, principal=people["ada"].principal)] == ["ada"]


def test_the_person_page_exports_and_says_when_anonymized(
    client: TestClient,
    db: Database,
    factory: Factory,
    people,  # noqa: F811
) -> None:
    case = documented(client, factory, people["sam"], "Laptop taken")
    client.headers["accept"] = HTML
    sign_in(client, "ada")
    record = client.get(f"/subjects/{case['person']}").text
    assert f"/admin/retention/export/{case['person']}" in record
    export = client.get(f"/admin/retention/export/{case['person']}")
    assert export.status_code == 200 and "attachment" in export.headers["content-disposition"]
    assert json.loads(export.text)["person"]["name"] == "Marek Novak"
    cancel(client, people["sam"], str(case["number"]))
    with db.transaction() as s:
        service.run(s, principal=people["ada"].principal, now=utcnow() + EIGHT_YEARS)
    record = client.get(f"/subjects/{case['person']}").text
    assert "Anonymized under the retention policy" in record and "Marek" not in record
    evidence = client.get(f"/incidents/{case['number']}/evidence/{case['file']}").text
    assert "deleted under the retention policy" in evidence and "download=true" not in evidence
    incident = client.get(f"/incidents/{case['number']}").text
    assert "Personal data removed under the retention policy" in incident
    assert "Marek Novak" not in incident and "Jane Okafor" not in incident
    assert "Statements anonymized: 1" in incident and "Evidence files deleted: 1" in incident
