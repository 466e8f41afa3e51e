"""What a message says on each channel, and the rules of sending it. Pure: no I/O.

Every channel renders from the outbox payload (docs/outbox.md, schema 1), so a
restricted incident's minimal payload can only ever produce a minimal message: the
renderers never look anything up.
"""

from __future__ import annotations

import hashlib
import hmac
import html
import json
import random
from collections.abc import Callable, Mapping
from typing import Any

SIGNATURE_HEADER = "Murphy-Signature"
TIMESTAMP_HEADER = "Murphy-Timestamp"
SMS_LIMIT = 300  # characters: two concatenated SMS segments at most (GSM 7-bit 153 each)

_EVENT_WORDS = {
    "incident.reported": "reported",
    "incident.classified": "classified",
    "incident.prioritized": "priority changed",
    "incident.triage": "in triage",
    "incident.respond": "response started",
    "incident.resolve": "resolved",
    "incident.close": "closed",
    "incident.reopen": "reopened",
    "incident.cancel": "cancelled",
    "incident.merge": "merged",
    "sla.breached": "service target breached",
    "task.skipped": "mandatory step skipped",
    "ics.declared": "declared a major incident",
    "problem.recurred": "came back after its problem was fixed",
    "incident.follow_up": "follow-up check due: did the fix hold?",
    "incident.paged": "paging you",
    "incident.unacknowledged": "paged, nobody acknowledged",
}


def what_happened(event: str) -> str:
    """The event in a few words ("reported", "service target breached")."""
    return _EVENT_WORDS.get(event, event.replace(".", " ").replace("_", " "))


def headline(payload: Mapping[str, Any]) -> str:
    """One line that says what and how urgent: 'P1 Intrusion reported: Door forced at ...'."""
    if payload.get("event") == "digest":
        count = int(payload.get("count") or 0)
        return f"{count} message{'' if count == 1 else 's'} held for you"
    incident = payload.get("incident") or {}
    parts = []
    if incident.get("priority"):
        parts.append(f"P{incident['priority']}")
    kind = incident.get("type") or {}
    parts.append(
        kind.get("name") or ("Restricted incident" if incident.get("restricted") else "Incident")
    )
    line = " ".join(parts) + " " + what_happened(str(payload.get("event", "")))
    if incident.get("title"):
        line += f": {incident['title']}"
    return line


def subject(payload: Mapping[str, Any]) -> str:
    """The email subject: the headline, the number and the site."""
    incident = payload.get("incident") or {}
    return _one_line(
        f"[Murphy] {headline(payload)} ({incident.get('number')}, {incident.get('site')})"
    )


def facts(payload: Mapping[str, Any]) -> list[tuple[str, str]]:
    """The labelled lines under the headline (only those that have a value)."""
    if payload.get("event") == "digest":
        items = list(payload.get("items") or [])
        rows = [(str(i.get("number") or ""), str(i.get("headline") or "")) for i in items]
        if payload.get("more"):
            rows.append(("", f"and {payload['more']} more: see your notifications in Murphy"))
        return rows
    incident = payload.get("incident") or {}
    change = payload.get("change") or {}
    data = change.get("data") or {}
    rows = [
        ("Incident", str(incident.get("number", ""))),
        ("Status", str(incident.get("status") or "").replace("_", " ")),
        ("Site", str(incident.get("site") or "")),
        ("Place", place(incident.get("place"))),
        ("By", str(change.get("actor") or "")),
    ]
    if payload.get("event") == "sla.breached":
        rows.append(
            ("Target", f"{data.get('clock', '')} within {data.get('target_minutes', '?')} min")
        )
    page = payload.get("page") or {}
    if page:
        rows.append(("Page", paged(page)))
    if payload.get("event") == "incident.unacknowledged":
        rows.append(("Policy", f"{data.get('policy', '')}: every level paged"))
    if data.get("reason"):
        rows.append(("Reason", str(data["reason"])))
    if incident.get("restricted"):
        rows.append(("Note", "Restricted incident: sign in to read the details."))
    return [(label, value) for label, value in rows if value]


def paged(page: Mapping[str, Any]) -> str:
    """'level 1 of 3 (Night SOC), acknowledge within 5 min'."""
    level = f"level {page.get('level', '?')} of {page.get('levels', '?')}"
    if page.get("policy"):
        level += f" ({page['policy']})"
    return f"{level}, acknowledge within {page.get('timeout_minutes', '?')} min"


def place(value: Mapping[str, Any] | None) -> str:
    """'A / 1 / LOBBY, by the lifts' from the payload's place codes."""
    if not value:
        return ""
    codes = [str(value[k]) for k in ("building", "floor", "zone") if value.get(k)]
    text = " / ".join(codes)
    if value.get("detail"):
        text = f"{text}, {value['detail']}" if text else str(value["detail"])
    return text


def text_body(payload: Mapping[str, Any], *, link: str, ack_link: str | None = None) -> str:
    """The plain-text email body."""
    lines = [headline(payload), ""]
    lines += [f"{label + ':':<10}{value}" for label, value in facts(payload)]
    lines += ["", f"Open it: {link}"]
    if ack_link:
        lines.append(f"Acknowledge: {ack_link}")
    lines += ["", f"Message {payload.get('dedup_key', '')}", "Sent by Murphy."]
    return "\n".join(lines) + "\n"


def html_body(payload: Mapping[str, Any], *, link: str, ack_link: str | None = None) -> str:
    """The HTML email body: the same as the text, with buttons. Inline styles only
    (mail clients drop style sheets); every value escaped."""
    e = html.escape
    priority = (payload.get("incident") or {}).get("priority")
    colour = {1: "#b00020", 2: "#c25400"}.get(priority or 0, "#1f3a5f")
    rows = "".join(
        f'<tr><th style="text-align:left;padding:2px 12px 2px 0;color:#555">{e(label)}</th>'
        f"<td>{e(value)}</td></tr>"
        for label, value in facts(payload)
    )
    button = (
        'style="display:inline-block;padding:10px 18px;margin:4px 8px 4px 0;border-radius:4px;'
        'text-decoration:none;font-weight:bold;{}"'
    )
    ack = (
        f'<a href="{e(ack_link)}" {button.format("background:#0b6e2e;color:#fff")}>Acknowledge</a>'
        if ack_link
        else ""
    )
    return (
        '<!doctype html><html><body style="font-family:sans-serif;font-size:15px">'
        f'<h2 style="color:{colour};margin:0 0 12px">{e(headline(payload))}</h2>'
        f"<table>{rows}</table><p>"
        f'<a href="{e(link)}" {button.format("background:#1f3a5f;color:#fff")}>'
        "Open the incident</a>"
        f"{ack}</p>"
        f'<p style="color:#777;font-size:12px">Message {e(str(payload.get("dedup_key", "")))}. '
        "Sent by Murphy.</p></body></html>"
    )


def sms(payload: Mapping[str, Any], *, link: str) -> str:
    """A text message: the headline, number, site and link (a page's: its acknowledge
    link), within `SMS_LIMIT` characters of the GSM alphabet (so "..." rather than an
    ellipsis character)."""
    incident = payload.get("incident") or {}
    tail = f" {incident.get('number')} {incident.get('site')} {link}"
    line = _one_line(headline(payload))
    room = SMS_LIMIT - len(tail)
    if room < 20:  # an absurdly long link: the headline matters more
        return _cut(f"{line} {incident.get('number')}", SMS_LIMIT)
    return _cut(line, room) + tail


def voice(payload: Mapping[str, Any]) -> str:
    """What a voice call says (a text-to-speech gateway reads it out, twice)."""
    incident = payload.get("incident") or {}
    number = str(incident.get("number", "")).replace("-", " ")
    said = f"Murphy alert. {headline(payload)}. Incident {number}, site {incident.get('site')}."
    return f"{said} I repeat. {said}"


def webhook_body(
    payload: Mapping[str, Any], *, delivery_key: str, link: str, ack_link: str | None = None
) -> bytes:
    """The JSON a webhook receives: the outbox payload, its delivery key and the link
    (a page's also its acknowledge links: `ack_url` for a person's browser, and
    `ack_api_url` to POST to from a program)."""
    body = {**payload, "delivery_key": delivery_key, "url": link}
    if ack_link:
        base, _, token = ack_link.rpartition("/ack/")
        body["ack_url"], body["ack_api_url"] = ack_link, f"{base}/api/v1/ack/{token}"
    return json.dumps(body, separators=(",", ":"), sort_keys=True).encode()


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The `Murphy-Signature` header: `v1=` and the hex HMAC-SHA256 of `{timestamp}.{body}`."""
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"v1={mac.hexdigest()}"


def verify(
    secret: str, timestamp: int, body: bytes, signature: str, *, now: int, tolerance: int = 300
) -> bool:
    """What a receiver should do: the signature matches and the timestamp is recent."""
    if abs(now - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), signature)


def backoff(
    attempt: int, *, base: float, cap: float, rand: Callable[[float, float], float] = random.uniform
) -> float:
    """Seconds before retry `attempt + 1`: exponential from `base`, at most `cap`, with
    "equal jitter" (half fixed, half random) so failed deliveries do not retry in step."""
    delay = min(cap, base * 2 ** min(max(0, attempt - 1), 60))
    return float(delay / 2 + rand(0, delay / 2))


def retryable_status(status: int) -> bool:
    """Whether an HTTP answer other than 2xx may succeed later (else it is permanent)."""
    return status in (408, 425, 429) or status >= 500


def message_id(delivery_key: str, domain: str) -> str:
    """A stable Message-ID for a delivery, so a resent email is recognised as the same."""
    digest = hashlib.sha256(delivery_key.encode()).hexdigest()[:32]
    return f"<{digest}@{domain}>"


def _cut(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 3].rstrip() + "..."


def _one_line(text: str) -> str:
    return " ".join(text.split())


DIGEST_ITEMS = 20  # messages listed in one digest; the rest are counted


def digest_payload(
    *,
    key: str,
    occurred_at: str,
    payloads: list[Mapping[str, Any]],
    recipient: Mapping[str, Any],
) -> dict[str, Any]:
    """One message for several that waited (quiet hours, an hourly limit): each one's
    headline and incident number, the first `DIGEST_ITEMS` of them."""
    items = [
        {
            "number": (p.get("incident") or {}).get("number"),
            "headline": headline(p),
            "path": (p.get("incident") or {}).get("path"),
        }
        for p in payloads[:DIGEST_ITEMS]
    ]
    return {
        "schema": 1,
        "event": "digest",
        "dedup_key": key,
        "occurred_at": occurred_at,
        "count": len(payloads),
        "more": max(0, len(payloads) - DIGEST_ITEMS),
        "items": items,
        "path": "/notifications",
        "recipient": dict(recipient),
    }
