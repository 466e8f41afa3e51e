"""Statements through the API: a draft its taker corrects, submitted with the person's
sign-off and then never edited (409), amendments that leave the original as it was, the
digest on the hash-chained timeline, and the refusals: a sign-off without a name, a name
without a signature, an empty statement, someone else's draft, another site's incident."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from murphy.core.db import Database
from murphy.incidents import audit
from murphy.incidents import service as incidents_service
from murphy.statements import rules
from tests.api.test_evidence import number, people  # noqa: F401 (fixtures)
from tests.factories import Account

WITNESS = {
    "giver": "witness",
    "name": "Jane Okafor",
    "contact": "+44 7700 900123",
    "method": "dictated",
    "place": "Reception",
    "body": "I saw a man in a grey hoodie take the laptop from desk 14 at about 14:00.",
}


def base(incident: str) -> str:
    return f"/api/v1/incidents/{incident}/statements"


def test_a_draft_is_corrected_then_submitted_and_fixed_for_good(
    client: TestClient,
    db: Database,
    people,  # noqa: F811
    number: str,  # noqa: F811
) -> None:
    olga = people["olga"].headers
    draft = client.post(base(number), json={**WITNESS, "body": "I saw a man"}, headers=olga)
    assert draft.status_code == 201 and draft.json()["status"] == "draft"
    sid, etag = draft.json()["id"], draft.headers["etag"]
    fixed = client.patch(
        f"{base(number)}/{sid}",
        json={"body": WITNESS["body"]},
        headers={**olga, "If-Match": etag},
    )
    assert fixed.status_code == 200
    stale = client.patch(
        f"{base(number)}/{sid}", json={"body": "x y z"}, headers={**olga, "If-Match": etag}
    )
    assert stale.status_code == 412
    done = client.post(
        f"{base(number)}/{sid}/submit",
        json={"sign_off": "signed", "signed_name": "Jane Okafor"},
        headers=olga,
    ).json()
    assert done["status"] == "submitted" and done["signed_name"] == "Jane Okafor"
    again = client.patch(f"{base(number)}/{sid}", json={"body": "changed"}, headers=olga)
    assert again.status_code == 409 and "add an amendment" in again.json()["detail"]
    resubmit = client.post(
        f"{base(number)}/{sid}/submit", json={"sign_off": "absent"}, headers=olga
    )
    assert resubmit.status_code == 409
    kept = client.get(f"{base(number)}/{sid}", headers=people["sam"].headers).json()
    assert kept["body"] == WITNESS["body"]
    with db.transaction(write=False) as s:
        entries = incidents_service.timeline(s, principal=people["sam"].principal, number=number)
        entry = next(e for e in entries if e.kind == "statement_submitted")
        assert entry.data["sha256"] == kept["sha256"]
        assert audit.verify(s).ok
    assert kept["sha256"] == rules.digest(
        giver="witness",
        name="Jane Okafor",
        body=WITNESS["body"],
        taken_by="olga",
        taken_at=_at(kept["taken_at"]),
        sign_off="signed",
        signed_name="Jane Okafor",
        amends=None,
    )


def _at(text: str):  # type: ignore[no-untyped-def]
    from datetime import datetime

    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def test_amendments_add_and_leave_the_original(
    client: TestClient,
    db: Database,
    people,  # noqa: F811
    number: str,  # noqa: F811
) -> None:
    olga, sam = people["olga"].headers, people["sam"].headers
    first = client.post(
        base(number), json={**WITNESS, "submit": {"sign_off": "declined"}}, headers=olga
    ).json()
    assert first["status"] == "submitted" and first["sign_off"] == "declined"
    amendment = client.post(
        f"{base(number)}/{first['id']}/amendments",
        json={"body": "It was 14:10, not 14:00.", "sign_off": "signed", "signed_name": "J. Okafor"},
        headers=sam,
    )
    assert amendment.status_code == 201
    second = client.post(
        f"{base(number)}/{amendment.json()['id']}/amendments",
        json={"body": "He had a red backpack.", "sign_off": "absent"},
        headers=sam,
    ).json()
    assert amendment.json()["amends"] == second["amends"] == first["id"]  # all off the first
    original = client.get(f"{base(number)}/{first['id']}", headers=sam).json()
    assert original["body"] == WITNESS["body"] and original["sha256"] == first["sha256"]
    assert original["amendments"] == [amendment.json()["id"], second["id"]]
    with db.transaction(write=False) as s:
        kinds = [
            e.kind
            for e in incidents_service.timeline(s, principal=people["sam"].principal, number=number)
        ]
    assert kinds.count("statement_amended") == 2


@pytest.mark.parametrize(
    ("submit", "body", "words"),
    [
        ({"sign_off": "signed"}, WITNESS["body"], "types their own name"),
        ({"sign_off": "absent", "signed_name": "Jane"}, WITNESS["body"], "leave the name out"),
        ({"sign_off": "signed", "signed_name": "Jane"}, "  ", "write down what the person said"),
        ({"sign_off": "maybe"}, WITNESS["body"], "sign_off"),
    ],
)
def test_a_submission_that_says_too_little_stores_nothing(
    client: TestClient,
    people,  # noqa: F811
    number: str,  # noqa: F811
    submit: dict[str, str],
    body: str,
    words: str,
) -> None:
    sent = client.post(
        base(number),
        json={**WITNESS, "body": body, "submit": submit},
        headers=people["olga"].headers,
    )
    assert sent.status_code == 422 and words in sent.text
    assert client.get(base(number), headers=people["sam"].headers).json() == []


def test_who_may_take_read_and_change(
    client: TestClient,
    factory,
    people,  # noqa: F811
    number: str,  # noqa: F811
) -> None:
    other = factory.user("otto", "officer", ["HQ"])
    draft = client.post(base(number), json=WITNESS, headers=people["olga"].headers).json()
    theirs = client.patch(
        f"{base(number)}/{draft['id']}", json={"body": "mine now"}, headers=other.headers
    )
    assert theirs.status_code == 403 and "only olga" in theirs.json()["detail"]
    assert client.get(base(number), headers=people["lena"].headers).status_code == 404
    reporter: Account = people["rita"]
    assert client.post(base(number), json=WITNESS, headers=reporter.headers).status_code in (
        403,
        404,
    )
    unknown = client.post(
        base(number), json={**WITNESS, "giver": "bystander"}, headers=other.headers
    )
    assert unknown.status_code == 422
