"""Screenshots of every page, at desktop and phone sizes, for looking at the UI.

Run: .venv/bin/python -m tests.e2e.screenshots [OUT_DIR]   (default ./screenshots)

Builds a throw-away SQLite database with two sites, a dispatcher and ~15 incidents in
every status (one with a long timeline), serves it, and saves PNGs. Not a test.
"""

from __future__ import annotations

import sys
import tempfile
from datetime import timedelta
from pathlib import Path
from typing import Any

from murphy import migrations, plugins
from murphy.app import create_app
from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.incidents import service as incidents
from murphy.incidents.schemas import (
    IncidentCreate,
    IncidentUpdate,
    NoteIn,
    ResolutionCode,
    Status,
    TransitionIn,
)
from murphy.settings import Settings
from murphy.sites import service as sites
from murphy.sites.schemas import BuildingIn, FloorIn, PlaceIn, SiteIn, ZoneIn
from murphy.users import service as users
from murphy.users.schemas import Principal, Role, UserIn
from tests.e2e.live import CHROMIUM, CHROMIUM_ARGS, serve
from tests.factories import PASSWORD

SIZES = {"desktop": {"width": 1440, "height": 900}, "phone": {"width": 390, "height": 844}}

# title, site, zone, minutes ago, the moves to make (target status, extra)
STORIES: list[tuple[str, str, str | None, int, list[Status]]] = [
    ("Fire alarm, 3rd floor east wing", "HQ", "EAST3", 2, []),
    ("Aggressive visitor at reception desk", "MERCY", "ED-WAIT", 4, []),
    ("Tailgating through turnstile 2", "HQ", "LOBBY", 9, [Status.TRIAGED]),
    ("Water leak above server racks", "HQ", "SERVER", 16, [Status.TRIAGED, Status.RESPONDING]),
    ("Patient wandering, dementia ward", "MERCY", "WARD4", 23, [Status.TRIAGED, Status.RESPONDING]),
    ("Suspicious parcel in loading bay", "HQ", "DOCK", 38, [Status.TRIAGED]),
    ("Car window smashed, level P2", "HQ", "CARPARK", 55, []),
    ("Badge reader offline, north door", "HQ", "LOBBY", 80, [Status.TRIAGED, Status.RESPONDING]),
    ("Theft of laptop from meeting room 4.12", "HQ", None, 130, [Status.TRIAGED]),
    ("Lift stuck between floors 2 and 3", "MERCY", None, 190, [Status.TRIAGED, Status.RESPONDING]),
    ("Intruder alarm, pharmacy store", "MERCY", "PHARM", 260, [Status.CANCELLED]),
    (
        "Smoke smell in stairwell B",
        "HQ",
        "EAST3",
        420,
        [Status.TRIAGED, Status.RESPONDING, Status.RESOLVED],
    ),
    (
        "Verbal abuse towards nurse, ward 4",
        "MERCY",
        "WARD4",
        900,
        [Status.TRIAGED, Status.RESPONDING, Status.RESOLVED, Status.CLOSED],
    ),
    (
        "Door propped open, fire exit 7",
        "HQ",
        "DOCK",
        1500,
        [Status.TRIAGED, Status.RESPONDING, Status.RESOLVED, Status.CLOSED],
    ),
]


def build_sites(db: Database) -> None:
    """Two sites in different zones with buildings, floors and zones."""
    with db.transaction() as s:
        hq = sites.create(s, data=SiteIn(code="HQ", name="Riverside HQ", timezone="Europe/Berlin"))
        main = sites.add_building(s, site=hq, data=BuildingIn(code="MAIN", name="Main building"))
        for level in (0, 1, 2, 3):
            name = "Ground floor" if level == 0 else f"Floor {level}"
            sites.add_floor(s, building=main, data=FloorIn(code=str(level), name=name, level=level))
        zones = [
            ("LOBBY", "Lobby", "0"),
            ("DOCK", "Loading bay", "0"),
            ("SERVER", "Server room", "1"),
            ("EAST3", "East wing", "3"),
        ]
        for code, name, floor in zones:
            sites.add_zone(
                s, site=hq, data=ZoneIn(code=code, name=name, building="MAIN", floor=floor)
            )
        sites.add_zone(s, site=hq, data=ZoneIn(code="CARPARK", name="Car park P2"))
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
            sites.add_zone(
                s, site=mercy, data=ZoneIn(code=code, name=name, building="ED", floor=floor)
            )


def build_people(db: Database) -> dict[str, Principal]:
    """A dispatcher and a supervisor who see both sites."""
    people = {}
    with db.transaction() as s:
        for username, display, role in [
            ("dana", "Dana Okafor", Role.DISPATCHER),
            ("sam", "Sam Lindqvist", Role.SUPERVISOR),
            ("olu", "Olu Mensah", Role.OFFICER),
        ]:
            data = UserIn(
                username=username,
                display_name=display,
                role=role,
                all_sites=True,
                password=PASSWORD,
            )
            people[username] = users.principal(s, users.create(s, data=data))
    return people


def move(db: Database, who: Principal, number: str, to: Status, at: Any, **extra: Any) -> None:
    """One lifecycle move, with what it needs."""
    if to is Status.RESOLVED:
        extra.setdefault("resolution_code", ResolutionCode.RESOLVED)
    if to is Status.CANCELLED:
        extra.setdefault("reason", "Contractor testing the sensor; confirmed by facilities.")
    with db.transaction() as s:
        incidents.transition(
            s, principal=who, number=number, data=TransitionIn(to=to, **extra), now=at
        )


def build_incidents(db: Database, people: dict[str, Principal]) -> str:
    """The queue's incidents, oldest first; returns the number of the one with the long story."""
    now = utcnow()
    rich = ""
    for title, site, zone, minutes, moves in reversed(STORIES):
        at = now - timedelta(minutes=minutes)
        place = PlaceIn(zone=zone) if zone else None
        with db.transaction() as s:
            number = incidents.report(
                s,
                principal=people["olu"],
                data=IncidentCreate(title=title, site=site, place=place),
                now=at,
            ).number
        for step, to in enumerate(moves, start=1):
            who = people["sam"] if to is Status.CLOSED else people["dana"]
            move(db, who, number, to, at + timedelta(minutes=step))
        if title.startswith("Smoke smell"):
            rich = number
    return rich


def build_story(db: Database, people: dict[str, Principal]) -> str:
    """An incident with a long timeline: edits, notes, a reason, a resolution, a reopen."""
    start = utcnow() - timedelta(minutes=75)
    dana, olu, sam = people["dana"], people["olu"], people["sam"]
    with db.transaction() as s:
        number = incidents.report(
            s,
            principal=olu,
            data=IncidentCreate(
                title="Man trying doors in car park",
                description="Caller saw a man in a grey hoodie pulling on car door handles.\nHe went towards the stairs.",
                site="HQ",
                place=PlaceIn(zone="CARPARK", detail="near bay 40"),
                occurred_at=(start - timedelta(minutes=5)).replace(tzinfo=None),
            ),
            now=start,
        ).number
    at = lambda m: start + timedelta(minutes=m)  # noqa: E731
    move(db, dana, number, Status.TRIAGED, at(1))
    with db.transaction() as s:
        incidents.update(
            s,
            principal=dana,
            number=number,
            now=at(2),
            data=IncidentUpdate(
                title="Man trying car doors, level P2",
                place=PlaceIn(zone="CARPARK", detail="stairwell C, bay 40"),
            ),
        )
        incidents.add_note(
            s,
            principal=dana,
            number=number,
            data=NoteIn(body="CCTV camera 14 has him on the ramp. Sending Olu."),
            now=at(3),
        )
    move(db, olu, number, Status.RESPONDING, at(4))
    with db.transaction() as s:
        incidents.add_note(
            s,
            principal=olu,
            number=number,
            data=NoteIn(body="On scene. Nobody here now; two cars checked, no damage."),
            now=at(12),
        )
    move(
        db,
        olu,
        number,
        Status.RESOLVED,
        at(20),
        resolution_code=ResolutionCode.NO_FURTHER_ACTION,
        reason="Area searched, person gone, no damage found.",
    )
    move(
        db,
        sam,
        number,
        Status.TRIAGED,
        at(40),
        reason="Second caller: same man seen at bay 12. Reopening.",
    )
    move(db, dana, number, Status.RESPONDING, at(41))
    return number


def shoot(url: str, out: Path, story: str) -> list[Path]:
    """Sign in and capture each page at each size (and the dark scheme on desktop)."""
    from playwright.sync_api import sync_playwright

    saved: list[Path] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        for size, viewport in SIZES.items():
            for scheme in ("light", "dark") if size == "desktop" else ("light",):
                saved += _shoot_all(browser, url, out, story, f"{size}-{scheme}", viewport, scheme)
        browser.close()
    return saved


def _shoot_all(
    browser: Any, url: str, out: Path, story: str, tag: str, viewport: dict[str, int], scheme: str
) -> list[Path]:
    context = browser.new_context(viewport=viewport, base_url=url, color_scheme=scheme)
    page = context.new_page()
    shots = []

    def snap(name: str) -> None:
        path = out / f"{name}-{tag}.png"
        page.screenshot(path=str(path), full_page=True)
        shots.append(path)
        if tag.startswith("phone"):  # the first screen, before any scrolling
            first = out / f"{name}-{tag}-top.png"
            page.screenshot(path=str(first))
            shots.append(first)

    page.goto("/login")
    snap("login")
    page.get_by_label("User name").fill("dana")
    page.get_by_label("Password").fill("wrong password")
    page.get_by_role("button", name="Sign in").click()
    snap("login-failed")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url("**/incidents")
    snap("queue")
    page.goto("/incidents?status=all")
    snap("queue-all")
    page.goto("/incidents/new")
    snap("report")
    page.get_by_label("What happened?").fill("Test")
    page.get_by_label("Site", exact=True).select_option("HQ")
    page.get_by_label("When it happened").fill("2035-01-01T03:00")
    page.get_by_role("button", name="Send report").click()
    snap("report-error")
    page.goto(f"/incidents/{story}")
    snap("incident")
    page.goto("/incidents")
    page.get_by_role("link", name="Fire alarm").first.click()
    page.get_by_text("Other actions").click()
    snap("incident-actions")
    page.evaluate(
        "document.querySelectorAll('[required]').forEach(e => e.removeAttribute('required'))"
    )
    page.get_by_role("button", name="Cancel incident", exact=True).click()
    page.wait_for_load_state()
    snap("incident-error")
    page.goto("/incidents/INC-2020-99999")
    snap("error")
    context.close()
    return shots


def main() -> None:
    """Build the data, serve it, take the screenshots."""
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "screenshots").resolve()
    out.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{tmp}/shots.db"
        db = Database(url)
        plugins.install(db)
        migrations.upgrade(db)
        build_sites(db)
        people = build_people(db)
        build_incidents(db, people)
        story = build_story(db, people)
        with serve(create_app(Settings(database_url=url, log_level="warning"), db=db)) as base:
            for path in shoot(base, out, story):
                print(path)
        db.dispose()


if __name__ == "__main__":
    main()
