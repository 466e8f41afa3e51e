"""The demo staff: a GSOC covering every site, and each site's own security team."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from murphy.core import security
from murphy.demo.places import CAMPUS, DATACENTER, HOSPITAL, TIMEZONES
from murphy.users import service as users_service
from murphy.users.schemas import Principal, Role, UserIn

ALL = "*"
DAYS, NIGHTS, OFFICE, ALWAYS = (7, 19), (19, 7), (8, 18), (0, 24)
GSOC_TZ = "Europe/London"

_DOMAINS = {
    ALL: "kestrel-gsoc.example",
    HOSPITAL: "staldric.example",
    CAMPUS: "caldergroup.example",
    DATACENTER: "noordhaven-dc.example",
}


@dataclass(frozen=True)
class Person:
    """A demo user: who they are, what they do, where and when they work."""

    username: str
    display_name: str
    role: Role
    site: str  # a site code, or ALL for the GSOC and head office
    shift: tuple[int, int] = DAYS  # local hours [start, end), may wrap past midnight
    clearances: tuple[str, ...] = ()  # restricted types they may see

    @property
    def email(self) -> str:
        """A plausible work address on a reserved example domain."""
        return f"{self.username}@{_DOMAINS[self.site]}"

    @property
    def timezone(self) -> str:
        """The time zone their shift is planned in."""
        return GSOC_TZ if self.site == ALL else TIMEZONES[self.site]

    def on_duty(self, at: datetime) -> bool:
        """Whether their shift covers the instant `at`."""
        hour = at.astimezone(ZoneInfo(self.timezone)).hour
        start, end = self.shift
        return start <= hour < end if start < end else (hour >= start or hour < end)


R = Role
CLEARED_ALL = ("hr", "investigations", "safeguarding")
CLEARED_HOSPITAL = ("safeguarding", "investigations")
PEOPLE: tuple[Person, ...] = (
    # Global security operations centre (London), every site.
    Person("admin", "Sam Whitfield", R.ADMIN, ALL, OFFICE),
    Person("niall.fraser", "Niall Fraser", R.SUPERVISOR, ALL, OFFICE, CLEARED_ALL),
    Person("priya.raman", "Priya Raman", R.DISPATCHER, ALL, DAYS),
    Person("grace.adeyemi", "Grace Adeyemi", R.DISPATCHER, ALL, DAYS),
    Person("tomasz.nowak", "Tomasz Nowak", R.DISPATCHER, ALL, NIGHTS),
    Person("liam.oconnell", "Liam O'Connell", R.DISPATCHER, ALL, NIGHTS),
    Person("chloe.martin", "Chloe Martin", R.ANALYST, ALL, OFFICE, ("investigations",)),
    Person("olu.adebayo", "Olusegun Adebayo", R.ANALYST, ALL, OFFICE),
    Person("alarm-gateway", "Alarm gateway (access control & intrusion)", R.REPORTER, ALL, ALWAYS),
    # St. Aldric Medical Center, Chicago.
    Person("denise.holloway", "Denise Holloway", R.SUPERVISOR, HOSPITAL, DAYS, CLEARED_HOSPITAL),
    Person("rafael.ortiz", "Rafael Ortiz", R.SUPERVISOR, HOSPITAL, NIGHTS, CLEARED_HOSPITAL),
    Person("rhonda.pierce", "Rhonda Pierce", R.DISPATCHER, HOSPITAL, DAYS),
    Person("jamal.wright", "Jamal Wright", R.DISPATCHER, HOSPITAL, NIGHTS),
    Person("marcus.bell", "Marcus Bell", R.OFFICER, HOSPITAL, DAYS),
    Person("ana.gutierrez", "Ana Gutierrez", R.OFFICER, HOSPITAL, DAYS),
    Person("lupe.ramirez", "Lupe Ramirez", R.OFFICER, HOSPITAL, DAYS),
    Person("deshawn.carter", "DeShawn Carter", R.OFFICER, HOSPITAL, NIGHTS),
    Person("kevin.obrien", "Kevin O'Brien", R.OFFICER, HOSPITAL, NIGHTS),
    Person("tanya.kowalski", "Tanya Kowalski", R.OFFICER, HOSPITAL, NIGHTS),
    Person("erin.walsh", "Erin Walsh (ED charge nurse)", R.REPORTER, HOSPITAL, DAYS),
    Person("samuel.osei", "Samuel Osei (pharmacy)", R.REPORTER, HOSPITAL, OFFICE),
    # Thameside Park Campus, London.
    Person("fiona.mcallister", "Fiona McAllister", R.SUPERVISOR, CAMPUS, OFFICE, ("hr",)),
    Person("callum.price", "Callum Price", R.OFFICER, CAMPUS, DAYS),
    Person("aisha.begum", "Aisha Begum", R.OFFICER, CAMPUS, DAYS),
    Person("gareth.hughes", "Gareth Hughes", R.OFFICER, CAMPUS, NIGHTS),
    Person("sophie.turner", "Sophie Turner", R.OFFICER, CAMPUS, NIGHTS),
    Person("hannah.clarke", "Hannah Clarke (reception)", R.REPORTER, CAMPUS, OFFICE),
    Person("ravi.mistry", "Ravi Mistry (facilities)", R.REPORTER, CAMPUS, OFFICE),
    # Noordhaven Data Centre, Amsterdam.
    Person("pieter.janssen", "Pieter Janssen", R.SUPERVISOR, DATACENTER, OFFICE),
    Person("daan.devries", "Daan de Vries", R.OFFICER, DATACENTER, DAYS),
    Person("fatima.elamrani", "Fatima El Amrani", R.OFFICER, DATACENTER, DAYS),
    Person("jeroen.bakker", "Jeroen Bakker", R.OFFICER, DATACENTER, NIGHTS),
    Person("sanne.visser", "Sanne Visser", R.OFFICER, DATACENTER, NIGHTS),
    Person("lars.mulder", "Lars Mulder (NOC)", R.REPORTER, DATACENTER, ALWAYS),
)

BY_NAME: dict[str, Person] = {p.username: p for p in PEOPLE}

# Shown by `make run` and `murphy demo`: one or two sign-ins per role.
SIGN_INS: tuple[str, ...] = (
    "erin.walsh",
    "marcus.bell",
    "callum.price",
    "priya.raman",
    "rhonda.pierce",
    "denise.holloway",
    "niall.fraser",
    "chloe.martin",
    "admin",
)

SITE_LABELS = {
    ALL: "all sites (GSOC)",
    HOSPITAL: "SAMC (hospital)",
    CAMPUS: "TPC (campus)",
    DATACENTER: "AMS1 (data centre)",
}


def staff(site: str, role: Role) -> list[Person]:
    """Who works at `site` (not the GSOC) in `role`."""
    return [p for p in PEOPLE if p.site == site and p.role is role]


def gsoc(role: Role) -> list[Person]:
    """Who works in the GSOC, covering every site, in `role`."""
    return [p for p in PEOPLE if p.site == ALL and p.role is role and p.username != "alarm-gateway"]


def create_users(session: Session, password: str) -> dict[str, Principal]:
    """Create every demo user (an existing one of the same name is kept); their principals."""
    principals: dict[str, Principal] = {}
    hashed = security.hash_password(password)  # one hash for everyone: they share it
    for p in PEOPLE:
        user = users_service.get(session, username=p.username)
        if user is None:
            data = UserIn(
                username=p.username,
                display_name=p.display_name,
                email=p.email,
                role=p.role,
                sites=[] if p.site == ALL else [p.site],
                all_sites=p.site == ALL,
                clearances=list(p.clearances),
                password=password,
            )
            user = users_service.create(session, data=data, password_hash=hashed)
        principals[p.username] = users_service.principal(session, user)
    return principals
