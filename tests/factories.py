"""Test data through the real services: sites with places, users, tokens, incidents."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

from murphy.core import security
from murphy.core.db import Database
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentCreate
from murphy.sites import service as sites_service
from murphy.sites.schemas import BuildingIn, FloorIn, SiteIn, ZoneIn
from murphy.users import service as users_service
from murphy.users.schemas import Principal, Role, UserIn

PASSWORD = "test-password-123"

# A small taxonomy for tests: a category with three types (one restricted, one that
# requires an assessment field before resolving) and a playbook with a branch.
TEST_PACK = """
pack: test
categories:
  - code: security
    name: Security
    children:
      - code: theft
        name: Theft
        default_impact: 3
        default_urgency: 3
        children:
          - code: theft.vehicle
            name: Theft from a vehicle
            default_impact: 4
            default_urgency: 3
      - code: intrusion
        name: Intrusion
        default_impact: 2
        default_urgency: 1
        required_fields: [assessment.immediate_actions]
        playbook:
          - {key: secure, title: Secure the area, role: officer, within_minutes: 10}
          - {key: armed, title: "Check whether the intruder is armed", role: dispatcher, question: "Is the intruder armed?"}
          - {key: police, title: Call the police, role: dispatcher, within_minutes: 5,
             when: {step: armed, answer: true}}
          - {key: review, title: Review the CCTV, role: officer, mandatory: false}
      - code: assault
        name: Sexual assault
        default_impact: 1
        default_urgency: 1
        clearance: safeguarding
"""


@cache
def password_hash() -> str:
    """One argon2 hash of PASSWORD for every test user (hashing costs ~0.1-0.3 s)."""
    return security.hash_password(PASSWORD)


@dataclass
class Account:
    """A test user with a token and a principal."""

    username: str
    token: str
    principal: Principal

    @property
    def headers(self) -> dict[str, str]:
        """Authorization headers for the API."""
        return {"Authorization": f"Bearer {self.token}"}


class Factory:
    """Makes records with the same services the application uses."""

    def __init__(self, db: Database) -> None:
        self.db = db

    def site(
        self, code: str = "HQ", timezone: str = "Europe/Berlin", name: str | None = None
    ) -> str:
        """A site with building A, floors 1 and 2 and zones LOBBY (A/1) and CARPARK (outdoor)."""
        with self.db.transaction() as s:
            site = sites_service.create(
                s, data=SiteIn(code=code, name=name or f"{code} site", timezone=timezone)
            )
            b = sites_service.add_building(
                s, site=site, data=BuildingIn(code="A", name="Building A")
            )
            sites_service.add_floor(s, building=b, data=FloorIn(code="1", name="Floor 1", level=1))
            sites_service.add_floor(s, building=b, data=FloorIn(code="2", name="Floor 2", level=2))
            sites_service.add_zone(
                s, site=site, data=ZoneIn(code="LOBBY", name="Lobby", building="A", floor="1")
            )
            sites_service.add_zone(s, site=site, data=ZoneIn(code="CARPARK", name="Car park"))
        return code

    def user(
        self,
        username: str,
        role: Role | str,
        sites: list[str] | None = None,
        *,
        all_sites: bool = False,
        clearances: list[str] | None = None,
        email: str = "",
    ) -> Account:
        """A user with an API token."""
        with self.db.transaction() as s:
            user = users_service.create(
                s,
                data=UserIn(
                    username=username,
                    display_name=username.title(),
                    email=email,
                    role=Role(role),
                    sites=sites or [],
                    all_sites=all_sites,
                    clearances=clearances or [],
                    password=PASSWORD,
                ),
                password_hash=password_hash(),
            )
            token = users_service.create_token(s, user=user).token
            principal = users_service.principal(s, user)
        return Account(username=username, token=token, principal=principal)

    def taxonomy(self) -> None:
        """Load TEST_PACK."""
        from murphy.taxonomy import service as taxonomy_service

        with self.db.transaction() as s:
            taxonomy_service.load_yaml(s, text=TEST_PACK)

    def incident(
        self, account: Account, site: str = "HQ", title: str = "Door forced", **kw: object
    ) -> str:
        """A new incident reported by `account`; returns its number."""
        with self.db.transaction() as s:
            inc = incidents_service.report(
                s,
                principal=account.principal,
                data=IncidentCreate(title=title, site=site, **kw),  # type: ignore[arg-type]
            )
            return inc.number
