"""The demo's units: one per field officer (on duty when their shift says so), a K9 team
on the campus and an outside agency per site, each somewhere on its site; units sent to
some of the incidents still being responded to, so the board has something to show."""

from __future__ import annotations

import random
from datetime import datetime

from sqlalchemy.orm import Session

from murphy.demo.people import PEOPLE, Person
from murphy.demo.places import CAMPUS, DATACENTER, HOSPITAL, SITES, zone_codes
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentQuery, Sort, Status
from murphy.units import service as units_service
from murphy.units.schemas import DispatchIn, PositionIn, StatusIn, UnitIn, UnitKind, UnitStatus
from murphy.users.schemas import Principal, Role

PREFIX = {HOSPITAL: "H", CAMPUS: "C", DATACENTER: "D"}
SKILLS = {
    HOSPITAL: (["first_aid", "aed", "restraint"], ["first_aid", "restraint"]),
    CAMPUS: (["first_aid", "aed"], ["first_aid", "locksmith"]),
    DATACENTER: (["first_aid", "aed"], ["first_aid", "cyber_forensics"]),
}
AGENCY = {
    HOSPITAL: ("CPD", "Chicago Police liaison"),
    CAMPUS: ("MET", "Metropolitan Police liaison"),
    DATACENTER: ("POL", "Politie Amsterdam liaison"),
}
SENT = 2  # open incidents per site that get a unit


def create_units(
    session: Session, principals: dict[str, Principal], now: datetime, seed: int
) -> None:
    """Create the demo units, place the ones on duty, and dispatch a few."""
    rng = random.Random(seed)
    admin = principals["admin"]
    for spec in SITES:
        officers: list[Person] = [
            p for p in PEOPLE if p.site == spec.code and p.role is Role.OFFICER
        ]
        zones = sorted(zone_codes(spec.code))
        for n, person in enumerate(officers, start=1):
            skills = SKILLS[spec.code][n % 2]
            _unit(
                session,
                admin,
                f"{PREFIX[spec.code]}{n}",
                person.display_name,
                spec.code,
                UnitKind.OFFICER,
                skills,
                [person.username],
                person.on_duty(now),
            )
        code, name = AGENCY[spec.code]
        _unit(session, admin, code, name, spec.code, UnitKind.AGENCY, ["armed"], [], False)
        if spec.code == CAMPUS:
            _unit(
                session,
                admin,
                "K9-1",
                "Dog team Bravo",
                spec.code,
                UnitKind.K9,
                ["k9", "first_aid"],
                [],
                True,
            )
        for unit in units_service.board(session, principal=admin, site=spec.code, now=now):
            if unit.on_duty:
                data = PositionIn(site=spec.code, zone=rng.choice(zones))
                units_service.report_position(
                    session, principal=admin, callsign=unit.callsign, data=data, now=now
                )
        _dispatch_some(session, admin, spec.code, now, rng)


def _unit(
    session: Session,
    admin: Principal,
    callsign: str,
    name: str,
    site: str,
    kind: UnitKind,
    skills: list[str],
    members: list[str],
    on_duty: bool,
) -> None:
    data = UnitIn(
        callsign=callsign,
        name=name,
        kind=kind,
        site=site,
        skills=skills,
        members=members,
        on_duty=on_duty,
    )
    units_service.create(session, principal=admin, data=data)


def _dispatch_some(
    session: Session, admin: Principal, site: str, now: datetime, rng: random.Random
) -> None:
    """Send the nearest available unit to a few of the site's open incidents, and move
    each a step on (en route or on scene), as the night would have it."""
    query = IncidentQuery(status=[Status.RESPONDING], site=[site], sort=Sort.PRIORITY, limit=SENT)
    for item in incidents_service.list(session, principal=admin, query=query).items:
        picks = units_service.recommend(session, principal=admin, number=item.number, now=now)
        best = next(
            (
                p
                for p in picks.picks
                if p.eligible or (p.status is UnitStatus.AVAILABLE and p.on_duty)
            ),
            None,
        )
        if best is None:
            return
        units_service.dispatch(
            session, principal=admin, number=item.number, data=DispatchIn(unit=best.unit), now=now
        )
        step = rng.choice([UnitStatus.EN_ROUTE, UnitStatus.ON_SCENE])
        units_service.set_status(
            session, principal=admin, callsign=best.unit, data=StatusIn(status=step), now=now
        )
