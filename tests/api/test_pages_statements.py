"""The statements pages on a phone's form: a statement dictated and submitted with the
person's typed name, a draft saved then finished, a refused sign-off keeps what was typed,
an amendment from the statement's page, and the timeline line on the incident."""

from __future__ import annotations

from fastapi.testclient import TestClient

from tests.api.conftest import HTML
from tests.api.test_evidence import number, people  # noqa: F401 (fixtures)
from tests.api.test_pages import sign_in, token_of

SAID = "I saw two people climb the fence by gate 3 and run towards the car park."


def test_take_sign_and_amend_from_the_phone(
    client: TestClient,
    people,  # noqa: F811
    number: str,  # noqa: F811
) -> None:
    client.headers["accept"] = HTML
    sign_in(client, "olga")
    page = f"/incidents/{number}/statements"
    token = token_of(client, page)
    form = {
        "csrf_token": token,
        "giver": "witness",
        "name": "Sam Patel",
        "method": "dictated",
        "body": SAID,
        "sign_off": "signed",
        "signed_name": "",
        "then": "submit",
    }
    refused = client.post(page, data=form)
    assert refused.status_code == 422 and "types their own name" in refused.text
    assert SAID in refused.text  # what was typed is kept
    done = client.post(page, data={**form, "signed_name": "Sam Patel"}, follow_redirects=False)
    assert done.status_code == 303 and "done=submit" in done.headers["location"]
    shown = client.get(done.headers["location"]).text
    assert "Signed by <strong>Sam Patel</strong>" in shown and "can no longer be changed" in shown
    assert "Finish the draft" not in shown and "Add an amendment" in shown
    statement = done.headers["location"].split("?")[0]
    amended = client.post(
        f"{statement}/amendments",
        data={"csrf_token": token, "body": "It was gate 4.", "sign_off": "absent"},
        follow_redirects=False,
    )
    assert amended.status_code == 303
    assert "which stays as it was" in client.get(amended.headers["location"]).text
    incident = client.get(f"/incidents/{number}").text
    assert "Statement from" in incident and "Amendment to statement" in incident


def test_a_draft_is_saved_then_finished(
    client: TestClient,
    people,  # noqa: F811
    number: str,  # noqa: F811
) -> None:
    client.headers["accept"] = HTML
    sign_in(client, "olga")
    page = f"/incidents/{number}/statements"
    token = token_of(client, page)
    draft = client.post(
        page,
        data={
            "csrf_token": token,
            "giver": "victim",
            "name": "Ana Ruiz",
            "body": "My bag",
            "then": "draft",
        },
        follow_redirects=False,
    )
    statement = draft.headers["location"].split("?")[0]
    assert "Finish the draft" in client.get(statement).text
    finished = client.post(
        statement,
        data={
            "csrf_token": token,
            "body": "My bag was taken from the café table.",
            "sign_off": "absent",
            "then": "submit",
        },
        follow_redirects=False,
    )
    assert finished.status_code == 303
    text = client.get(statement).text
    assert "My bag was taken from the café table." in text and "Not here to sign" in text
