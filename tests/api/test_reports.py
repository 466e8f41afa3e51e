"""Reports on a real database: the daily activity report, the shift handover, the monthly
report and the ICS-201/214 forms, as HTML, PDF (read back with pypdf) and JSON; scoping
(other sites, restricted types), permissions and bad input."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pypdf
import pytest
from fastapi.testclient import TestClient

from murphy.ics import service as ics_service
from murphy.ics.schemas import DeclareIn, PeriodIn
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn, IncidentCreate, NoteIn
from murphy.users.schemas import Principal
from tests.api.test_pages import sign_in
from tests.factories import Account, Factory

T = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)  # 10:00 in Berlin (HQ)
DAY = "2026-11-20"


@dataclass
class Org:
    """Who is who, and the incidents made for the reports."""

    root: Account
    sam: Account
    dana: Account
    rita: Account
    old: str
    first: str
    second: str
    secret: str
    lab: str


def _report(f: Factory, who: Principal, site: str, title: str, at: datetime) -> str:
    with f.db.transaction() as s:
        data = IncidentCreate(title=title, site=site)
        return incidents_service.report(s, principal=who, data=data, now=at).number


def _classify(f: Factory, who: Principal, number: str, code: str, at: datetime) -> None:
    with f.db.transaction() as s:
        triage.classify(s, principal=who, number=number, data=ClassifyIn(type=code), now=at)


def _note(f: Factory, who: Principal, number: str, body: str, at: datetime) -> None:
    with f.db.transaction() as s:
        data = NoteIn(body=body)
        incidents_service.add_note(s, principal=who, number=number, data=data, now=at)


@pytest.fixture
def org(hq: Factory) -> Org:
    root = hq.user("root", "admin", all_sites=True)
    sam = hq.user("sam", "supervisor", ["HQ"])
    rita = hq.user("rita", "reporter", ["HQ"])
    dana = Account("dana", "", root.principal)  # replaced below with the real one
    with hq.db.transaction() as s:
        from murphy.users import service as users_service

        user = users_service.get(s, username="dana")
        assert user is not None
        dana = Account(
            "dana", users_service.create_token(s, user=user).token, users_service.principal(s, user)
        )
    p = root.principal
    old = _report(hq, p, "HQ", "Broken fence", T - timedelta(days=3))
    first = _report(hq, p, "HQ", "Door forced at loading bay", T)
    _classify(hq, p, first, "theft", T + timedelta(minutes=5))
    _note(hq, p, first, "all quiet", T + timedelta(hours=1))
    _note(hq, p, first, "Door 3 found open, locked it", T + timedelta(hours=2))
    second = _report(hq, p, "HQ", "Vehicle broken into", T + timedelta(hours=3))
    secret = _report(hq, p, "HQ", "Secret matter", T + timedelta(hours=4))
    _classify(hq, p, secret, "assault", T + timedelta(hours=4, minutes=1))
    lab = _report(hq, p, "LAB", "Lab alarm", T + timedelta(hours=5))
    return Org(root, sam, dana, rita, old, first, second, secret, lab)


def _pdf_text(content: bytes) -> str:
    reader = pypdf.PdfReader(io.BytesIO(content))
    return "\n".join(page.extract_text() for page in reader.pages)


def test_daily_report_shows_the_day_and_what_stayed_open(web: TestClient, org: Org) -> None:
    sign_in(web, "dana")
    page = web.get(f"/reports/daily?site=HQ&date={DAY}")
    assert page.status_code == 200
    html = page.text
    assert "Daily activity report" in html
    assert org.first in html and org.second in html
    assert org.old in html  # reported earlier, still open at the end of the day
    assert org.secret not in html  # restricted type: dana is not cleared
    assert org.lab not in html  # another site
    assert "Door 3 found open" in html  # the day's log
    assert "Type: Theft" in html
    assert "Service-target breaches" in html and "No service target was breached." in html


def test_daily_report_pdf_has_the_numbers_and_headings(web: TestClient, org: Org) -> None:
    sign_in(web, "dana")
    got = web.get(f"/reports/daily?site=HQ&date={DAY}&format=pdf")
    assert got.status_code == 200
    assert got.headers["content-type"] == "application/pdf"
    assert 'filename="daily-HQ-2026-11-20.pdf"' in got.headers["content-disposition"]
    text = _pdf_text(got.content)
    for wanted in (
        "Daily activity report",
        "Incidents reported",
        "Still open",
        org.first,
        org.second,
    ):
        assert wanted in text
    assert org.secret not in text
    assert "page 1 of" in text


def test_handover_flags_entries_that_say_nothing(client: TestClient, org: Org) -> None:
    query = "site=HQ&start=2026-11-20T07:00&end=2026-11-20T19:00"
    got = client.get(f"/api/v1/reports/handover?{query}", headers=org.dana.headers)
    assert got.status_code == 200
    sections = {s["heading"]: s for s in got.json()["sections"]}
    flags = sections["Flags"]["flags"]
    assert any("all quiet" in f and org.first in f for f in flags)
    assert not any("Door 3" in f for f in flags)  # a note that says something
    assert any(f.startswith(org.old) and "no entry during the shift" in f for f in flags)
    happened = [r[0] for r in sections["What happened in the shift"]["rows"]]
    assert happened == [org.first, org.second]


def test_handover_pdf_and_default_shift(web: TestClient, org: Org) -> None:
    sign_in(web, "sam")
    query = "site=HQ&start=2026-11-20T07:00&end=2026-11-20T19:00&format=pdf"
    text = _pdf_text(web.get(f"/reports/handover?{query}").content)
    assert "Shift handover" in text and "Flags" in text and org.first in text
    assert web.get("/reports/handover?site=HQ").status_code == 200  # the shift that just ended


def test_monthly_report(web: TestClient, org: Org) -> None:
    sign_in(web, "root")
    html = web.get("/reports/monthly?site=HQ&month=2026-11").text
    assert "Monthly management report 2026-11" in html
    assert "Service-target compliance" in html
    text = _pdf_text(web.get("/reports/monthly?site=HQ&month=2026-11&format=pdf").content)
    assert "Response times" in text
    future = web.get("/reports/monthly?site=HQ&month=2031-01").text
    assert "No data" in future


def test_monthly_report_tells_reviews_problems_and_effectiveness(
    web: TestClient, hq: Factory, org: Org
) -> None:
    from datetime import date

    from murphy.analytics.changes import refresh
    from murphy.incidents.models import Incident
    from murphy.problems import service as problems_service
    from murphy.problems.schemas import ProblemIn
    from murphy.reviews import service as reviews_service
    from murphy.reviews.schemas import ActionIn

    sam = org.sam.principal
    now = datetime(2026, 11, 21, 8, 0, tzinfo=UTC)
    with hq.db.transaction() as s:
        reviews_service.open(s, principal=sam, number=org.first, now=now)
    with hq.db.transaction() as s:
        late = ActionIn(title="Fit a door closer", owner="sam", due_on=date(2026, 11, 22))
        reviews_service.add_action(s, principal=sam, number=org.first, data=late, now=now)
    with hq.db.transaction() as s:
        data = ProblemIn(title="Dock door left open", site="HQ")
        problems_service.create(s, principal=sam, data=data, now=now)
    with hq.db.transaction() as s:
        found = s.query(Incident).filter(Incident.number == org.second).one()
        found.effective = "partly"  # as resolving with the question answered would
        refresh(s, [found.id])
    sign_in(web, "sam")
    html = web.get("/reports/monthly?site=HQ&month=2026-11").text
    assert "Post-incident reviews" in html and org.first in html
    assert "Corrective actions overdue: 1" in html
    assert "Dock door left open" in html and "PRB-" in html
    assert "Partly" in html and "1 (100%)" in html
    text = _pdf_text(web.get("/reports/monthly?site=HQ&month=2026-11&format=pdf").content)
    assert "Post-incident reviews" in text and "Dock door left open" in text
    october = web.get("/reports/monthly?site=HQ&month=2026-10").text
    assert "Dock door left open" not in october  # opened later
    assert org.first not in october.split("Post-incident reviews")[1]


def test_ics_forms_of_a_major_incident(web: TestClient, hq: Factory, org: Org) -> None:
    with hq.db.transaction() as s:
        data = DeclareIn(commander={"user": "sam"}, complexity=3)  # type: ignore[arg-type]
        ics_service.declare(s, principal=org.root.principal, number=org.first, data=data, now=T)
        period = PeriodIn(starts_at=T, ends_at=T + timedelta(hours=12), objectives="Secure the bay")
        ics_service.add_period(
            s, principal=org.root.principal, number=org.first, data=period, now=T
        )
    sign_in(web, "sam")
    page = web.get(f"/incidents/{org.first}/ics-201")
    assert page.status_code == 200, page.text[-600:]
    html = page.text
    assert "ICS-201" in html and "Secure the bay" in html and "Sam" in html
    text = _pdf_text(web.get(f"/incidents/{org.first}/ics-214?period=1&format=pdf").content)
    assert "ICS-214" in text and "Activity log" in text and "Door 3 found open" in text
    incident_page = web.get(f"/incidents/{org.first}").text
    assert f"/incidents/{org.first}/ics-201" in incident_page
    assert f"/incidents/{org.first}/ics-214?period=1" in incident_page
    missing = web.get(f"/incidents/{org.first}/ics-214?period=9")
    assert missing.status_code == 404 and "no operational period 9" in missing.text


def test_ics201_of_an_ordinary_incident_is_409(client: TestClient, org: Org) -> None:
    got = client.get(f"/api/v1/incidents/{org.second}/ics-201", headers=org.root.headers)
    assert got.status_code == 409
    assert "not a major incident" in got.json()["detail"]


def test_scoping_permissions_and_bad_input(client: TestClient, org: Org) -> None:
    dana = org.dana.headers
    assert client.get(f"/api/v1/reports/daily?site=LAB&date={DAY}", headers=dana).status_code == 404
    rita = client.get(f"/api/v1/reports/daily?site=HQ&date={DAY}", headers=org.rita.headers)
    assert rita.status_code == 403
    bad = client.get("/api/v1/reports/daily?site=HQ&date=20-11-2026", headers=dana)
    assert bad.status_code == 422 and "YYYY-MM-DD" in bad.json()["detail"]
    unknown = client.get(f"/api/v1/reports/daily?site=NOPE&date={DAY}", headers=dana)
    assert unknown.status_code == 404 and "NOPE" in unknown.json()["detail"]
    half = client.get("/api/v1/reports/handover?site=HQ&start=2026-11-20T07:00", headers=dana)
    assert half.status_code == 422
    month = client.get("/api/v1/reports/monthly?site=HQ&month=2026-13", headers=dana)
    assert month.status_code == 422 and "YYYY-MM" in month.json()["detail"]
    root = client.get(f"/api/v1/reports/daily?site=HQ&date={DAY}", headers=org.root.headers)
    assert org.old in str(root.json()) and org.secret not in str(root.json())  # not cleared


def test_a_cleared_user_sees_the_restricted_incident(
    client: TestClient, hq: Factory, org: Org
) -> None:
    clara = hq.user("clara", "supervisor", ["HQ"], clearances=["safeguarding"])
    got = client.get(f"/api/v1/reports/daily?site=HQ&date={DAY}", headers=clara.headers)
    assert org.secret in str(got.json())


def test_reports_index_lists_visible_sites(web: TestClient, org: Org) -> None:
    sign_in(web, "dana")
    html = web.get("/reports").text
    assert "Daily activity" in html and 'value="HQ"' in html and 'value="LAB"' not in html
    assert 'href="/reports"' in html  # the nav link
