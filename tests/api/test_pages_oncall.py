"""The on-call page (`/on-call`) and the secret calendar links, on a real database: who is
on call now, until when and why; Nobody; the coming week; my next shifts; overrides added
through the form (times typed in the schedule's zone, CSRF) and removed; refused forms
that keep what was typed and store nothing; who may do what; and the calendar feed at a
secret URL that needs no sign-in, rotated and stopped."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from murphy.core import security
from murphy.core.db import Database
from murphy.oncall import service
from murphy.oncall.models import CalendarFeed
from murphy.oncall.schemas import OverrideIn, ScheduleIn
from murphy.settings import Settings
from murphy.users.models import User
from murphy.web.templating import relative, within
from tests.api.test_pages import hidden, sign_in
from tests.api.test_pages_triage import text
from tests.factories import Account, Factory

BERLIN = ZoneInfo("Europe/Berlin")
PAGE = "/on-call"


@pytest.fixture
def people(factory: Factory) -> dict[str, Account]:
    factory.site("HQ")
    return {
        "root": factory.user("root", "admin", all_sites=True),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
        "kim": factory.user("kim", "supervisor", ["HQ"]),
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "rita": factory.user("rita", "reporter", ["HQ"]),
    }


def today() -> date:
    return datetime.now(BERLIN).date()


def berlin(day: date, clock: str) -> datetime:
    """A Berlin wall-clock time as a UTC instant."""
    hour, minute = map(int, clock.split(":"))
    wall = datetime(day.year, day.month, day.day, hour, minute, tzinfo=BERLIN)
    return wall.astimezone(UTC)


def weekly(name: str = "Control room supervisors", start: date | None = None) -> ScheduleIn:
    """sam from three days ago at 08:00 for a week, then kim: sam is on call now."""
    first = start or today() - timedelta(days=3)
    layer = {
        "name": "weekly",
        "participants": ["sam", "kim"],
        "start_date": first.isoformat(),
        "handoff": "08:00",
        "length": 7,
        "unit": "days",
    }
    return ScheduleIn(name=name, timezone="Europe/Berlin", layers=[layer])  # type: ignore[list-item]


def nights() -> ScheduleIn:
    """kim from the day after tomorrow at 20:00: nobody is on call before."""
    layer = {
        "participants": ["kim"],
        "start_date": (today() + timedelta(days=2)).isoformat(),
        "handoff": "20:00",
        "length": 1,
    }
    return ScheduleIn(name="Nights", timezone="Europe/Berlin", layers=[layer])  # type: ignore[list-item]


def make(db: Database, who: Account, data: ScheduleIn) -> int:
    with db.transaction() as s:
        return service.create(s, principal=who.principal, data=data).id


def overrides(db: Database, who: Account, schedule_id: int) -> list[Any]:
    with db.transaction(write=False) as s:
        return service.get(s, principal=who.principal, ref=str(schedule_id)).overrides


def add_override(db: Database, who: Account, schedule_id: int, user: str, hours: int = 3) -> int:
    start = datetime.now(UTC) - timedelta(minutes=5)
    data = OverrideIn(user=user, start=start, end=start + timedelta(hours=hours), reason="swap")
    with db.transaction() as s:
        return service.add_override(s, principal=who.principal, ref=str(schedule_id), data=data).id


def card(html: str, schedule_id: int) -> str:
    """The HTML of one schedule's card."""
    found = re.search(
        rf'<section class="sec oc-card[^"]*" id="schedule-{schedule_id}".*?</section>', html, re.S
    )
    assert found, f"no card of schedule {schedule_id}"
    return found.group(0)


def part(html: str, css_class: str) -> str:
    """The text of the first element with `css_class` (a whole class name)."""
    found = re.search(
        rf'<(\w+) class="(?:[^"]* )?{css_class}(?: [^"]*)?"[^>]*>(.*?)</\1>', html, re.S
    )
    assert found, f"no {css_class} in the page"
    return text(found.group(2))


def rows(html: str) -> list[str]:
    """The text of each coming shift of a card, in order."""
    return [text(r) for r in re.findall(r'<li class="oc-row[^"]*">(.*?)</li>', html, re.S)]


def signed_in(web: TestClient, username: str) -> str:
    """Sign `username` in; the CSRF token of the on-call page's forms."""
    assert sign_in(web, username).status_code == 303
    page = web.get(PAGE)
    assert page.status_code == 200, page.text
    return hidden(page.text)


def local(at: datetime) -> str:
    """A UTC instant as a datetime-local value in Berlin."""
    return at.astimezone(BERLIN).strftime("%Y-%m-%dT%H:%M")


# --- who is on call ------------------------------------------------------------------------


def test_the_page_shows_who_is_on_call_until_when_and_why(
    web: TestClient, db: Database, people: dict[str, Account]
) -> None:
    ref = make(db, people["sam"], weekly())
    signed_in(web, "dana")
    html = web.get(PAGE).text
    assert 'href="/on-call" aria-current="page">On call</a>' in html
    mine = card(html, ref)
    assert "Control room supervisors" in mine and "Europe/Berlin" in mine
    assert part(mine, "oc-who") == "Sam"
    until = berlin(today() + timedelta(days=4), "08:00")
    since = berlin(today() - timedelta(days=3), "08:00")
    assert f'<time datetime="{until.isoformat()}"' in mine
    assert f"until {relative(until, 'Europe/Berlin')}" in part(mine, "oc-until")
    assert part(mine, "oc-since") == f"since {relative(since, 'Europe/Berlin')}"
    assert part(mine, "oc-why") == "Layer 1 “weekly”: turns of 7 days, handover at 08:00"
    coming = rows(mine)
    assert coming[0].startswith("Now –") and "Sam" in coming[0]
    assert coming[1].startswith(relative(until, "Europe/Berlin")) and "Kim" in coming[1]
    assert "Nobody" not in mine


def test_nobody_on_call_is_a_warning_with_who_comes_next(
    web: TestClient, db: Database, people: dict[str, Account]
) -> None:
    ref = make(db, people["sam"], nights())
    signed_in(web, "dana")
    mine = card(web.get(PAGE).text, ref)
    assert "oc-card-nobody" in mine
    assert part(mine, "oc-who") == "⚠ Nobody is on call"
    begins = berlin(today() + timedelta(days=2), "20:00")
    assert f"Next: Kim from {relative(begins, 'Europe/Berlin')}" in text(mine)
    coming = rows(mine)
    assert coming[0].startswith("Now –") and coming[0].endswith("Nobody")
    assert coming[1] == f"From {relative(begins, 'Europe/Berlin')} on Kim Layer 1"


def test_no_schedules_says_so(web: TestClient, people: dict[str, Account]) -> None:
    signed_in(web, "dana")
    assert "No on-call schedules yet" in web.get(PAGE).text


def test_your_next_shifts(web: TestClient, db: Database, people: dict[str, Account]) -> None:
    ref = make(db, people["sam"], weekly())
    signed_in(web, "kim")
    html = web.get(PAGE).text
    mine = re.search(r'<section class="sec oc-mine".*?</section>', html, re.S)
    assert mine
    shifts = rows(mine.group(0))
    kim_from = berlin(today() + timedelta(days=4), "08:00")
    assert shifts[0].startswith(relative(kim_from, "Europe/Berlin"))
    assert "Control room supervisors" in shifts[0]
    assert f'href="#schedule-{ref}"' in mine.group(0)
    web.post("/logout", data={"csrf_token": hidden(html)})
    signed_in(web, "sam")
    html = web.get(PAGE).text
    mine = re.search(r'<section class="sec oc-mine".*?</section>', html, re.S)
    assert mine and rows(mine.group(0))[0].startswith("Now –")


# --- overrides through the form --------------------------------------------------------------


def test_an_override_through_the_form_is_read_in_the_schedule_s_zone(
    web: TestClient, db: Database, people: dict[str, Account]
) -> None:
    ref = make(db, people["sam"], weekly())
    token = signed_in(web, "sam")
    start = datetime.now(UTC).replace(second=0, microsecond=0) - timedelta(minutes=10)
    end = start + timedelta(hours=3)
    form = {"csrf_token": token, "user": "dana", "start": local(start), "end": local(end)}
    r = web.post(
        f"{PAGE}/{ref}/overrides",
        data=form | {"reason": "sam at the dentist"},
        follow_redirects=False,
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"{PAGE}?added={ref}#schedule-{ref}"
    (made,) = overrides(db, people["sam"], ref)
    assert (made.user.username, made.start, made.end) == ("dana", start, end)
    assert made.created_by == "sam"
    html = web.get(r.headers["location"]).text
    assert "Override added" in html
    mine = card(html, ref)
    assert part(mine, "oc-who") == "Dana"
    assert part(mine, "oc-why") == "Override: sam at the dentist (set by sam)"
    assert f'action="/on-call/{ref}/overrides/{made.id}/remove"' in mine


def test_a_typed_time_the_clocks_skip_means_the_moment_they_jump(
    web: TestClient, db: Database, people: dict[str, Account]
) -> None:
    ref = make(db, people["sam"], weekly())
    token = signed_in(web, "sam")
    year = datetime.now(UTC).year + 1
    spring = max(date(year, 3, d) for d in range(25, 32) if date(year, 3, d).weekday() == 6)
    form = {"user": "kim", "start": f"{spring}T02:30", "end": f"{spring}T09:00"}
    r = web.post(f"{PAGE}/{ref}/overrides", data=form | {"csrf_token": token})
    assert r.status_code == 200, r.text  # the redirect, followed
    (made,) = overrides(db, people["sam"], ref)
    assert made.start == datetime(year, 3, spring.day, 1, 0, tzinfo=UTC)  # 03:00 CEST
    assert made.end == datetime(year, 3, spring.day, 7, 0, tzinfo=UTC)  # 09:00 CEST


def test_times_read_as_people_say_them() -> None:
    now = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)  # Saturday 03:00 in Berlin
    at = "Europe/Berlin"
    assert relative(datetime(2026, 11, 29, 7, 0, tzinfo=UTC), at, now) == "08:00 tomorrow"
    assert relative(datetime(2026, 11, 28, 6, 0, tzinfo=UTC), at, now) == "07:00 today"
    assert relative(datetime(2026, 11, 27, 21, 0, tzinfo=UTC), at, now) == "22:00 yesterday"
    assert relative(datetime(2026, 12, 7, 7, 0, tzinfo=UTC), at, now) == "Mon 7 Dec 08:00"
    late = datetime(2026, 11, 28, 23, 30, tzinfo=UTC)  # already Sunday in Berlin
    assert relative(late, at, now) == "00:30 tomorrow"
    assert relative(late, "America/New_York", now) == "18:30 tomorrow"  # now: Fri 21:00 there
    assert within(now + timedelta(seconds=30), now) == "in 1 min"
    assert within(now + timedelta(hours=3, minutes=20), now) == "in 3 h 20 min"
    assert within(now + timedelta(hours=13, minutes=5), now) == "in 13 h"
    assert within(now + timedelta(days=4, hours=1), now) == "in 4 d"
    assert within(now - timedelta(minutes=1), now) == "now"


@pytest.mark.parametrize(
    ("change", "needle"),
    [
        ({"end": -1}, "the end must be after the start"),
        ({"user": "ghost"}, "no active user 'ghost'"),
        ({"user": "rita", "end": 24 * 100}, "at most 92 days"),
        ({"start": -48, "end": -24}, "must end in the future"),
        ({"start": None}, "Start is required"),
        ({"end": "yesterday-ish"}, "End: give a date and a time"),
        ({"user": ""}, "Who takes over is required"),
    ],
)
def test_a_refused_override_shows_why_keeps_what_was_typed_and_stores_nothing(
    web: TestClient,
    db: Database,
    people: dict[str, Account],
    change: dict[str, Any],
    needle: str,
) -> None:
    ref = make(db, people["sam"], weekly())
    other = make(db, people["sam"], nights())
    token = signed_in(web, "sam")
    now = datetime.now(UTC).replace(second=0, microsecond=0)
    typed = {"user": "kim", "start": local(now + timedelta(hours=1)), "reason": "holiday swap"}
    typed["end"] = local(now + timedelta(hours=5))
    for field, value in change.items():
        if isinstance(value, int):
            typed[field] = local(now + timedelta(hours=value))
        else:
            typed[field] = value or ""
    r = web.post(f"{PAGE}/{ref}/overrides", data={"csrf_token": token, **typed})
    assert r.status_code == 422, r.text
    mine = card(r.text, ref)
    assert needle.lower() in part(mine, "alert").lower()
    assert f'<details class="edit oc-add" id="add-{ref}" open>' in mine
    for field in ("start", "end", "reason"):
        assert f'name="{field}" ' in mine
        assert f'value="{typed[field]}"' in mine
    if typed["user"]:
        assert f'<option value="{typed["user"]}" selected>' in mine
    assert 'class="alert"' not in card(r.text, other)  # the error is beside its own form
    assert overrides(db, people["sam"], ref) == []


def test_an_override_form_without_the_csrf_token_is_refused(
    web: TestClient, db: Database, people: dict[str, Account]
) -> None:
    ref = make(db, people["sam"], weekly())
    signed_in(web, "sam")
    now = datetime.now(UTC)
    form = {"user": "dana", "start": local(now), "end": local(now + timedelta(hours=2))}
    assert web.post(f"{PAGE}/{ref}/overrides", data=form).status_code == 403
    r = web.post(f"{PAGE}/{ref}/overrides", data=form | {"csrf_token": "forged"})
    assert r.status_code == 403
    assert overrides(db, people["sam"], ref) == []


def test_removing_an_override(web: TestClient, db: Database, people: dict[str, Account]) -> None:
    ref = make(db, people["sam"], weekly())
    made = add_override(db, people["sam"], ref, "dana")
    token = signed_in(web, "kim")
    assert part(card(web.get(PAGE).text, ref), "oc-who") == "Dana"
    r = web.post(
        f"{PAGE}/{ref}/overrides/{made}/remove",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert overrides(db, people["sam"], ref) == []
    html = web.get(r.headers["location"]).text
    assert "Override removed" in html
    assert part(card(html, ref), "oc-who") == "Sam"
    again = web.post(f"{PAGE}/{ref}/overrides/{made}/remove", data={"csrf_token": token})
    assert again.status_code == 404


def test_a_dispatcher_sees_the_schedules_but_may_not_change_them(
    web: TestClient, db: Database, people: dict[str, Account]
) -> None:
    ref = make(db, people["sam"], weekly())
    made = add_override(db, people["sam"], ref, "kim")
    token = signed_in(web, "dana")
    mine = card(web.get(PAGE).text, ref)
    assert "Kim" in part(mine, "oc-ov-who")  # the override is shown ...
    assert "Add an override" not in mine and "/remove" not in mine  # ... but no forms
    now = datetime.now(UTC)
    form = {"csrf_token": token, "user": "dana", "start": local(now), "end": local(now)}
    assert web.post(f"{PAGE}/{ref}/overrides", data=form).status_code == 403  # even bad input
    remove = web.post(f"{PAGE}/{ref}/overrides/{made}/remove", data={"csrf_token": token})
    assert remove.status_code == 403
    assert [o.id for o in overrides(db, people["sam"], ref)] == [made]


def test_a_reporter_has_no_on_call_page(web: TestClient, people: dict[str, Account]) -> None:
    assert sign_in(web, "rita").status_code == 303
    assert 'href="/on-call"' not in web.get("/incidents").text
    assert web.get(PAGE).status_code == 403


def test_signed_out_the_page_asks_to_sign_in(web: TestClient) -> None:
    r = web.get(PAGE, follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"] == "/login?next=/on-call"


# --- the secret calendar link --------------------------------------------------------------


def events(client: TestClient, url: str) -> list[Any]:
    """The events of the calendar at `url`, fetched with no credentials at all."""
    assert not client.cookies and "authorization" not in client.headers
    r = client.get(urlsplit(url).path, headers={"accept": "text/calendar"})
    assert r.status_code == 200, r.text
    assert r.headers["content-type"].startswith("text/calendar")
    assert r.headers["cache-control"] == "no-store"
    cal = icalendar.Calendar.from_ical(r.content)
    assert cal.name == "VCALENDAR"
    return list(cal.walk("VEVENT"))


def new_feed(client: TestClient, who: Account) -> str:
    r = client.post("/api/v1/users/me/calendar-feed", headers=who.headers)
    assert r.status_code == 201, r.text
    url: str = r.json()["url"]
    return url


def test_a_calendar_link_serves_my_shifts_without_signing_in(
    client: TestClient, db: Database, people: dict[str, Account], settings: Settings
) -> None:
    make(db, people["sam"], weekly())
    url = new_feed(client, people["sam"])
    assert url.startswith(f"{settings.public_url}/calendar/cal_") and url.endswith(".ics")
    found = events(client, url)
    starts = {e["DTSTART"].dt for e in found}
    assert berlin(today() - timedelta(days=3), "08:00") in starts  # this week's shift
    assert berlin(today() + timedelta(days=11), "08:00") in starts  # the one after kim's
    assert all(str(e["SUMMARY"]) == "On call: Sam" for e in found)
    assert all(str(e["DESCRIPTION"]).startswith("sam (") for e in found)
    # only its SHA-256 is stored
    token = urlsplit(url).path.removeprefix("/calendar/").removesuffix(".ics")
    with db.transaction(write=False) as s:
        (row,) = s.scalars(select(CalendarFeed)).all()
    assert row.digest == security.digest(token) and token not in row.digest
    assert row.prefix == token[:12]


def test_another_person_s_shifts_never_appear(
    client: TestClient, db: Database, people: dict[str, Account]
) -> None:
    ref = make(db, people["sam"], weekly())
    add_override(db, people["sam"], ref, "dana")
    sam, kim, dana = (new_feed(client, people[n]) for n in ("sam", "kim", "dana"))
    assert len({sam, kim, dana}) == 3
    for url, name in ((sam, "sam"), (kim, "kim"), (dana, "dana")):
        found = events(client, url)
        assert found, f"{name} has shifts"
        assert all(str(e["DESCRIPTION"]).startswith(f"{name} (") for e in found)
    (only,) = events(client, dana)
    assert "override" in str(only["DESCRIPTION"])


def test_a_new_link_stops_the_old_one_and_unknown_links_give_no_hint(
    client: TestClient, db: Database, people: dict[str, Account]
) -> None:
    make(db, people["sam"], weekly())
    old = new_feed(client, people["sam"])
    new = new_feed(client, people["sam"])
    assert old != new
    gone = client.get(urlsplit(old).path)
    assert gone.status_code == 404
    unknown = client.get("/calendar/cal_" + "x" * 43 + ".ics")
    assert unknown.status_code == 404
    hint = {k: v for k, v in gone.json().items() if k != "instance"}
    assert hint == {k: v for k, v in unknown.json().items() if k != "instance"}  # no hint
    assert "revoked" not in gone.text and "stopped" not in gone.text
    assert events(client, new)


def test_stopping_the_link(client: TestClient, db: Database, people: dict[str, Account]) -> None:
    make(db, people["sam"], weekly())
    url = new_feed(client, people["sam"])
    r = client.delete("/api/v1/users/me/calendar-feed", headers=people["sam"].headers)
    assert r.status_code == 204
    assert client.get(urlsplit(url).path).status_code == 404
    r = client.delete("/api/v1/users/me/calendar-feed", headers=people["sam"].headers)
    assert r.status_code == 204  # nothing left to stop is no error
    assert client.post("/api/v1/users/me/calendar-feed").status_code == 401


def test_a_deactivated_person_s_link_stops(
    client: TestClient, db: Database, people: dict[str, Account]
) -> None:
    make(db, people["sam"], weekly())
    url = new_feed(client, people["sam"])
    with db.transaction() as s:
        user = s.scalars(select(User).where(User.username == "sam")).one()
        user.is_active = False
    assert client.get(urlsplit(url).path).status_code == 404


def test_the_link_on_the_page_is_shown_once_and_can_be_stopped(
    web: TestClient, db: Database, people: dict[str, Account]
) -> None:
    make(db, people["sam"], weekly())
    token = signed_in(web, "kim")
    assert "Make my calendar link" in web.get(PAGE).text
    r = web.post(f"{PAGE}/calendar-feed", data={"csrf_token": token})
    assert r.status_code == 201
    url = part(r.text, "secret-value")
    assert "/calendar/cal_" in url and "it will not be shown again" in r.text
    assert f'href="webcal://{url.split("://", 1)[1]}"' in r.text
    page = web.get(PAGE).text
    assert url not in page and "Stop the link" in page  # shown once
    assert web.post(f"{PAGE}/calendar-feed", data={}).status_code == 403  # CSRF
    web.cookies.clear()  # signed out: the link alone is enough
    assert "Kim" in str(events(web, url)[0]["SUMMARY"])
    token = signed_in(web, "kim")
    r = web.post(f"{PAGE}/calendar-feed/stop", data={"csrf_token": token}, follow_redirects=False)
    assert r.status_code == 303
    assert "Link stopped" in web.get(r.headers["location"]).text
    assert web.get(urlsplit(url).path).status_code == 404
