"""Who does what at each site: reporters, dispatchers, officers, supervisors on shift."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime

from murphy.demo.people import BY_NAME, Person, gsoc, staff
from murphy.demo.places import HOSPITAL
from murphy.demo.stories import Kind
from murphy.incidents.schemas import Channel
from murphy.users.schemas import Role


def on_duty(rng: random.Random, people: list[Person], at: datetime) -> Person:
    """Someone of `people` whose shift covers `at` (anyone of them if nobody is on)."""
    working = [p for p in people if p.on_duty(at)]
    return rng.choice(working or people)


def dispatcher(rng: random.Random, site: str, at: datetime) -> Person:
    """The hospital runs its own control room; the GSOC covers the rest (and backs it up)."""
    local = staff(site, Role.DISPATCHER)
    if local and rng.random() < 0.8:
        return on_duty(rng, local, at)
    return on_duty(rng, gsoc(Role.DISPATCHER), at)


def supervisor(rng: random.Random, site: str) -> Person:
    """Who reviews and closes: the site's supervisors, sometimes the GSOC duty manager."""
    local = staff(site, Role.SUPERVISOR)
    share = 0.9 if site == HOSPITAL else 0.6
    if local and rng.random() < share:
        return rng.choice(local)
    return rng.choice(gsoc(Role.SUPERVISOR))


@dataclass(frozen=True)
class Cast:
    """The people of one incident."""

    reporter: Person
    channel: Channel
    dispatcher: Person
    officer: Person
    partner: Person
    supervisor: Person

    def slots(self) -> dict[str, str]:
        """Names for the {officer}, {partner}, {dispatcher} and {supervisor} slots."""
        return {
            "officer": self.officer.display_name,
            "partner": self.partner.display_name,
            "dispatcher": self.dispatcher.display_name,
            "supervisor": self.supervisor.display_name,
        }


def cast(
    rng: random.Random, site: str, kind: Kind, at: datetime, clearance: str | None = None
) -> Cast:
    """Choose the people of an incident reported at `at`. A restricted one is handled
    from start to end by a supervisor who holds its `clearance`."""
    if clearance is not None:
        return _cleared(rng, site, kind, at, clearance)
    officers = staff(site, Role.OFFICER)
    desk = dispatcher(rng, site, at)
    officer = on_duty(rng, officers, at)
    partner = on_duty(rng, [o for o in officers if o != officer] or officers, at)
    reporter, channel = _reporter(rng, kind, officer, desk, at)
    return Cast(reporter, channel, desk, officer, partner, supervisor(rng, site))


def _reporter(
    rng: random.Random, kind: Kind, officer: Person, desk: Person, at: datetime
) -> tuple[Person, Channel]:
    if kind.source == "alarm":
        return BY_NAME["alarm-gateway"], Channel.API
    if kind.source == "patrol":
        return officer, Channel.WEB
    own = [BY_NAME[name] for name in kind.staff if BY_NAME[name].on_duty(at)]
    roll = rng.random()
    if own and (kind.source == "staff" or roll < 0.35):
        return rng.choice(own), Channel.WEB
    if kind.source == "mixed" and roll > 0.65:
        return officer, Channel.WEB
    return desk, Channel.PHONE


def _cleared(rng: random.Random, site: str, kind: Kind, at: datetime, clearance: str) -> Cast:
    """A restricted incident: the cleared supervisor on shift takes the call and works it."""
    local = [p for p in staff(site, Role.SUPERVISOR) if clearance in p.clearances]
    boss = on_duty(
        rng, local or [p for p in gsoc(Role.SUPERVISOR) if clearance in p.clearances], at
    )
    reporter, channel = _reporter(rng, kind, boss, boss, at)
    return Cast(reporter, channel, boss, boss, boss, boss)
