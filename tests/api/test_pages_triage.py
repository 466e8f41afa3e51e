"""Categorize and prioritize in the web UI: the Classify panel, the priority control,
Acknowledge, the assessment, restricted types, the queue by priority, the countdowns."""

from __future__ import annotations

import re
from datetime import timedelta
from html import unescape
from typing import Any

import pytest
from fastapi.testclient import TestClient

from murphy.core.clock import utcnow
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn, IncidentCreate
from tests.api.test_pages import alert, classify, move, post_form, rows, sign_in
from tests.factories import Account, Factory


@pytest.fixture
def olu(hq: Factory) -> Account:
    """An officer at HQ, who reports (and may not triage)."""
    return hq.user("olu", "officer", ["HQ"])


@pytest.fixture
def api(hq: Factory) -> Account:
    """A dispatcher at HQ who checks through the API what the pages did."""
    return hq.user("api", "dispatcher", ["HQ"])


def show(web: TestClient, number: str) -> str:
    page = web.get(f"/incidents/{number}")
    assert page.status_code == 200
    return page.text


def section(html: str, sec_id: str) -> str:
    """The HTML of the page section with this id."""
    match = re.search(rf'<section[^>]*id="{sec_id}".*?</section>', html, re.S)
    assert match, f"no section #{sec_id}"
    return match.group(0)


def part(html: str, pattern: str) -> str:
    """The first piece of `html` matching `pattern`."""
    match = re.search(pattern, html, re.S)
    assert match, f"nothing matches {pattern!r}"
    return match.group(0)


def text(html: str) -> str:
    """What a reader sees of `html`: the words, entities decoded, spaces squeezed."""
    return unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html)).strip())


def incident(client: TestClient, account: Account, number: str) -> Any:
    r = client.get(f"/api/v1/incidents/{number}", headers=account.headers)
    assert r.status_code == 200, r.text
    return r.json()


def entries(client: TestClient, account: Account, number: str) -> list[str]:
    r = client.get(f"/api/v1/incidents/{number}/timeline", headers=account.headers)
    return [e["kind"] for e in r.json()]


# --- classify --------------------------------------------------------------------------


def test_the_classify_panel_offers_the_types_by_category(
    web: TestClient, hq: Factory, olu: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    page = show(web, number)
    section_html = part(page, r'<section class="sec sec-actions".*?</section>')
    actions = text(section_html)
    assert "1 Classify: what kind of incident is it?" in actions
    assert actions.index("Classify") < actions.index("Then triage it") < actions.index("Triage")
    assert '<optgroup label="Security">' in section_html
    assert 'value="theft.vehicle" data-impact="4" data-urgency="3"' in section_html
    assert "Theft › Theft from a vehicle" in section_html
    assert "Sexual assault · restricted (safeguarding)" in section_html
    assert 'value="security"' not in section_html  # a category is not a type
    assert 'id="classification"' not in page  # the panel is in the next step for now


def test_classifying_sets_the_type_and_the_priority(
    web: TestClient, hq: Factory, olu: Account, api: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    r = classify(web, number, "intrusion")
    assert r.headers["location"] == f"/incidents/{number}"
    page = show(web, number)
    assert '<p class="type-line">Security › Intrusion</p>' in page
    assert 'class="prio prio-1 prio-big"' in page
    assert "Impact 2 · urgency 1" in text(section(page, "classification"))
    assert "from the matrix" in page and "Classified" in text(section(page, "timeline"))
    body = incident(web, api, number)
    assert (body["type"]["code"], body["impact"], body["urgency"], body["priority"]) == (
        "intrusion",
        2,
        1,
        1,
    )


def test_the_report_suggests_types_and_similar_incidents(
    web: TestClient, hq: Factory, olu: Account, api: Account
) -> None:
    earlier = hq.incident(olu, title="Bag stolen from a car in the car park")
    secret = hq.incident(olu, title="Assault reported in the car park, bag stolen")
    coincidence = hq.incident(olu, title="Window cleaner stuck on the roof")  # one word
    number = hq.incident(
        olu, title="Car window smashed, bag stolen from the vehicle", description="Car park P2"
    )
    sign_in(web, "dana")
    classify(web, earlier, "theft.vehicle")
    classify(web, secret, "assault")  # restricted: dana is not cleared, it leaves her sight
    page = show(web, number)
    offered = re.findall(r'name="suggested" value="([^"]+)"', page)
    assert offered and offered[0] == "theft.vehicle"
    listed = text(section(page, "similar"))
    assert earlier in listed and "Bag stolen from a car" in listed
    assert number not in listed  # not itself
    assert coincidence not in listed  # one shared word is not similar
    assert secret not in listed and "Assault" not in listed  # restricted stays hidden
    r = post_form(web, number, "classify", suggested="no.such.type")
    assert r.status_code == 422 and "no.such.type" in alert(r.text)
    assert incident(web, api, number)["type"] is None  # nothing half-applied
    r = post_form(web, number, "classify", suggested="theft.vehicle", impact="1")
    assert r.status_code == 303
    body = incident(web, api, number)
    assert (body["type"]["code"], body["impact"], body["urgency"]) == ("theft.vehicle", 4, 3)
    page = show(web, number)  # classified: no more suggestions
    assert 'name="suggested"' not in page and 'id="similar"' not in page


def test_an_officer_gets_no_suggestions(web: TestClient, hq: Factory, olu: Account) -> None:
    hq.incident(olu, title="Bag stolen from a car")
    number = hq.incident(olu, title="Bag stolen from a car again")
    sign_in(web, "olu")
    page = show(web, number)
    assert 'name="suggested"' not in page and 'id="similar"' not in page
    r = post_form(web, number, "classify", suggested="theft.vehicle")
    assert r.status_code == 403


def test_impact_and_urgency_chosen_by_hand_give_their_priority(
    web: TestClient, hq: Factory, olu: Account, api: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    classify(web, number, "theft", impact="5", urgency="4")
    body = incident(web, api, number)
    assert (body["impact"], body["urgency"], body["priority"]) == (5, 4, 4)
    classify(web, number, "theft.vehicle")  # reclassify: defaults again
    page = show(web, number)
    assert "Reclassified" in page and "<del>Theft</del>" in page


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"type": ""}, "Choose the type of incident from the list"),
        ({"type": "nope"}, "unknown incident type 'nope'"),
        ({"type": "security"}, "is a category: choose a type or subtype under it"),
        ({"type": "theft", "impact": "9"}, "'9' is not a value from 1 to 5"),
    ],
)
def test_a_bad_classification_changes_nothing_and_says_why(
    web: TestClient,
    hq: Factory,
    olu: Account,
    api: Account,
    fields: dict[str, str],
    message: str,
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    r = post_form(web, number, "classify", **fields)
    assert r.status_code == 422
    assert alert(r.text).startswith("Not classified")
    assert message.lower() in unescape(alert(r.text)).lower()
    assert incident(web, api, number)["type"] is None
    assert entries(web, api, number) == ["created"]


def test_an_officer_sees_no_classify_panel_and_may_not_post_it(
    web: TestClient, hq: Factory, olu: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "olu")
    page = show(web, number)
    assert "Classify: what kind" not in page and "/classify" not in page
    assert ">Acknowledge</button>" not in page
    r = post_form(web, number, "classify", type="theft")
    assert r.status_code == 403 and "may not classify incidents" in alert(r.text)


# --- priority ------------------------------------------------------------------------------


def test_the_priority_follows_impact_and_urgency_or_an_override_with_a_reason(
    web: TestClient, hq: Factory, olu: Account, api: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    classify(web, number, "theft")  # 3 x 3: P3
    assert post_form(web, number, "priority", impact="1", urgency="2").status_code == 303
    assert incident(web, api, number)["priority"] == 1
    r = post_form(web, number, "priority", impact="1", urgency="2", priority="4", reason="")
    assert r.status_code == 422
    assert "overriding the priority needs a reason" in alert(r.text).lower()
    assert re.search(r'<details class="edit" open>\s*<summary>Change the priority', r.text)
    assert '<option value="4" selected>P4</option>' in r.text  # what was chosen stays
    reason = "Owner confirmed: an empty car, nothing taken"
    r = post_form(web, number, "priority", impact="1", urgency="2", priority="4", reason=reason)
    assert r.status_code == 303
    body = incident(web, api, number)
    assert (body["priority"], body["priority_reason"]) == (4, reason)
    page = show(web, number)
    assert "set by hand" in page and reason in text(section(page, "classification"))
    assert "Priority overridden" in text(section(page, "timeline"))


def test_a_priority_needs_a_type_first(web: TestClient, hq: Factory, olu: Account) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    r = post_form(web, number, "priority", impact="1", urgency="1")
    assert r.status_code == 422 and "a priority needs a type" in alert(r.text)


# --- acknowledge -----------------------------------------------------------------------------


def test_acknowledging_a_new_incident(
    web: TestClient, hq: Factory, olu: Account, api: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    page = show(web, number)
    assert ">Acknowledge</button>" in page
    assert post_form(web, number, "acknowledge").status_code == 303
    page = show(web, number)
    assert ">Acknowledge</button>" not in page
    assert re.search(r"Acknowledged</span>\s*<span><time", page)
    assert incident(web, api, number)["acknowledged"]["by"]["username"] == "dana"
    assert entries(web, api, number) == ["created", "acknowledged"]


# --- assessment ------------------------------------------------------------------------------


def test_the_assessment_is_recorded_and_unblocks_resolving(
    web: TestClient, hq: Factory, olu: Account, api: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    classify(web, number, "theft")
    page = show(web, number)
    assert "Nothing recorded yet" in section(page, "assessment")
    fields = {
        "immediate_actions": "Cordoned the car park level",
        "risks": "Repeat thefts tonight",
        "suspected_root_cause": "",
        "recommended_solution": "Patrol P2 hourly",
        "parties_informed": "Duty manager\n\n  Police, ref 4471  \n",
    }
    r = post_form(web, number, "assessment", **fields)
    assert r.status_code == 303 and r.headers["location"].endswith("#assessment")
    record = web.get(f"/api/v1/incidents/{number}/assessment", headers=api.headers).json()
    assert record["parties_informed"] == ["Duty manager", "Police, ref 4471"]
    assert record["risks"] == "Repeat thefts tonight"
    page = show(web, number)
    shown = text(section(page, "assessment"))
    assert "Immediate actions taken Cordoned the car park level" in shown
    assert "Suspected root cause" not in shown.split("Edit the assessment")[0]
    assert "<li>Police, ref 4471</li>" in section(page, "assessment")
    assert "Assessment recorded" in text(section(page, "timeline"))
    post_form(web, number, "assessment", **{**fields, "risks": "None now"})
    assert "Assessment updated" in text(section(show(web, number), "timeline"))


def test_resolving_waits_for_the_required_fields_and_says_which(
    web: TestClient, hq: Factory, olu: Account
) -> None:
    number = hq.incident(olu)
    sign_in(web, "dana")
    classify(web, number, "intrusion")
    move(web, number, "triaged")
    move(web, number, "responding")
    page = show(web, number)
    assert re.search(r'class="btn btn-move btn-resolve" disabled', page)
    why = text(part(page, r'<div class="blocked" id="why-resolve">.*?</div>'))
    assert "immediate actions taken (assessment)" in why
    assert "Mandatory playbook steps are still open: Secure the area" in why
    assert "Needed before it can be resolved: immediate actions taken." in page
    r = move(web, number, "resolved", resolution_code="resolved")
    assert r.status_code == 409 and "immediate actions taken (assessment)" in alert(r.text)


# --- restricted types ------------------------------------------------------------------------


def test_classifying_as_a_restricted_type_hides_it_from_the_uncleared(
    web: TestClient, hq: Factory, olu: Account
) -> None:
    hq.user("sam", "supervisor", ["HQ"], clearances=["safeguarding"])
    number = hq.incident(olu, title="Zebra assault in stairwell")
    other = hq.incident(olu, title="Zebra poster defaced")
    sign_in(web, "dana")
    r = classify(web, number, "assault")
    assert r.headers["location"] == f"/incidents?restricted={number}"
    queue = web.get(r.headers["location"]).text
    assert f"{number} is now restricted" in queue
    assert rows(queue) == [other]
    assert rows(web.get("/incidents", params={"q": "zebra"}).text) == [other]
    assert rows(web.get("/incidents", params={"type": "assault"}).text) == []
    assert web.get(f"/incidents/{number}").status_code == 404
    web.cookies.clear()
    sign_in(web, "sam")
    page = show(web, number)
    assert '<span class="restricted"' in page and "Restricted: safeguarding" in page
    assert number in rows(web.get("/incidents").text)


# --- service targets ------------------------------------------------------------------------


def report_earlier(hq: Factory, account: Account, minutes: int, title: str, kind: str) -> str:
    """An incident reported and classified `minutes` ago (its clocks started then)."""
    at = utcnow() - timedelta(minutes=minutes)
    with hq.db.transaction() as s:
        data = IncidentCreate(title=title, site="HQ")
        number = incidents_service.report(s, principal=account.principal, data=data, now=at).number
        classify_in = ClassifyIn(type=kind)
        triage.classify(s, principal=account.principal, number=number, data=classify_in, now=at)
    return number


def countdowns(html: str) -> dict[str, str]:
    """Each countdown's kind and colour: {'Acknowledge': 'breach', ...}."""
    found = re.findall(
        r'<span class="due due-(\w+)" data-due="[^"]+"[^>]*>\s*<span class="due-kind">([^<]+)', html
    )
    return {kind: state for state, kind in found}


def test_countdowns_show_the_due_time_and_turn_amber_and_red(
    web: TestClient, hq: Factory, api: Account
) -> None:
    late = report_earlier(hq, api, 90, "Laptop gone", "theft")  # P3: ack 15 min, on scene 60
    tight = report_earlier(hq, api, 13, "Bike gone", "theft")  # 2 of 15 minutes left
    calm = report_earlier(hq, api, 0, "Car gone", "theft.vehicle")  # P3: 15 minutes to go
    sign_in(web, "dana")
    queue = web.get("/incidents").text
    for number, state in ((late, "breach"), (tight, "warn"), (calm, "ok")):
        row = queue[queue.index(f'href="/incidents/{number}"') :].split("</a>")[0]
        assert countdowns(row) == {"Acknowledge": state}, number
    row = queue[queue.index(f'href="/incidents/{late}"') :].split("</a>")[0]
    assert "overdue since" in row  # without JS: the due time
    head = re.search(r'<header class="incident-head.*?</header>', show(web, late), re.S)
    assert head and countdowns(head.group(0)) == {
        "Acknowledge": "breach",
        "On scene": "breach",
        "Resolve": "ok",
    }
    clocks = text(section(show(web, calm), "clocks"))
    for part_ in ("Acknowledge", "target 15 min", "On scene", "target 1 h", "target 1 d"):
        assert part_ in clocks, part_


def test_pausing_and_resuming_the_clocks(web: TestClient, hq: Factory, api: Account) -> None:
    number = report_earlier(hq, api, 1, "Lock broken, locksmith called", "theft")
    sign_in(web, "dana")
    r = post_form(web, number, "clocks/pause", reason="  ")
    assert r.status_code == 422 and "a reason is required" in alert(r.text)
    reason = "Waiting for the locksmith"
    assert post_form(web, number, "clocks/pause", reason=reason).status_code == 303
    page = show(web, number)
    assert "Resume the clocks" in page and "due due-paused" in page
    timeline = text(section(page, "timeline"))
    assert "Clocks paused" in timeline and reason in timeline
    assert post_form(web, number, "clocks/pause", reason=reason).status_code == 409
    assert post_form(web, number, "clocks/resume").status_code == 303
    page = show(web, number)
    assert "Clocks resumed" in text(section(page, "timeline"))
    assert "Pause the clocks" in page
    clocks = web.get(f"/api/v1/incidents/{number}/clocks", headers=api.headers).json()
    assert not any(c["paused"] for c in clocks)
