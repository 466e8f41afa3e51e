"""The HTML pages through the ASGI client: sign-in, CSRF, the queue, reporting, an incident."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient

from murphy.app import create_app
from murphy.core.db import Database
from murphy.settings import Settings
from tests.api.conftest import HTML
from tests.factories import PASSWORD, Factory

BERLIN = ZoneInfo("Europe/Berlin")


def hidden(html: str, name: str = "csrf_token") -> str:
    """The value of the first hidden field called `name`."""
    match = re.search(rf'name="{name}" value="([^"]*)"', html)
    assert match, f"no hidden field {name!r} in the page"
    return match.group(1)


def alert(html: str) -> str:
    """The text of the error box near the top of a page."""
    match = re.search(r'<div class="alert"[^>]*>(.*?)</div>', html, re.S)
    assert match, "no error box on the page"
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", match.group(1))).strip()


def sign_in(client: TestClient, username: str, password: str = PASSWORD, next_url: str = "") -> Any:
    """Fetch the form (for its token) and post it."""
    token = hidden(client.get("/login").text)
    data = {"username": username, "password": password, "csrf_token": token, "next": next_url}
    return client.post("/login", data=data, follow_redirects=False)


def token_of(client: TestClient, path: str = "/incidents") -> str:
    """The session's CSRF token, as the pages put it in their forms."""
    return hidden(client.get(path).text)


def set_cookie_header(response: Any, name: str) -> str:
    """The Set-Cookie header that sets `name`."""
    headers: list[str] = response.headers.get_list("set-cookie")
    found = [h for h in headers if h.startswith(f"{name}=")]
    assert found, f"no Set-Cookie for {name}"
    return found[0]


# --- signing in and out ------------------------------------------------------------------


def test_signed_out_pages_redirect_to_login_with_next(web: TestClient) -> None:
    for path in ("/incidents", "/incidents/new", "/incidents/INC-2026-00001"):
        r = web.get(path, follow_redirects=False)
        assert r.status_code == 303
        assert r.headers["location"] == "/login?next=" + path
    r = web.get("/", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/incidents"


def test_login_form_uses_a_double_submit_token(web: TestClient) -> None:
    r = web.get("/login")
    assert r.status_code == 200
    cookie = set_cookie_header(r, "murphy_login_csrf")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert hidden(r.text) == web.cookies.get("murphy_login_csrf")
    assert r.headers["cache-control"] == "no-store"


def test_login_success_sets_a_strict_session_cookie(web: TestClient, hq: Factory) -> None:
    r = sign_in(web, "dana", next_url="/incidents?status=all")
    assert r.status_code == 303
    assert r.headers["location"] == "/incidents?status=all"
    cookie = set_cookie_header(r, "murphy_session")
    assert "HttpOnly" in cookie and "samesite=lax" in cookie.lower()
    assert "Max-Age=43200" in cookie and "Path=/" in cookie
    assert "Secure" not in cookie
    page = web.get("/incidents")
    assert page.status_code == 200
    assert "Dana" in page.text and "dispatcher" in page.text


def test_session_cookie_is_secure_when_configured(
    settings: Settings, db: Database, hq: Factory
) -> None:
    secure = settings.model_copy(update={"cookie_secure": True, "session_hours": 2.0})
    with TestClient(create_app(secure, db=db), base_url="https://testserver") as client:
        r = sign_in(client, "dana")
    cookie = set_cookie_header(r, "murphy_session")
    assert "Secure" in cookie and "Max-Age=7200" in cookie


@pytest.mark.parametrize(
    ("username", "password"), [("dana", "wrong-password-1"), ("nobody", PASSWORD)]
)
def test_login_failure_says_so_and_sets_no_session(
    web: TestClient, hq: Factory, username: str, password: str
) -> None:
    r = sign_in(web, username, password)
    assert r.status_code == 401
    assert "Wrong user name or password" in alert(r.text)
    assert "murphy_session" not in r.headers.get("set-cookie", "")
    assert f'value="{username}"' in r.text  # the name typed is kept


def test_login_without_the_double_submit_token_is_refused(web: TestClient, hq: Factory) -> None:
    data = {
        "username": "dana",
        "password": PASSWORD,
        "csrf_token": "forged-token-forged-token-forged",
    }
    r = web.post("/login", data=data, follow_redirects=False)
    assert r.status_code == 403
    assert "murphy_session=" not in r.headers.get("set-cookie", "")
    web.get("/login")  # now the cookie exists, but the field is missing
    r = web.post("/login", data={"username": "dana", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403
    assert "expired" in alert(r.text)


def test_failed_logins_are_throttled_per_user_and_address(
    settings: Settings, db: Database, hq: Factory
) -> None:
    hq.user("erin", "officer", ["HQ"])
    strict = settings.model_copy(update={"login_attempts": 3})
    with TestClient(create_app(strict, db=db), headers={"accept": HTML}) as client:
        assert [sign_in(client, "dana", "bad-password-1").status_code for _ in range(3)] == [
            401
        ] * 3
        r = sign_in(client, "dana")  # even the right password waits now
        assert r.status_code == 429
        assert 0 < int(r.headers["retry-after"]) <= 15 * 60
        assert "Too many failed sign-ins" in alert(r.text)
        assert "murphy_session=" not in r.headers.get("set-cookie", "")
        assert sign_in(client, "erin").status_code == 303  # another user is not affected


def test_a_successful_login_clears_the_failures(
    settings: Settings, db: Database, hq: Factory
) -> None:
    strict = settings.model_copy(update={"login_attempts": 3})
    with TestClient(create_app(strict, db=db), headers={"accept": HTML}) as client:
        for _ in range(2):
            assert sign_in(client, "dana", "bad-password-1").status_code == 401
        assert sign_in(client, "dana").status_code == 303
        client.cookies.clear()
        for _ in range(3):
            assert sign_in(client, "dana", "bad-password-1").status_code == 401


@pytest.mark.parametrize(
    "target",
    [
        "//evil.example/phish",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "evil.example",
        "/incidents\r\nSet-Cookie: x=1",
    ],
)
def test_next_only_accepts_local_paths(web: TestClient, hq: Factory, target: str) -> None:
    assert hidden(web.get("/login", params={"next": target}).text, "next") == "/incidents"
    r = sign_in(web, "dana", next_url=target)
    assert r.status_code == 303
    assert r.headers["location"] == "/incidents"


def test_next_keeps_a_local_path_and_query(web: TestClient, hq: Factory) -> None:
    r = sign_in(web, "dana", next_url="/incidents/INC-2026-00001?from=mail")
    assert r.headers["location"] == "/incidents/INC-2026-00001?from=mail"


def test_a_form_address_opened_after_signing_in_again_shows_the_incident(
    web: TestClient, hq: Factory
) -> None:
    number = hq.incident(hq.user("olu", "officer", ["HQ"]))
    r = web.post(f"/incidents/{number}/notes", data={"body": "typed"}, follow_redirects=False)
    assert r.headers["location"] == f"/login?next=/incidents/{number}/notes"
    r = sign_in(web, "dana", next_url=f"/incidents/{number}/notes")
    page = web.get(r.headers["location"])
    assert page.status_code == 200 and str(page.url).endswith(f"/incidents/{number}")


def test_logout_ends_the_session_for_good(web: TestClient, hq: Factory) -> None:
    sign_in(web, "dana")
    stolen = web.cookies.get("murphy_session")
    assert stolen
    assert web.post("/logout", data={}, follow_redirects=False).status_code == 403  # no token
    assert web.get("/incidents", follow_redirects=False).status_code == 200
    r = web.post("/logout", data={"csrf_token": token_of(web)}, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login"
    web.cookies.set("murphy_session", stolen)
    assert web.get("/incidents", follow_redirects=False).status_code == 303


# --- the report form ---------------------------------------------------------------------


def test_report_form_offers_only_the_callers_sites(web: TestClient, hq: Factory) -> None:
    sign_in(web, "dana")
    html = web.get("/incidents/new").text
    assert 'value="HQ"' in html and "HQ///LOBBY" in html and "HQ/A/1/" in html
    assert 'value="LAB"' not in html and "LAB///" not in html


def test_reporting_through_the_form(web: TestClient, hq: Factory) -> None:
    sign_in(web, "dana")
    occurred = (datetime.now(BERLIN) - timedelta(days=1)).replace(second=0, microsecond=0)
    form = {
        "csrf_token": token_of(web, "/incidents/new"),
        "title": "Door forced at the loading dock",
        "description": "Frame bent.\nAlarm did not sound.",
        "site": "HQ",
        "place": "HQ///LOBBY",
        "detail": "by the lifts",
        "occurred_at": occurred.strftime("%Y-%m-%dT%H:%M"),
    }
    r = web.post("/incidents", data=form, follow_redirects=False)
    assert r.status_code == 303
    number = r.headers["location"].rsplit("/", 1)[1]
    assert re.fullmatch(r"INC-\d{4}-\d{5}", number)
    page = web.get(r.headers["location"]).text
    assert "Door forced at the loading dock" in page
    assert "Building A · Floor 1 · Lobby · by the lifts" in page
    assert occurred.strftime("%Y-%m-%d %H:%M %Z") in page  # shown in the site's zone
    token = hq.user("api", "dispatcher", ["HQ"]).headers
    body = web.get(f"/api/v1/incidents/{number}", headers=token).json()
    assert body["channel"] == "web"
    stored = datetime.fromisoformat(body["occurred_at"].replace("Z", "+00:00"))
    assert stored == occurred.astimezone(UTC)


def test_a_form_error_is_shown_with_what_was_typed(web: TestClient, hq: Factory) -> None:
    sign_in(web, "dana")
    form = {
        "csrf_token": token_of(web, "/incidents/new"),
        "title": "",
        "description": "Someone on the roof",
        "site": "HQ",
        "place": "HQ/A/1/",
    }
    r = web.post("/incidents", data=form)
    assert r.status_code == 422
    assert "Title is required" in alert(r.text)
    assert "Someone on the roof</textarea>" in r.text
    assert '<option value="HQ/A/1/" selected>' in r.text
    future = (datetime.now(BERLIN) + timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    r = web.post("/incidents", data={**form, "title": "Roof", "occurred_at": future})
    assert r.status_code == 422
    assert "the time it happened is in the future" in alert(r.text).lower()
    assert 'value="Roof"' in r.text
    assert web.get("/incidents", params={"status": "all"}).text.count('class="row ') == 0


def test_a_place_from_another_site_is_explained(web: TestClient, factory: Factory) -> None:
    factory.site("HQ")
    factory.site("LAB")
    factory.user("dana", "dispatcher", ["HQ", "LAB"])
    sign_in(web, "dana")
    form = {"csrf_token": token_of(web), "title": "Smoke", "site": "HQ", "place": "LAB///LOBBY"}
    r = web.post("/incidents", data=form)
    assert r.status_code == 422
    assert "on site LAB, not HQ" in alert(r.text)


def test_a_drill_reported_through_the_form_is_an_exercise(web: TestClient, hq: Factory) -> None:
    sign_in(web, "dana")
    page = web.get("/incidents/new").text
    assert 'name="exercise"' in page
    form = {
        "csrf_token": token_of(web, "/incidents/new"),
        "title": "Evacuation drill, building A",
        "site": "HQ",
        "exercise": "on",
    }
    r = web.post("/incidents", data=form, follow_redirects=False)
    assert r.status_code == 303
    number = r.headers["location"].rsplit("/", 1)[1]
    assert 'class="exercise-badge' in web.get(r.headers["location"]).text
    token = hq.user("api", "dispatcher", ["HQ"]).headers
    assert web.get(f"/api/v1/incidents/{number}", headers=token).json()["exercise"] is True
    entries = web.get(f"/api/v1/incidents/{number}/timeline", headers=token).json()
    assert entries[0]["data"]["exercise"] is True  # on the hash chain
    form["title"], form["csrf_token"] = "Real fire", token_of(web, "/incidents/new")
    del form["exercise"]
    real = web.post("/incidents", data=form, follow_redirects=False).headers["location"]
    assert 'class="exercise-badge' not in web.get(real).text


def test_reporting_for_a_site_outside_scope_is_refused(web: TestClient, hq: Factory) -> None:
    sign_in(web, "dana")
    r = web.post("/incidents", data={"csrf_token": token_of(web), "title": "X", "site": "LAB"})
    assert r.status_code == 403
    assert "may not report incidents for site LAB" in alert(r.text)


def test_a_role_that_cannot_report_gets_no_form(web: TestClient, hq: Factory) -> None:
    hq.user("ana", "analyst", ["HQ"])
    sign_in(web, "ana")
    assert 'href="/incidents/new"' not in web.get("/incidents").text
    assert web.get("/incidents/new").status_code == 403


# --- CSRF on every form post -------------------------------------------------------------


def test_form_posts_without_the_token_are_refused(web: TestClient, hq: Factory) -> None:
    number = hq.incident(hq.user("olu", "officer", ["HQ"]))
    sign_in(web, "dana")
    posts = {
        "/incidents": {"title": "Forged", "site": "HQ"},
        f"/incidents/{number}/transitions": {"to": "triaged"},
        f"/incidents/{number}/notes": {"body": "forged"},
        f"/incidents/{number}/edit": {"title": "Forged"},
        f"/incidents/{number}/classify": {"type": "theft"},
        f"/incidents/{number}/priority": {"impact": "1", "urgency": "1"},
        f"/incidents/{number}/acknowledge": {},
        f"/incidents/{number}/assessment": {"risks": "forged"},
    }
    for path, data in posts.items():
        for token in ({}, {"csrf_token": "not-the-token"}):
            r = web.post(path, data={**data, **token}, follow_redirects=False)
            assert r.status_code == 403, path
            assert "did not come from this site" in r.text
    page = web.get(f"/incidents/{number}").text
    assert "Forged" not in page and "forged" not in page
    assert "badge-new badge-big" in page
    assert 'class="type-line"' not in page and "Acknowledged</p>" not in page
    assert "P?</span>" in page and "entry-assessed" not in page


# --- the incident page -------------------------------------------------------------------


def test_an_incident_outside_the_callers_sites_is_404(web: TestClient, hq: Factory) -> None:
    elsewhere = hq.incident(hq.user("lee", "dispatcher", ["LAB"]), site="LAB", title="Lab fire")
    sign_in(web, "dana")
    r = web.get(f"/incidents/{elsewhere}")
    assert r.status_code == 404
    assert r.headers["content-type"].startswith("text/html")
    assert "Lab fire" not in r.text and "Not found" in r.text
    token = token_of(web)
    for path, data in {
        "transitions": {"to": "triaged"},
        "notes": {"body": "hello"},
        "edit": {"title": "Mine now"},
        "classify": {"type": "theft"},
        "priority": {"impact": "1", "urgency": "1"},
        "acknowledge": {},
        "assessment": {"risks": "x"},
    }.items():
        r = web.post(f"/incidents/{elsewhere}/{path}", data={**data, "csrf_token": token})
        assert r.status_code == 404, path
        assert 'class="alert"' not in r.text


VERBS = {"triaged": "triage", "responding": "respond", "resolved": "resolve", "closed": "close"}


def post_form(web: TestClient, number: str, form: str, **fields: str) -> Any:
    """Post one of the incident page's forms with the page's CSRF token."""
    data = {"csrf_token": token_of(web, f"/incidents/{number}"), **fields}
    return web.post(f"/incidents/{number}/{form}", data=data, follow_redirects=False)


def classify(web: TestClient, number: str, type: str = "theft", **fields: str) -> Any:
    """Pick a type in the Classify form (impact and urgency the type's, unless given)."""
    r = post_form(web, number, "classify", type=type, **fields)
    assert r.status_code == 303, alert(r.text) if r.status_code != 303 else ""
    return r


def move(web: TestClient, number: str, to: str, **extra: str) -> Any:
    """Press a transition button on the incident page (its form's hidden fields included)."""
    html = web.get(f"/incidents/{number}").text
    data = {
        "csrf_token": hidden(html),
        "to": to,
        "action": VERBS.get(to, to.removesuffix("led").removesuffix("d")),
        "version": hidden(html, "version"),
        **extra,
    }
    return web.post(f"/incidents/{number}/transitions", data=data, follow_redirects=False)


def test_lifecycle_through_the_buttons(web: TestClient, hq: Factory) -> None:
    hq.user("sam", "supervisor", ["HQ"])
    number = hq.incident(hq.user("olu", "officer", ["HQ"]), title="Water leak")
    sign_in(web, "dana")
    page = web.get(f"/incidents/{number}").text
    assert ">Close</button>" not in page
    assert re.search(r'<button type="submit" class="btn btn-move btn-triage" disabled', page)
    assert "Classify it first: triage needs a type and a priority." in page
    assert move(web, number, "triaged").status_code == 409  # the server says so too
    classify(web, number, "theft.vehicle")
    page = web.get(f"/incidents/{number}").text
    assert 'class="btn btn-move btn-triage">Triage</button>' in page
    assert move(web, number, "triaged").status_code == 303
    assert move(web, number, "responding").status_code == 303
    r = move(web, number, "resolved", resolution_code="false_alarm", reason="Condensation")
    assert r.status_code == 303
    page = web.get(f"/incidents/{number}").text
    assert ">Close</button>" not in page and ">Reopen</button>" in page
    web.post("/logout", data={"csrf_token": hidden(page)})
    sign_in(web, "sam")
    assert move(web, number, "closed").status_code == 303
    page = web.get(f"/incidents/{number}").text
    assert "badge-closed badge-big" in page
    for text in (
        "Classified",
        "Theft from a vehicle",
        "Triaged",
        "Response started",
        "Resolved",
        "False alarm",
        "Condensation",
        "Closed",
    ):
        assert text in page, text


def test_a_transition_error_keeps_the_form(web: TestClient, hq: Factory) -> None:
    number = hq.incident(hq.user("olu", "officer", ["HQ"]))
    sign_in(web, "dana")
    classify(web, number)
    move(web, number, "triaged")
    move(web, number, "responding")
    r = move(web, number, "resolved", reason="Searched the area")
    assert r.status_code == 422
    assert "Could not resolve" in alert(r.text)
    assert "a resolution is required" in alert(r.text).lower()
    assert "False alarm" in alert(r.text)  # the codes in the page's words
    assert "Searched the area</textarea>" in r.text
    assert "badge-responding badge-big" in r.text
    r = move(web, number, "cancelled")
    assert r.status_code == 422 and "a reason is required" in alert(r.text).lower()


def test_a_stale_page_does_not_overwrite(web: TestClient, hq: Factory) -> None:
    number = hq.incident(hq.user("olu", "officer", ["HQ"]))
    sign_in(web, "dana")
    classify(web, number)
    html = web.get(f"/incidents/{number}").text
    stale = {"csrf_token": hidden(html), "version": hidden(html, "version")}
    assert move(web, number, "triaged").status_code == 303
    r = web.post(
        f"/incidents/{number}/transitions", data={**stale, "to": "cancelled", "reason": "dup"}
    )
    assert r.status_code == 412
    assert "changed by someone else" in alert(r.text)
    assert "badge-triaged badge-big" in r.text


def test_notes_and_edits_are_readable_on_the_timeline(web: TestClient, hq: Factory) -> None:
    number = hq.incident(
        hq.user("olu", "officer", ["HQ"]), title="Door forced", place={"zone": "LOBBY"}
    )
    sign_in(web, "dana")
    token = token_of(web)
    note = {"csrf_token": token, "body": "Called the locksmith"}
    r = web.post(f"/incidents/{number}/notes", data=note, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].endswith("#entry-2")
    html = web.get(f"/incidents/{number}").text
    edit = {
        "csrf_token": token,
        "version": hidden(html, "version"),
        "title": "Door forced, east entrance",
        "description": "",
        "place": "HQ///CARPARK",
        "detail": "",
    }
    assert (
        web.post(f"/incidents/{number}/edit", data=edit, follow_redirects=False).status_code == 303
    )
    page = web.get(f"/incidents/{number}").text
    assert "Called the locksmith" in page
    assert re.search(r"<del>Door forced</del> → <ins>Door forced, east entrance</ins>", page)
    assert re.search(r"<del>Building A · Floor 1 · Lobby</del> → <ins>Car park</ins>", page)


def test_an_edit_error_keeps_the_typed_text(web: TestClient, hq: Factory) -> None:
    number = hq.incident(hq.user("olu", "officer", ["HQ"]))
    sign_in(web, "dana")
    html = web.get(f"/incidents/{number}").text
    data = {
        "csrf_token": hidden(html),
        "version": hidden(html, "version"),
        "title": "",
        "description": "New words",
    }
    r = web.post(f"/incidents/{number}/edit", data=data)
    assert r.status_code == 422
    assert "Could not save the changes" in alert(r.text) and "Title is required" in alert(r.text)
    assert "New words</textarea>" in r.text
    assert '<details class="edit" open>' in r.text


def rows(html: str) -> list[str]:
    """The incident numbers in the queue, in order."""
    return re.findall(r'<span class="q-num">([^<]+)</span>', html)


# --- page hygiene ------------------------------------------------------------------------


def test_pages_escape_input_and_use_no_inline_script_or_style(web: TestClient, hq: Factory) -> None:
    number = hq.incident(hq.user("olu", "officer", ["HQ"]), title='<script>alert("x")</script>')
    sign_in(web, "dana")
    for path in ("/incidents", "/incidents/new", f"/incidents/{number}", "/incidents/INC-1999-1"):
        html = web.get(path).text
        assert "<script>alert" not in html
        assert "style=" not in html and "<style" not in html
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " on" + "click=" not in html
    assert "&lt;script&gt;" in web.get(f"/incidents/{number}").text


@pytest.fixture
def static_files(client: TestClient) -> Iterator[TestClient]:
    yield client


def test_static_assets_are_served(static_files: TestClient) -> None:
    for path, kind in (("/static/murphy.css", "text/css"), ("/static/murphy.js", "javascript")):
        r = static_files.get(path)
        assert r.status_code == 200 and kind in r.headers["content-type"]
