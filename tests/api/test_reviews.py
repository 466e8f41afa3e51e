"""Post-incident reviews through the API: opened on resolve, approved, actions to done,
the closing gate, versions, permissions, bad input and scoping."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.api.test_incidents import assert_problem, classify, move, report


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("LAB")
    return factory


@pytest.fixture
def dana(org):
    return org.user("dana", "dispatcher", ["HQ"])


@pytest.fixture
def ann(org):
    return org.user("ann", "analyst", ["HQ"])


@pytest.fixture
def sam(org):
    return org.user("sam", "supervisor", ["HQ"])


@pytest.fixture
def root(org):
    return org.user("root", "admin", all_sites=True)


def resolved(client, dana, *, impact=1):
    number = report(client, dana)["number"]
    classify(client, dana, number, impact=impact, urgency=impact)
    for body in ({"to": "triaged"}, {"to": "responding"}):
        assert move(client, dana, number, **body).status_code == 200
    r = move(client, dana, number, to="resolved", resolution_code="resolved", reason="Fixed")
    assert r.status_code == 200, r.text
    return number


def url(number, tail=""):
    return f"/api/v1/incidents/{number}/review{tail}"


SECTIONS = {
    "summary": "Door forced overnight; found at 06:00.",
    "root_causes": ["Lock worn", " "],
    "contributing_factors": ["No patrol between 02:00 and 06:00"],
    "went_well": "Fast dispatch",
    "went_badly": "Late detection",
    "lessons": "Check locks monthly",
}


def kinds(client, account, number):
    r = client.get(f"/api/v1/incidents/{number}/timeline", headers=account.headers)
    return [e["kind"] for e in r.json()]


def test_review_runs_to_approval_and_gates_closing(client, dana, ann, sam):
    number = resolved(client, dana)
    r = client.get(url(number), headers=ann.headers)
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "draft" and r.json()["required"] is True
    closing = move(client, sam, number, to="closed")
    assert_problem(closing, 409, "approved post-incident review", f"/incidents/{number}/review")
    etag = r.headers["ETag"]
    r = client.put(url(number), json=SECTIONS, headers={**ann.headers, "If-Match": etag})
    assert r.status_code == 200, r.text
    assert r.json()["root_causes"] == ["Lock worn"] and r.json()["authors"] == ["ann"]
    stale = client.put(url(number), json=SECTIONS, headers={**ann.headers, "If-Match": etag})
    assert_problem(stale, 412, "changed by someone else")
    assert client.post(url(number, "/submit"), headers=ann.headers).status_code == 200
    assert client.put(url(number), json=SECTIONS, headers=ann.headers).status_code == 409
    back = client.post(
        url(number, "/return"), json={"reason": "Add the timeline"}, headers=sam.headers
    )
    assert back.status_code == 200 and back.json()["return_reason"] == "Add the timeline"
    assert back.json()["status"] == "draft"
    assert client.post(url(number, "/submit"), headers=ann.headers).status_code == 200
    ok = client.post(url(number, "/approve"), headers=sam.headers)
    assert ok.status_code == 200, ok.text
    assert ok.json()["approved_by"] == "sam" and ok.json()["approved_at"]
    assert move(client, sam, number, to="closed").status_code == 200
    assert [k for k in kinds(client, sam, number) if k.startswith("review")] == [
        "review_opened",
        "review_updated",
        "review_submitted",
        "review_returned",
        "review_submitted",
        "review_approved",
    ]


def test_actions_are_tracked_to_done(client, dana, ann, sam):
    number = resolved(client, dana)
    due = (date.today() + timedelta(days=7)).isoformat()
    r = client.post(
        url(number, "/actions"),
        json={"title": "Replace lock", "owner": "dana", "due_on": due},
        headers=ann.headers,
    )
    assert r.status_code == 201, r.text
    action = r.json()
    assert action["status"] == "open" and action["owner"] == "dana" and not action["overdue"]
    path = f"/api/v1/review-actions/{action['id']}"
    etag = r.headers["ETag"]
    r = client.patch(
        path, json={"status": "in_progress"}, headers={**dana.headers, "If-Match": etag}
    )
    assert r.status_code == 200, r.text
    stale = client.patch(path, json={"status": "done"}, headers={**dana.headers, "If-Match": etag})
    assert_problem(stale, 412)
    assert_problem(
        client.patch(path, json={"status": "cancelled"}, headers=dana.headers), 422, "why"
    )
    done = client.patch(
        path, json={"status": "done", "note": "New lock fitted"}, headers=dana.headers
    )
    assert done.status_code == 200 and done.json()["note"] == "New lock fitted"
    assert_problem(client.patch(path, json={"status": "open"}, headers=dana.headers), 409)
    mine = client.get("/api/v1/review-actions?owner=me", headers=dana.headers).json()
    assert [a["status"] for a in mine] == ["done"]
    listed = client.get(url(number, "/actions"), headers=sam.headers).json()
    assert [a["title"] for a in listed] == ["Replace lock"]


def test_open_on_demand_and_the_policy(client, dana, ann, root):
    number = resolved(client, dana, impact=4)
    assert client.get(url(number), headers=ann.headers).status_code == 404  # not required
    assert move(client, root, number, to="closed").status_code == 200  # no gate
    r = client.post(url(number), headers=ann.headers)
    assert r.status_code == 201 and r.json()["required"] is False
    assert_problem(client.post(url(number), headers=ann.headers), 409, "already")
    policy = client.get("/api/v1/review-policy", headers=root.headers)
    assert policy.json()["priorities"] == [1, 2]
    bad = {"priorities": [1], "types": ["nope"]}
    assert_problem(client.put("/api/v1/review-policy", json=bad, headers=root.headers), 422)
    assert client.get("/api/v1/review-policy", headers=root.headers).json()["priorities"] == [1, 2]
    good = {"priorities": [1], "types": ["theft"], "gap_minutes": 45}
    headers = {**root.headers, "If-Match": policy.headers["ETag"]}
    assert client.put("/api/v1/review-policy", json=good, headers=headers).status_code == 200
    assert_problem(client.put("/api/v1/review-policy", json=good, headers=headers), 412)
    assert client.get("/api/v1/review-policy", headers=ann.headers).status_code == 403


def test_permissions_bad_input_and_scope(client, org, dana, ann, sam):
    number = resolved(client, dana)
    assert_problem(client.put(url(number), json=SECTIONS, headers=dana.headers), 403)
    assert_problem(client.post(url(number, "/submit"), headers=ann.headers), 422, "summary")
    client.put(url(number), json=SECTIONS, headers=ann.headers)
    client.post(url(number, "/submit"), headers=ann.headers)
    assert_problem(client.post(url(number, "/approve"), headers=ann.headers), 403)
    assert_problem(
        client.post(url(number, "/return"), json={"reason": " "}, headers=sam.headers), 422
    )
    before = client.get(url(number), headers=ann.headers).json()
    bad = {"title": "", "owner": "nobody", "due_on": "2026-13-01"}
    assert_problem(client.post(url(number, "/actions"), json=bad, headers=ann.headers), 422)
    unknown = {"title": "X", "owner": "nobody", "due_on": "2026-12-01"}
    assert_problem(
        client.post(url(number, "/actions"), json=unknown, headers=ann.headers), 422, "nobody"
    )
    after = client.get(url(number), headers=ann.headers).json()
    assert after["actions"] == [] and after["version"] == before["version"]
    lab = org.user("lou", "supervisor", ["LAB"])
    assert_problem(client.get(url(number), headers=lab.headers), 404)
    assert_problem(client.post(url(number, "/approve"), headers=lab.headers), 404)
    rows = client.get("/api/v1/reviews", headers=lab.headers).json()
    assert rows == []
    rows = client.get("/api/v1/reviews?status=submitted", headers=sam.headers).json()
    assert [r["number"] for r in rows] == [number]


def test_the_only_author_may_not_approve(client, dana, sam):
    number = resolved(client, dana)
    client.put(url(number), json=SECTIONS, headers=sam.headers)
    client.post(url(number, "/submit"), headers=sam.headers)
    assert_problem(client.post(url(number, "/approve"), headers=sam.headers), 409, "another")


def test_the_rebuilt_timeline(client, dana, ann):
    number = resolved(client, dana)
    r = client.get(url(number, "/timeline"), headers=ann.headers)
    assert r.status_code == 200, r.text
    names = {m["name"]: m for m in r.json()["milestones"]}
    assert names["reported"]["after_minutes"] == 0
    assert names["triaged"]["at"] and names["resolved"]["at"]
    assert names["on scene"]["at"] is None
    assert r.json()["gaps"] == []
    assert any("triage" in s["what"] for s in r.json()["steps"])


def test_pages_show_the_review_and_keep_refused_input(client, dana, ann, sam):
    from tests.api.test_pages import sign_in, token_of

    number = resolved(client, dana)
    client.post(
        url(number, "/actions"),
        json={"title": "Fix the lock", "owner": "dana", "due_on": "2020-01-01"},
        headers=ann.headers,
    )
    client.headers["accept"] = "text/html"
    assert sign_in(client, "ann").status_code == 303
    page = client.get(f"/incidents/{number}/review")
    assert page.status_code == 200
    assert "Response milestones" in page.text and "Fix the lock" in page.text
    assert "rv-late" in page.text  # the overdue action is flagged
    token = token_of(client, f"/incidents/{number}/review")
    form = {"csrf_token": token, "title": "Check doors", "owner": "dana", "due_on": "31/12"}
    r = client.post(f"/incidents/{number}/review/actions/new", data=form)
    assert r.status_code == 422 and "Due date" in r.text and 'value="Check doors"' in r.text
    saved = {"csrf_token": token, "summary": "Lock failed", "root_causes": "Worn lock\nNo check"}
    r = client.post(f"/incidents/{number}/review", data=saved, follow_redirects=False)
    assert r.status_code == 303
    r = client.post(f"/incidents/{number}/review/submit", data={"csrf_token": token})
    assert r.status_code == 200 and "Submitted for approval" in r.text
    listing = client.get("/reviews")
    assert listing.status_code == 200 and number in listing.text and "overdue" in listing.text
    assert client.get(f"/api/v1/incidents/{number}/review", headers=ann.headers).json()[
        "root_causes"
    ] == ["Worn lock", "No check"]
