"""`murphy site ...`, `murphy user ...`, `murphy token create`."""

from __future__ import annotations

import sys
from datetime import timedelta
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from murphy.cli.common import acting_principal, console, fail, migrated_database
from murphy.cli.incidents import AsUser
from murphy.sites import service as sites_service
from murphy.sites.schemas import BuildingIn, FloorIn, SiteIn, ZoneIn
from murphy.users import rules as user_rules
from murphy.users import service as users_service
from murphy.users.schemas import UserIn

site_app = typer.Typer(help="Sites and the places in them.", no_args_is_help=True)
user_app = typer.Typer(help="Users, roles and site scope.", no_args_is_help=True)
token_app = typer.Typer(help="API tokens for integrations and scripts.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.add_typer(site_app, name="site")
    app.add_typer(user_app, name="user")
    app.add_typer(token_app, name="token")


@site_app.command("add")
def site_add(
    code: Annotated[str, typer.Argument(help="Short code, e.g. HQ")],
    name: Annotated[str, typer.Option(help="Full name")],
    timezone: Annotated[str, typer.Option(help="IANA time zone, e.g. Europe/Berlin")],
    address: Annotated[str, typer.Option(help="Street address")] = "",
) -> None:
    """Add a site."""
    with migrated_database().transaction() as session:
        site = sites_service.create(
            session, data=SiteIn(code=code, name=name, timezone=timezone, address=address)
        )
        console.print(f"site {site.code} added ({site.name}, {site.timezone})")


@site_app.command("list")
def site_list() -> None:
    """List sites."""
    with migrated_database().transaction(write=False) as session:
        table = Table("code", "name", "time zone", "address")
        for s in sites_service.list(session):
            table.add_row(s.code, s.name, s.timezone, s.address)
        console.print(table)


@site_app.command("building")
def site_building(
    site: Annotated[str, typer.Argument(help="Site code")],
    code: Annotated[str, typer.Argument(help="Building code")],
    name: Annotated[str, typer.Option(help="Building name")],
) -> None:
    """Add a building to a site."""
    with migrated_database().transaction() as session:
        s = sites_service.get_or_raise(session, code=site)
        b = sites_service.add_building(session, site=s, data=BuildingIn(code=code, name=name))
        console.print(f"building {b.code} added to {s.code}")


@site_app.command("floor")
def site_floor(
    site: Annotated[str, typer.Argument(help="Site code")],
    building: Annotated[str, typer.Argument(help="Building code")],
    code: Annotated[str, typer.Argument(help="Floor code, e.g. 2 or B1")],
    name: Annotated[str, typer.Option(help="Floor name")],
    level: Annotated[int, typer.Option(help="0 ground, negative below")] = 0,
) -> None:
    """Add a floor to a building."""
    with migrated_database().transaction() as session:
        s = sites_service.get_or_raise(session, code=site)
        b = sites_service.building(session, site=s, code=building)
        f = sites_service.add_floor(
            session, building=b, data=FloorIn(code=code, name=name, level=level)
        )
        console.print(f"floor {f.code} added to {s.code}/{b.code}")


@site_app.command("zone")
def site_zone(
    site: Annotated[str, typer.Argument(help="Site code")],
    code: Annotated[str, typer.Argument(help="Zone code")],
    name: Annotated[str, typer.Option(help="Zone name")],
    building: Annotated[str | None, typer.Option(help="Building code")] = None,
    floor: Annotated[str | None, typer.Option(help="Floor code")] = None,
) -> None:
    """Add a zone to a site (optionally in a building, on a floor)."""
    with migrated_database().transaction() as session:
        s = sites_service.get_or_raise(session, code=site)
        z = sites_service.add_zone(
            session, site=s, data=ZoneIn(code=code, name=name, building=building, floor=floor)
        )
        console.print(f"zone {z.code} added to {s.code}")


@site_app.command("plan")
def site_plan(
    site: Annotated[str, typer.Argument(help="Site code")],
    building: Annotated[str, typer.Argument(help="Building code")],
    floor: Annotated[str, typer.Argument(help="Floor code")],
    picture: Annotated[
        Path, typer.Argument(help="PNG, JPEG or WebP of the floor", exists=True, dir_okay=False)
    ],
    as_user: AsUser = None,
) -> None:
    """Upload or replace a floor's plan; draw its zones on it at /admin/places."""
    if picture.stat().st_size > sites_service.MAX_PLAN_BYTES:
        fail(f"{picture} is larger than 20 MiB: export the plan at a lower resolution")
    db = migrated_database()
    principal = acting_principal(db, as_user)
    with db.transaction() as session:
        plan = sites_service.set_plan(
            session,
            principal=principal,
            site=site,
            building_code=building,
            floor_code=floor,
            upload=picture.read_bytes(),
        )
    console.print(
        f"plan of {site.upper()}/{building.upper()}/{floor.upper()} saved "
        f"({plan.width}×{plan.height} pixels); draw its zones at /admin/places"
    )


@user_app.command("add")
def user_add(
    username: Annotated[str, typer.Argument(help="Sign-in name")],
    role: Annotated[
        str, typer.Option(help="reporter, officer, dispatcher, supervisor, analyst, admin")
    ],
    site: Annotated[
        list[str] | None, typer.Option(help="Site code the user may see (repeat)")
    ] = None,
    all_sites: Annotated[bool, typer.Option("--all-sites", help="Sees every site")] = False,
    clearance: Annotated[
        list[str] | None, typer.Option(help="Restricted types the user may see (repeat)")
    ] = None,
    display_name: Annotated[str, typer.Option(help="Full name")] = "",
    email: Annotated[str, typer.Option(help="Email address")] = "",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from standard input")
    ] = False,
) -> None:
    """Add a user; the password is asked for, or read from stdin."""
    parsed_role = user_rules.parse_role(role)
    db = migrated_database()
    if password_stdin:
        password = sys.stdin.readline().rstrip("\r\n")
    else:
        password = typer.prompt("password", hide_input=True, confirmation_prompt=True)
    with db.transaction() as session:
        user = users_service.create(
            session,
            data=UserIn(
                username=username,
                role=parsed_role,
                sites=site or [],
                all_sites=all_sites,
                clearances=clearance or [],
                display_name=display_name,
                email=email,
                password=password,
            ),
        )
        scope = "all sites" if user.all_sites else ", ".join(site or [])
        console.print(f"user {user.username} added as {user.role} ({scope})")


@user_app.command("clearance")
def user_clearance(
    username: Annotated[str, typer.Argument(help="Whose clearances")],
    grant: Annotated[list[str] | None, typer.Option(help="Clearance to give (repeat)")] = None,
    revoke: Annotated[list[str] | None, typer.Option(help="Clearance to take (repeat)")] = None,
) -> None:
    """Give or take clearances for restricted incident types (e.g. hr, safeguarding)."""
    with migrated_database().transaction() as session:
        user = users_service.get_or_raise(session, username=username)
        for name in grant or []:
            users_service.grant_clearance(session, user=user, clearance=name)
        for name in revoke or []:
            users_service.revoke_clearance(session, user=user, clearance=name)
        held = users_service.to_out(session, user).clearances
    console.print(f"{username} holds: {', '.join(held) or 'no clearances'}")


@user_app.command("list")
def user_list() -> None:
    """List users with their roles and sites."""
    with migrated_database().transaction(write=False) as session:
        table = Table("user", "name", "role", "sites", "clearances", "active")
        for u in users_service.list(session):
            out = users_service.to_out(session, u)
            sites = "all" if out.all_sites else ", ".join(out.sites)
            table.add_row(
                out.username,
                out.display_name,
                out.role.value,
                sites,
                ", ".join(out.clearances),
                "yes" if out.is_active else "no",
            )
        console.print(table)


@token_app.command("create")
def token_create(
    username: Annotated[str, typer.Argument(help="Whose token")],
    name: Annotated[str, typer.Option(help="What the token is for")] = "api",
    days: Annotated[int | None, typer.Option(min=1, help="Expire after this many days")] = None,
) -> None:
    """Create an API token. The token is printed once, as the last line."""
    with migrated_database().transaction() as session:
        user = users_service.get_or_raise(session, username=username)
        out = users_service.create_token(
            session, user=user, name=name, ttl=timedelta(days=days) if days else None
        )
    expiry = f"expires {out.expires_at:%Y-%m-%d}" if out.expires_at else "does not expire"
    console.print(f"token {out.name!r} for {user.username} ({expiry}); store it now:")
    print(out.token)
