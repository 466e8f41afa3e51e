"""The analytics dashboard (`GET /api/v1/analytics`, `/analytics`) against known incidents:
counts by type, site and local hour, response-time medians, service-target counts, the
previous period, scoping (sites and restricted types), 403 and refused filters."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from defusedxml.ElementTree import fromstring
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from murphy.analytics.changes import refresh
from murphy.core.db import Database
from murphy.incidents.models import Incident
from murphy.sla.models import Clock
from murphy.taxonomy.models import IncidentType
from tests.api.conftest import HTML
from tests.api.test_pages import sign_in
from tests.factories import Account, Factory

API = "/api/v1/analytics"
OCTOBER = {"start": "2026-10-01", "end": "2026-10-31"}
MONDAY = datetime(2026, 10, 5, 8, 30, tzinfo=UTC)  # 10:30 in Berlin (summer time)


@pytest.fixture
def people(factory: Factory) -> dict[str, Account]:
    factory.taxonomy()
    factory.site("HQ")
    factory.site("LAB", timezone="America/New_York")
    return {
        "root": factory.user("root", "admin", all_sites=True, clearances=["safeguarding"]),
        "sam": factory.user("sam", "supervisor", ["HQ"]),
        "rita": factory.user("rita", "reporter", ["HQ"]),
    }


def make(
    db: Database,
    factory: Factory,
    who: Account,
    *,
    site: str = "HQ",
    type_code: str = "theft",
    at: datetime = MONDAY,
    priority: int = 2,
    ack: int | None = None,
    resolved: int | None = None,
    detail: str = "",
    clocks: dict[str, str] | None = None,
    zone: str = "LOBBY",
    effective: str | None = None,
) -> int:
    """An incident with these facts set as triage and the clocks would have set them."""
    number = factory.incident(who, site=site, place={"zone": zone, "detail": detail})
    with db.transaction() as s:
        inc = s.scalars(select(Incident).where(Incident.number == number)).one()
        kind = s.scalars(select(IncidentType).where(IncidentType.code == type_code)).one()
        inc.type_id, inc.clearance, inc.priority = kind.id, kind.clearance, priority
        inc.reported_at = at
        inc.acknowledged_at = at + timedelta(seconds=ack) if ack is not None else None
        inc.resolved_at = at + timedelta(seconds=resolved) if resolved is not None else None
        inc.effective = effective
        s.execute(delete(Clock).where(Clock.incident_id == inc.id))
        for clock, state in (clocks or {}).items():
            s.add(_clock(inc.id, clock, state, at))
        refresh(s, [inc.id])  # written behind the services' back: its facts by hand
        return inc.id


def _clock(incident_id: int, kind: str, state: str, at: datetime) -> Clock:
    done = at + timedelta(minutes=5)
    return Clock(
        incident_id=incident_id,
        kind=kind,
        started_at=at,
        target_minutes=15,
        due_at=at + timedelta(minutes=15),
        met_at=done if state == "met" else None,
        breached_at=done if state == "breached" else None,
    )


@pytest.fixture
def data(db: Database, factory: Factory, people: dict[str, Account]) -> dict[str, int]:
    """In October at HQ: 3 thefts (P2: acknowledged in 60, 120, 300 s), an intrusion (P1),
    a restricted assault; at LAB a theft; in September at HQ one theft."""
    rita = people["root"]
    ids = {
        "t1": make(
            db,
            factory,
            rita,
            ack=60,
            resolved=3600,
            detail="By the lifts",
            clocks={"acknowledge": "met", "resolve": "met"},
        ),
        "t2": make(
            db,
            factory,
            rita,
            ack=120,
            resolved=7200,
            detail="by the lifts",
            clocks={"acknowledge": "met", "resolve": "breached"},
        ),
        "t3": make(
            db,
            factory,
            rita,
            ack=300,
            at=MONDAY + timedelta(days=1),
            clocks={"acknowledge": "breached", "resolve": "open"},
        ),
        "i1": make(db, factory, rita, type_code="intrusion", priority=1, ack=30),
        "a1": make(
            db,
            factory,
            rita,
            type_code="assault",
            priority=1,
            ack=10,
            clocks={"acknowledge": "breached"},
        ),
        "lab": make(db, factory, rita, site="LAB", ack=10, clocks={"acknowledge": "met"}),
        "sep": make(db, factory, rita, at=MONDAY - timedelta(days=20), ack=600),
    }
    return ids


def figures(client: TestClient, who: Account, **params: Any) -> dict[str, Any]:
    response = client.get(API, params={**OCTOBER, **params}, headers=who.headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def by_key(counts: list[dict[str, Any]]) -> dict[str, int]:
    return {c["key"]: c["count"] for c in counts}


def test_counts_by_type_site_and_local_hour(
    client: TestClient, people: dict[str, Account], data: dict[str, int]
) -> None:
    out = figures(client, people["sam"], site="HQ")
    volume = out["volume"]
    assert volume["total"] == 4  # the assault is restricted, LAB out of scope, September before
    assert by_key(volume["by_type"]) == {"theft": 3, "intrusion": 1}
    assert by_key(volume["by_site"]) == {"HQ": 4}
    grid = volume["hour_of_week"]
    assert len(grid) == 7 and all(len(row) == 24 for row in grid)
    assert grid[0][10] == 3 and grid[1][10] == 1  # Monday and Tuesday 10:00 Berlin
    assert sum(map(sum, grid)) == 4
    assert out["period"]["timezone"] == "Europe/Berlin" and out["period"]["days"] == 31
    assert volume["step"] == "day" and len(volume["over_time"]) == 31
    assert {b["start"]: b["count"] for b in volume["over_time"]}["2026-10-05"] == 3


def test_type_filter_takes_the_subtypes(
    client: TestClient,
    db: Database,
    factory: Factory,
    people: dict[str, Account],
    data: dict[str, int],
) -> None:
    make(db, factory, people["root"], type_code="theft.vehicle")
    out = figures(client, people["sam"], site="HQ", type="theft")
    assert by_key(out["volume"]["by_type"]) == {"theft": 3, "theft.vehicle": 1}


def test_response_times_by_priority(
    client: TestClient, people: dict[str, Account], data: dict[str, int]
) -> None:
    out = figures(client, people["sam"], site="HQ")
    mtta = next(m for m in out["times"] if m["key"] == "mtta")
    p2 = mtta["by_priority"][1]
    assert (p2["priority"], p2["count"], p2["median"]) == (2, 3, pytest.approx(120, abs=1))
    assert p2["mean"] == pytest.approx(160, abs=1)
    assert p2["p90"] == pytest.approx(264, abs=1)  # 120 + 0.8 × 180
    assert mtta["by_priority"][0]["count"] == 1  # the intrusion; not the restricted assault
    assert mtta["overall"]["count"] == 4
    mttr = next(m for m in out["times"] if m["key"] == "mttr")
    assert mttr["by_priority"][1]["median"] == pytest.approx(5400, abs=1)
    scene = next(m for m in out["times"] if m["key"] == "on_scene")
    assert scene["overall"]["count"] == 0


def test_compliance_counts(
    client: TestClient, people: dict[str, Account], data: dict[str, int]
) -> None:
    out = figures(client, people["sam"], site="HQ")
    cells = {
        (c["kind"], c["priority"]): (c["met"], c["breached"], c["open"]) for c in out["compliance"]
    }
    assert cells == {("acknowledge", 2): (2, 1, 0), ("resolve", 2): (1, 1, 1)}


def test_previous_period(
    client: TestClient, people: dict[str, Account], data: dict[str, int]
) -> None:
    out = figures(client, people["sam"], site="HQ")
    assert out["previous"]["start"] == "2026-08-31" and out["previous"]["end"] == "2026-09-30"
    cmp = {c["key"]: c for c in out["comparison"]}
    assert (cmp["volume"]["current"], cmp["volume"]["previous"], cmp["volume"]["delta"]) == (
        4,
        1,
        3,
    )
    assert cmp["volume"]["better"] is False
    assert cmp["mtta"]["previous"] == pytest.approx(600, abs=1)
    assert cmp["mtta"]["better"] is True  # from 10 min to 1.5 min (median of 30, 60, 120, 300)
    assert cmp["met"]["current"] == pytest.approx(3 / 5)  # met ÷ (met + breached)
    assert cmp["met"]["previous"] is None


def test_scoping_restricted_types_and_sites_change_no_figure(
    client: TestClient, people: dict[str, Account], data: dict[str, int]
) -> None:
    sam, root = figures(client, people["sam"]), figures(client, people["root"])
    assert sam["volume"]["total"] == 4 and root["volume"]["total"] == 6
    assert "assault" not in by_key(sam["volume"]["by_type"])
    assert by_key(root["volume"]["by_type"])["assault"] == 1
    assert by_key(root["volume"]["by_site"]) == {"HQ": 5, "LAB": 1}
    sam_mtta = next(m for m in sam["times"] if m["key"] == "mtta")["overall"]["count"]
    root_mtta = next(m for m in root["times"] if m["key"] == "mtta")["overall"]["count"]
    assert (sam_mtta, root_mtta) == (4, 6)
    assert sum(c["breached"] for c in sam["compliance"]) == 2
    assert sum(c["breached"] for c in root["compliance"]) == 3
    assert sum(c["met"] for c in root["compliance"]) == 4
    assert sum(p["count"] for p in sam["places"]) == 4
    assert sum(p["count"] for p in root["places"]) == 6
    detail = {p["label"]: p["count"] for p in sam["details"]}
    assert detail == {"by the lifts": 2}
    assert sum(map(sum, sam["volume"]["hour_of_week"])) == 4


def test_exercises_are_left_out_unless_asked(
    client: TestClient,
    db: Database,
    factory: Factory,
    people: dict[str, Account],
    data: dict[str, int],
) -> None:
    drill = make(db, factory, people["root"])
    with db.transaction() as s:
        s.get_one(Incident, drill).exercise = True
        refresh(s, [drill])
    assert figures(client, people["sam"], site="HQ")["volume"]["total"] == 4
    assert figures(client, people["sam"], site="HQ", exercises="true")["volume"]["total"] == 5


def test_reporters_get_403(client: TestClient, people: dict[str, Account]) -> None:
    response = client.get(API, headers=people["rita"].headers)
    assert response.status_code == 403
    assert response.headers["content-type"].startswith("application/problem+json")


@pytest.mark.parametrize(
    ("params", "words"),
    [
        ({"start": "2026-10-10", "end": "2026-10-01"}, "before the start"),
        ({"start": "2020-01-01", "end": "2026-10-01"}, "five years"),
        ({"site": "NOPE"}, "unknown site"),
        ({"site": "LAB"}, "unknown site"),  # sam may not see it
        ({"type": "nope"}, "unknown incident type"),
        ({"start": "yesterday"}, ""),
    ],
)
def test_bad_filters_are_422(
    client: TestClient, people: dict[str, Account], params: dict[str, str], words: str
) -> None:
    response = client.get(API, params=params, headers=people["sam"].headers)
    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    assert words in response.text


def test_default_period_is_the_last_30_days(client: TestClient, people: dict[str, Account]) -> None:
    out = client.get(API, headers=people["sam"].headers).json()
    assert out["period"]["days"] == 30 and out["volume"]["total"] == 0


def test_the_page_shows_every_chart(
    client: TestClient, people: dict[str, Account], data: dict[str, int]
) -> None:
    client.headers["accept"] = HTML
    assert sign_in(client, "sam").status_code == 303
    page = client.get("/analytics", params={**OCTOBER, "site": "HQ"})
    assert page.status_code == 200
    svgs = page.text.count("<svg")
    assert svgs >= 4
    start = page.text.index('<svg xmlns="http://www.w3.org/2000/svg" class="chart ch-heat"')
    fromstring(page.text[start : page.text.index("</svg>", start) + 6])
    assert "Hour of the week" in page.text and "Response times by priority" in page.text
    assert 'href="/analytics" aria-current="page"' in page.text
    assert "Sexual assault" not in page.text.split("<main", 1)[1].split("<form", 1)[0]


def test_the_page_shows_a_bad_filter_beside_the_form(
    client: TestClient, people: dict[str, Account]
) -> None:
    client.headers["accept"] = HTML
    sign_in(client, "sam")
    page = client.get("/analytics", params={"start": "2026-10-10", "end": "2026-10-01"})
    assert page.status_code == 422
    assert "the end date is before the start date" in page.text
    assert 'value="2026-10-10"' in page.text


def test_the_page_and_the_link_are_for_reports_only(
    client: TestClient, people: dict[str, Account]
) -> None:
    client.headers["accept"] = HTML
    sign_in(client, "rita")
    assert client.get("/analytics").status_code == 403
    assert 'href="/analytics"' not in client.get("/incidents").text


def test_time_to_on_scene_is_the_first_unit(
    client: TestClient, db: Database, people: dict[str, Account], data: dict[str, int]
) -> None:
    from murphy.units import service as units_service
    from murphy.units.models import Assignment, Unit
    from murphy.units.schemas import UnitIn

    root = people["root"].principal
    with db.transaction() as s:
        for callsign in ("A1", "A2"):
            units_service.create(s, principal=root, data=UnitIn(callsign=callsign, site="HQ"))
    with db.transaction() as s:
        ids = [u.id for u in s.scalars(select(Unit).order_by(Unit.callsign))]
        for unit_id, minutes in zip(ids, (9, 4), strict=True):  # the second got there first
            s.add(
                Assignment(
                    incident_id=data["t1"],
                    unit_id=unit_id,
                    role="primary",
                    dispatched_at=MONDAY,
                    on_scene_at=MONDAY + timedelta(minutes=minutes),
                )
            )
        refresh(s, [data["t1"]])
    out = figures(client, people["sam"], site="HQ")
    scene = next(m for m in out["times"] if m["key"] == "on_scene")
    assert scene["overall"]["count"] == 1
    assert scene["overall"]["median"] == pytest.approx(240, abs=1)
    assert scene["by_priority"][1]["count"] == 1


def test_effectiveness_counts_the_answers_given_when_resolving(
    client: TestClient, db: Database, factory: Factory, people: dict[str, Account]
) -> None:
    root = people["root"]
    for answer in ("yes", "yes", "no", "partly", None):
        make(db, factory, root, resolved=600, effective=answer)
    make(db, factory, root, type_code="assault", resolved=600, effective="no")  # restricted
    out = figures(client, people["sam"], site="HQ")
    assert [(c["key"], c["count"]) for c in out["effectiveness"]] == [
        ("yes", 2),
        ("partly", 1),
        ("no", 1),
    ]
    no = figures(client, people["root"], site="HQ")["effectiveness"][-1]
    assert (no["key"], no["count"]) == ("no", 2)
