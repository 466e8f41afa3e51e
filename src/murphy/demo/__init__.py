"""The demo organization: three sites, their security staff, the three taxonomy packs,
90 days of incidents, each classified, prioritized and worked by its playbook, and the
GSOC's on-call schedules.

`murphy demo` and `murphy serve --demo` load it into an empty database. Everything goes
through the same services as real use, so every timeline is hash-chained and verifies.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from murphy.core.clock import utcnow
from murphy.core.db import Database
from murphy.demo.bolos import create_bolos
from murphy.demo.loader import execute
from murphy.demo.people import ALL, BY_NAME, SIGN_INS, SITE_LABELS, create_users
from murphy.demo.places import create_sites
from murphy.demo.plan import plan
from murphy.demo.plans import create_plans
from murphy.demo.rota import create_schedules
from murphy.demo.units import create_units
from murphy.incidents.models import Incident
from murphy.sites.models import Site
from murphy.taxonomy import service as taxonomy_service
from murphy.users.models import User

PASSWORD = "murphy-demo"  # noqa: S105 - the published password of the demo users
DEFAULT_INCIDENTS = 2000


@dataclass(frozen=True)
class Login:
    """A demo user to sign in as."""

    username: str
    role: str
    sites: str


LOGINS: list[Login] = [
    Login(name, BY_NAME[name].role.value, SITE_LABELS[BY_NAME[name].site]) for name in SIGN_INS
]


def is_empty(db: Database) -> bool:
    """True when the database has no sites, no users and no incidents yet."""
    with db.transaction(write=False) as session:
        site = session.scalar(select(Site.id).limit(1))
        user = session.scalar(select(User.id).limit(1))
        incident = session.scalar(select(Incident.id).limit(1))
    return site is None and user is None and incident is None


def is_loaded(db: Database) -> bool:
    """True when the demo organization is in the database (all its sites exist)."""
    with db.transaction(write=False) as session:
        codes = set(session.scalars(select(Site.code)))
    return set(SITE_LABELS) - {ALL} <= codes


def load(
    db: Database,
    *,
    incidents: int,
    seed: int,
    progress: Callable[[int], None] | None = None,
    now: datetime | None = None,
) -> None:
    """Create the sites, the users and `incidents` incidents of the last 90 days.

    The same seed gives the same organization and the same stories; the dates are
    relative to `now` (default: the current time) and none is later than it.
    """
    now = now or utcnow()
    with db.transaction() as session:
        create_sites(session)
        principals = create_users(session, PASSWORD)
        create_plans(session, principals)
        for pack in taxonomy_service.PACKS:
            taxonomy_service.load_pack(session, name=pack, actor="demo")
    execute(db, plan(seed=seed, count=incidents, now=now), principals, progress)
    with db.transaction() as session:
        create_units(session, principals, now, seed)
        create_schedules(session, principals, now)
        create_bolos(session, principals, now)


__all__ = ["DEFAULT_INCIDENTS", "LOGINS", "PASSWORD", "Login", "is_empty", "is_loaded", "load"]
