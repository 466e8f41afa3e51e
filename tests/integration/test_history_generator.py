"""bench.history: five years of incidents with the shape analytics need, and audit-clean."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest
from bench import history
from sqlalchemy import func, select

from murphy import migrations, plugins
from murphy.core.db import Database
from murphy.incidents import audit
from murphy.incidents.models import Incident, TimelineEntry
from murphy.sites import directory
from murphy.sites.models import Site, Zone
from murphy.sla.models import Clock
from murphy.taxonomy.models import IncidentType
from murphy.units.models import Assignment, Unit

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


@pytest.fixture(scope="module")
def filled(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Database]:
    """2,000 incidents over five years, ending at NOW, in a SQLite file of this module's
    (generated once: the shared test database is emptied after every test)."""
    db = Database(f"sqlite:///{tmp_path_factory.mktemp('history') / 'history.db'}")
    plugins.install(db)
    migrations.upgrade(db)
    directory.forget_all()  # the sites directory cache is per process, not per database
    stats = history.fill(db, 2000, years=5, seed=3, now=NOW, progress=False)
    assert stats.added == 2000
    yield db
    db.dispose()
    directory.forget_all()


def _rows(db: Database, code: str) -> list[tuple[datetime, str, str | None]]:
    """(reported_at, site time zone, zone code) of the incidents of one type."""
    with db.transaction(write=False) as s:
        stmt = (
            select(Incident.reported_at, Site.timezone, Site.code, Zone.code)
            .join(Site, Site.id == Incident.site_id)
            .outerjoin(Zone, Zone.id == Incident.zone_id)
            .join(IncidentType, IncidentType.id == Incident.type_id)
            .where(IncidentType.code == code)
        )
        return [(at, tz, f"{site}/{zone}") for at, tz, site, zone in s.execute(stmt)]


def test_incidents_span_five_years_and_grow(filled: Database) -> None:
    with filled.transaction(write=False) as s:
        years = Counter(y for (y,) in s.execute(select(Incident.year)))
        untyped = s.scalar(select(func.count()).where(Incident.type_id.is_(None)))
    assert set(years) >= {2022, 2023, 2024, 2025, 2026}
    assert years[2025] > years[2022]  # slow growth, year on year
    assert (untyped or 0) < 40  # only some brand-new reports are not classified yet


def test_hot_spot_takes_most_vehicle_thefts_at_hq(filled: Database) -> None:
    rows = _rows(filled, "theft.vehicle.contents")
    at_hq = [zone for _at, _tz, zone in rows if zone.startswith("HQ/")]
    assert len(at_hq) > 20
    assert at_hq.count("HQ/CARPARK") / len(at_hq) > 0.6
    medical = [zone for _at, _tz, zone in _rows(filled, "safety.medical") if zone.startswith("HQ/")]
    assert medical.count("HQ/CARPARK") / len(medical) < 0.2  # not a hot spot for the rest


def _night_share(rows: list[tuple[datetime, str, str | None]]) -> float:
    hours = [at.astimezone(ZoneInfo(tz)).hour for at, tz, _zone in rows]
    return sum(1 for h in hours if h >= 22 or h < 5) / len(hours)


def test_intrusion_alarms_peak_at_night_and_thefts_by_day(filled: Database) -> None:
    alarms, thefts = _rows(filled, "intrusion.alarm"), _rows(filled, "theft.property")
    assert len(alarms) > 100 and len(thefts) > 50
    assert _night_share(alarms) > 0.6
    assert _night_share(thefts) < 0.2


def test_clocks_are_met_in_time_or_breached_at_their_due_time(filled: Database) -> None:
    with filled.transaction(write=False) as s:
        clocks = s.scalars(select(Clock)).all()
        breach_entries = s.scalar(select(func.count()).where(TimelineEntry.kind == "sla_breached"))
    assert len(clocks) > 3000
    for c in clocks:
        assert c.breached_at == c.due_at or (c.met_at is None or c.met_at <= c.due_at)
    breached = sum(1 for c in clocks if c.breached_at is not None)
    assert 0.005 < breached / len(clocks) < 0.15  # a realistic few percent
    assert breach_entries == breached


def test_units_arrive_after_dispatch_and_clear_on_resolve(filled: Database) -> None:
    with filled.transaction(write=False) as s:
        rows = s.execute(
            select(Assignment, Incident.resolved_at, Incident.responding_at).join(
                Incident, Incident.id == Assignment.incident_id
            )
        ).all()
        units = set(s.scalars(select(Unit.id)))
    assert len(rows) > 1000
    for a, resolved_at, responding_at in rows:
        assert a.unit_id in units
        assert a.dispatched_at == responding_at
        assert a.dispatched_at <= a.en_route_at <= a.on_scene_at <= a.cleared_at == resolved_at


def test_audit_verification_passes(filled: Database) -> None:
    with filled.transaction(write=False) as s:
        report = audit.verify(s)
        updated = s.execute(select(Incident.id, Incident.updated_at)).all()
        last = dict(
            s.execute(
                select(TimelineEntry.incident_id, func.max(TimelineEntry.at)).group_by(
                    TimelineEntry.incident_id
                )
            ).all()
        )
    assert report.ok, report.problems[:3]
    assert report.incidents == 2000
    assert all(at == last[i] for i, at in updated)  # updated_at is the last change
