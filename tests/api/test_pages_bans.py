"""The pages of bans: the front desk lookup (the site preselected; BANNED HERE in red, a
calm "No ban found" otherwise, nobody without a ban shown), the form that issues one from
a person's page (dates in the site's zone; a refused form keeps what was typed and stores
nothing), one ban's page (its view of the person logged) with the Lift form, the bans
line of a person's page, and the incident timeline's entries."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from murphy.bans import service
from murphy.bans.models import Ban
from murphy.bans.schemas import BanIn
from murphy.subjects import service as subjects_service
from murphy.subjects.schemas import LinkIn
from tests.api.test_pages import hidden, sign_in
from tests.api.test_pages_triage import text


@pytest.fixture
def people(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("NORTH")
    return {
        "root": factory.user("root", "admin", all_sites=True),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "olly": factory.user("olly", "officer", ["HQ"]),
        "rita": factory.user("rita", "reporter", ["HQ"]),
    }


@pytest.fixture
def incident(factory, people):
    return factory.incident(people["root"], "HQ", "Fight in the lobby")


def add_person(db, who, number, name, **extra):
    with db.transaction() as s:
        data = LinkIn(role="suspect", person={"name": name, **extra})
        return subjects_service.link(
            s, principal=who.principal, number=number, data=data
        ).subject_id


def add_ban(db, who, subject_id, number, **fields):
    data = {
        "subject_id": subject_id,
        "incident": number,
        "reason": "Assaulted a guard",
        "sites": ["HQ"],
        "ends_at": datetime.now(UTC) + timedelta(days=30),
        **fields,
    }
    with db.transaction() as s:
        return service.create(s, principal=who.principal, data=BanIn(**data))


def signed_in(web, username, path="/bans"):
    assert sign_in(web, username).status_code == 303
    return hidden(web.get("/incidents").text)


def count(db):
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(Ban))


def test_the_lookup_page_has_one_box_and_the_site_preselected(web, people, incident):
    signed_in(web, "dana")
    r = web.get("/bans")
    assert r.status_code == 200
    page = text(r.text)
    assert "Is this person banned here?" in page
    assert '<option value="HQ" selected>' in r.text
    assert 'value="NORTH"' not in r.text  # not one of dana's sites
    assert "Nobody is banned from HQ at the moment" in page
    assert 'href="/bans"' in r.text  # the nav link


def test_banned_here_is_said_in_red_and_no_ban_calmly(web, db, people, incident):
    john = add_person(db, people["sam"], incident, "John Smith", birth_date="1980-02-03")
    add_person(db, people["sam"], incident, "Jane Smith")
    out = add_ban(db, people["sam"], john, incident, conditions="may attend A&E for treatment")
    signed_in(web, "dana")
    r = web.get("/bans", params={"q": "john smi", "site": "HQ"})
    page = text(r.text)
    assert "BANNED HERE" in page and 'class="bn-verdict bn-banned"' in r.text
    assert "John Smith born 1980-02-03" in page
    assert "Conditions: may attend A&E for treatment" in page
    assert "Reason: Assaulted a guard" in page
    assert f'href="/bans/{out.id}"' in r.text
    r = web.get("/bans", params={"q": "jane", "site": "HQ"})
    page = text(r.text)
    assert "No ban found for “jane”" in page and "BANNED HERE" not in page
    assert "Jane" not in page.replace("“jane”", "")  # nothing about a person without a ban
    assert "Banned from HQ now 1" in page


def test_a_supervisor_bans_from_the_form_and_the_ban_ends_at_the_end_of_its_last_day(
    web, db, people, incident
):
    john = add_person(db, people["sam"], incident, "John Smith")
    token = signed_in(web, "sam")
    subject = web.get(f"/subjects/{john}")
    assert f'href="/bans/new?subject={john}&amp;incident={incident}"' in subject.text
    form = web.get(f"/bans/new?subject={john}&incident={incident}")
    assert form.status_code == 200
    assert "Ban John Smith from sites" in text(form.text)
    last = (datetime.now(UTC) + timedelta(days=60)).date()
    data = {
        "csrf_token": token,
        "subject": str(john),
        "incident": incident,
        "kind": "trespass",
        "sites": ["HQ"],
        "ends": last.isoformat(),
        "reason": "Abusive to staff",
        "conditions": "",
        "served_how": "in_person",
        "served_by": "",
    }
    r = web.post("/bans", data=data, follow_redirects=False)
    assert r.status_code == 303, r.text
    with db.transaction() as s:
        ban = s.scalars(select(Ban)).one()
        ends_local = ban.ends_at.astimezone(ZoneInfo("Europe/Berlin"))
        assert (ends_local.date(), ends_local.hour, ends_local.minute) == (last, 23, 59)
        assert (ban.kind, ban.served_how, ban.served_by) == ("trespass", "in_person", "Sam")
    assert r.headers["location"] == f"/bans/{ban.id}?issued=1"
    page = text(web.get(r.headers["location"]).text)
    assert "Trespass notice issued" in page and "Banned now from HQ" in page
    timeline = text(web.get(f"/incidents/{incident}").text)
    assert "Trespass notice issued: John Smith (HQ)" in timeline


def test_a_refused_form_keeps_what_was_typed_and_stores_nothing(web, db, people, incident):
    john = add_person(db, people["sam"], incident, "John Smith")
    token = signed_in(web, "sam")
    data = {
        "csrf_token": token,
        "subject": str(john),
        "incident": incident,
        "kind": "ban",
        "ends": (datetime.now(UTC) + timedelta(days=9)).date().isoformat(),
        "reason": "Kicked the door in",
    }
    r = web.post("/bans", data=data, follow_redirects=False)
    assert r.status_code == 422
    assert "Sites: give at least one site" in text(r.text)
    assert "Kicked the door in" in r.text
    r = web.post("/bans", data={**data, "sites": ["HQ"], "ends": "soon"}, follow_redirects=False)
    assert r.status_code == 422 and "Ends: 'soon' is not a date" in text(r.text)
    r = web.post("/bans", data={**data, "sites": ["HQ"]}, follow_redirects=False)
    assert r.status_code == 303  # the same form, corrected
    r = web.post("/bans", data={**data, "sites": ["HQ"], "csrf_token": ""}, follow_redirects=False)
    assert r.status_code == 403
    assert count(db) == 1


def test_officers_may_not_issue_and_reporters_may_not_look(web, db, people, incident):
    john = add_person(db, people["sam"], incident, "John Smith")
    signed_in(web, "olly")
    assert web.get(f"/bans/new?subject={john}&incident={incident}").status_code == 403
    assert "Ban from sites" not in web.get(f"/subjects/{john}").text
    assert web.get("/bans", params={"q": "smith"}).status_code == 200
    web.cookies.clear()
    signed_in(web, "rita")
    assert web.get("/bans").status_code == 403


def test_the_ban_page_logs_a_view_and_lifts_once(web, db, people, incident):
    john = add_person(db, people["sam"], incident, "John Smith")
    out = add_ban(db, people["sam"], john, incident)
    token = signed_in(web, "sam")
    r = web.get(f"/bans/{out.id}")
    assert r.status_code == 200
    assert "your view of this person's record is logged" in text(r.text)
    with db.transaction() as s:
        views = subjects_service.views_of(s, subject_id=john)
    assert [(u, how) for u, _, how in views] == [(people["sam"].principal.id, "page")]
    url = f"/bans/{out.id}/lift"
    r = web.post(url, data={"csrf_token": token, "reason": "", "version": "1"})
    assert r.status_code == 422 and "Reason is required" in text(r.text)
    r = web.post(url, data={"csrf_token": token, "reason": "Appeal upheld", "version": "1"})
    assert r.status_code == 200  # followed back to the ban's page
    assert "Lifted" in text(r.text) and "Appeal upheld" in text(r.text)
    assert "Lift it now" not in r.text
    r = web.post(url, data={"csrf_token": token, "reason": "again", "version": "2"})
    assert r.status_code == 409 and "already lifted" in text(r.text)


def test_a_persons_page_gets_its_bans_line(web, db, people, incident):
    john = add_person(db, people["sam"], incident, "John Smith")
    jane = add_person(db, people["sam"], incident, "Jane Doe")
    add_ban(db, people["sam"], john, incident, sites=["HQ"])
    signed_in(web, "dana")
    assert f'data-bans-of="{john}"' in web.get(f"/subjects/{john}").text
    line = web.get(f"/bans/person/{john}")
    assert line.status_code == 200 and "Banned" in text(line.text) and "HQ" in text(line.text)
    assert web.get(f"/bans/person/{jane}").text.strip() == ""


def test_the_printable_notice_is_one_pdf_page_and_logs_a_view(web, db, people, incident):
    john = add_person(db, people["sam"], incident, "Zoë Müller", birth_date="1980-02-03")
    out = add_ban(db, people["sam"], john, incident, kind="trespass", served_how="post")
    signed_in(web, "dana")
    r = web.get(f"/bans/{out.id}.pdf")
    assert r.status_code == 200, r.text
    assert r.headers["content-type"] == "application/pdf"
    assert r.content.startswith(b"%PDF") and b"/Count 1" in r.content
    with db.transaction() as s:
        views = subjects_service.views_of(s, subject_id=john)
    assert [how for _, _, how in views] == ["pdf"]
    web.cookies.clear()
    signed_in(web, "rita")
    assert web.get(f"/bans/{out.id}.pdf").status_code == 403
