"""What messages say on each channel, and the rules of sending (murphy.notify.render)."""

from __future__ import annotations

import copy
import json
import re
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from murphy.notify import render

LINK = "https://murphy.example.org/incidents/INC-2026-00042"
KEY = "incident.classified:INC-2026-00042:2:role:supervisor"

PAYLOAD: dict[str, Any] = {
    "schema": 1,
    "event": "incident.classified",
    "dedup_key": KEY,
    "occurred_at": "2026-11-28T09:03:00.000000Z",
    "incident": {
        "number": "INC-2026-00042",
        "title": "Door forced <b>& alarm",
        "status": "in_triage",
        "priority": 1,
        "type": {"code": "intrusion", "name": "Intrusion"},
        "site": "HQ",
        "place": {"building": "A", "floor": "1", "zone": "LOBBY", "detail": "by the lifts"},
        "major": False,
        "restricted": False,
        "path": "/incidents/INC-2026-00042",
        "api_path": "/api/v1/incidents/INC-2026-00042",
    },
    "change": {"kind": "classified", "seq": 2, "actor": "dana", "data": {"priority": 1}},
    "recipient": {"kind": "role", "value": "supervisor", "channel": None},
    "rules": [{"id": 1, "name": "P1 to supervisors"}],
}

RESTRICTED: dict[str, Any] = {
    "schema": 1,
    "event": "incident.classified",
    "dedup_key": "incident.classified:INC-2026-00043:2:external:5d41402abc4b2a76",
    "occurred_at": "2026-11-28T09:03:00.000000Z",
    "incident": {
        "number": "INC-2026-00043",
        "title": None,
        "status": "new",
        "priority": 1,
        "type": None,
        "site": "HQ",
        "place": None,
        "major": False,
        "restricted": True,
        "path": "/incidents/INC-2026-00043",
        "api_path": "/api/v1/incidents/INC-2026-00043",
    },
    "change": {"kind": "classified", "seq": 2, "actor": None, "data": {}},
    "recipient": {"kind": "external", "value": "police@example.org", "channel": "email"},
}


def with_title(title: str) -> dict[str, Any]:
    payload = copy.deepcopy(PAYLOAD)
    payload["incident"]["title"] = title
    return payload


# What a message says


def test_headline_and_subject() -> None:
    assert render.headline(PAYLOAD) == "P1 Intrusion classified: Door forced <b>& alarm"
    assert render.subject(PAYLOAD) == (
        "[Murphy] P1 Intrusion classified: Door forced <b>& alarm (INC-2026-00042, HQ)"
    )


def test_restricted_headline_says_nothing_but_where_to_look() -> None:
    assert render.headline(RESTRICTED) == "P1 Restricted incident classified"
    assert render.subject(RESTRICTED) == (
        "[Murphy] P1 Restricted incident classified (INC-2026-00043, HQ)"
    )
    facts = dict(render.facts(RESTRICTED))
    assert facts == {
        "Incident": "INC-2026-00043",
        "Status": "new",
        "Site": "HQ",
        "Note": "Restricted incident: sign in to read the details.",
    }


def test_subject_is_one_line() -> None:
    subject = render.subject(with_title("Door\r\nBcc: everyone@example.org\n forced"))
    assert "\n" not in subject
    assert "\r" not in subject
    assert "Door Bcc: everyone@example.org forced" in subject


def test_event_words() -> None:
    assert render.what_happened("sla.breached") == "service target breached"
    assert render.what_happened("custom.thing_done") == "custom thing done"


def test_text_body() -> None:
    body = render.text_body(PAYLOAD, link=LINK, ack_link="https://m.example.org/ack/1")
    lines = body.splitlines()
    assert lines[0] == "P1 Intrusion classified: Door forced <b>& alarm"
    assert "Place:    A / 1 / LOBBY, by the lifts" in lines
    assert "Status:   in triage" in lines
    assert "By:       dana" in lines
    assert f"Open it: {LINK}" in lines
    assert "Acknowledge: https://m.example.org/ack/1" in lines
    assert f"Message {KEY}" in lines
    assert body.endswith("\n")


def test_text_body_restricted_has_no_details() -> None:
    body = render.text_body(RESTRICTED, link=LINK)
    assert "Note:     Restricted incident: sign in to read the details." in body
    assert "Place" not in body
    assert "By:" not in body
    assert "Acknowledge" not in body


def test_sla_breach_facts() -> None:
    payload = copy.deepcopy(PAYLOAD)
    payload["event"] = "sla.breached"
    payload["change"] = {
        "kind": "sla_breached",
        "actor": None,
        "data": {"clock": "acknowledge", "target_minutes": 2},
    }
    facts = dict(render.facts(payload))
    assert facts["Target"] == "acknowledge within 2 min"
    assert "By" not in facts


@pytest.mark.parametrize(
    ("place", "text"),
    [
        ({"building": "A", "floor": "1", "zone": "LOBBY", "detail": ""}, "A / 1 / LOBBY"),
        ({"building": "A", "floor": None, "zone": "Z", "detail": "door 3"}, "A / Z, door 3"),
        ({"detail": "car park"}, "car park"),
        (None, ""),
    ],
)
def test_place(place: dict[str, Any] | None, text: str) -> None:
    assert render.place(place) == text


def test_html_escapes_every_value() -> None:
    ack = "https://m.example.org/ack?d=1&t=x"
    html = render.html_body(PAYLOAD, link=LINK, ack_link=ack)
    assert "Door forced &lt;b&gt;&amp; alarm" in html
    assert "<b>&" not in html
    assert f'href="{LINK}"' in html
    assert 'href="https://m.example.org/ack?d=1&amp;t=x"' in html
    assert "#b00020" in html  # P1 red
    hostile = with_title('"><script>alert(1)</script>')
    assert "<script>" not in render.html_body(hostile, link=LINK)


def test_html_restricted() -> None:
    html = render.html_body(RESTRICTED, link=LINK)
    assert "Restricted incident: sign in to read the details." in html
    assert "Acknowledge" not in html


def test_sms_short_title_is_whole() -> None:
    text = render.sms(PAYLOAD, link=LINK)
    assert text == (f"P1 Intrusion classified: Door forced <b>& alarm INC-2026-00042 HQ {LINK}")


def test_sms_long_title_is_cut_and_keeps_the_link() -> None:
    text = render.sms(with_title("x" * 1000), link=LINK)
    assert len(text) == render.SMS_LIMIT
    assert text.endswith(f"... INC-2026-00042 HQ {LINK}")  # GSM characters only


@given(title=st.text(max_size=2000), path=st.text(alphabet="abc/-", max_size=150))
def test_sms_never_exceeds_the_limit(title: str, path: str) -> None:
    link = LINK + path
    text = render.sms(with_title(title), link=link)
    assert len(text) <= render.SMS_LIMIT
    assert text.endswith(" " + link)
    assert "\n" not in text


def test_sms_with_a_very_long_link_stays_within_the_limit() -> None:
    # MURPHY_PUBLIC_URL may be 300 characters long, so such links are possible: the
    # headline and number matter more than the link then.
    link = "https://murphy.example.org/" + "p" * 270 + "/incidents/INC-2026-00042"
    text = render.sms(PAYLOAD, link=link)
    assert len(text) <= render.SMS_LIMIT
    assert text.startswith("P1 Intrusion classified") and "INC-2026-00042" in text


def test_backoff_survives_absurd_attempt_numbers() -> None:
    assert render.backoff(2000, base=10.0, cap=60.0, rand=lambda a, b: b) == 60.0


def test_voice_says_it_twice() -> None:
    said = render.voice(PAYLOAD)
    once = (
        "Murphy alert. P1 Intrusion classified: Door forced <b>& alarm. "
        "Incident INC 2026 00042, site HQ."
    )
    assert said == f"{once} I repeat. {once}"
    assert "Restricted incident" in render.voice(RESTRICTED)


def test_webhook_body() -> None:
    body = render.webhook_body(PAYLOAD, delivery_key=KEY, link=LINK)
    data = json.loads(body)
    assert data == {**PAYLOAD, "delivery_key": KEY, "url": LINK}
    assert body == render.webhook_body(dict(reversed(PAYLOAD.items())), delivery_key=KEY, link=LINK)


# The rules of sending


def test_sign_and_verify() -> None:
    body = render.webhook_body(PAYLOAD, delivery_key=KEY, link=LINK)
    signature = render.sign("key", 1_800_000_000, body)
    assert re.fullmatch(r"v1=[0-9a-f]{64}", signature)
    assert render.verify("key", 1_800_000_000, body, signature, now=1_800_000_010)
    assert not render.verify("key", 1_800_000_000, body + b" ", signature, now=1_800_000_010)
    assert not render.verify("other", 1_800_000_000, body, signature, now=1_800_000_010)
    assert not render.verify("key", 1_800_000_001, body, signature, now=1_800_000_010)
    assert not render.verify("key", 1_800_000_000, body, signature, now=1_800_000_301)
    assert render.verify("key", 1_800_000_000, body, signature, now=1_800_000_300)


def test_backoff_doubles_and_is_capped() -> None:
    def most(low: float, high: float) -> float:
        return high

    def least(low: float, high: float) -> float:
        return low

    assert [render.backoff(n, base=10, cap=60, rand=most) for n in range(1, 7)] == [
        10,
        20,
        40,
        60,
        60,
        60,
    ]
    assert [render.backoff(n, base=10, cap=60, rand=least) for n in range(1, 5)] == [
        5,
        10,
        20,
        30,
    ]
    assert render.backoff(0, base=10, cap=60, rand=most) == 10


@given(
    attempt=st.integers(min_value=1, max_value=50),
    base=st.floats(min_value=0.1, max_value=600),
    cap=st.floats(min_value=1, max_value=86_400),
)
def test_backoff_stays_within_half_and_whole(attempt: int, base: float, cap: float) -> None:
    delay = min(cap, base * 2 ** (attempt - 1))
    wait = render.backoff(attempt, base=base, cap=cap)
    assert delay / 2 <= wait <= delay
    assert wait <= cap


@pytest.mark.parametrize("status", [408, 425, 429, 500, 502, 503, 504])
def test_retryable_status(status: int) -> None:
    assert render.retryable_status(status)


@pytest.mark.parametrize("status", [301, 302, 400, 401, 403, 404, 410, 422])
def test_permanent_status(status: int) -> None:
    assert not render.retryable_status(status)


def test_message_id() -> None:
    first = render.message_id(KEY, "example.org")
    assert first == render.message_id(KEY, "example.org")
    assert re.fullmatch(r"<[0-9a-f]{32}@example\.org>", first)
    assert first != render.message_id(KEY + "x", "example.org")
