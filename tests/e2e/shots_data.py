"""The data the screenshots show: two sites, four people, the shipped taxonomy packs and
~17 incidents in every status, classified and prioritized, with playbooks being worked.
Everything goes through the services, as real use does. Not a test.
"""

from __future__ import annotations

import json
from datetime import datetime, time, timedelta
from functools import partial
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from murphy.core import timers
from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.ics import service as ics
from murphy.ics.schemas import AssignIn, DeclareIn, IcsRole, PersonIn
from murphy.incidents import service as incidents
from murphy.incidents import triage
from murphy.incidents.schemas import (
    AssessmentIn,
    ClassifyIn,
    IncidentCreate,
    IncidentUpdate,
    NoteIn,
    PriorityIn,
    ResolutionCode,
    Status,
    TransitionIn,
)
from murphy.notify import deliveries, paging, policies, preferences, rules
from murphy.notify import service as notify
from murphy.notify.models import Delivery
from murphy.notify.schemas import (
    ContactMethodIn,
    DeliveryQuery,
    LevelIn,
    OutboxQuery,
    PolicyIn,
    RecipientIn,
    RuleIn,
    TargetIn,
)
from murphy.oncall import service as oncall
from murphy.oncall.schemas import OverrideIn, ScheduleIn
from murphy.playbooks import service as playbooks
from murphy.playbooks.schemas import TaskDoneIn
from murphy.signals import service as signals
from murphy.signals.schemas import SourceIn, SourceUpdate
from murphy.sites import service as sites
from murphy.sites.schemas import BuildingIn, FloorIn, PlaceIn, SiteIn, ZoneIn
from murphy.taxonomy import service as taxonomy
from murphy.users import service as users
from murphy.users.schemas import Principal, Role, UserIn
from tests.factories import PASSWORD

# title, site, zone, minutes ago, type (None: not classified yet), the moves to make
STORIES: list[tuple[str, str, str | None, int, str | None, list[Status]]] = [
    ("Fire alarm drill, 3rd floor east wing", "HQ", "EAST3", 2, None, []),
    ("Aggressive visitor at reception desk", "MERCY", "ED-WAIT", 4, "hc.wpv.type2", []),
    ("Tailgating through turnstile 2", "HQ", "LOBBY", 9, "access.tailgating", [Status.TRIAGED]),
    ("Water leak above server racks", "HQ", "SERVER", 16, "safety.utility", [Status.TRIAGED, Status.RESPONDING]),
    ("Patient wandering, dementia ward", "MERCY", "WARD4", 23, "hc.patient.wandering", [Status.TRIAGED, Status.RESPONDING]),
    ("Suspicious parcel in loading bay", "HQ", "DOCK", 38, "suspicious.package", [Status.TRIAGED]),
    ("Car window smashed, level P2", "HQ", "CARPARK", 55, None, []),
    ("Badge reader offline, north door", "HQ", "LOBBY", 80, "crossover.security_system", [Status.TRIAGED, Status.RESPONDING]),
    ("Theft of laptop from meeting room 4.12", "HQ", None, 130, "theft.property.it", [Status.TRIAGED]),
    ("Lift stuck between floors 2 and 3", "MERCY", None, 190, "hc.emergency.utility", [Status.TRIAGED, Status.RESPONDING]),
    ("Harassment complaint against a shift lead", "HQ", None, 240, "investigation.hr.harassment", [Status.TRIAGED]),
    ("Intruder alarm, pharmacy store", "MERCY", "PHARM", 260, "hc.drugs.security", [Status.CANCELLED]),
    ("Smoke smell in stairwell B", "HQ", "EAST3", 420, "safety.fire_alarm", [Status.TRIAGED, Status.RESPONDING, Status.RESOLVED]),
    ("Verbal abuse towards nurse, ward 4", "MERCY", "WARD4", 900, "hc.wpv.type2.verbal", [Status.TRIAGED, Status.RESPONDING, Status.RESOLVED, Status.CLOSED]),
    ("Door propped open, fire exit 7", "HQ", "DOCK", 1500, "access.held_door", [Status.TRIAGED, Status.RESPONDING, Status.RESOLVED, Status.CLOSED]),
]  # fmt: skip

ASSESSMENT = {
    "immediate_actions": "Officer sent to the scene; area checked and made safe.",
    "risks": "Repeat within the shift; staff anxious.",
    "suspected_root_cause": "Door closer broken since last week.",
    "recommended_solution": "Repair the closer; add the door to the night patrol.",
    "parties_informed": ["Duty manager", "Facilities help desk"],
}


def build_sites(db: Database) -> None:
    """Two sites in different zones with buildings, floors and zones."""
    with db.transaction() as s:
        hq = sites.create(
            s,
            data=SiteIn(
                code="HQ",
                name="Riverside HQ",
                timezone="Europe/Berlin",
                latitude=52.5163,
                longitude=13.3777,
            ),
        )
        main = sites.add_building(
            s,
            site=hq,
            data=BuildingIn(code="MAIN", name="Main building", latitude=52.5165, longitude=13.3770),
        )
        for level in (0, 1, 2, 3):
            name = "Ground floor" if level == 0 else f"Floor {level}"
            sites.add_floor(s, building=main, data=FloorIn(code=str(level), name=name, level=level))
        for code, name, floor in [
            ("LOBBY", "Lobby", "0"),
            ("DOCK", "Loading bay", "0"),
            ("SERVER", "Server room", "1"),
            ("EAST3", "East wing", "3"),
        ]:
            zone = ZoneIn(code=code, name=name, building="MAIN", floor=floor)
            sites.add_zone(s, site=hq, data=zone)
        sites.add_zone(
            s,
            site=hq,
            data=ZoneIn(code="CARPARK", name="Car park P2", latitude=52.5155, longitude=13.3790),
        )
        mercy = sites.create(
            s, data=SiteIn(code="MERCY", name="Mercy Hospital", timezone="America/New_York")
        )
        ed = sites.add_building(s, site=mercy, data=BuildingIn(code="ED", name="Emergency dept."))
        sites.add_floor(s, building=ed, data=FloorIn(code="G", name="Ground floor", level=0))
        sites.add_floor(s, building=ed, data=FloorIn(code="4", name="Floor 4", level=4))
        for code, name, floor in [
            ("ED-WAIT", "Waiting room", "G"),
            ("PHARM", "Pharmacy", "G"),
            ("WARD4", "Ward 4", "4"),
        ]:
            zone = ZoneIn(code=code, name=name, building="ED", floor=floor)
            sites.add_zone(s, site=mercy, data=zone)


def build_people(db: Database) -> dict[str, Principal]:
    """A dispatcher (cleared for HR matters), a supervisor, an officer and an admin."""
    people = {}
    with db.transaction() as s:
        for username, display, role, clearances in [
            ("dana", "Dana Okafor", Role.DISPATCHER, ["hr"]),
            ("sam", "Sam Lindqvist", Role.SUPERVISOR, ["hr", "safeguarding"]),
            ("olu", "Olu Mensah", Role.OFFICER, []),
            ("root", "Rita Admin", Role.ADMIN, []),
        ]:
            data = UserIn(
                username=username,
                display_name=display,
                role=role,
                all_sites=True,
                clearances=clearances,
                password=PASSWORD,
            )
            people[username] = users.principal(s, users.create(s, data=data))
    return people


def build_taxonomy(db: Database) -> None:
    """The three shipped packs."""
    with db.transaction() as s:
        for pack in taxonomy.PACKS:
            taxonomy.load_pack(s, name=pack)


def move(db: Database, who: Principal, number: str, to: Status, at: datetime, **extra: Any) -> None:
    """One lifecycle move, with what it needs (the playbook and required fields first)."""
    if to is Status.RESOLVED:
        extra.setdefault("resolution_code", ResolutionCode.RESOLVED)
        finish(db, who, number, at - timedelta(seconds=30))
    if to is Status.CANCELLED:
        extra.setdefault("reason", "Contractor testing the sensor; confirmed by facilities.")
    if to is Status.CLOSED:
        approve_review(db, number, at - timedelta(seconds=20))
    with db.transaction() as s:
        incidents.transition(
            s, principal=who, number=number, data=TransitionIn(to=to, **extra), now=at
        )


def approve_review(db: Database, number: str, at: datetime) -> None:
    """The review a closing incident needs: written by an analyst, approved by Sam."""
    from murphy.reviews import service as reviews
    from murphy.reviews.schemas import ReviewIn

    with db.transaction() as s:
        sam = users.principal(s, users.get_or_raise(s, username="sam"))
        root = users.principal(s, users.get_or_raise(s, username="root"))
        if reviews.find(s, principal=sam, number=number) is None:
            return
        data = ReviewIn(summary="Handled as planned.", root_causes=["Routine event"])
        reviews.update(s, principal=root, number=number, data=data, now=at)
        reviews.move(s, principal=root, number=number, action="submit", now=at)
        reviews.move(s, principal=sam, number=number, action="approve", now=at)


def build_reviews(db: Database, people: dict[str, Principal], numbers: dict[str, str]) -> None:
    """The story's review in draft with actions (one overdue), for the review pages."""
    from datetime import date

    from murphy.reviews import service as reviews
    from murphy.reviews.schemas import ActionIn, ReviewIn

    number, root, now = numbers["story"], people["root"], utcnow()
    with db.transaction() as s:
        if reviews.find(s, principal=root, number=number) is None:
            reviews.open(s, principal=root, number=number, now=now)
        data = ReviewIn(
            summary="A man tried car doors on P2 twice in one hour; the first search missed him.",
            root_causes=["Camera 14 does not cover stairwell C", "Search ended before CCTV review"],
            contributing_factors=["One officer on the car park round"],
            went_well="Dispatch within 3 minutes of the call.",
            went_badly="The incident was resolved before CCTV was checked.",
            lessons="Check CCTV before resolving a car park search.",
        )
        reviews.update(s, principal=root, number=number, data=data, now=now)
        today = date.today()
        for title, owner, due in (
            ("Add a camera over stairwell C", "sam", today - timedelta(days=3)),
            ("Brief officers: CCTV before resolving", "dana", today + timedelta(days=10)),
        ):
            item = ActionIn(title=title, owner=owner, due_on=due)
            reviews.add_action(s, principal=root, number=number, data=item, now=now)


def finish(db: Database, who: Principal, number: str, at: datetime) -> None:
    """Work the open tasks (every question answered no) and fill the required fields."""
    with db.transaction() as s:
        for _ in range(10):  # an answer may bring new steps
            todo = [t for t in playbooks.tasks(s, principal=who, number=number).tasks]
            todo = [t for t in todo if t.state.value == "open" and t.mandatory]
            if not todo:
                break
            for task in todo:
                answer = False if task.question else None
                data = TaskDoneIn(answer=answer)
                playbooks.complete(
                    s, principal=who, number=number, step=task.step, data=data, now=at
                )
        incident = incidents.get_or_raise(s, principal=who, number=number)
        missing = incidents.missing_fields(s, incident)
        wanted = {f.split(".", 1)[1]: ASSESSMENT[f.split(".", 1)[1]] for f in missing if "." in f}
        if wanted:
            triage.assess(s, principal=who, number=number, data=AssessmentIn(**wanted), now=at)
        if "occurred_at" in missing:
            update = IncidentUpdate(occurred_at=incident.reported_at - timedelta(minutes=5))
            incidents.update(s, principal=who, number=number, data=update, now=at)


def classify(db: Database, who: Principal, number: str, code: str, at: datetime) -> None:
    """Classify with the type's defaults."""
    with db.transaction() as s:
        data = ClassifyIn(type=code)
        triage.classify(s, principal=who, number=number, data=data, now=at)


def build_incidents(db: Database, people: dict[str, Principal]) -> dict[str, str]:
    """The queue's incidents, oldest first; their numbers by the first word of the title."""
    now = utcnow()
    numbers = {}
    for title, site, zone, minutes, code, moves in reversed(STORIES):
        at = now - timedelta(minutes=minutes)
        place = PlaceIn(zone=zone) if zone else None
        data = IncidentCreate(title=title, site=site, place=place, exercise="drill" in title)
        with db.transaction() as s:
            number = incidents.report(s, principal=people["olu"], data=data, now=at).number
        numbers[title.split()[0]] = number
        if code:
            classify(db, people["dana"], number, code, at + timedelta(seconds=40))
        for step, to in enumerate(moves, start=1):
            who = people["sam"] if to is Status.CLOSED else people["dana"]
            move(db, who, number, to, at + timedelta(minutes=step))
    return numbers


def build_story(db: Database, people: dict[str, Principal]) -> str:
    """An incident with a long timeline: classification, an override, edits, notes, an
    assessment, the playbook worked, a resolution and a reopening."""
    start = utcnow() - timedelta(minutes=75)
    dana, olu, sam = people["dana"], people["olu"], people["sam"]
    description = (
        "Caller saw a man in a grey hoodie pulling on car door handles.\n"
        "He went towards the stairs."
    )
    with db.transaction() as s:
        number = incidents.report(
            s,
            principal=olu,
            data=IncidentCreate(
                title="Man trying doors in car park",
                description=description,
                site="HQ",
                place=PlaceIn(zone="CARPARK", detail="near bay 40"),
                occurred_at=(start - timedelta(minutes=5)).replace(tzinfo=None),
            ),
            now=start,
        ).number
    at = lambda m: start + timedelta(minutes=m)  # noqa: E731
    classify(db, dana, number, "intrusion.trespass", at(0.5))
    with db.transaction() as s:
        reason = "Two cars already damaged on P2 this week: treat as urgent."
        data = PriorityIn(priority=1, reason=reason)
        triage.prioritize(s, principal=dana, number=number, data=data, now=at(0.8))
    move(db, dana, number, Status.TRIAGED, at(1))
    with db.transaction() as s:
        update = IncidentUpdate(
            title="Man trying car doors, level P2",
            place=PlaceIn(zone="CARPARK", detail="stairwell C, bay 40"),
        )
        incidents.update(s, principal=dana, number=number, now=at(2), data=update)
        note = NoteIn(body="CCTV camera 14 has him on the ramp. Sending Olu.")
        incidents.add_note(s, principal=dana, number=number, data=note, now=at(3))
        dispatched = TaskDoneIn()
        playbooks.complete(
            s, principal=dana, number=number, step="dispatch", data=dispatched, now=at(3.5)
        )
    move(db, olu, number, Status.RESPONDING, at(4))
    with db.transaction() as s:
        note = NoteIn(body="On scene. Nobody here now; two cars checked, no damage.")
        incidents.add_note(s, principal=olu, number=number, data=note, now=at(12))
        assessment = AssessmentIn(**{k: v for k, v in ASSESSMENT.items() if k != "risks"})
        triage.assess(s, principal=olu, number=number, data=assessment, now=at(14))
    move(
        db,
        olu,
        number,
        Status.RESOLVED,
        at(20),
        resolution_code=ResolutionCode.NO_FURTHER_ACTION,
        reason="Area searched, person gone, no damage found.",
    )
    reopen = "Second caller: same man seen at bay 12. Reopening."
    move(db, sam, number, Status.TRIAGED, at(40), reason=reopen)
    move(db, dana, number, Status.RESPONDING, at(41))
    return number


def build_major(db: Database, people: dict[str, Principal], number: str) -> None:
    """Declare an incident major, with a commander, a safety officer and an outsider."""
    sam = people["sam"]
    at = utcnow() - timedelta(minutes=10)
    with db.transaction() as s:
        declared = DeclareIn(commander=PersonIn(user="sam"), complexity=4)
        ics.declare(s, principal=sam, number=number, data=declared, now=at)
        safety = AssignIn(role=IcsRole.SAFETY_OFFICER, user="olu")
        ics.assign(s, principal=sam, number=number, data=safety, now=at + timedelta(minutes=2))
        liaison = AssignIn(role=IcsRole.LIAISON_OFFICER, name="Lt. Reyes, Chicago PD")
        ics.assign(s, principal=sam, number=number, data=liaison, now=at + timedelta(minutes=4))


PANEL_MAPPING = {
    "title": "{event} at {door}",
    "type": "{kind}",
    "severity": "{sev}",
    "severities": {"critical": 1, "high": 2, "medium": 3, "low": 4},
    "zone": "{zone}",
    "place": "{door}",
    "fingerprint": ["device", "event"],
    "clear": {"path": "state", "equals": ["restored", "ok"]},
}
# minutes ago, device, event, door, type, severity, zone, state
PANEL_SIGNALS = [
    (140, "door-7", "Door held open", "Fire exit 7", "access.held_door", "low", "DOCK", "alarm"),
    (131, "door-7", "Door held open", "Fire exit 7", "access.held_door", "low", "DOCK", "restored"),
    (34, "door-12", "Door forced", "Loading bay door", "access.forced_door", "critical", "DOCK", "alarm"),
    (33, "door-12", "Door forced", "Loading bay door", "access.forced_door", "critical", "DOCK", "alarm"),
    (31, "door-12", "Door forced", "Loading bay door", "access.forced_door", "critical", "DOCK", "alarm"),
    (30, "pir-3", "Motion detected", "Loading bay", "access.forced_door", "high", "DOCK", "alarm"),
]  # fmt: skip


def build_sources(db: Database, people: dict[str, Principal]) -> None:
    """An alarm panel that sent signals (an incident, repeats, a restore), a SIEM that
    signs its requests and a switched-off camera analytics source that sent nothing."""
    root, now = people["root"], utcnow()
    with db.transaction() as s:
        for code, name, site, auth, topics in [
            ("hq-alarm-panel", "HQ alarm panel", "HQ", "token", ["hq/alarms/#"]),
            ("siem", "Security operations SIEM", "HQ", "hmac", []),
            ("mercy-cams", "Mercy camera analytics", "MERCY", "token", []),
        ]:
            fields = {"code": code, "name": name, "site": site, "auth": auth, "topics": topics}
            data = SourceIn.model_validate(fields | {"mapping": PANEL_MAPPING})
            signals.create_source(s, principal=root, data=data)
        off = SourceUpdate(active=False)
        signals.update_source(s, principal=root, code="mercy-cams", data=off)
    for minutes, device, event, door, kind, sev, zone, state in PANEL_SIGNALS:
        body = {"device": device, "event": event, "door": door, "kind": kind}
        body |= {"sev": sev, "zone": zone, "state": state}
        with db.transaction() as s:
            source = signals.source_for_mqtt(s, code="hq-alarm-panel")
            raw = json.dumps(body).encode()
            signals.receive(s, source=source, raw=raw, now=now - timedelta(minutes=minutes))


def build_units(db: Database, people: dict[str, Principal], numbers: dict[str, str]) -> None:
    """HQ's units: the officer's own (sent to the water leak, on scene), a patrol on
    duty in the lobby, a K9 team, one off duty; Suspicious parcel is left to dispatch."""
    from murphy.units import service as units
    from murphy.units.schemas import DispatchIn, PositionIn, StatusIn, UnitIn, UnitKind

    root = people["root"]
    with db.transaction() as s:
        for callsign, name, kind, skills, members, on_duty, zone in [
            ("A1", "Olu Mensah", UnitKind.OFFICER, ["first_aid", "aed"], ["olu"], True, "DOCK"),
            ("A2", "Patrol East", UnitKind.PATROL, ["first_aid"], [], True, "LOBBY"),
            ("K9", "Dog team Bravo", UnitKind.K9, ["k9"], [], True, "CARPARK"),
            ("A3", "Night patrol", UnitKind.PATROL, ["first_aid", "locksmith"], [], False, None),
        ]:
            data = UnitIn(
                callsign=callsign,
                name=name,
                kind=kind,
                site="HQ",
                skills=skills,
                members=members,
                on_duty=on_duty,
            )
            units.create(s, principal=root, data=data)
            if zone:
                units.report_position(
                    s, principal=root, callsign=callsign, data=PositionIn(zone=zone)
                )
        units.dispatch(s, principal=root, number=numbers["Water"], data=DispatchIn(unit="A1"))
        units.set_status(s, principal=root, callsign="A1", data=StatusIn(status="on_scene"))


def build_plans(db: Database, people: dict[str, Principal]) -> None:
    """A plan of HQ's ground floor with the lobby and the loading bay drawn on it; the
    other floors have none (the places page shows both)."""
    from murphy.demo.plans import layout, png
    from murphy.sites.schemas import OutlineIn

    root = people["root"]
    rooms = layout(3)
    with db.transaction() as s:
        sites.set_plan(
            s, principal=root, site="HQ", building_code="MAIN", floor_code="0", upload=png(rooms)
        )
        for zone, (left, top, right, bottom) in zip(("LOBBY", "DOCK"), rooms, strict=False):
            corners = [(left, top), (right, top), (right, bottom), (left, bottom)]
            sites.set_outline(
                s,
                principal=root,
                site="HQ",
                zone_code=zone,
                data=OutlineIn(points=[(float(x), float(y)) for x, y in corners]),
            )


SOC_HOOK = "https://soc.example.org/hooks/murphy"
SOC_MAIL = "soc-duty@example.org"


def build_rules(db: Database, people: dict[str, Principal]) -> None:
    """P1 and P2 to the dispatchers (in the app), P1 also to the SOC's webhook and email."""
    soc = [RecipientIn(external=SOC_HOOK), RecipientIn(external=SOC_MAIL)]
    events = ["incident.reported", "incident.prioritized"]
    with db.transaction() as s:
        for name, priorities, recipients in [
            ("P1 and P2 to the dispatchers", [1, 2], [RecipientIn(role="dispatcher")]),
            ("P1 to the security operations centre", [1], soc),
        ]:
            data = RuleIn(name=name, events=events, priorities=priorities, recipients=recipients)
            notify.create_rule(s, principal=people["root"], data=data)


def build_deliveries(db: Database, people: dict[str, Principal]) -> None:
    """Deliver the outbox as a worker would have, each try at its time: most messages
    sent; the SOC webhook gave up on the lift (503 three times) and the parcel (410, at
    once); the email about the forced door waits on a greylisting server (failing). Dana
    has read all but her three newest notifications."""
    root, end = people["root"], utcnow()
    with db.transaction(write=False) as s:
        rows = notify.outbox(s, principal=root, query=OutboxQuery(state="pending", limit=500))
    at = datetime.min.replace(tzinfo=end.tzinfo)
    for row in sorted(rows, key=lambda r: r.id):  # one by one, as a worker would have
        at = max(at, row.created_at + timedelta(seconds=2))  # (story and signals came late)
        with db.transaction() as s:
            deliveries.route(s, channels=("email", "webhook"), now=at, limit=1)
    policy = deliveries.RetryPolicy(max_attempts=3, base_seconds=30, cap_seconds=3600)
    while True:
        with db.transaction() as s:
            at = deliveries.next_due(s)
            if at is None or at > end:
                break
            claimed = deliveries.claim(s, now=at, limit=100, lease=timedelta(seconds=60))
        with db.transaction() as s:
            outcomes = [_fate(c, at) for c in claimed]
            deliveries.record(s, outcomes, now=at, policy=policy, rand=lambda a, b: b)
    with db.transaction() as s:
        mine = deliveries.notifications(s, principal=people["dana"], limit=100)
        deliveries.mark_read(s, principal=people["dana"], ids=[n.id for n in mine[3:]])
    with db.transaction(write=False) as s:  # the list shows them
        assert deliveries.list_deliveries(s, principal=root, query=DeliveryQuery(limit=5))


def _fate(c: deliveries.Claimed, at: datetime) -> deliveries.Outcome:
    """How the SOC's receivers answered this try (see build_deliveries)."""
    title = str((c.payload.get("incident") or {}).get("title", ""))
    took = 40 + (c.id * 37 + c.attempt * 113) % 400
    failed = partial(deliveries.Outcome, c.id, c.attempt, at, took, False)
    if c.channel == "webhook" and title.startswith("Lift"):
        return failed("HTTP 503 Service Unavailable")
    if c.channel == "webhook" and title.startswith("Suspicious"):
        return failed("HTTP 410 Gone: this hook was removed, use /hooks/murphy-v2", True)
    if c.channel == "email" and title.startswith("Door forced"):
        later = 3600.0 if c.attempt > 1 else None
        return failed("SMTP 451 4.7.1 greylisted, try again later", retry_after=later)
    said = "250 2.0.0 OK queued" if c.channel == "email" else "HTTP 200"
    return deliveries.Outcome(c.id, c.attempt, at, took, True, said)


def build_oncall(db: Database, people: dict[str, Principal]) -> None:
    """Three schedules: the supervisors' weekly rotation with a swap coming, the
    after-hours desk (nights only: nobody by day) and the hospital liaison that starts
    the day after tomorrow (nobody on call yet)."""
    root, now = people["root"], utcnow()
    today = now.astimezone(ZoneInfo("Europe/Berlin")).date()
    monday = today - timedelta(days=today.weekday() + 7)
    nights = {"days": list(range(7)), "start": "19:00", "end": "07:00"}
    schedules = [
        ("Control room supervisors", "Europe/Berlin", "Duty supervisor; handover Monday 08:00.",
         {"name": "weekly", "participants": ["sam", "root"], "start_date": monday, "handoff": "08:00", "length": 7}),
        ("After-hours desk", "Europe/Berlin", "Alarms from 19:00 to 07:00; the desk is staffed by day.",
         {"name": "nights", "participants": ["dana", "olu"], "start_date": monday, "handoff": "19:00", "length": 1, "restrictions": [nights]}),
        ("Mercy Hospital liaison", "America/New_York", "",
         {"participants": ["olu", "sam"], "start_date": today + timedelta(days=2), "handoff": "07:00", "length": 7}),
    ]  # fmt: skip
    with db.transaction() as s:
        for name, zone, description, layer in schedules:
            data = ScheduleIn.model_validate(
                {"name": name, "timezone": zone, "description": description, "layers": [layer]}
            )
            oncall.create(s, principal=root, data=data, now=now)
        start = datetime.combine(today + timedelta(days=1), time(8), ZoneInfo("Europe/Berlin"))
        swap = OverrideIn(
            user="dana", start=start, end=start + timedelta(hours=12), reason="Sam on a course"
        )
        oncall.add_override(s, principal=people["sam"], ref="Control room supervisors", data=swap)


def build_paging(db: Database, people: dict[str, Principal], numbers: dict[str, str]) -> None:
    """A P1 paged by a policy three minutes ago (level 1: the duty supervisor on call,
    not yet acknowledged), and the acknowledge link of its email (numbers["ack"])."""
    root, dana = people["root"], people["dana"]
    at = utcnow() - timedelta(minutes=3)
    levels = [
        LevelIn(targets=[TargetIn(schedule="Control room supervisors")], timeout_minutes=5),
        LevelIn(targets=[TargetIn(role="supervisor")], timeout_minutes=10),
    ]
    with db.transaction() as s:
        for who in ("sam", "root"):
            mail = ContactMethodIn(channel="email", address=f"{who}@example.org", label="Work")
            preferences.add_method(s, principal=people[who], data=mail)
        about = "Duty supervisor first, then every supervisor; twice round."
        policies.create(
            s,
            principal=root,
            data=PolicyIn(name="P1 page", description=about, levels=levels, repeat=1),
        )
        rule = RuleIn(
            name="P1 pages the duty supervisor",
            events=["incident.prioritized"],
            priorities=[1],
            recipients=[RecipientIn(policy="P1 page")],
        )
        notify.create_rule(s, principal=root, data=rule)
    with db.transaction() as s:
        report = IncidentCreate(
            title="Shots heard in car park B", site="HQ", place=PlaceIn(zone="CARPARK")
        )
        number = incidents.report(s, principal=dana, data=report, now=at).number
    classify(db, dana, number, "violence.active_assailant", at)  # a P1: pages at once
    with db.transaction() as s:
        timers.fire_due(s, {paging.STEP: paging.step}, now=at + timedelta(seconds=4), limit=5)
    with db.transaction() as s:
        deliveries.route(s, channels=("email",), now=at + timedelta(seconds=5), limit=100)
    with db.transaction() as s:
        paged = [
            d
            for d in s.scalars(select(Delivery).where(Delivery.channel == "email"))
            if d.dedup_key.startswith("incident.paged:")
        ]
        token = rules.ack_token(paging.ack_key(s), paged[0].id, utcnow() + timedelta(hours=24))
    numbers["paged"], numbers["ack"] = number, token


def build(db: Database, evidence_dir: str | None = None) -> dict[str, str]:
    """Everything; the numbers of the incidents the screenshots open, by name (evidence
    files go to `evidence_dir`, the server's MURPHY_EVIDENCE_DIR)."""
    build_sites(db)
    people = build_people(db)
    build_taxonomy(db)
    build_rules(db, people)
    numbers = build_incidents(db, people)
    numbers["story"] = build_story(db, people)
    build_major(db, people, numbers["Patient"])
    build_sources(db, people)
    build_units(db, people, numbers)
    build_plans(db, people)
    build_deliveries(db, people)
    build_oncall(db, people)
    build_paging(db, people, numbers)
    build_history(db, people)
    build_reports(db, people, numbers)
    build_reviews(db, people, numbers)
    numbers["subject"] = build_subjects(db, people, numbers)
    numbers["ban"] = build_bans(db, people, numbers)
    numbers["bolo"] = build_bolos(db, people, numbers)
    if evidence_dir:
        build_evidence(db, people, numbers["story"], evidence_dir)
    return numbers


def build_evidence(db: Database, people: dict[str, Principal], number: str, where: str) -> None:
    """On the story incident: a CCTV still and a clip kept as evidence, and a physical
    item handed over, stored under a new seal."""
    import asyncio
    from pathlib import Path

    from murphy.core.blobs import LocalBlobStore
    from murphy.demo.plans import layout, png
    from murphy.evidence import service as evidence
    from murphy.evidence.schemas import Action, CustodyIn, ItemIn

    store = LocalBlobStore(Path(where))
    clip = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + bytes(range(256)) * 4096
    files = [
        ("cam4-lobby-1402.png", "image/png", png(layout(2)), "Camera 4, lobby, 14:02"),
        ("cam4-lobby-1401-1404.mp4", "video/mp4", clip, "Camera 4, 14:01 to 14:04"),
    ]
    for name, kind, data, what in files:

        async def chunks(data: bytes = data) -> Any:
            yield data

        from murphy.evidence import intake

        stored = asyncio.run(intake.receive(chunks(), store, kind))
        with db.transaction() as s:
            evidence.add_file(
                s,
                principal=people["olu"],
                number=number,
                filename=name,
                media_type=kind,
                stored=stored,
                description=what,
            )
    with db.transaction() as s:
        item = evidence.add_item(
            s,
            principal=people["olu"],
            number=number,
            data=ItemIn(description="Black rucksack left by the lifts", seal="EV-20431"),
        )
    for step in (
        CustodyIn(action=Action.HANDED_OVER, to="sam"),
        CustodyIn(action=Action.STORED, location="Evidence locker 3", seal="EV-20432"),
    ):
        with db.transaction() as s:
            who = people["sam"] if step.action is Action.STORED else people["olu"]
            evidence.record_custody(s, principal=who, number=number, evidence_id=item.id, data=step)
    build_statements(db, people, number)


def build_statements(db: Database, people: dict[str, Principal], number: str) -> None:
    """A witness statement signed at the scene, an amendment, and a draft being taken."""
    from murphy.statements import service as statements
    from murphy.statements.schemas import AmendmentIn, StatementIn, SubmitIn

    said = (
        "I was parking on level P2 at about 22:40 when I saw a man in a dark jacket trying "
        "the doors of three cars in row C. He had a torch. When he saw me he walked quickly "
        "towards the stairwell by the pay machines."
    )
    with db.transaction() as s:
        first = statements.take(
            s,
            principal=people["olu"],
            number=number,
            data=StatementIn(
                giver="witness", name="Priya Nair", method="dictated", place="Level P2", body=said
            ),
            submit=SubmitIn(sign_off="signed", signed_name="Priya Nair"),
        )
    with db.transaction() as s:
        statements.amend(
            s,
            principal=people["olu"],
            number=number,
            statement_id=first.id,
            data=AmendmentIn(
                body="The jacket was navy with a white logo on the back.", sign_off="absent"
            ),
        )
    with db.transaction() as s:
        statements.take(
            s,
            principal=people["olu"],
            number=number,
            data=StatementIn(
                giver="staff", name="Tom Becker (car park attendant)", body="Saw nothing on"
            ),
        )


# History for the analytics dashboard: eight weeks at HQ, busiest on
# weekday mornings and late evenings, with hot spots at the loading bay and the car park.
HISTORY_TYPES = [
    ("access.held_door", "DOCK", "Door propped open"),
    ("theft.vehicle.contents", "CARPARK", "Items stolen from car"),
    ("suspicious.person", "CARPARK", "Person trying car doors"),
    ("access.tailgating", "LOBBY", "Tailgating at turnstile"),
    ("safety.fire_alarm", "EAST3", "Fire alarm activation"),
    ("theft.property.it", "SERVER", "Missing laptop"),
    ("safety.medical", "LOBBY", "Visitor fainted"),
]


def build_history(db: Database, people: dict[str, Principal], count: int = 160) -> None:
    """Incidents of the last eight weeks, worked to closed (times set as they happened)."""
    from random import Random

    from murphy.analytics.changes import refresh
    from murphy.incidents.models import Incident
    from murphy.sla.models import Clock

    rng, now = Random(7), utcnow()
    for i in range(count):
        code, zone, title = HISTORY_TYPES[min(int(rng.expovariate(0.5)), len(HISTORY_TYPES) - 1)]
        hour = rng.choice([7, 8, 8, 9, 9, 10, 13, 17, 21, 22, 22, 23, 2])
        at = (now - timedelta(days=rng.randint(2, 56))).replace(
            hour=hour, minute=rng.randint(0, 59)
        )
        detail = rng.choice(["", "", "by gate 3", "north stairwell"])
        data = IncidentCreate(title=title, site="HQ", place=PlaceIn(zone=zone, detail=detail))
        with db.transaction() as s:
            number = incidents.report(s, principal=people["olu"], data=data, now=at).number
        classify(db, people["dana"], number, code, at + timedelta(seconds=40))
        ack = timedelta(seconds=rng.lognormvariate(5.0, 0.8) * (1.6 if i % 3 == 0 else 1))
        done = ack + timedelta(minutes=rng.lognormvariate(3.8, 0.7))
        with db.transaction() as s:
            inc = s.scalars(select(Incident).where(Incident.number == number)).one()
            inc.status, inc.acknowledged_at = "closed", at + ack
            inc.resolved_at = inc.closed_at = at + done
            for clock in s.scalars(select(Clock).where(Clock.incident_id == inc.id)):
                end = {"acknowledge": at + ack, "respond": at + ack * 2}.get(clock.kind, at + done)
                if end > clock.due_at:
                    clock.breached_at = clock.due_at
                clock.met_at = end
            refresh(s, [inc.id])  # set behind the services' back: the facts by hand


def build_reports(db: Database, people: dict[str, Principal], numbers: dict[str, str]) -> None:
    """For the reports: an operational period of the major incident, notes that say
    nothing (flagged in the handover), and the shift and dates the shots open."""
    from murphy.ics.schemas import PeriodIn
    from murphy.incidents.schemas import NoteIn

    now, berlin = utcnow(), ZoneInfo("Europe/Berlin")
    with db.transaction() as s:
        period = PeriodIn(
            starts_at=now - timedelta(hours=1),
            ends_at=now + timedelta(hours=11),
            objectives="Treat the patient, keep the lobby clear, brief the family liaison",
        )
        ics.add_period(s, principal=people["sam"], number=numbers["Patient"], data=period, now=now)
        for minutes, body in ((50, "all quiet"), (20, "NTR"), (5, "Parcel collected by police")):
            data = NoteIn(body=body)
            at = now - timedelta(minutes=minutes)
            incidents.add_note(
                s, principal=people["dana"], number=numbers["Suspicious"], data=data, now=at
            )
    local = now.astimezone(berlin)
    numbers["today"] = local.date().isoformat()
    numbers["month"] = local.strftime("%Y-%m")
    numbers["shift_start"] = (local - timedelta(hours=12)).strftime("%Y-%m-%dT%H:%M")
    numbers["shift_end"] = (local + timedelta(minutes=1)).strftime("%Y-%m-%dT%H:%M")


def build_bans(db: Database, people: dict[str, Principal], numbers: dict[str, str]) -> str:
    """Marcus Reed (the story's suspect) served a trespass notice for HQ; the ban's id."""
    from murphy.bans import service as bans
    from murphy.bans.schemas import BanIn

    data = BanIn.model_validate(
        {
            "subject_id": int(numbers["subject"]),
            "incident": numbers["story"],
            "kind": "trespass",
            "reason": "Forced a car park door and threatened a guard",
            "conditions": "May attend the pharmacy on Friedrichstraße with an escort",
            "sites": ["HQ"],
            "ends_at": utcnow() + timedelta(days=365),
            "served_how": "in_person",
            "served_by": "Olu Mensah",
        }
    )
    with db.transaction() as s:
        return str(bans.create(s, principal=people["sam"], data=data).id)


def build_subjects(db: Database, people: dict[str, Principal], numbers: dict[str, str]) -> str:
    """People and vehicles on the story and the car park incidents, one person recorded
    twice (a possible duplicate); the id of the record the subject page shows."""
    from murphy.subjects import service as subjects
    from murphy.subjects.schemas import LinkIn

    hoodie = "Male, about 180 cm, slim; grey hoodie, black jeans, white trainers"
    added = {}
    for number, role, who in [
        (numbers["story"], "suspect", {"person": {"name": "Marcus Reed", "birth_date": "1991-06-14", "description": hoodie, "identifiers": [{"kind": "driving_licence", "value": "REED9106144MA"}]}}),
        (numbers["story"], "reporting_party", {"person": {"name": "Ayesha Khan", "description": "Staff, facilities; saw him from the P2 stairwell"}}),
        (numbers["story"], "subject", {"vehicle": {"plate": "B-MR 4521", "make": "Volkswagen", "model": "Golf", "colour": "silver", "description": "Dent in the rear bumper"}}),
        (numbers["Car"], "victim", {"person": {"name": "Jonas Weber", "description": "Employee, owner of the car"}}),
        (numbers["Car"], "subject", {"vehicle": {"plate": "B-JW 2207", "make": "Ford", "model": "Focus", "colour": "blue", "description": "Rear passenger window smashed"}}),
        (numbers["Car"], "suspect", {"person": {"name": "Reed, Marcus", "description": "Grey hoodie, seen on camera 7"}}),
    ]:  # fmt: skip
        with db.transaction() as s:
            data = LinkIn.model_validate({"role": role, **who})
            link = subjects.link(s, principal=people["olu"], number=number, data=data)
            added[link.label] = link.subject_id
    return str(added["Marcus Reed"])


def build_bolos(db: Database, people: dict[str, Principal], numbers: dict[str, str]) -> str:
    """Three active BOLOs (a person from his record with a photo, his car, one for both
    sites) and one cancelled; the id of the one with the photo."""
    import io

    from PIL import Image, ImageDraw

    from murphy.bolos import service as bolos
    from murphy.bolos.schemas import BoloIn, CancelIn
    from murphy.subjects import service as subjects

    picture = Image.new("RGB", (300, 380), (120, 132, 145))
    draw = ImageDraw.Draw(picture)
    draw.ellipse((95, 50, 205, 170), fill=(214, 180, 150))  # a face
    draw.rectangle((60, 190, 240, 380), fill=(95, 98, 104))  # a grey hoodie
    draw.polygon(
        [(95, 120), (150, 35), (205, 120), (205, 90), (150, 25), (95, 90)], fill=(95, 98, 104)
    )
    out = io.BytesIO()
    picture.save(out, "JPEG", quality=85)
    now = utcnow()
    with db.transaction() as s:
        hits = {h.label: h.id for h in subjects.search(s, principal=people["dana"], q="reed")}
        plates = {h.label: h.id for h in subjects.search(s, principal=people["dana"], q="B-MR")}
    with db.transaction() as s:  # his record's photo: the BOLO takes it from there
        subjects.set_photo(
            s,
            principal=people["sam"],
            subject_id=hits["Marcus Reed"],
            data=out.getvalue(),
            version=None,
        )
    made = []
    for fields, photo in [
        ({"kind": "person", "subject_id": hits["Marcus Reed"], "incident": numbers["story"], "reason": "Took a laptop from the 3rd floor; seen again at the P2 car park gate", "caution": "Do not approach. Call control on channel 2.", "sites": ["HQ"], "expires_at": now + timedelta(days=3)}, None),
        ({"kind": "vehicle", "subject_id": plates["B-MR 4521"], "incident": numbers["story"], "reason": "Used to leave after the laptop theft; refuse entry at the barrier and note the time", "sites": ["HQ"], "expires_at": now + timedelta(days=14)}, None),
        ({"kind": "person", "name": "unknown", "description": "Woman, about 40, red raincoat, clipboard; says she is from the water company", "reason": "Asked staff for door codes at two sites this week", "caution": "Ask for ID; do not let her tailgate.", "sites": ["HQ", "MERCY"], "expires_at": now + timedelta(hours=20)}, None),
    ]:  # fmt: skip
        with db.transaction() as s:
            made.append(
                bolos.issue(
                    s, principal=people["dana"], data=BoloIn.model_validate(fields), photo=photo
                )
            )
    with db.transaction() as s:
        gone = bolos.issue(s, principal=people["dana"], data=BoloIn(kind="vehicle", plate="B-XK 88", reason="Drove through the barrier", sites=["HQ"], expires_at=now + timedelta(days=1)))  # type: ignore[arg-type]  # fmt: skip
        bolos.cancel(
            s,
            principal=people["sam"],
            bolo_id=gone.id,
            data=CancelIn(reason="Driver found; a delivery mix-up"),
        )
    return str(made[0].id)
