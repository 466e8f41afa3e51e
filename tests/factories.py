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
    ) -> Account:
        """A user with an API token."""
        with self.db.transaction() as s:
            user = users_service.create(
                s,
                data=UserIn(
                    username=username,
                    display_name=username.title(),
                    role=Role(role),
                    sites=sites or [],
                    all_sites=all_sites,
                    password=PASSWORD,
                ),
                password_hash=password_hash(),
            )
            token = users_service.create_token(s, user=user).token
            principal = users_service.principal(s, user)
        return Account(username=username, token=token, principal=principal)

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
