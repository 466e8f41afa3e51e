"""Units and dispatch through the services: a unit's status and shift, dispatching with
the incident's response started, per-unit times on the assignment and the timeline,
reassigning, resolving releases the units, resources, and the recommendation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from murphy.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.incidents import triage as incidents_triage
from murphy.incidents.schemas import (
    ClassifyIn,
    IncidentCreate,
    ResolutionCode,
    Status,
    TransitionIn,
)
from murphy.sites import service as sites_service
from murphy.sites.schemas import BuildingIn, FloorIn, PlaceIn, SiteIn, ZoneIn
from murphy.taxonomy import service as taxonomy_service
from murphy.taxonomy.schemas import TypeUpdate
from murphy.units import service
from murphy.units.models import UnitLog
from murphy.units.schemas import (
    ClearIn,
    DispatchIn,
    DutyIn,
    PositionIn,
    ResourceIn,
    ResourceKind,
    ResourceStatus,
    ResourceUpdate,
    Role,
    StatusIn,
    UnitIn,
    UnitStatus,
    UnitUpdate,
)

T0 = datetime(2026, 11, 28, 2, 0, tzinfo=UTC)

PACK = """
pack: dispatch-test
categories:
  - code: safety
    name: Safety
    children:
      - code: medical
        name: Medical emergency
        default_impact: 2
        default_urgency: 1
        skills: [first_aid, AED]
        children:
          - code: medical.injury
            name: Injury
            skills: [first_aid]
          - code: medical.faint
            name: Fainted
      - code: hr
        name: HR matter
        clearance: hr
"""


@pytest.fixture
def org(db, factory):
    with db.transaction() as s:
        taxonomy_service.load_yaml(s, text=PACK)
        # A campus with coordinates: building A (floors 1, 2), zones on each floor, and
        # a car park 300 m away; a second site far off.
        site = sites_service.create(
            s,
            data=SiteIn(
                code="HQ", name="HQ", timezone="Europe/Berlin", latitude=52.52, longitude=13.40
            ),
        )
        a = sites_service.add_building(
            s, site=site, data=BuildingIn(code="A", name="A", latitude=52.5200, longitude=13.4000)
        )
        sites_service.add_floor(s, building=a, data=FloorIn(code="1", name="1", level=1))
        sites_service.add_floor(s, building=a, data=FloorIn(code="2", name="2", level=2))
        sites_service.add_zone(
            s, site=site, data=ZoneIn(code="LOBBY", name="Lobby", building="A", floor="1")
        )
        sites_service.add_zone(
            s, site=site, data=ZoneIn(code="LAB", name="Lab", building="A", floor="2")
        )
        sites_service.add_zone(
            s,
            site=site,
            data=ZoneIn(code="CARPARK", name="Car park", latitude=52.5227, longitude=13.4000),
        )
        sites_service.create(s, data=SiteIn(code="DC", name="DC", timezone="UTC"))
    factory.dana = factory.user("dana", "dispatcher", ["HQ"])
    factory.olly = factory.user("olly", "officer", ["HQ"])
    factory.omar = factory.user("omar", "officer", ["HQ"])
    factory.sam = factory.user("sam", "supervisor", ["HQ", "DC"])
    factory.hr = factory.user("hana", "dispatcher", ["HQ"], clearances=["hr"])
    return factory


def call(db, fn, account, at=None, **kw):
    with db.transaction() as s:
        return fn(s, principal=account.principal, now=at, **kw)


def add_unit(db, org, callsign, *, members=(), skills=(), on_duty=True, site="HQ", at=T0):
    data = UnitIn(
        callsign=callsign, site=site, members=list(members), skills=list(skills), on_duty=on_duty
    )
    return call(db, service.create, org.sam, at=at, data=data)


def incident(db, org, *, type_code="medical", zone="LOBBY", triage=True, account=None):
    who = account or org.dana
    with db.transaction() as s:
        data = IncidentCreate(title="Person collapsed", site="HQ", place=PlaceIn(zone=zone))
        number = incidents_service.report(s, principal=who.principal, data=data, now=T0).number
        incidents_triage.classify(
            s, principal=who.principal, number=number, data=ClassifyIn(type=type_code)
        )
        if triage:
            incidents_service.transition(
                s, principal=who.principal, number=number, data=TransitionIn(to=Status.TRIAGED)
            )
        return number


def entries(db, account, number, *kinds):
    with db.transaction(write=False) as s:
        found = incidents_service.timeline(s, principal=account.principal, number=number)
        return [(e.kind, e.data) for e in found if e.kind in kinds]


def status_of(db, account, number):
    with db.transaction(write=False) as s:
        return incidents_service.get_or_raise(s, principal=account.principal, number=number).status


def test_a_unit_has_members_skills_a_shift_and_a_logged_status(db, org):
    out = add_unit(db, org, "a12", members=["olly"], skills=["First Aid", "aed"], on_duty=False)
    assert out.callsign == "A12" and out.members == ["olly"]
    assert out.skills == ["aed", "first_aid"] and out.status is UnitStatus.AVAILABLE
    assert out.on_duty is False
    on = call(
        db,
        service.set_duty,
        org.olly,
        at=T0 + timedelta(minutes=1),
        callsign="A12",
        data=DutyIn(on_duty=True),
    )
    assert on.on_duty is True and on.duty_at == T0 + timedelta(minutes=1)
    busy = call(
        db,
        service.set_status,
        org.olly,
        at=T0 + timedelta(minutes=2),
        callsign="a12",
        data=StatusIn(status="busy", note="patrol round"),
    )
    assert busy.status is UnitStatus.BUSY and busy.status_at == T0 + timedelta(minutes=2)
    with db.transaction(write=False) as s:
        mine = service.mine(s, principal=org.olly.principal)
        log = s.query(UnitLog).order_by(UnitLog.id).all()
    assert mine is not None and mine.callsign == "A12"
    assert [(r.status, r.on_duty, r.note) for r in log] == [
        ("available", False, "added"),
        ("available", True, "shift started"),
        ("busy", True, "patrol round"),
    ]
    assert [r.at for r in log] == [T0, T0 + timedelta(minutes=1), T0 + timedelta(minutes=2)]


def test_who_may_change_a_unit(db, org):
    add_unit(db, org, "A12", members=["olly"])
    with pytest.raises(PermissionDenied, match="may not add units"):
        call(db, service.create, org.dana, data=UnitIn(callsign="B1", site="HQ"))
    with pytest.raises(PermissionDenied, match="only A12's members or a dispatcher"):
        call(db, service.set_status, org.omar, callsign="A12", data=StatusIn(status="busy"))
    # the dispatcher of its site may; a user of another site does not even see it
    assert (
        call(db, service.set_status, org.dana, callsign="A12", data=StatusIn(status="busy")).status
        is UnitStatus.BUSY
    )
    dc = org.user("dee", "dispatcher", ["DC"])
    with pytest.raises(NotFound, match="no unit A12"):
        call(db, service.set_status, dc, callsign="A12", data=StatusIn(status="available"))
    with pytest.raises(Conflict, match="already exists"):
        add_unit(db, org, "A12")
    with pytest.raises(ValidationFailed, match="dispatch it from the incident"):
        call(db, service.set_status, org.olly, callsign="A12", data=StatusIn(status="dispatched"))
    with pytest.raises(Conflict, match="has no assignment"):
        call(db, service.set_status, org.olly, callsign="A12", data=StatusIn(status="on_scene"))


def test_dispatch_to_on_scene_to_clear_times_every_step(db, org):
    add_unit(db, org, "A12", members=["olly"], skills=["first_aid", "aed"])
    call(db, service.report_position, org.olly, callsign="A12", data=PositionIn(zone="LOBBY"))
    number = incident(db, org)
    out = call(
        db,
        service.dispatch,
        org.dana,
        at=T0 + timedelta(minutes=1),
        number=number,
        data=DispatchIn(unit="a12"),
    )
    (a,) = out.assignments
    assert a.unit == "A12" and a.role is Role.PRIMARY and a.active
    assert a.dispatched_at == T0 + timedelta(minutes=1) and a.dispatched_by == "dana"
    assert a.reason.startswith("Available · has aed, first_aid · in the same zone")
    assert status_of(db, org.dana, number) == "responding"  # the response started
    with db.transaction(write=False) as s:
        board = service.board(s, principal=org.dana.principal)
    assert board[0].status is UnitStatus.DISPATCHED and board[0].assignment.incident == number

    for minutes, step in ((2, "ack"), (3, "en_route"), (7, "on_scene"), (7, "on_scene")):
        at = T0 + timedelta(minutes=minutes)
        if step == "ack":
            call(db, service.acknowledge, org.olly, at=at, number=number, callsign="A12")
        else:
            call(
                db, service.set_status, org.olly, at=at, callsign="A12", data=StatusIn(status=step)
            )
    call(
        db,
        service.set_status,
        org.olly,
        at=T0 + timedelta(minutes=30),
        callsign="A12",
        data=StatusIn(status="available"),
    )
    with db.transaction(write=False) as s:
        (a,) = service.of_incident(s, principal=org.dana.principal, number=number).assignments
        unit = service.get(s, principal=org.dana.principal, callsign="A12")
    assert (a.acknowledged_at, a.en_route_at, a.on_scene_at, a.cleared_at) == (
        T0 + timedelta(minutes=2),
        T0 + timedelta(minutes=3),
        T0 + timedelta(minutes=7),  # the second tap changed nothing
        T0 + timedelta(minutes=30),
    )
    assert not a.active and a.cleared_reason == "cleared"
    assert unit.status is UnitStatus.AVAILABLE and unit.assignment is None
    kinds = entries(
        db,
        org.dana,
        number,
        "unit_dispatched",
        "unit_acknowledged",
        "unit_status",
        "unit_cleared",
        "transition",
    )
    assert [k for k, _ in kinds] == [
        "transition",
        "unit_dispatched",
        "transition",
        "unit_acknowledged",
        "unit_status",
        "unit_status",
        "unit_cleared",
    ]
    cleared = kinds[-1][1]
    assert cleared["unit"] == "A12" and cleared["reason"] == "cleared"
    assert cleared["times"]["on_scene"].startswith("2026-11-28T02:07")
    assert set(cleared["times"]) == {
        "dispatched",
        "acknowledged",
        "en_route",
        "on_scene",
        "cleared",
    }


def test_what_keeps_a_unit_from_being_dispatched(db, org):
    add_unit(db, org, "A12", members=["olly"])
    add_unit(db, org, "OFF", on_duty=False)
    new = incident(db, org, triage=False)
    with pytest.raises(Conflict, match=r"triage .* before dispatching"):
        call(db, service.dispatch, org.dana, number=new, data=DispatchIn(unit="A12"))
    number = incident(db, org)
    with pytest.raises(Conflict, match="OFF is off duty"):
        call(db, service.dispatch, org.dana, number=number, data=DispatchIn(unit="OFF"))
    with pytest.raises(PermissionDenied, match="may not dispatch"):
        call(db, service.dispatch, org.olly, number=number, data=DispatchIn(unit="A12"))
    call(db, service.set_status, org.olly, callsign="A12", data=StatusIn(status="out_of_service"))
    with pytest.raises(Conflict, match="out of service"):
        call(db, service.dispatch, org.dana, number=number, data=DispatchIn(unit="A12"))
    call(db, service.set_status, org.olly, callsign="A12", data=StatusIn(status="available"))
    call(db, service.dispatch, org.dana, number=number, data=DispatchIn(unit="A12"))
    with pytest.raises(Conflict, match="already on"):
        call(db, service.dispatch, org.dana, number=number, data=DispatchIn(unit="A12"))
    with pytest.raises(Conflict, match="clear it before ending the shift"):
        call(db, service.set_duty, org.olly, callsign="A12", data=DutyIn(on_duty=False))
    # nothing of the refused attempts was written: one dispatch on the timeline
    assert len(entries(db, org.dana, number, "unit_dispatched")) == 1
    assert entries(db, org.dana, new, "unit_dispatched") == []


def test_reassigning_moves_a_unit_and_both_timelines_say_so(db, org):
    add_unit(db, org, "A12", members=["olly"], skills=["first_aid", "aed"])
    first = incident(db, org)
    second = incident(db, org, zone="LAB")
    call(db, service.dispatch, org.dana, number=first, data=DispatchIn(unit="A12"))
    call(db, service.set_status, org.olly, callsign="A12", data=StatusIn(status="en_route"))
    with pytest.raises(Conflict, match=f"A12 is en route to {first}: reassign"):
        call(db, service.dispatch, org.dana, number=second, data=DispatchIn(unit="A12"))
    out = call(
        db,
        service.dispatch,
        org.dana,
        at=T0 + timedelta(minutes=5),
        number=second,
        data=DispatchIn(unit="A12", reassign=True),
    )
    assert [a.unit for a in out.assignments if a.active] == ["A12"]
    ((_, cleared),) = entries(db, org.dana, first, "unit_cleared")
    assert cleared["reason"] == f"reassigned to {second}" and "en_route" in cleared["times"]
    assert out.assignments[0].reason.startswith("Available")  # judged as free to go


def test_primary_and_assisting_units(db, org):
    for callsign in ("A1", "A2", "A3"):
        add_unit(db, org, callsign)
    number = incident(db, org)
    call(db, service.dispatch, org.dana, number=number, data=DispatchIn(unit="A1"))
    out = call(db, service.dispatch, org.dana, number=number, data=DispatchIn(unit="A2"))
    assert [(a.unit, a.role) for a in out.assignments] == [
        ("A1", Role.PRIMARY),
        ("A2", Role.ASSISTING),
    ]
    out = call(
        db, service.dispatch, org.dana, number=number, data=DispatchIn(unit="A3", role="primary")
    )
    assert [(a.unit, a.role) for a in out.assignments] == [
        ("A1", Role.ASSISTING),
        ("A2", Role.ASSISTING),
        ("A3", Role.PRIMARY),
    ]
    last = entries(db, org.dana, number, "unit_dispatched")[-1][1]
    assert last["primary_before"] == "A1"


def test_resolving_on_scene_releases_every_unit_with_its_times(db, org):
    add_unit(db, org, "A1", members=["olly"])
    add_unit(db, org, "A2", members=["omar"])
    number = incident(db, org)
    for unit in ("A1", "A2"):
        call(db, service.dispatch, org.dana, at=T0, number=number, data=DispatchIn(unit=unit))
    call(
        db,
        service.set_status,
        org.olly,
        at=T0 + timedelta(minutes=4),
        callsign="A1",
        data=StatusIn(status="on_scene"),
    )
    with db.transaction() as s:  # the officer resolves on the scene
        incidents_service.transition(
            s,
            principal=org.olly.principal,
            number=number,
            data=TransitionIn(
                to=Status.RESOLVED,
                resolution_code=ResolutionCode.FALSE_ALARM,
                reason="Alarm set off by steam from the kitchen",
            ),
            now=T0 + timedelta(minutes=20),
        )
    with db.transaction(write=False) as s:
        out = service.of_incident(s, principal=org.dana.principal, number=number)
        board = {u.callsign: u for u in service.board(s, principal=org.dana.principal)}
        inc = incidents_service.get_or_raise(s, principal=org.dana.principal, number=number)
    assert inc.resolution_code == "false_alarm"
    assert all(not a.active and a.cleared_reason == "incident resolved" for a in out.assignments)
    assert out.assignments[0].on_scene_at == T0 + timedelta(minutes=4)
    assert {u.status for u in board.values()} == {UnitStatus.AVAILABLE}
    cleared = entries(db, org.dana, number, "unit_cleared")
    assert sorted(d["unit"] for _, d in cleared) == ["A1", "A2"]
    assert all(d["times"]["cleared"].startswith("2026-11-28T02:20") for _, d in cleared)


def test_resources_are_tracked_to_the_end(db, org):
    number = incident(db, org)
    out = call(
        db,
        service.request_resource,
        org.olly,
        at=T0,
        number=number,
        data=ResourceIn(kind=ResourceKind.AGENCY, what="Ambulance", note="Adult, breathing"),
    )
    (r,) = out.resources
    assert r.status is ResourceStatus.REQUESTED and r.requested_by == "olly"
    call(
        db,
        service.update_resource,
        org.dana,
        at=T0 + timedelta(minutes=1),
        number=number,
        resource_id=r.id,
        data=ResourceUpdate(status="on_the_way", reference="CAD 4471"),
    )
    out = call(
        db,
        service.update_resource,
        org.dana,
        at=T0 + timedelta(minutes=9),
        number=number,
        resource_id=r.id,
        data=ResourceUpdate(status="arrived"),
    )
    (r,) = out.resources
    assert r.reference == "CAD 4471" and r.arrived_at == T0 + timedelta(minutes=9)
    assert r.on_the_way_at == T0 + timedelta(minutes=1)
    with pytest.raises(Conflict, match="Ambulance is arrived; it can go to released"):
        call(
            db,
            service.update_resource,
            org.dana,
            number=number,
            resource_id=r.id,
            data=ResourceUpdate(status="cancelled"),
        )
    with pytest.raises(NotFound):
        call(
            db,
            service.update_resource,
            org.dana,
            number=number,
            resource_id=r.id + 99,
            data=ResourceUpdate(status="released"),
        )
    kinds = [d.get("status") for _, d in entries(db, org.dana, number, "resource_updated")]
    assert kinds == ["on_the_way", "arrived"]


def test_the_recommendation_puts_the_nearest_qualified_unit_first(db, org):
    # GPS: N1 is 100 m from building A, F1 300 m away; both have the skills
    add_unit(db, org, "F1", members=["olly"], skills=["first_aid", "aed"])
    add_unit(db, org, "N1", members=["omar"], skills=["first_aid", "aed"])
    add_unit(db, org, "NOAED", skills=["first_aid"])
    add_unit(db, org, "ZONE", skills=["first_aid", "aed"])
    add_unit(db, org, "OFFDUTY", skills=["first_aid", "aed"], on_duty=False)
    add_unit(db, org, "AWAY", skills=["first_aid", "aed"], site="DC")
    now = T0 + timedelta(minutes=1)
    call(
        db,
        service.report_position,
        org.olly,
        at=now,
        callsign="F1",
        data=PositionIn(latitude=52.5227, longitude=13.4000, accuracy_m=8),
    )
    call(
        db,
        service.report_position,
        org.omar,
        at=now,
        callsign="N1",
        data=PositionIn(latitude=52.5209, longitude=13.4000, accuracy_m=8),
    )
    call(
        db, service.report_position, org.dana, at=now, callsign="ZONE", data=PositionIn(zone="LAB")
    )
    call(
        db,
        service.report_position,
        org.dana,
        at=now,
        callsign="NOAED",
        data=PositionIn(zone="LOBBY"),
    )
    number = incident(db, org, zone="LOBBY")
    with db.transaction(write=False) as s:
        rec = service.recommend(s, principal=org.sam.principal, number=number, now=now)
    assert rec.skills == ["aed", "first_aid"]
    order = [p.unit for p in rec.picks]
    # ZONE (same building, a floor apart: nominal 150 m) sorts between N1 (100 m) and F1
    # (300 m)
    assert order[:3] == ["N1", "ZONE", "F1"]
    # then the qualified unit at another site, the one lacking the AED, the off-duty one
    assert order[3:] == ["AWAY", "NOAED", "OFFDUTY"]
    picks = {p.unit: p for p in rec.picks}
    assert picks["N1"].eligible and picks["N1"].distance_m == pytest.approx(100, abs=2)
    assert picks["N1"].reason == "Available · has aed, first_aid · 100 m away"
    assert picks["ZONE"].reason.endswith("in the same building, 1 floor apart")
    assert picks["NOAED"].missing_skills == ["aed"] and not picks["NOAED"].eligible
    assert picks["NOAED"].reason == "Lacks aed · in the same zone"
    assert picks["OFFDUTY"].reason.startswith("Off duty")
    assert picks["AWAY"].proximity == "at another site"
    # a subtype asks for less; a type that names none takes its parent's
    with db.transaction(write=False) as s:
        assert taxonomy_service.skills_needed(
            s, taxonomy_service.get(s, code="medical.injury").id
        ) == ["first_aid"]
        assert taxonomy_service.skills_needed(
            s, taxonomy_service.get(s, code="medical.faint").id
        ) == ["aed", "first_aid"]
    # an hour later the GPS fixes are stale: N1 and F1 are only "on site" now
    with db.transaction(write=False) as s:
        later = service.recommend(
            s, principal=org.sam.principal, number=number, now=now + timedelta(hours=1)
        )
    assert [p.unit for p in later.picks][:3] == ["ZONE", "F1", "N1"]
    assert {p.unit: p.proximity for p in later.picks}["N1"] == "on site, position unknown"


def test_the_recommendation_hides_what_a_restricted_incident_is(db, org):
    add_unit(db, org, "A1")
    secret = incident(db, org, type_code="hr", account=org.hr)
    call(db, service.dispatch, org.hr, number=secret, data=DispatchIn(unit="A1"))
    number = incident(db, org)
    with db.transaction(write=False) as s:
        rec = service.recommend(s, principal=org.dana.principal, number=number)
        seen = service.recommend(s, principal=org.hr.principal, number=number)
        board = service.board(s, principal=org.dana.principal)
    assert rec.picks[0].reason.startswith("Dispatched to a restricted incident")
    assert seen.picks[0].reason.startswith(f"Dispatched to {secret}")
    assert board[0].assignment is None and board[0].restricted is True


def test_a_type_needs_skills_set_through_the_taxonomy(db, org):
    with db.transaction() as s:
        taxonomy_service.update(s, code="hr", data=TypeUpdate(skills=["Interview"]))
    with db.transaction(write=False) as s:
        row = taxonomy_service.get(s, code="hr")
        assert row.skills == ["interview"]
    with pytest.raises(ValueError, match="invalid skill"):
        TypeUpdate(skills=["first aid!"])


def test_a_position_needs_coordinates_or_a_zone(db, org):
    add_unit(db, org, "A1", members=["olly"])
    with pytest.raises(ValidationFailed, match="give latitude and longitude"):
        call(db, service.report_position, org.olly, callsign="A1", data=PositionIn())
    with pytest.raises(ValidationFailed, match="both latitude and longitude"):
        call(db, service.report_position, org.olly, callsign="A1", data=PositionIn(latitude=52.5))
    with pytest.raises(ValidationFailed, match="has no zone"):
        call(db, service.report_position, org.olly, callsign="A1", data=PositionIn(zone="NOPE"))
    out = call(
        db, service.report_position, org.olly, at=T0, callsign="A1", data=PositionIn(zone="lobby")
    )
    assert out.position.source == "zone" and "Lobby" in out.position.label


def test_deactivating_and_changing_members(db, org):
    add_unit(db, org, "A1", members=["olly"])
    add_unit(db, org, "A2")
    out = call(
        db, service.update, org.sam, callsign="A2", data=UnitUpdate(members=["olly", "omar"])
    )
    assert out.members == ["olly", "omar"]
    with db.transaction(write=False) as s:
        assert service.get(s, principal=org.sam.principal, callsign="A1").members == []
    number = incident(db, org)
    call(db, service.dispatch, org.dana, number=number, data=DispatchIn(unit="A2"))
    with pytest.raises(Conflict, match="clear it before deactivating"):
        call(db, service.update, org.sam, callsign="A2", data=UnitUpdate(active=False))
    call(
        db, service.clear, org.dana, number=number, callsign="A2", data=ClearIn(reason="stood down")
    )
    out = call(db, service.update, org.sam, callsign="A2", data=UnitUpdate(active=False))
    assert out.active is False and out.on_duty is False
    with db.transaction(write=False) as s:
        assert [u.callsign for u in service.board(s, principal=org.sam.principal)] == ["A1"]


def test_changes_to_a_unit_are_logged_and_a_change_of_nothing_is_not_one(db, org):
    from sqlalchemy import select

    from murphy.core.models import LiveEvent
    from murphy.units.models import Unit

    add_unit(db, org, "A1", members=["olly"], skills=["first_aid"])
    add_unit(db, org, "A2")

    def notes(callsign):
        with db.transaction(write=False) as s:
            unit = s.scalars(select(Unit).where(Unit.callsign == callsign)).one()
            rows = s.scalars(select(UnitLog).order_by(UnitLog.id)).all()
            return unit.version, [r.note for r in rows if r.unit_id == unit.id and r.note]

    def events():
        with db.transaction(write=False) as s:
            return len(s.scalars(select(LiveEvent)).all())

    version, before = notes("A1")
    seen = events()
    same = UnitUpdate(name="", kind="officer", site="HQ", skills=["first_aid"], members=["olly"])
    with db.transaction() as s:
        current = service.get(s, principal=org.sam.principal, callsign="A1")
    same = same.model_copy(update={"name": current.name, "kind": current.kind})
    call(db, service.update, org.sam, callsign="A1", data=same)
    assert notes("A1") == (version, before) and events() == seen  # nothing changed

    call(
        db,
        service.update,
        org.sam,
        callsign="A1",
        data=UnitUpdate(skills=["first_aid", "aed"], name="Olly Mensah"),
    )
    version2, after = notes("A1")
    assert version2 == version + 1
    assert after[len(before) :] == [
        f"name {current.name!r} → 'Olly Mensah'; skills first_aid → aed, first_aid"
    ]

    # moving olly to A2 is logged on A2, and A1 (which lost a member) is announced too
    seen = events()
    call(db, service.update, org.sam, callsign="A2", data=UnitUpdate(members=["olly"]))
    assert notes("A2")[1][-1] == "members none → olly"
    assert events() == seen + 2
