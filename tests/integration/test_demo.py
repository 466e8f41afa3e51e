"""The demo organization: it loads through the real services, verifies, and looks lived in:
classified, prioritized, worked by its playbooks, with a few restricted incidents.

Loading costs seconds (34 argon2 hashes, hundreds of incidents), so the module loads once
into this worker's migrated test database and empties it afterwards, as the `db` fixture
does after each test. The CLI test runs on a database file of its own.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select
from typer.testing import CliRunner

from murphy import demo
from murphy.cli import app, common
from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.demo import stories
from murphy.demo import types as demo_types
from murphy.demo.people import BY_NAME
from murphy.demo.places import zone_codes
from murphy.demo.plan import KINDS, plan
from murphy.incidents import audit
from murphy.incidents import service as incidents_service
from murphy.incidents.models import Incident, TimelineEntry
from murphy.incidents.schemas import IncidentCreate, IncidentQuery, Status
from murphy.playbooks import service as playbooks_service
from murphy.sites import service as sites_service
from murphy.taxonomy.models import IncidentType
from murphy.users import service as users_service
from murphy.users.schemas import Role
from tests.conftest import _empty

pytestmark = pytest.mark.xdist_group("demo")

COUNT = 300
SEED = 7


@dataclass(frozen=True)
class Loaded:
    """The database with the demo in it, when it was loaded, and the progress reported."""

    db: Database
    now: datetime
    progress: list[int]


@pytest.fixture(scope="module")
def loaded(database: Database) -> Iterator[Loaded]:
    """The demo with COUNT incidents, loaded once for the module."""
    assert demo.is_empty(database)
    steps: list[int] = []
    now = utcnow()
    demo.load(database, incidents=COUNT, seed=SEED, progress=steps.append, now=now)
    yield Loaded(database, now, steps)
    _empty(database)


def _incidents(db: Database) -> list[Incident]:
    with db.transaction(write=False) as s:
        return list(s.scalars(select(Incident).order_by(Incident.id)))


def test_is_not_empty_after_loading(loaded: Loaded) -> None:
    assert not demo.is_empty(loaded.db)
    assert sum(loaded.progress) == COUNT
    assert len(loaded.progress) >= 3  # the bar moves in chunks


def test_three_sites_in_their_own_time_zones_with_places(loaded: Loaded) -> None:
    with loaded.db.transaction(write=False) as s:
        sites = {site.code: sites_service.detail(s, site=site) for site in sites_service.list(s)}
    assert len(sites) == 3
    assert len({site.timezone for site in sites.values()}) == 3
    for site in sites.values():
        floors = [f for b in site.buildings for f in b.floors]
        zones = [z for f in floors for z in f.zones] + site.outdoor_zones
        assert len(site.buildings) >= 2, site.code
        assert len(floors) >= 4, site.code
        assert len(zones) >= 10, site.code
    names = {
        z.name for site in sites.values() for b in site.buildings for f in b.floors for z in f.zones
    }
    assert {"ED triage", "ED waiting room", "Helipad", "Mantrap", "Loading dock"} <= names


def test_about_thirty_users_in_every_role(loaded: Loaded) -> None:
    with loaded.db.transaction(write=False) as s:
        users = users_service.list(s)
        scopes = {u.username: users_service.to_out(s, u) for u in users}
    assert 25 <= len(users) <= 40
    assert {Role(u.role) for u in users} == set(Role)
    officers = [o for o in scopes.values() if o.role is Role.OFFICER]
    assert all(len(o.sites) == 1 and not o.all_sites for o in officers)
    assert any(o.all_sites for o in scopes.values() if o.role is Role.DISPATCHER)
    assert all(o.all_sites for o in scopes.values() if o.role in (Role.ANALYST, Role.ADMIN))
    assert all("@" in o.email and o.display_name for o in scopes.values())


def test_someone_is_on_call_on_every_demo_schedule(loaded: Loaded) -> None:
    from murphy.oncall import service as oncall_service

    with loaded.db.transaction(write=False) as s:
        admin = users_service.principal(s, users_service.get_or_raise(s, username="admin"))
        found = oncall_service.list_schedules(s, principal=admin, at=loaded.now)
        london = ZoneInfo("Europe/London")
        day = loaded.now.astimezone(london).date() + timedelta(days=2)
        later = datetime(day.year, day.month, day.day, 12, tzinfo=london)  # Grace's swap
        swapped = oncall_service.on_call(s, principal=admin, ref="SOC on-call dispatcher", at=later)
    assert {x.name for x in found} == {"Control room supervisor", "SOC on-call dispatcher"}
    assert all(x.on_call.user is not None for x in found)
    by_name = {x.name: x for x in found}
    supervisor = by_name["Control room supervisor"].on_call.user
    assert supervisor and supervisor.username in (
        "niall.fraser",
        "fiona.mcallister",
        "pieter.janssen",
    )
    assert by_name["SOC on-call dispatcher"].overrides  # the swap
    assert (
        swapped.user and swapped.user.username == "grace.adeyemi" and swapped.source == "override"
    )


def test_every_published_login_signs_in(loaded: Loaded) -> None:
    assert {Role(login.role) for login in demo.LOGINS} == set(Role)
    with loaded.db.transaction() as s:
        for login in demo.LOGINS:
            user = users_service.authenticate_password(
                s, username=login.username, password=demo.PASSWORD
            )
            assert user is not None, login.username
            assert user.role == login.role


def test_statuses_are_spread_like_a_real_queue(loaded: Loaded) -> None:
    statuses = Counter(Status(i.status) for i in _incidents(loaded.db))
    assert sum(statuses.values()) == COUNT
    assert statuses[Status.CLOSED] > COUNT * 0.6
    assert statuses[Status.NEW] + statuses[Status.TRIAGED] + statuses[Status.RESPONDING] >= 3
    assert statuses[Status.CANCELLED] >= 1
    assert statuses[Status.MERGED] >= 1


def test_outcomes_fit_the_kind_of_incident(loaded: Loaded) -> None:
    incidents = _incidents(loaded.db)
    alarms = Counter(
        i.resolution_code for i in incidents if i.channel == "api" and i.resolution_code
    )
    people = Counter(
        i.resolution_code for i in incidents if i.channel != "api" and i.resolution_code
    )
    assert alarms["false_alarm"] > 0.4 * sum(alarms.values())
    assert people["false_alarm"] == 0
    assert people["referred_police"] > 0
    cancelled = [i for i in incidents if i.status == Status.CANCELLED]
    assert all(i.cancel_reason for i in cancelled)
    assert all(i.merged_into_id for i in incidents if i.status == Status.MERGED)


def test_nothing_happens_in_the_future(loaded: Loaded) -> None:
    columns = (
        Incident.reported_at,
        Incident.occurred_at,
        Incident.updated_at,
        Incident.triaged_at,
        Incident.responding_at,
        Incident.resolved_at,
        Incident.closed_at,
        Incident.cancelled_at,
    )
    with loaded.db.transaction(write=False) as s:
        latest = [s.scalar(select(func.max(c))) for c in columns]
        latest.append(s.scalar(select(func.max(TimelineEntry.at))))
    assert all(at is None or at <= loaded.now for at in latest)


def test_reports_come_at_every_hour_of_the_day(loaded: Loaded) -> None:
    incidents = _incidents(loaded.db)
    with loaded.db.transaction(write=False) as s:
        zones = {site.id: ZoneInfo(site.timezone) for site in sites_service.list(s)}
    hours = Counter(i.reported_at.astimezone(zones[i.site_id]).hour for i in incidents)
    assert len(hours) >= 20
    assert max(hours.values()) < 0.15 * COUNT
    days = {i.reported_at.date() for i in incidents}
    assert len(days) >= 60  # spread over the last 90 days


def test_every_timeline_verifies(loaded: Loaded) -> None:
    with loaded.db.transaction(write=False) as s:
        report = audit.verify(s)
    assert report.ok, report.problems[:5]
    assert report.incidents == COUNT
    assert report.entries > COUNT * 4  # triage, response, notes, resolution, closure


def test_the_same_seed_tells_the_same_stories(loaded: Loaded) -> None:
    titles = [i.title for i in _incidents(loaded.db)]
    again = plan(seed=SEED, count=COUNT, now=loaded.now)
    planned = [s.data.title for s in again if isinstance(s.data, IncidentCreate)]
    assert titles == planned
    other = plan(seed=SEED + 1, count=COUNT, now=loaded.now)
    assert planned != [s.data.title for s in other if isinstance(s.data, IncidentCreate)]
    assert len(set(titles)) > COUNT / 3  # templates with slots, not one sentence repeated


def test_every_template_fills_and_every_zone_exists() -> None:
    known = {
        k: "x"
        for k in ("zone", "Zone", "the_zone", "officer", "partner", "dispatcher", "supervisor")
    }
    known |= {"clock": "12:00", "seen": "11:00"}
    for site, kinds in KINDS.items():
        slots = stories.Slots(random.Random(1), site, known)
        generic = [
            *(t for texts in stories.GENERIC_SUMMARIES.values() for t in texts),
            *(t for texts in stories.CANCEL_REASONS.values() for t in texts),
            *stories.DISPATCH_NOTES,
            *stories.PATROL_NOTES,
            *stories.FOLLOW_UPS,
            *stories.REOPEN_REASONS,
            *stories.REOPEN_NOTES,
        ]
        for kind in kinds:
            assert {stories.untag(z) for z in kind.zones} <= zone_codes(site), kind.key
            texts = [*kind.titles, *kind.details, *kind.notes, *(t for _, t in kind.summaries)]
            for text in [*texts, *generic]:
                assert "{" not in slots.fill(stories.untag(text)), text
            assert len(slots.fill(kind.titles[0])) <= 200


def test_every_story_is_a_type_of_the_shipped_packs(loaded: Loaded) -> None:
    with loaded.db.transaction(write=False) as s:
        types = {t.code: t for t in s.scalars(select(IncidentType))}
    for site, kinds in KINDS.items():
        for kind in kinds:
            for title in range(len(kind.titles)):
                code = demo_types.type_of(site, kind.key, title)
                assert code in types and types[code].level != "category", (site, kind.key, code)
                assert types[code].clearance == demo_types.clearance_of(site, kind.key, title)


def test_incidents_are_classified_and_prioritized(loaded: Loaded) -> None:
    incidents = _incidents(loaded.db)
    worked = [i for i in incidents if i.triaged_at is not None]
    assert len(worked) > COUNT * 0.8
    assert all(i.type_id is not None and i.priority is not None for i in worked)
    priorities = Counter(i.priority for i in worked)
    assert {1, 2, 3, 4} <= set(priorities), priorities
    assert max(priorities.values()) < 0.5 * len(worked)  # not everything the same
    assert any(i.priority_reason for i in incidents)  # now and then overridden
    with loaded.db.transaction(write=False) as s:
        entries = Counter(s.scalars(select(TimelineEntry.kind)))
    for kind in ("classified", "tasks_created", "task_done", "assessed", "acknowledged"):
        assert entries[kind] > 0, kind


def test_resolved_incidents_followed_their_playbook(loaded: Loaded) -> None:
    with loaded.db.transaction(write=False) as s:
        done = [i for i in _incidents(loaded.db) if i.resolved_at is not None]
        with_books = [i for i in done if i.playbook_id is not None]
        assert len(with_books) > len(done) * 0.2
        for incident in with_books:
            assert playbooks_service.open_mandatory(s, incident_id=incident.id) == []
            assert incidents_service.missing_fields(s, incident) == [], incident.number


def test_restricted_incidents_are_seen_by_the_cleared_only(loaded: Loaded) -> None:
    restricted = [i for i in _incidents(loaded.db) if i.clearance]
    assert 1 <= len(restricted) <= COUNT * 0.05
    query = IncidentQuery(status=[], limit=200)
    with loaded.db.transaction(write=False) as s:

        def seen(username: str) -> set[str]:
            user = users_service.get(s, username=username)
            assert user is not None
            who = users_service.principal(s, user)
            numbers: set[str] = set()
            page = incidents_service.list(s, principal=who, query=query)
            while True:
                numbers |= {i.number for i in page.items}
                if not page.next_cursor:
                    return numbers
                more = query.model_copy(update={"cursor": page.next_cursor})
                page = incidents_service.list(s, principal=who, query=more)

        everyone = seen("niall.fraser")  # the GSOC duty manager holds every clearance
        dispatcher = seen("priya.raman")
        for incident in restricted:
            assert incident.number in everyone and incident.number not in dispatcher
            actors = set(
                s.scalars(
                    select(TimelineEntry.actor).where(
                        TimelineEntry.incident_id == incident.id, TimelineEntry.seq > 2
                    )
                )
            ) - {None}
            for name in actors:  # everyone who worked it after the report was cleared
                assert incident.clearance in BY_NAME[name].clearances, (incident.number, name)
        assert len(everyone) == COUNT and len(dispatcher) == COUNT - len(restricted)


def test_murphy_demo_command(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    url = f"sqlite:///{tmp_path / 'demo.db'}"
    monkeypatch.setenv("MURPHY_DATABASE_URL", url)
    common.settings.cache_clear()
    common.database.cache_clear()
    runner = CliRunner()
    try:
        assert runner.invoke(app, ["db", "upgrade"]).exit_code == 0
        result = runner.invoke(app, ["demo", "--incidents", "50"])
        assert result.exit_code == 0, result.output
        assert "murphy-demo" in result.output
        assert all(login.username in result.output for login in demo.LOGINS)
        again = runner.invoke(app, ["demo", "--incidents", "50"])
        assert again.exit_code == 1  # only into an empty database
    finally:
        common.database().dispose()
        common.settings.cache_clear()
        common.database.cache_clear()
    db = Database(url)
    with db.transaction(write=False) as s:
        assert s.scalar(select(func.count()).select_from(Incident)) == 50
        assert audit.verify(s).ok
    db.dispose()


def test_recurrence_candidates_appear_on_demo_data(loaded: Loaded) -> None:
    """The demo's hot spots are proposed as candidate problems, with their evidence."""
    from murphy.problems import recurrence

    with loaded.db.transaction(write=False) as s:
        admin = users_service.principal(s, users_service.get_or_raise(s, username="admin"))
        found = recurrence.candidates(s, principal=admin, days=90, min_count=4, now=loaded.now)
    assert found, "no place keeps coming back in the demo"
    top = found[0]
    assert top.evidence.count >= 4 and len(top.incidents) == top.evidence.count
    assert top.evidence.findings[0].startswith(f"{top.evidence.count} incidents in 90 days")
    print([(c.site, c.place_label, c.type_name, c.evidence.findings) for c in found[:5]])


def test_the_facts_kept_change_by_change_equal_a_rebuild(loaded: Loaded) -> None:
    """The analytics plugin rewrote each incident's fact row after every change the demo
    made through the services (reports, triage, units, clocks met and breached, closing):
    rebuilding them all from scratch changes none."""
    from murphy.analytics.changes import FACTS, rebuild

    order = FACTS.c.incident_id
    with loaded.db.engine.connect() as conn:
        kept = conn.execute(select(FACTS).order_by(order)).all()
        incidents = conn.scalar(select(func.count()).select_from(Incident))
        assert rebuild(conn) == incidents
        rebuilt = conn.execute(select(FACTS).order_by(order)).all()
        conn.rollback()
    assert len(kept) == len(rebuilt)
    assert [r for r in kept if r not in rebuilt] == []
    assert sum(1 for r in kept if r.tos is not None) > 0  # units got there
    outcomes = {o for r in kept for o in (r.acknowledge, r.respond, r.resolve)}
    assert outcomes >= {"met", "open"}  # (breaches: tests/integration/test_incident_facts.py)
