"""The units admin page (`/admin/units`): the list, adding a unit, changing its skills and
members, deactivating it; only for those who manage units, CSRF-checked, and every bad
form changes nothing."""

from __future__ import annotations

import re
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from tests.api.test_pages import alert, sign_in, token_of
from tests.api.test_pages_triage import text
from tests.api.test_units_api import triaged
from tests.factories import Account, Factory

PAGE = "/admin/units"
UNITS = "/api/v1/units"
JSON = {"accept": "application/json"}


@pytest.fixture
def root(hq: Factory) -> Account:
    return hq.user("root", "admin", all_sites=True)


@pytest.fixture
def sam(hq: Factory) -> Account:
    return hq.user("sam", "supervisor", ["HQ"])


@pytest.fixture
def olu(hq: Factory) -> Account:
    return hq.user("olu", "officer", ["HQ"])


@pytest.fixture
def kim(hq: Factory) -> Account:
    return hq.user("kim", "officer", ["HQ"])


def api_unit(web: TestClient, account: Account, callsign: str) -> Any:
    """The unit as the JSON API shows it, or None if there is none."""
    r = web.get(f"{UNITS}/{callsign}", headers={**account.headers, **JSON})
    if r.status_code == 404:
        return None
    assert r.status_code == 200, r.text
    return r.json()


def api_add(web: TestClient, account: Account, callsign: str = "A12", **body: Any) -> Any:
    """A unit added through the JSON API."""
    body = {"callsign": callsign, "site": "HQ", **body}
    r = web.post(UNITS, json=body, headers={**account.headers, **JSON})
    assert r.status_code == 201, r.text
    return r.json()


def form(web: TestClient, path: str = PAGE, token: str | None = None, **fields: Any) -> Any:
    """Post a form of the page (with the session's CSRF token unless one is given)."""
    data = {"csrf_token": token if token is not None else token_of(web), **fields}
    return web.post(path, data=data, follow_redirects=False)


def add(web: TestClient, token: str | None = None, **fields: Any) -> Any:
    """Post the add form: officer B7 at HQ, unless told otherwise."""
    values = {"callsign": "B7", "name": "Bravo seven", "kind": "officer", "site": "HQ"}
    values |= {"skills": "", "members": ""}
    return form(web, PAGE, token, **(values | fields))


def edit(web: TestClient, callsign: str, token: str | None = None, **fields: Any) -> Any:
    """Post a unit's edit form: what the page shows now, changed by `fields`."""
    page = web.get(f"{PAGE}/{callsign}")
    assert page.status_code == 200, page.text
    values = {name: value_of(page.text, name) for name in ("name", "skills", "members")}
    values |= {"kind": selected(page.text, "kind"), "site": selected(page.text, "site")}
    if re.search(r'<input type="checkbox" name="active"[^>]*\bchecked>', page.text):
        values["active"] = "on"
    values |= fields
    return form(
        web, f"{PAGE}/{callsign}", token, **{k: v for k, v in values.items() if v is not None}
    )


def value_of(html: str, name: str) -> str:
    """The value of the text input `name`."""
    match = re.search(rf'<input id="f-{name}" name="{name}"[^>]*value="([^"]*)"', html)
    assert match, f"no input {name}"
    return unescape(match.group(1))


def selected(html: str, name: str) -> str:
    """The selected option of the select `name`."""
    block = re.search(rf'<select id="f-{name}" name="{name}".*?</select>', html, re.S)
    assert block, f"no select {name}"
    match = re.search(r'<option value="([^"]*)" selected>', block.group(0))
    assert match, f"nothing selected in {name}"
    return unescape(match.group(1))


def row(html: str, callsign: str) -> str:
    """What a reader sees of a unit's row in the table."""
    match = re.search(rf'<tr[^>]*id="unit-{callsign}".*?</tr>', html, re.S)
    assert match, f"no row for {callsign}"
    return text(match.group(0))


# --- who may ---------------------------------------------------------------------------


@pytest.mark.parametrize("who", ["dana", "olu"])
def test_dispatchers_and_officers_may_not_manage_units(
    web: TestClient, hq: Factory, sam: Account, olu: Account, who: str
) -> None:
    api_add(web, sam, "A12", skills=["first_aid"])
    sign_in(web, who)
    assert 'href="/admin/units"' not in web.get("/incidents").text
    for path in (PAGE, f"{PAGE}/A12"):
        r = web.get(path)
        assert r.status_code == 403 and "may not manage units" in r.text, path
    token = token_of(web)
    r = add(web, token=token)
    assert r.status_code == 403 and "may not manage units" in r.text
    r = form(web, f"{PAGE}/A12", token=token, name="Hijacked", kind="k9", site="HQ", skills="")
    assert r.status_code == 403
    assert api_unit(web, sam, "B7") is None
    unit = api_unit(web, sam, "A12")
    assert unit["name"] == "" and unit["kind"] == "officer" and unit["skills"] == ["first_aid"]


def test_posts_without_the_csrf_token_are_refused(
    web: TestClient, hq: Factory, sam: Account
) -> None:
    api_add(web, sam, "A12", name="Alpha")
    sign_in(web, "sam")
    for token in ("", "not-the-token"):
        r = add(web, token=token)
        assert r.status_code == 403 and "did not come from this site" in r.text
        r = form(web, f"{PAGE}/A12", token=token, name="Forged", kind="k9", site="HQ")
        assert r.status_code == 403 and "did not come from this site" in r.text
    assert api_unit(web, sam, "B7") is None
    unit = api_unit(web, sam, "A12")
    assert unit["name"] == "Alpha" and unit["kind"] == "officer" and unit["active"] is True


# --- the list --------------------------------------------------------------------------


def test_the_list_shows_the_units_of_my_sites(
    web: TestClient, hq: Factory, root: Account, sam: Account, olu: Account
) -> None:
    hq.user("lee", "dispatcher", ["LAB"])
    api_add(web, root, "A12", name="Alpha", kind="patrol", skills=["first_aid", "aed"])
    web.patch(f"{UNITS}/A12", json={"members": ["olu", "dana"]}, headers={**root.headers, **JSON})
    api_add(web, root, "L1", site="LAB", members=["lee"], on_duty=True)
    api_add(web, root, "OLD")
    r = web.patch(f"{UNITS}/OLD", json={"active": False}, headers={**root.headers, **JSON})
    assert r.status_code == 200 and r.json()["active"] is False
    sign_in(web, "sam")
    page = web.get(PAGE)
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert 'href="/admin/units" aria-current="page">Manage units</a>' in page.text
    html = page.text
    assert "style=" not in html and not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html)
    assert "Manage units 1" in text(html)  # one active unit of HQ
    assert row(html, "A12") == "A12 Alpha Patrol HQ aed, first_aid dana, olu No Available"
    assert '<a class="callsign" href="/admin/units/A12">A12</a>' in html
    assert row(html, "OLD") == "OLD inactive — Officer HQ none none No Available"
    assert "unit-L1" not in html  # LAB: not sam's site
    assert '<details class="edit" id="add">' in html  # units listed: the form is closed
    web.cookies.clear()
    sign_in(web, "root")
    html = web.get(PAGE).text
    assert row(html, "L1") == "L1 — Officer LAB none lee Yes Available"
    assert "Manage units 2" in text(html)


def test_without_units_the_page_says_so_and_opens_the_form(
    web: TestClient, hq: Factory, sam: Account
) -> None:
    sign_in(web, "sam")
    page = web.get(PAGE)
    assert page.status_code == 200
    assert "No units yet Add one below, or with murphy units add" in text(page.text)
    assert '<details class="edit" id="add" open>' in page.text
    assert '<option value="HQ" selected>HQ site (HQ)</option>' in page.text  # sam's one site
    assert 'value="LAB"' not in page.text


# --- adding ----------------------------------------------------------------------------


def test_an_admin_adds_a_unit_and_the_api_has_it(
    web: TestClient, hq: Factory, root: Account, olu: Account
) -> None:
    hq.user("lee", "dispatcher", ["LAB"])
    sign_in(web, "root")
    page = web.get(PAGE).text
    assert '<option value="LAB">LAB site (LAB)</option>' in page  # every site for root
    r = add(
        web,
        callsign="k9-2",
        name="Dog team",
        kind="k9",
        site="LAB",
        skills="K9, first aid ,",
        members="olu, Lee",
    )
    assert r.status_code == 303, alert(r.text)
    assert r.headers["location"] == f"{PAGE}?saved=K9-2#unit-K9-2"
    done = web.get(r.headers["location"])
    assert "Saved K9-2" in text(done.text)
    assert (
        row(done.text, "K9-2") == "K9-2 saved Dog team K9 LAB first_aid, k9 lee, olu No Available"
    )
    unit = api_unit(web, root, "K9-2")
    assert unit["site"] == "LAB" and unit["kind"] == "k9" and unit["name"] == "Dog team"
    assert unit["skills"] == ["first_aid", "k9"]
    assert sorted(unit["members"]) == ["lee", "olu"]
    assert unit["active"] is True and unit["on_duty"] is False
    mine = web.get(f"{UNITS}/me", headers={**olu.headers, **JSON})
    assert mine.status_code == 200 and mine.json()["callsign"] == "K9-2"


def test_a_supervisor_adds_a_unit_at_their_site(web: TestClient, hq: Factory, sam: Account) -> None:
    sign_in(web, "sam")
    r = add(web)
    assert r.status_code == 303, alert(r.text)
    unit = api_unit(web, sam, "B7")
    assert unit["site"] == "HQ" and unit["name"] == "Bravo seven" and unit["members"] == []


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        (
            {"callsign": "B 7"},
            422,
            "Callsign: use letters, digits, '-' or '_', starting with a letter or a digit, "
            "e.g. A12.",
        ),
        ({"callsign": ""}, 422, "Callsign is required."),
        ({"members": "olu, nobody"}, 404, "No user named 'nobody'."),
        ({"skills": "first_aid, no way!"}, 422, "Skills: invalid skill 'no way!'"),
        ({"site": "LAB"}, 404, "No site with code 'LAB'."),  # not sam's site
        ({"site": ""}, 422, "Home site is required."),
        ({"kind": "dragon"}, 422, "Kind: choose one of the options offered."),
    ],
)
def test_a_bad_new_unit_is_explained_kept_and_nothing_is_stored(
    web: TestClient,
    hq: Factory,
    sam: Account,
    olu: Account,
    fields: dict[str, str],
    status: int,
    message: str,
) -> None:
    sign_in(web, "sam")
    typed = {"name": "Night <patrol>", "members": "olu", "skills": "aed"} | fields
    r = add(web, **typed)
    assert r.status_code == status
    assert "Unit not added: nothing was saved" in alert(r.text)
    assert message in unescape(alert(r.text))
    assert value_of(r.text, "name") == "Night <patrol>"  # what was typed, escaped
    assert value_of(r.text, "members") == typed["members"]
    assert value_of(r.text, "skills") == typed["skills"]
    assert '<details class="edit" id="add" open>' in r.text
    assert api_unit(web, sam, typed.get("callsign") or "B7") is None
    assert web.get(UNITS, headers={**sam.headers, **JSON}).json() == []
    assert web.get(f"{UNITS}/me", headers={**olu.headers, **JSON}).status_code == 404


def test_a_duplicate_callsign_is_refused_and_the_first_unit_is_untouched(
    web: TestClient, hq: Factory, sam: Account, olu: Account, kim: Account
) -> None:
    api_add(web, sam, "A12", name="Alpha", skills=["aed"], members=["olu"])
    sign_in(web, "sam")
    r = add(web, callsign="a12", name="Second", kind="k9", skills="k9", members="kim")
    assert r.status_code == 409
    assert "Unit A12 already exists." in alert(r.text)
    unit = api_unit(web, sam, "A12")
    assert unit["name"] == "Alpha" and unit["kind"] == "officer" and unit["skills"] == ["aed"]
    assert unit["members"] == ["olu"]
    assert web.get(f"{UNITS}/me", headers={**kim.headers, **JSON}).status_code == 404


# --- changing ---------------------------------------------------------------------------


def test_editing_skills_and_members(
    web: TestClient, hq: Factory, sam: Account, olu: Account, kim: Account
) -> None:
    api_add(web, sam, "A12", name="Alpha", skills=["first_aid"], members=["olu"])
    sign_in(web, "sam")
    page = web.get(f"{PAGE}/A12")
    assert page.status_code == 200
    assert 'href="/admin/units" aria-current="page"' in page.text
    assert value_of(page.text, "skills") == "first_aid"
    assert value_of(page.text, "members") == "olu"
    assert selected(page.text, "kind") == "officer" and selected(page.text, "site") == "HQ"
    r = edit(
        web, "A12", name="Alpha two", kind="patrol", skills="aed, First aid", members="kim sam"
    )
    assert r.status_code == 303, alert(r.text)
    assert r.headers["location"] == f"{PAGE}?saved=A12#unit-A12"
    unit = api_unit(web, sam, "A12")
    assert unit["name"] == "Alpha two" and unit["kind"] == "patrol" and unit["active"] is True
    assert unit["skills"] == ["aed", "first_aid"]
    assert sorted(unit["members"]) == ["kim", "sam"]
    assert web.get(f"{UNITS}/me", headers={**olu.headers, **JSON}).status_code == 404
    assert web.get(f"{UNITS}/me", headers={**kim.headers, **JSON}).json()["callsign"] == "A12"
    r = edit(web, "A12", skills="", members="")  # emptied: none left
    assert r.status_code == 303, alert(r.text)
    unit = api_unit(web, sam, "A12")
    assert unit["skills"] == [] and unit["members"] == [] and unit["name"] == "Alpha two"


@pytest.mark.parametrize(
    ("fields", "status", "message"),
    [
        ({"members": "kim, ghost"}, 404, "No user named 'ghost'."),
        ({"skills": "aed, ???"}, 422, "Skills: invalid skill '???'"),
        ({"site": "LAB"}, 404, "No site with code 'LAB'."),
        ({"name": "x" * 121}, 422, "Name is too long: at most 120 characters."),
    ],
)
def test_a_bad_change_is_explained_kept_and_changes_nothing(
    web: TestClient,
    hq: Factory,
    sam: Account,
    olu: Account,
    kim: Account,
    fields: dict[str, str],
    status: int,
    message: str,
) -> None:
    api_add(web, sam, "A12", name="Alpha", skills=["first_aid"], members=["olu"])
    sign_in(web, "sam")
    typed = {"skills": "aed", "members": "kim"} | fields
    r = edit(web, "A12", **typed)
    assert r.status_code == status
    assert "A12 not changed: nothing was saved" in alert(r.text)
    assert message in unescape(alert(r.text))
    assert value_of(r.text, "members") == typed["members"]
    assert value_of(r.text, "skills") == typed["skills"]
    unit = api_unit(web, sam, "A12")
    assert unit["name"] == "Alpha" and unit["skills"] == ["first_aid"] and unit["site"] == "HQ"
    assert unit["members"] == ["olu"]
    assert web.get(f"{UNITS}/me", headers={**kim.headers, **JSON}).status_code == 404


def test_deactivating_and_activating_a_unit(
    web: TestClient, hq: Factory, sam: Account, olu: Account
) -> None:
    api_add(web, sam, "A12", members=["olu"], on_duty=True)
    sign_in(web, "sam")
    r = edit(web, "A12", active=None)  # the box unticked
    assert r.status_code == 303, alert(r.text)
    unit = api_unit(web, sam, "A12")
    assert unit["active"] is False and unit["on_duty"] is False
    assert web.get(UNITS, headers={**sam.headers, **JSON}).json() == []  # off the board
    assert row(web.get(r.headers["location"]).text, "A12").startswith("A12 inactive saved")
    assert "inactive" in text(web.get(f"{PAGE}/A12").text)
    r = edit(web, "A12", active="on")
    assert r.status_code == 303, alert(r.text)
    assert api_unit(web, sam, "A12")["active"] is True


def test_a_unit_on_an_incident_is_not_deactivated(
    web: TestClient, hq: Factory, sam: Account, olu: Account
) -> None:
    api_add(web, sam, "A12", members=["olu"], on_duty=True)
    number = triaged(web, sam)
    r = web.post(
        f"/api/v1/incidents/{number}/units", json={"unit": "A12"}, headers={**sam.headers, **JSON}
    )
    assert r.status_code == 201, r.text
    sign_in(web, "sam")
    page = web.get(f"{PAGE}/A12")
    assert f'<a href="/incidents/{number}">{number}</a>' in page.text
    r = edit(web, "A12", active=None, name="Renamed")
    assert r.status_code == 409
    assert "A12 is on an incident: clear it before deactivating" in alert(r.text)
    unit = api_unit(web, sam, "A12")
    assert unit["active"] is True and unit["name"] == "" and unit["status"] == "dispatched"


def test_an_unknown_or_hidden_unit_is_404(web: TestClient, hq: Factory, root: Account) -> None:
    hq.user("sam", "supervisor", ["HQ"])
    api_add(web, root, "L1", site="LAB")
    sign_in(web, "sam")
    for callsign in ("NOPE", "L1"):
        r = web.get(f"{PAGE}/{callsign}")
        assert r.status_code == 404 and f"No unit {callsign}." in text(r.text)
        r = form(web, f"{PAGE}/{callsign}", name="Mine now", kind="officer", site="HQ")
        assert r.status_code == 404
    assert api_unit(web, root, "L1")["name"] == "" and api_unit(web, root, "L1")["site"] == "LAB"
