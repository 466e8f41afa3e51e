"""The pages of people and vehicles: the incident section's form posts (a person, a
vehicle; refused input comes back with the message and what was typed, nothing stored),
removing one, the front desk's lookup (scoped), one record's page (its view logged, the
duplicate banner and Merge button for those allowed) and the section's partial."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn
from murphy.subjects import service
from murphy.subjects.models import Subject, SubjectLink
from murphy.subjects.schemas import LinkIn
from tests.api.test_pages import hidden, sign_in
from tests.api.test_pages_triage import text


@pytest.fixture
def people(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("NORTH")
    return {
        "admin": factory.user("root", "admin", all_sites=True, clearances=["safeguarding"]),
        "dana": factory.user("dana", "dispatcher", ["HQ"]),
        "olly": factory.user("olly", "officer", ["HQ"]),
    }


@pytest.fixture
def incidents(db, factory, people):
    admin = people["admin"]
    out = {
        "hq": factory.incident(admin, "HQ", "Fight in the lobby"),
        "north": factory.incident(admin, "NORTH", "Theft at the gate"),
        "secret": factory.incident(admin, "HQ", "Assault reported"),
    }
    with db.transaction() as s:
        triage.classify(
            s, principal=admin.principal, number=out["secret"], data=ClassifyIn(type="assault")
        )
    return out


def signed_in(web, username):
    assert sign_in(web, username).status_code == 303
    return hidden(web.get("/subjects").text)


def post_subject(web, token, number, **fields):
    data = {"csrf_token": token, "kind": "person", "role": "witness", **fields}
    return web.post(f"/incidents/{number}/subjects", data=data, follow_redirects=False)


def count(db, model):
    with db.transaction() as s:
        return s.scalar(select(func.count()).select_from(model))


def test_an_officer_adds_a_person_and_a_vehicle_from_the_incident_form(web, db, people, incidents):
    token = signed_in(web, "olly")
    r = post_subject(
        web,
        token,
        incidents["hq"],
        name="Mary Jones",
        birth_date="1990-02-03",
        description="short, grey hoodie",
        role="suspect",
    )
    assert r.status_code == 303, r.text
    assert r.headers["location"] == f"/incidents/{incidents['hq']}#subjects"
    r = post_subject(
        web,
        token,
        incidents["hq"],
        kind="vehicle",
        plate="ab-12 cde",
        make="Ford",
        model="Focus",
        colour="blue",
        name="ignored for a vehicle",
        role="subject",
    )
    assert r.status_code == 303
    with db.transaction() as s:
        rows = s.execute(select(Subject.kind, Subject.name, Subject.plate_key)).all()
    assert sorted(rows) == [("person", "Mary Jones", None), ("vehicle", None, "AB12CDE")]
    timeline = text(web.get(f"/incidents/{incidents['hq']}").text)
    assert "Added: Mary Jones (person, suspect)" in timeline
    assert "Added: ab-12 cde (vehicle, subject)" in timeline


def test_a_refused_form_shows_why_keeps_what_was_typed_and_stores_nothing(
    web, db, people, incidents
):
    token = signed_in(web, "olly")
    r = post_subject(
        web, token, incidents["hq"], name="Kim Park", birth_date="2999-01-01", description="limping"
    )
    assert r.status_code == 422
    page = text(r.text)
    assert "Not added" in page
    assert "date of birth: cannot be in the future" in page.lower()
    assert 'value="Kim Park"' in r.text
    assert "limping" in r.text
    r = post_subject(web, token, incidents["hq"], kind="vehicle", plate="--")
    assert r.status_code == 422
    assert "plate" in text(r.text).lower()
    r = post_subject(web, token, incidents["hq"], name="Kim", role="bystander")
    assert r.status_code == 422
    assert count(db, Subject) == 0
    # another site's incident is not found; no CSRF token is refused
    assert post_subject(web, token, incidents["north"], name="Kim").status_code == 404
    assert post_subject(web, "", incidents["hq"], name="Kim").status_code == 403
    assert count(db, Subject) == 0


def test_removing_a_person_from_the_incident(web, db, people, incidents):
    token = signed_in(web, "olly")
    post_subject(web, token, incidents["hq"], name="Mary Jones")
    with db.transaction() as s:
        link_id = s.scalar(select(SubjectLink.id))
    r = web.post(
        f"/incidents/{incidents['hq']}/subjects/{link_id}/remove",
        data={"csrf_token": token},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert count(db, SubjectLink) == 0


def test_the_lookup_page_finds_names_and_plates_in_incidents_one_may_see(
    web, db, people, incidents, client
):
    admin = people["admin"]
    with db.transaction() as s:
        for number, name in (
            (incidents["hq"], "Mary Jones"),
            (incidents["secret"], "Mary Hidden"),
            (incidents["north"], "Mary North"),
        ):
            service.link(
                s,
                principal=admin.principal,
                number=number,
                data=LinkIn(role="victim", person={"name": name}),
            )
    signed_in(web, "dana")
    r = web.get("/subjects", params={"q": "mary"})
    assert r.status_code == 200
    page = text(r.text)
    assert "Mary Jones" in page
    assert incidents["hq"] in page
    assert "Mary Hidden" not in page and "Mary North" not in page
    assert "1 found" in page
    r = web.get("/subjects", params={"q": "zzz"})
    assert "Nobody and nothing by that name or plate" in text(r.text)


def test_the_record_page_logs_the_view_and_offers_merge_to_those_allowed(
    web, db, people, incidents
):
    token = signed_in(web, "dana")
    post_subject(web, token, incidents["hq"], name="John Smith", birth_date="1980-01-01")
    post_subject(web, token, incidents["secret"], name="Other Person")
    with db.transaction() as s:
        first = s.scalar(select(Subject.id).where(Subject.name == "John Smith"))
    # a second record of the same person on another incident, added by the admin
    admin = people["admin"]
    with db.transaction() as s:
        service.link(
            s,
            principal=admin.principal,
            number=incidents["hq"],
            data=LinkIn(role="witness", person={"name": "Smith, John", "birth_date": "1980-01-01"}),
        )
        second = s.scalar(select(Subject.id).where(Subject.name == "Smith, John"))
    r = web.get(f"/subjects/{first}")
    assert r.status_code == 200
    page = text(r.text)
    assert "Possible duplicate" in page and "same name and date of birth" in page
    assert "Merge it into this record" in page
    assert incidents["hq"] in page
    with db.transaction() as s:
        assert [(u, how) for u, _, how in service.views_of(s, subject_id=first)] == [
            (people["dana"].principal.id, "page")
        ]
    r = web.post(
        f"/subjects/{second}/merge",
        data={"csrf_token": token, "into": str(first)},
        follow_redirects=False,
    )
    assert r.status_code == 303
    assert r.headers["location"] == f"/subjects/{first}?merged={second}"
    r = web.get(f"/subjects/{second}", follow_redirects=False)
    assert r.status_code == 303
    assert r.headers["location"].startswith(f"/subjects/{first}")
    # an officer may not merge: no button
    web.cookies.clear()
    signed_in(web, "olly")
    post_subject(web, hidden(web.get("/subjects").text), incidents["hq"], name="John Smith")
    r = web.get(f"/subjects/{first}")
    assert "Possible duplicate" in text(r.text)
    assert "Merge it into this record" not in text(r.text)


def test_the_incident_section_lists_people_with_roles_and_the_form(client, db, people, incidents):
    olly = people["olly"]
    with db.transaction() as s:
        service.link(
            s,
            principal=olly.principal,
            number=incidents["hq"],
            data=LinkIn(
                role="suspect", person={"name": "Mary Jones", "description": "grey hoodie"}
            ),
        )
        panel = service.panel(s, principal=olly.principal, number=incidents["hq"])
    templates = client.app.state.templates
    html = templates.get_template("_subjects.html").render(subjects=panel, csrf_token="t")
    page = text(html)
    assert "People and vehicles 1" in page
    assert "Suspect Mary Jones" in page and "grey hoodie" in page
    assert "Add a person or vehicle" in page
    assert f'action="/incidents/{incidents["hq"]}/subjects"' in html
    for role in ("Victim", "Witness", "Reporting party", "Patient", "Employee", "Visitor"):
        assert f">{role}</option>" in html
