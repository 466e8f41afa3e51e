"""The integration sources admin page: the list, adding a source (its credential shown
once, and working), editing its mapping, switching it off, rotating its credential,
trying a mapping on a sample payload, its recent signals; admins only, CSRF-checked, and
every bad form changes nothing."""

from __future__ import annotations

import hashlib
import hmac
import json
import re
import shutil
import subprocess
import time
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from murphy.signals.models import Signal, Source
from tests.api.test_pages import alert, sign_in, token_of
from tests.api.test_pages_triage import section, text
from tests.factories import Account, Factory

PAGE = "/admin/sources"
SIGNALS = "/api/v1/signals"
MAPPING = """\
title: "{event} at {door}"
type: "{kind}"
severity: "{sev}"
severities: {critical: 1, high: 2, low: 4}
zone: "{zone}"
place: "{door}"
fingerprint: [device, event]
clear: {path: state, equals: [restored, ok]}
"""
ALARM = {
    "device": "door-12",
    "event": "Door forced",
    "door": "Loading dock",
    "kind": "intrusion",
    "sev": "HIGH",
    "zone": "DOCK",
    "state": "alarm",
}


@pytest.fixture
def admin(hq: Factory) -> Account:
    return hq.user("root", "admin", all_sites=True)


def form(web: TestClient, path: str = PAGE, token: str | None = None, **fields: Any) -> Any:
    """Post a form of the page (with the session's CSRF token unless one is given)."""
    data = {"csrf_token": token if token is not None else token_of(web, PAGE), **fields}
    return web.post(path, data=data, follow_redirects=False)


def add(web: TestClient, token: str | None = None, **fields: Any) -> Any:
    """Post the add form: an HQ alarm panel with a token, unless told otherwise."""
    values = {"do": "add", "code": "panel", "name": "HQ alarm panel", "site": "HQ"}
    values |= {"auth": "token", "mapping": MAPPING, "topics": ""}
    return form(web, PAGE, token, **(values | fields))


def credential(html: str) -> str:
    """The credential the page shows (once)."""
    match = re.search(r'<code class="secret-value" id="credential-value">([^<]+)</code>', html)
    assert match, "no credential on the page"
    return unescape(match.group(1))


def example(html: str) -> str:
    """The copy-ready shell example, as a person copies it."""
    match = re.search(r'<pre class="snippet" id="example"><code>(.*?)</code></pre>', html, re.S)
    assert match, "no example on the page"
    return unescape(match.group(1))


def send(web: TestClient, token: str, body: dict[str, Any] | None = None) -> Any:
    raw = json.dumps(body or ALARM).encode()
    return web.post(SIGNALS, content=raw, headers={"Authorization": f"Bearer {token}"})


def count(hq: Factory, model: type[Signal] | type[Source]) -> int:
    with hq.db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(model)) or 0)


def field_error(html: str, name: str) -> str:
    """The error shown next to the field `name`."""
    match = re.search(rf'<p class="field-error" id="err-{name}">(.*?)</p>', html, re.S)
    assert match, f"no error next to {name}"
    return unescape(match.group(1))


def stored_mapping(hq: Factory, code: str = "panel") -> dict[str, Any]:
    with hq.db.engine.connect() as conn:
        found = conn.scalar(select(Source.mapping).where(Source.code == code))
    assert found is not None
    return dict(found)


# --- who may ---------------------------------------------------------------------------


def test_only_admins_see_and_use_the_sources_page(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "dana")
    assert 'href="/admin/sources"' not in web.get("/incidents").text
    r = web.get(PAGE)
    assert r.status_code == 403 and "may not manage sources" in r.text
    token = token_of(web)
    assert add(web, token=token).status_code == 403
    assert count(hq, Source) == 0
    web.cookies.clear()
    sign_in(web, "root")
    page = web.get(PAGE)
    assert page.status_code == 200 and 'href="/admin/sources" aria-current="page"' in page.text
    words = text(page.text)
    assert "Integration sources 0" in words
    assert "No sources yet Add one below, or with murphy source add" in words
    assert '<details class="edit" id="add" open>' in page.text  # nothing yet: the form is open
    assert 'title: "{event} at {door}"' in unescape(page.text)  # the starter mapping
    html = page.text
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    r = add(web)  # now as root: 201
    assert r.status_code == 201
    web.cookies.clear()
    sign_in(web, "dana")
    assert web.get(f"{PAGE}/panel").status_code == 403
    r = form(web, f"{PAGE}/panel/rotate", token=token_of(web))
    assert r.status_code == 403


# --- adding ---------------------------------------------------------------------------


def test_a_new_token_source_shows_its_token_once_and_the_token_works(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "root")
    r = add(web, topics="hq/alarms/#\n hq/doors/+ \n")
    assert r.status_code == 201, alert(r.text)
    assert r.headers["cache-control"] == "no-store" and "location" not in r.headers
    token = credential(r.text)
    assert token.startswith("msig_")
    assert "It will not be shown again." in text(r.text)
    snippet = example(r.text)
    assert f"-H 'Authorization: Bearer {token}'" in snippet
    assert "curl -X POST 'http://testserver/api/v1/signals'" in snippet
    assert '"event":"Door forced"' in snippet  # the sample payload as the body
    again = web.get(f"{PAGE}/panel")
    assert again.status_code == 200 and token not in again.text  # once only
    assert token not in web.get(PAGE).text
    listed = text(section_by_id(web.get(PAGE).text, "source-panel"))
    assert "HQ alarm panel panel On" in listed
    assert "Site HQ" in listed and "Auth Token" in listed
    assert "MQTT hq/alarms/# hq/doors/+" in listed
    assert "Signals 0" in listed and "Last signal never" in listed
    answer = send(web, token)
    assert answer.status_code == 201, answer.text
    assert answer.json()["decision"] == "new"
    listed = text(section_by_id(web.get(PAGE).text, "source-panel"))
    assert "Signals 1" in listed and "Last signal never" not in listed and "ago" in listed


def test_a_new_hmac_source_shows_its_secret_and_how_to_sign(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "root")
    r = add(web, code="siem", name="SIEM", auth="hmac")
    assert r.status_code == 201, alert(r.text)
    secret = credential(r.text)
    assert not secret.startswith("msig_") and len(secret) >= 32
    snippet = example(r.text)
    for header in (
        "-H 'X-Murphy-Source: siem'",
        '-H "X-Murphy-Timestamp: $TS"',
        '-H "X-Murphy-Signature: sha256=$SIG"',
    ):
        assert header in snippet
    assert "Authorization" not in snippet and "TIMESTAMP.BODY" in text(r.text)
    ts = str(int(time.time()))
    body = json.dumps({"device": "fw-1", "event": "Port scan", "door": "DMZ"})
    signature = hmac.new(secret.encode(), f"{ts}.{body}".encode(), hashlib.sha256).hexdigest()
    if shutil.which("bash") and shutil.which("openssl"):  # the example's own signing
        lines = snippet.splitlines()
        script = "\n".join([lines[0], f"BODY='{body}'", f"TS={ts}", lines[3], 'printf %s "$SIG"'])
        assert lines[2] == "TS=$(date +%s)" and lines[3].startswith("SIG=$(printf")
        done = subprocess.run(["bash", "-c", script], capture_output=True, text=True, check=True)
        assert done.stdout == signature
    headers = {
        "X-Murphy-Source": "siem",
        "X-Murphy-Timestamp": ts,
        "X-Murphy-Signature": f"sha256={signature}",
    }
    r = web.post(SIGNALS, content=body.encode(), headers=headers)
    assert r.status_code == 201, r.text


BAD_TEMPLATE = MAPPING.replace('title: "{event} at {door}"', 'title: "{event at {door}"')


@pytest.mark.parametrize(
    ("fields", "field", "message"),
    [
        ({"mapping": "title: {event} at {door}\n"}, "mapping", "not valid YAML at line 1"),
        ({"mapping": BAD_TEMPLATE}, "mapping", "title: bad template '{event at {door}'"),
        ({"mapping": MAPPING + "titel: x\n"}, "mapping", "unknown key 'titel'"),
        ({"mapping": "title: {event}\n"}, "mapping", "put the template in quotes"),
        ({"mapping": ""}, "mapping", "the mapping is empty"),
        ({"code": "Bad Code"}, "code", "lower-case letters"),
        ({"name": " "}, "name", "Name is required"),
        ({"site": ""}, "site", "choose one, or map 'site'"),
        ({"dedup_seconds": "-5"}, "dedup_seconds", "greater than or equal to 0"),
        ({"topics": "hq/#/doors"}, "topics", "not an MQTT topic filter"),
        ({"auth": "password"}, "auth", "Credential"),
    ],
    ids=[
        "yaml",
        "template",
        "unknown-key",
        "unquoted",
        "empty",
        "code",
        "name",
        "no-site",
        "window",
        "topic",
        "auth",
    ],
)
def test_a_bad_new_source_is_refused_next_to_the_field_and_nothing_is_stored(
    web: TestClient,
    hq: Factory,
    admin: Account,
    fields: dict[str, str],
    field: str,
    message: str,
) -> None:
    sign_in(web, "root")
    r = add(web, **fields)
    assert r.status_code == 422
    assert alert(r.text).startswith("Source not added: nothing was saved")
    assert message in field_error(r.text, field)
    assert f'id="f-{field}"' in r.text and f'href="#f-{field}"' in r.text
    assert 'aria-invalid="true"' in r.text
    assert count(hq, Source) == 0
    kept = fields.get("name", "HQ alarm panel")
    assert f'value="{kept}"' in r.text  # what was typed stays
    assert unescape(fields.get("mapping", MAPPING)) in unescape(r.text)


def test_a_duplicate_code_is_refused_and_the_first_source_is_untouched(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "root")
    token = credential(add(web).text)
    r = add(web, name="Another panel", auth="hmac", mapping='title: "{x}"\n')
    assert r.status_code == 409
    assert "source 'panel' exists" in field_error(r.text, "code").lower()
    assert 'value="Another panel"' in r.text and 'value="hmac" checked' in r.text
    assert count(hq, Source) == 1
    assert stored_mapping(hq)["title"] == "{event} at {door}"
    assert send(web, token).status_code == 201  # the first one's token still works


# --- editing, switching, rotating -----------------------------------------------------


def test_editing_the_mapping_then_switching_off_and_on(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "root")
    token = credential(add(web).text)
    page = unescape(web.get(f"{PAGE}/panel").text)  # the stored mapping, as YAML to edit
    assert 'title: "{event} at {door}"' in page and "fingerprint: [device, event]" in page
    new = MAPPING.replace('"{event} at {door}"', '"{event}: {door} (edited)"')
    r = form(
        web,
        f"{PAGE}/panel",
        do="save",
        name="HQ panel",
        site="HQ",
        mapping=new,
        dedup_seconds="60",
        correlate_seconds="",  # empty: the default
        flap_changes="4",
        flap_seconds="300",
        resolve_on_clear="on",
        topics="",
    )
    assert r.status_code == 303, alert(r.text)
    assert r.headers["location"] == f"{PAGE}/panel?saved=settings"
    page = web.get(r.headers["location"]).text
    assert "Saved" in text(page) and "HQ panel" in text(page)
    assert stored_mapping(hq)["title"] == "{event}: {door} (edited)"
    with hq.db.engine.connect() as conn:
        windows = conn.scalar(select(Source.windows).where(Source.code == "panel"))
    assert windows == {
        "dedup_seconds": 60,
        "correlate_seconds": 600,
        "flap_changes": 4,
        "flap_seconds": 300,
        "resolve_on_clear": True,
    }
    answer = send(web, token).json()
    assert answer["decision"] == "new"
    assert "Door forced: Loading dock (edited)" in text(web.get(f"{PAGE}/panel").text)
    r = form(web, f"{PAGE}/panel", do="save", name="HQ panel", site="HQ", mapping=BAD_TEMPLATE)
    assert r.status_code == 422 and alert(r.text).startswith("Not saved: nothing was changed")
    assert "bad template" in field_error(r.text, "mapping")
    assert stored_mapping(hq)["title"] == "{event}: {door} (edited)"  # unchanged
    r = form(web, f"{PAGE}/panel/switch", active="off")
    assert r.status_code == 303 and r.headers["location"] == f"{PAGE}/panel?saved=off"
    page = text(web.get(r.headers["location"]).text)
    assert "panel is switched off" in page and "Switch panel on" in page
    assert "HQ panel panel Switched off" in text(section_by_id(web.get(PAGE).text, "source-panel"))
    refused = send(web, token, ALARM | {"device": "door-13"})
    assert refused.status_code == 401 and "switched off" in refused.text
    assert form(web, f"{PAGE}/panel/switch", active="on").status_code == 303
    assert send(web, token, ALARM | {"device": "door-13"}).status_code == 201


def test_rotating_the_credential_shows_the_new_one_and_ends_the_old(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "root")
    old = credential(add(web).text)
    page = web.get(f"{PAGE}/panel").text
    assert "stops working at once" in text(section(page, "rotate"))
    r = form(web, f"{PAGE}/panel/rotate")
    assert r.status_code == 200 and r.headers["cache-control"] == "no-store"
    new = credential(r.text)
    assert new != old and new.startswith("msig_") and "location" not in r.headers
    assert f"Bearer {new}'" in example(r.text)
    assert send(web, old).status_code == 401
    assert send(web, new).status_code == 201
    assert new not in web.get(f"{PAGE}/panel").text


# --- trying a mapping -------------------------------------------------------------------


def test_trying_a_mapping_shows_what_it_makes_and_stores_nothing(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "root")
    r = add(web, do="try", sample=json.dumps(ALARM))
    assert r.status_code == 200, alert(r.text)
    trial = text(section_by_class(r.text, "trial"))
    assert "Title Door forced at Loading dock" in trial
    assert "Type intrusion Intrusion" in trial  # the type's name: it is known
    assert "Priority P2 severity “HIGH”" in trial
    assert "Site HQ the source's default" in trial and "Zone DOCK" in trial
    assert "Place Loading dock" in trial and "of device, event" in trial
    assert "Clear No: an alarm" in trial and "Not in the sample" not in trial
    assert count(hq, Source) == 0 and count(hq, Signal) == 0
    assert 'value="HQ alarm panel"' in r.text  # the form is kept for adding
    restore = ALARM | {"state": "RESTORED", "sev": "medium", "kind": "nope"}
    trial = text(section_by_class(add(web, do="try", sample=json.dumps(restore)).text, "trial"))
    assert "Clear Yes: a restore" in trial
    assert "severity “medium” is not in severities" in trial
    assert "unknown type: the incident stays unclassified" in trial
    doorless = {k: v for k, v in ALARM.items() if k != "door"}
    trial = text(section_by_class(add(web, do="try", sample=json.dumps(doorless)).text, "trial"))
    assert "Title Door forced at" in trial and "Not in the sample: door" in trial
    r = add(web, do="try", sample='{"device": "door-12",')
    assert r.status_code == 422
    assert "not valid JSON" in field_error(r.text, "sample")
    assert alert(r.text).startswith("The mapping was not tried")
    r = add(web, do="try", mapping=BAD_TEMPLATE, sample=json.dumps(ALARM))
    assert r.status_code == 422 and "bad template" in field_error(r.text, "mapping")
    assert count(hq, Source) == 0 and count(hq, Signal) == 0


def test_trying_an_unsaved_mapping_of_a_source_changes_nothing(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "root")
    token = credential(add(web).text)
    assert send(web, token).status_code == 201
    page = web.get(f"{PAGE}/panel").text
    assert '"device": "door-12"' in unescape(page)  # the last payload, to try on
    before = count(hq, Signal)
    new = MAPPING.replace('"{event} at {door}"', '"{device}: {event}"').replace(
        "high: 2", "high: 1"
    )
    sample = json.dumps(ALARM)
    r = form(web, f"{PAGE}/panel", do="try", name="X", site="HQ", mapping=new, sample=sample)
    assert r.status_code == 200, alert(r.text)
    trial = text(section_by_class(r.text, "trial"))
    assert "Title door-12: Door forced" in trial and "Priority P1" in trial
    assert count(hq, Signal) == before
    assert stored_mapping(hq)["title"] == "{event} at {door}"


# --- recent signals --------------------------------------------------------------------


def test_recent_signals_show_the_decision_and_the_incident(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "root")
    token = credential(add(web).text)
    first = send(web, token).json()
    assert send(web, token).json()["decision"] == "duplicate"
    assert send(web, token, ALARM | {"state": "restored"}).json()["decision"] == "cleared"
    page = web.get(f"{PAGE}/panel").text
    recent = section(page, "signals")
    items = re.findall(r'<li class="sig">(.*?)</li>', recent, re.S)
    assert len(items) == 2  # the repeat is counted on the first
    newest, oldest = text(items[0]), text(items[1])
    assert "Cleared restore" in newest and "Door forced at Loading dock" in newest
    assert "×2" in oldest and "New" in oldest and "P2" in oldest
    assert f'href="/incidents/{first["incident"]}"' in items[1]
    assert first["rule"] and unescape(first["rule"]) in unescape(items[1])
    assert "Recent signals 2" in text(recent)


# --- CSRF ---------------------------------------------------------------------------------


def test_forms_without_the_csrf_token_are_refused(
    web: TestClient, hq: Factory, admin: Account
) -> None:
    sign_in(web, "root")
    token = credential(add(web).text)
    assert add(web, token="forged", code="other").status_code == 403
    assert add(web, token="", code="other").status_code == 403
    assert add(web, token="forged", do="try", sample=json.dumps(ALARM)).status_code == 403
    r = form(web, f"{PAGE}/panel", token="forged", do="save", name="X", site="HQ", mapping=MAPPING)
    assert r.status_code == 403
    assert form(web, f"{PAGE}/panel/switch", token="forged", active="off").status_code == 403
    assert form(web, f"{PAGE}/panel/rotate", token="forged").status_code == 403
    assert count(hq, Source) == 1
    assert "HQ alarm panel" in text(web.get(f"{PAGE}/panel").text)
    assert send(web, token).status_code == 201  # neither rotated nor switched off


def section_by_id(html: str, element_id: str) -> str:
    match = re.search(rf'<(li|section|div)[^>]*id="{re.escape(element_id)}".*?</\1>', html, re.S)
    assert match, f"no #{element_id}"
    return match.group(0)


def section_by_class(html: str, name: str) -> str:
    match = re.search(rf'<div class="{name}"[^>]*>(.*?)</dl>', html, re.S)
    assert match, f"no .{name}"
    return match.group(0)
