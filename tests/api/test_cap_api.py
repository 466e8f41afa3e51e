"""CAP 1.2 through the API: an alert opens an incident through the source's mapping;
the same alert again is a repeat; Update and Cancel change the incident they refer to;
Exercise marks a drill; Test is not acted on; broken or hostile XML is refused with the
element named and nothing stored. And the way out: an incident exported as a CAP alert
that the OASIS schema accepts and our own reader reads back."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import xmlschema
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from murphy.core import cap
from murphy.signals.models import Signal
from tests.api.test_incidents import assert_problem
from tests.api.test_pages import sign_in
from tests.factories import Account, Factory

CAP_IN = "/api/v1/cap"
XSD = xmlschema.XMLSchema(Path(__file__).parent.parent / "data" / "cap" / "CAP-v1.2.xsd")
MAPPING = {
    "title": "{info[0].headline}",
    "type": "intrusion",
    "severity": "{info[0].severity}",
    "severities": {"Extreme": 1, "Severe": 2, "Moderate": 3, "Minor": 4},
    "place": "{info[0].area[0].areaDesc}",
    "description": "{info[0].description}",
}


@pytest.fixture
def hq(factory: Factory) -> Factory:
    factory.taxonomy()
    factory.site("HQ")
    factory.site("BR")
    return factory


@pytest.fixture
def admin(hq: Factory) -> Account:
    return hq.user("root", "admin", all_sites=True)


@pytest.fixture
def dana(hq: Factory) -> Account:
    return hq.user("dana", "dispatcher", ["HQ"])


@pytest.fixture
def token(client: TestClient, admin: Account) -> str:
    body = {"code": "gateway", "name": "Alert gateway", "site": "HQ", "mapping": MAPPING}
    r = client.post("/api/v1/signal-sources", json=body, headers=admin.headers)
    assert r.status_code == 201, r.text
    return str(r.json()["token"])


def alert(
    identifier: str = "GW-1",
    *,
    status: str = "Actual",
    msg_type: str = "Alert",
    severity: str = "Severe",
    references: str = "",
    headline: str = "Intruder alarm, east wing",
    info: str | None = None,
) -> bytes:
    refs = f"<references>{references}</references>" if references else ""
    block = (
        info
        if info is not None
        else f"""<info><category>Security</category><event>Intrusion</event>
      <urgency>Immediate</urgency><severity>{severity}</severity><certainty>Observed</certainty>
      <headline>{headline}</headline><description>Two motion sensors &amp; a door contact.</description>
      <area><areaDesc>East wing, level 2</areaDesc></area></info>"""
    )
    return f"""<?xml version="1.0" encoding="UTF-8"?>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2">
  <identifier>{identifier}</identifier><sender>gw@example.org</sender>
  <sent>2026-11-28T14:00:00-00:00</sent><status>{status}</status><msgType>{msg_type}</msgType>
  <scope>Public</scope>{refs}
  {block}
</alert>""".encode()


def send(client: TestClient, token: str, body: bytes) -> Any:
    return client.post(
        CAP_IN,
        content=body,
        headers={"Authorization": f"Bearer {token}", "Content-Type": "application/xml"},
    )


def stored(hq: Factory) -> int:
    with hq.db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Signal)) or 0)


def incident(client: TestClient, who: Account, number: str) -> dict[str, Any]:
    r = client.get(f"/api/v1/incidents/{number}", headers=who.headers)
    assert r.status_code == 200, r.text
    return dict(r.json())


def exported(client: TestClient, who: Account, number: str) -> tuple[bytes, cap.Alert]:
    r = client.get(f"/api/v1/incidents/{number}/cap", headers=who.headers)
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("application/xml")
    XSD.validate(r.content)  # raises if the OASIS schema refuses it
    return r.content, cap.parse(r.content)


def test_an_alert_opens_an_incident_and_the_same_alert_again_is_a_repeat(
    client: TestClient, token: str, dana: Account, hq: Factory
) -> None:
    r = send(client, token, alert())
    assert r.status_code == 201, r.text
    first = r.json()
    assert first["decision"] == "new" and first["identifier"] == "GW-1"
    assert first["status"] == "Actual" and first["msg_type"] == "Alert"
    got = incident(client, dana, first["incident"])
    assert got["title"] == "Intruder alarm, east wing" and got["priority"] == 2
    assert got["channel"] == "signal" and got["exercise"] is False
    assert "East wing, level 2" in got["place"]["label"]
    again = send(client, token, alert()).json()
    assert again["decision"] == "duplicate" and again["count"] == 2
    assert again["incident"] == first["incident"] and stored(hq) == 1


def test_an_update_changes_the_priority_and_a_cancel_withdraws_the_incident(
    client: TestClient, token: str, dana: Account
) -> None:
    first = send(client, token, alert()).json()
    ref = "gw@example.org,GW-1,2026-11-28T14:00:00-00:00"
    r = send(client, token, alert("GW-2", msg_type="Update", severity="Extreme", references=ref))
    assert r.status_code == 201, r.text
    update = r.json()
    assert update["decision"] == "updated" and update["incident"] == first["incident"]
    assert incident(client, dana, first["incident"])["priority"] == 1
    # a Cancel that refers to the update reaches the same incident
    ref2 = "gw@example.org,GW-2,2026-11-28T14:00:00-00:00"
    cancel = send(client, token, alert("GW-3", msg_type="Cancel", references=ref2)).json()
    assert cancel["decision"] == "cancelled" and "was cancelled" in cancel["rule"]
    got = incident(client, dana, first["incident"])
    assert got["status"] == "cancelled" and "CAP Cancel GW-3" in got["cancel_reason"]
    entries = client.get(
        f"/api/v1/incidents/{first['incident']}/timeline", headers=dana.headers
    ).json()
    decisions = [e["data"]["decision"] for e in entries if e["kind"] == "signal"]
    assert decisions == ["new", "updated", "cancelled"]
    _, back = exported(client, dana, first["incident"])
    assert back.msg_type == "Cancel" and back.references[0].identifier.endswith(".v1")
    assert back.info[0].urgency == "Past" and back.info[0].response_type == ("AllClear",)


def test_a_cancel_leaves_an_incident_someone_responds_to(
    client: TestClient, token: str, dana: Account
) -> None:
    first = send(client, token, alert()).json()
    number = first["incident"]
    for to in ("triaged", "responding"):
        version = incident(client, dana, number)["version"]
        r = client.post(
            f"/api/v1/incidents/{number}/transitions",
            json={"to": to},
            headers={**dana.headers, "If-Match": f'"{version}"'},
        )
        assert r.status_code == 200, r.text
    ref = "gw@example.org,GW-1,2026-11-28T14:00:00-00:00"
    cancel = send(client, token, alert("GW-9", msg_type="Cancel", references=ref)).json()
    assert cancel["decision"] == "cancelled" and "the incident stays" in cancel["rule"]
    assert incident(client, dana, number)["status"] == "responding"


def test_an_update_or_cancel_of_an_unknown_alert(
    client: TestClient, token: str, hq: Factory
) -> None:
    ref = "gw@example.org,NEVER,2026-11-28T14:00:00-00:00"
    cancel = send(client, token, alert("GW-5", msg_type="Cancel", references=ref))
    assert cancel.status_code == 202 and cancel.json()["decision"] == "ignored"
    assert stored(hq) == 0
    update = send(client, token, alert("GW-6", msg_type="Update", references=ref)).json()
    assert update["decision"] == "new" and "taken as new" in update["rule"]
    assert stored(hq) == 1


def test_an_exercise_is_marked_and_exported_as_one(
    client: TestClient, token: str, dana: Account
) -> None:
    answer = send(client, token, alert("DRILL-1", status="Exercise")).json()
    got = incident(client, dana, answer["incident"])
    assert got["exercise"] is True
    listed = client.get("/api/v1/incidents", headers=dana.headers).json()["items"]
    assert [i["exercise"] for i in listed] == [True]
    sign_in(client, "dana")
    page = client.get(f"/incidents/{answer['incident']}")
    assert 'class="exercise-badge' in page.text
    queue = client.get("/incidents")
    assert queue.text.count('class="exercise-badge"') == 1
    document, back = exported(client, dana, answer["incident"])
    assert back.status == "Exercise" and back.msg_type == "Alert"
    assert back.identifier == f"{answer['incident']}.v{got['version']}"
    assert back.info[0].headline == "Intruder alarm, east wing"
    assert back.info[0].severity == "Severe" and back.scope == "Restricted"
    assert back.info[0].web and back.info[0].web.endswith(f"/incidents/{answer['incident']}")
    assert b"-00:00</sent>" in document


def test_a_reported_incident_exports_and_an_outsider_cannot(
    client: TestClient, hq: Factory, dana: Account
) -> None:
    r = client.post(
        "/api/v1/incidents",
        json={"title": "Fire alarm <kitchen> & smoke", "site": "HQ", "exercise": True},
        headers=dana.headers,
    )
    assert r.status_code == 201, r.text
    number = r.json()["number"]
    _, back = exported(client, dana, number)
    assert back.status == "Exercise" and back.info[0].headline == "Fire alarm <kitchen> & smoke"
    assert back.info[0].event == "Unclassified incident" and back.info[0].severity == "Unknown"
    outsider = hq.user("bert", "dispatcher", ["BR"])
    r = client.get(f"/api/v1/incidents/{number}/cap", headers=outsider.headers)
    assert_problem(r, 404)


def test_test_alerts_are_answered_and_not_acted_on(
    client: TestClient, token: str, hq: Factory
) -> None:
    r = send(client, token, alert(status="Test"))
    assert r.status_code == 202 and r.json()["decision"] == "ignored"
    assert "status Test" in r.json()["rule"] and stored(hq) == 0


BOMB = b"""<?xml version="1.0"?>
<!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">
<!ENTITY lol3 "&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;&lol2;">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&lol3;</identifier></alert>"""
XXE = b"""<?xml version="1.0"?>
<!DOCTYPE alert [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>
<alert xmlns="urn:oasis:names:tc:emergency:cap:1.2"><identifier>&xxe;</identifier></alert>"""


@pytest.mark.parametrize(
    ("body", "element", "fragment"),
    [
        (BOMB, None, "DTD"),
        (XXE, None, "DTD"),
        (b"<alert", None, "well-formed"),
        (alert(info=""), None, ""),  # an alert without info is valid CAP: accepted below
        (
            alert().replace(b"<urgency>Immediate</urgency>", b"<urgency>Soon</urgency>"),
            "alert/info[1]/urgency",
            "Soon",
        ),
        (alert().replace(b"-00:00</sent>", b"Z</sent>"), "alert/sent", ""),
        (alert(msg_type="Update"), "alert/references", ""),
    ],
)
def test_broken_or_hostile_xml_is_refused_naming_the_element(
    client: TestClient, token: str, hq: Factory, body: bytes, element: str | None, fragment: str
) -> None:
    r = send(client, token, body)
    if body == alert(info=""):
        assert r.status_code == 201, r.text  # no info: a signal titled by the source
        return
    problem = assert_problem(r, 422, fragment)
    if element is not None:
        assert problem["element"] == element
    assert b"root:" not in r.content and "lollol" not in r.text
    assert stored(hq) == 0


def test_a_10_mb_alert_is_refused_before_it_is_parsed(
    client: TestClient, token: str, hq: Factory
) -> None:
    huge = alert(headline="x" * (10 * 1024 * 1024))
    assert_problem(send(client, token, huge), 413, "limit")
    assert stored(hq) == 0


def test_a_cap_alert_needs_a_source_credential(client: TestClient, hq: Factory) -> None:
    r = client.post(CAP_IN, content=alert())
    assert_problem(r, 401)
    r = client.post(CAP_IN, content=alert(), headers={"Authorization": "Bearer msig_nope"})
    assert_problem(r, 401, "unknown source token")
    assert stored(hq) == 0
