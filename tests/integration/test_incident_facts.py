"""The analytics facts follow an incident through the real services, change by change, in
the same transaction: its report hour, type and priority, the clocks breached by the
scheduler and met at their milestones, the first unit on scene, the resolution, a move
to another site. `murphy analytics rebuild` writes the same rows from scratch."""

from __future__ import annotations

import sqlite3
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import delete, select

from murphy.analytics import service as analytics_service
from murphy.analytics.changes import FACTS
from murphy.core.clock import utcnow
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.models import Incident
from murphy.incidents.schemas import ClassifyIn, IncidentUpdate
from murphy.units import service as units_service
from murphy.units.schemas import DispatchIn, DutyIn, StatusIn, UnitIn, UnitStatus
from tests.factories import Account
from tests.integration.test_cli import org_cli, org_template  # noqa: F401 (fixtures)
from tests.integration.test_cli_report import _incident
from tests.integration.test_sla import MIN, classify, drain, move, report


@pytest.fixture
def people(factory) -> dict[str, Account]:
    factory.site("HQ")
    factory.site("DC", timezone="UTC")
    factory.taxonomy()
    return {
        "dana": factory.user("dana", "dispatcher", all_sites=True),
        "root": factory.user("root", "admin", all_sites=True),
    }


def fact(db, number: str):
    with db.transaction(write=False) as s:
        found = select(Incident.id).where(Incident.number == number).scalar_subquery()
        return s.execute(select(FACTS).where(FACTS.c.incident_id == found)).one()


def test_the_fact_row_follows_every_change(db, people):
    dana = people["dana"]
    t0 = (utcnow() - timedelta(hours=2)).replace(microsecond=0)
    number = report(db, dana, t0)
    row = fact(db, number)
    assert row.hour == int(t0.timestamp()) // 3600
    assert (row.type_id, row.priority, row.acknowledge, row.tta) == (None, None, None, None)

    classify(db, dana, number, "theft", t0 + MIN, impact=1, urgency=1)  # P1: 2, 10, 240 min
    assert drain(db) == 2
    row = fact(db, number)
    assert (row.priority, row.acknowledge, row.respond, row.resolve) == (
        1,
        "breached",
        "breached",
        "open",
    )

    move(db, dana, number, t0 + 20 * MIN, "triaged")
    with db.transaction() as s:
        units_service.create(
            s, principal=people["root"].principal, data=UnitIn(callsign="A1", site="HQ")
        )
        units_service.set_duty(
            s, principal=people["root"].principal, callsign="A1", data=DutyIn(on_duty=True)
        )
    with db.transaction() as s:
        units_service.dispatch(
            s,
            principal=dana.principal,
            number=number,
            data=DispatchIn(unit="A1"),
            now=t0 + 25 * MIN,
        )
    with db.transaction() as s:
        units_service.set_status(
            s,
            principal=dana.principal,
            callsign="A1",
            data=StatusIn(status=UnitStatus.ON_SCENE),
            now=t0 + 30 * MIN,
        )
    row = fact(db, number)
    assert (row.tta, row.tos, row.ttr) == (20 * 60, 30 * 60, None)

    move(db, dana, number, t0 + 50 * MIN, "resolved", resolution_code="resolved")
    row = fact(db, number)
    assert (row.ttr, row.resolve, row.acknowledge) == (50 * 60, "met", "breached")

    with db.transaction() as s:
        incidents_service.update(
            s, principal=dana.principal, number=number, data=IncidentUpdate(site="DC"), now=t0
        )
    assert fact(db, number).site_id != row.site_id


def test_rebuild_writes_the_same_rows_and_repairs_lost_ones(db, people):
    dana = people["dana"]
    at = datetime(2026, 11, 2, 9, 15, 30, tzinfo=UTC)
    numbers = [report(db, dana, at + i * MIN) for i in range(3)]
    classify(db, dana, numbers[0], "theft", at + 2 * MIN)
    with db.transaction(write=False) as s:
        kept = s.execute(select(FACTS).order_by(FACTS.c.incident_id)).all()
    with db.transaction() as s:
        s.execute(delete(FACTS).where(FACTS.c.incident_id == kept[0].incident_id))
    with db.transaction() as s:
        assert analytics_service.rebuild_facts(s) == 3
    with db.transaction(write=False) as s:
        assert s.execute(select(FACTS).order_by(FACTS.c.incident_id)).all() == kept


def test_the_rebuild_command(org_cli) -> None:  # noqa: F811
    number = _incident(org_cli.url)
    with sqlite3.connect(org_cli.url.removeprefix("sqlite:///")) as conn:
        conn.execute("DELETE FROM incident_facts")
    code, out, err = org_cli("analytics", "rebuild")
    assert code == 0, err
    assert "rewrote the facts of 1 incidents" in out
    with sqlite3.connect(org_cli.url.removeprefix("sqlite:///")) as conn:
        found = conn.execute(
            "SELECT i.number FROM incident_facts f JOIN incidents i ON i.id = f.incident_id"
        ).fetchall()
    assert found == [(number,)]


def test_a_change_that_rolls_back_leaves_the_row_as_it_was(db, people):
    dana = people["dana"]
    number = report(db, dana, utcnow() - timedelta(minutes=5))
    before = fact(db, number)
    with pytest.raises(RuntimeError), db.transaction() as s:
        data = ClassifyIn(type="theft", impact=1, urgency=1)
        triage.classify(s, principal=dana.principal, number=number, data=data)
        raise RuntimeError("the request failed after the change")
    assert fact(db, number) == before
    classify(db, dana, number, "theft", utcnow(), impact=1, urgency=1)
    assert fact(db, number).priority == 1
