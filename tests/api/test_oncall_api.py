"""On-call schedules through the API on a real database: who is on call now and at T
(across a daylight-saving change), shifts, overrides, the calendar feed, permissions,
and refusals that store nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime, timedelta

import icalendar
import pytest

BERLIN_WEEKLY = {
    "name": "Control room supervisors",
    "timezone": "Europe/Berlin",
    "layers": [
        {
            "name": "weekly",
            "participants": ["sam", "kim"],
            "start_date": "2026-10-19",
            "handoff": "08:00",
            "length": 7,
            "unit": "days",
        }
    ],
}


@pytest.fixture
def people(factory):
    factory.site("HQ")
    return {
        "admin": factory.user("root", "admin", all_sites=True),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
        "kim": factory.user("kim", "supervisor", ["HQ"]),
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "rita": factory.user("rita", "reporter", ["HQ"]),
    }


def create(client, people, body=BERLIN_WEEKLY, who="sam"):
    r = client.post("/api/v1/schedules", json=body, headers=people[who].headers)
    assert r.status_code == 201, r.text
    return r.json()


def test_who_is_on_call_at_a_time_follows_the_rotation_across_the_dst_change(client, people):
    made = create(client, people)
    assert made["on_call"]["schedule"] == "Control room supervisors"
    # sam 19 Oct 08:00 CEST - 26 Oct 08:00 CET (clocks went back on 25 Oct): 169 hours
    r = client.get(
        f"/api/v1/schedules/{made['id']}/on-call",
        params={"at": "2026-10-25T12:00:00+01:00"},
        headers=people["dana"].headers,
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["user"]["username"] == "sam"
    since = datetime.fromisoformat(body["since"])
    until = datetime.fromisoformat(body["until"])
    assert since == datetime(2026, 10, 19, 6, 0, tzinfo=UTC)  # 08:00 CEST
    assert until == datetime(2026, 10, 26, 7, 0, tzinfo=UTC)  # 08:00 CET
    assert until - since == timedelta(hours=169)
    assert body["source"] == "layer 1"
    r = client.get(
        "/api/v1/schedules/Control room supervisors/on-call",
        params={"at": "2026-10-26T08:30:00+01:00"},
        headers=people["dana"].headers,
    )
    assert r.json()["user"]["username"] == "kim"


def test_shifts_of_a_stretch_and_an_override(client, people):
    made = create(client, people)
    ref = made["id"]
    start = datetime.now(UTC) + timedelta(days=1)
    r = client.post(
        f"/api/v1/schedules/{ref}/overrides",
        json={
            "user": "dana",
            "start": start.isoformat(),
            "end": (start + timedelta(hours=6)).isoformat(),
            "reason": "sam at the dentist",
        },
        headers=people["sam"].headers,
    )
    assert r.status_code == 201, r.text
    override = r.json()
    r = client.get(
        f"/api/v1/schedules/{ref}/on-call",
        params={"at": (start + timedelta(hours=1)).isoformat()},
        headers=people["dana"].headers,
    )
    assert (r.json()["user"]["username"], r.json()["source"]) == ("dana", "override")
    r = client.get(
        f"/api/v1/schedules/{ref}/shifts",
        params={"start": start.isoformat(), "end": (start + timedelta(days=1)).isoformat()},
        headers=people["dana"].headers,
    )
    shifts = r.json()
    assert shifts[0]["user"]["username"] == "dana" and shifts[0]["source"] == "override"
    assert all(a["end"] == b["start"] for a, b in itertools.pairwise(shifts))
    listed = client.get(f"/api/v1/schedules/{ref}", headers=people["dana"].headers).json()
    assert [o["reason"] for o in listed["overrides"]] == ["sam at the dentist"]
    r = client.delete(
        f"/api/v1/schedules/{ref}/overrides/{override['id']}", headers=people["sam"].headers
    )
    assert r.status_code == 204
    listed = client.get(f"/api/v1/schedules/{ref}", headers=people["dana"].headers).json()
    assert listed["overrides"] == []


def test_on_call_everywhere_and_nobody_outside_a_restricted_layer(client, people):
    nights = {
        "name": "Nights",
        "timezone": "Europe/Berlin",
        "layers": [
            {
                "participants": ["kim"],
                "start_date": "2026-11-02",
                "handoff": "00:00",
                "length": 1,
                "restrictions": [{"days": [0, 1, 2, 3, 4], "start": "18:00", "end": "08:00"}],
            }
        ],
    }
    create(client, people, nights)
    create(client, people)
    r = client.get(
        "/api/v1/on-call",
        params={"at": "2026-11-25T12:00:00+01:00"},  # a Wednesday noon
        headers=people["dana"].headers,
    )
    by_name = {o["schedule"]: o for o in r.json()}
    assert by_name["Nights"]["user"] is None and by_name["Nights"]["until"] is None
    assert by_name["Control room supervisors"]["user"]["username"] in ("sam", "kim")
    listed = client.get("/api/v1/schedules", headers=people["dana"].headers).json()
    nights_out = next(s for s in listed if s["name"] == "Nights")
    assert nights_out["layers"][0]["restrictions"][0]["text"] == (
        "Monday, Tuesday, Wednesday, Thursday, Friday 18:00-08:00 (next day)"
    )


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"timezone": "Mars/Olympus"}, "time zone"),
        ({"layers": [{**BERLIN_WEEKLY["layers"][0], "participants": ["ghost"]}]}, "ghost"),
        ({"layers": [{**BERLIN_WEEKLY["layers"][0], "handoff": "25:00"}]}, "handoff"),
        ({"layers": [{**BERLIN_WEEKLY["layers"][0], "length": 0}]}, "length"),
        (
            {
                "layers": [
                    {
                        **BERLIN_WEEKLY["layers"][0],
                        "restrictions": [{"days": [9], "start": "08:00", "end": "18:00"}],
                    }
                ]
            },
            "Sunday",
        ),
        ({"layers": []}, "layers"),
        ({"name": "42"}, "number"),
    ],
)
def test_bad_schedules_are_refused_and_nothing_is_stored(client, people, change, needle):
    r = client.post(
        "/api/v1/schedules", json={**BERLIN_WEEKLY, **change}, headers=people["sam"].headers
    )
    assert r.status_code == 422, r.text
    assert r.headers["content-type"].startswith("application/problem+json")
    assert needle.lower() in r.text.lower()
    assert client.get("/api/v1/schedules", headers=people["sam"].headers).json() == []


def test_bad_questions_and_overrides_are_refused(client, people):
    ref = create(client, people)["id"]
    headers = people["sam"].headers
    naive = client.get(
        f"/api/v1/schedules/{ref}/on-call", params={"at": "2026-11-28T09:00"}, headers=headers
    )
    assert naive.status_code == 422  # which time zone? an instant needs its offset
    too_long = client.get(
        f"/api/v1/schedules/{ref}/shifts",
        params={"start": "2026-01-01T00:00:00Z", "end": "2026-12-31T00:00:00Z"},
        headers=headers,
    )
    assert too_long.status_code == 422 and "92 days" in too_long.text
    past = client.post(
        f"/api/v1/schedules/{ref}/overrides",
        json={"user": "kim", "start": "2020-01-01T00:00:00Z", "end": "2020-01-02T00:00:00Z"},
        headers=headers,
    )
    assert past.status_code == 422 and "future" in past.text
    backwards = client.post(
        f"/api/v1/schedules/{ref}/overrides",
        json={"user": "kim", "start": "2030-01-02T00:00:00Z", "end": "2030-01-01T00:00:00Z"},
        headers=headers,
    )
    assert backwards.status_code == 422 and "end after it starts" in backwards.text
    assert client.get(f"/api/v1/schedules/{ref}", headers=headers).json()["overrides"] == []
    assert client.get("/api/v1/schedules/999/on-call", headers=headers).status_code == 404


def test_who_may_do_what(client, people):
    r = client.post("/api/v1/schedules", json=BERLIN_WEEKLY, headers=people["dana"].headers)
    assert r.status_code == 403
    ref = create(client, people)["id"]
    assert client.get("/api/v1/on-call", headers=people["rita"].headers).status_code == 403
    assert client.get("/api/v1/on-call").status_code == 401
    r = client.delete(f"/api/v1/schedules/{ref}", headers=people["dana"].headers)
    assert r.status_code == 403
    assert (
        client.delete(f"/api/v1/schedules/{ref}", headers=people["admin"].headers).status_code
        == 204
    )


def test_replacing_a_schedule_checks_the_version(client, people):
    made = create(client, people)
    ref = made["id"]
    changed = {
        **BERLIN_WEEKLY,
        "layers": [{**BERLIN_WEEKLY["layers"][0], "participants": ["kim", "sam"]}],
    }
    ok = client.put(
        f"/api/v1/schedules/{ref}",
        json=changed,
        headers={**people["sam"].headers, "If-Match": '"1"'},
    )
    assert ok.status_code == 200 and ok.headers["ETag"] == '"2"'
    stale = client.put(
        f"/api/v1/schedules/{ref}",
        json=BERLIN_WEEKLY,
        headers={**people["kim"].headers, "If-Match": '"1"'},
    )
    assert stale.status_code == 409 and "changed by someone else" in stale.text
    now = client.get(f"/api/v1/schedules/{ref}", headers=people["sam"].headers).json()
    assert [p["username"] for p in now["layers"][0]["participants"]] == ["kim", "sam"]


def test_a_person_s_shifts_as_a_calendar(client, people):
    create(client, people)
    r = client.get("/api/v1/users/sam/shifts.ics", headers=people["sam"].headers)
    assert r.status_code == 200
    assert r.headers["content-type"].startswith("text/calendar")
    cal = icalendar.Calendar.from_ical(r.content)
    events = [c for c in cal.walk("VEVENT")]
    assert events, "sam has shifts every other week"
    assert all(str(e["SUMMARY"]) == "On call: Sam" for e in events)
    assert all("Control room supervisors (layer 1)" in str(e["DESCRIPTION"]) for e in events)
    durations = [e["DTEND"].dt - e["DTSTART"].dt for e in events]
    assert max(durations) <= timedelta(hours=169)  # the feed's window may clip the ends
    assert any(d >= timedelta(hours=167) for d in durations)  # whole weeks in between
    # someone else's calendar: only for schedule managers
    assert (
        client.get("/api/v1/users/sam/shifts.ics", headers=people["dana"].headers).status_code
        == 403
    )
    assert (
        client.get("/api/v1/users/sam/shifts.ics", headers=people["kim"].headers).status_code == 200
    )
