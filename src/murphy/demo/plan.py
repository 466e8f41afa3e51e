"""The plan of the demo history: every report, move, note and edit, with its time and actor.

Pure: no database. Each incident draws from its own random stream (seeded by the seed
and its index), so the same seed tells the same stories; only the absolute dates move
with `now`. Steps later than `now` are left out: those incidents are still open.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from murphy.demo import timing
from murphy.demo.cast import cast
from murphy.demo.life import categorize, live, move
from murphy.demo.model import Step, Story
from murphy.demo.places import CAMPUS, DATACENTER, HOSPITAL, SITES, TIMEZONES
from murphy.demo.stories import Kind, Slots, fits, untag
from murphy.demo.stories_campus import CAMPUS_KINDS
from murphy.demo.stories_datacenter import DATACENTER_KINDS
from murphy.demo.stories_hospital import HOSPITAL_KINDS
from murphy.demo.stories_restricted import CAMPUS_RESTRICTED, HOSPITAL_RESTRICTED
from murphy.demo.types import clearance_of, type_of
from murphy.incidents.schemas import Channel, IncidentCreate, Status, TransitionIn
from murphy.sites.schemas import PlaceIn

KINDS: dict[str, tuple[Kind, ...]] = {
    HOSPITAL: HOSPITAL_KINDS + HOSPITAL_RESTRICTED,
    CAMPUS: CAMPUS_KINDS + CAMPUS_RESTRICTED,
    DATACENTER: DATACENTER_KINDS,
}
SITE_WEIGHTS: dict[str, float] = {HOSPITAL: 0.45, CAMPUS: 0.33, DATACENTER: 0.22}
LATEST = timedelta(hours=3)
LIVE = {Status.TRIAGED, Status.RESPONDING}
DUPLICATE_REASONS = (
    "Second report of the same incident.",
    "Duplicate: same place, same time, same description.",
    "Another caller about the incident already being worked.",
)
ZONE_NAMES: dict[tuple[str, str], str] = {
    (s.code, code): name
    for s in SITES
    for code, name in (*s.outdoor, *(z for b in s.buildings for f in b.floors for z in f.zones))
}


def plan(*, seed: int, count: int, now: datetime) -> list[Step]:
    """Every step of `count` incidents, in the order they happen, none after `now`."""
    stories: list[Story] = []
    while len(stories) < count:
        index = len(stories)
        story = _story(_rng(seed, index), index, now, _window(index, count))
        stories.append(story)
        if index + 1 < count and story.resolved_at and story.rng.random() < story.kind.duplicates:
            stories.append(_duplicate(_rng(seed, index + 1), index + 1, story))
    for story in stories:
        _leave_open(story, now)
    steps = [s for story in stories for s in story.steps if s.at <= now]
    return sorted(steps, key=lambda s: (s.at, s.incident, s.seq))


def _window(index: int, count: int) -> timedelta | None:
    """The last incidents of the plan are the latest: a few in the last hours, more today."""
    latest = max(3, count // 150)
    recent = latest + max(6, round(count / timing.DAYS))
    if index >= count - latest:
        return LATEST
    return timing.RECENT if index >= count - recent else None


def _leave_open(story: Story, now: datetime) -> None:
    """Recent incidents are still being worked: cut their story at new, triaged or responding.

    The younger the report, the likelier; routine ones may wait for a free officer.
    """
    rng, kind, age = story.rng, story.kind, now - story.steps[0].at
    slow = kind.urgency == 3 or kind.work[1] >= 240
    chance = 1.0 if age < LATEST else (0.8 * (1 - age / timing.RECENT) if slow else 0.0)
    if rng.random() >= chance:
        return
    if age < timedelta(minutes=20):
        keep = rng.choice((set(), {Status.TRIAGED}, LIVE, LIVE))
    elif kind.urgency == 3 and rng.random() < 0.4:
        keep = {Status.TRIAGED}
    else:
        keep = LIVE
    for i, step in enumerate(story.steps):
        if isinstance(step.data, TransitionIn) and step.data.to not in keep:
            if not keep and rng.random() < 0.5:  # not even classified yet
                while i > 1 and story.steps[i - 1].action in ("classify", "prioritize"):
                    i -= 1
            del story.steps[i:]
            return


def zone_slots(name: str) -> dict[str, str]:
    """A zone's name for a title ({Zone}), mid-sentence ({zone}) and with its article ({the_zone}).

    'Main lobby' gives 'main lobby' and 'the main lobby'; 'ED triage' and 'Foundry House
    reception' keep their capitals; 'Data hall 2' takes no article.
    """
    first, _, rest = name.partition(" ")
    proper = any(w[:1].isupper() and w[1:].islower() for w in rest.split())
    phrase = name if proper or not first[1:].islower() else name[:1].lower() + name[1:]
    numbered = any(c.isdigit() for c in name.split()[-1])
    return {"Zone": name, "zone": phrase, "the_zone": phrase if numbered else f"the {phrase}"}


def zones_for(kind: Kind, facts: frozenset[str]) -> list[str]:
    """The codes of the zones where an incident of `kind` with these facts can happen."""
    return [untag(z) for z in kind.zones if fits(z, facts)] or [untag(z) for z in kind.zones]


def _clocks(rng: random.Random, kind: Kind, at: datetime, tz: ZoneInfo) -> dict[str, str]:
    """Local times for texts: {clock} a little after the report, {seen} some time before it."""
    before = max(kind.lag[1], 15.0)
    later = at + timing.minutes(rng, (5, 40))
    earlier = at - timing.minutes(rng, (before, 1.5 * before))
    return {"clock": f"{later.astimezone(tz):%H:%M}", "seen": f"{earlier.astimezone(tz):%H:%M}"}


def _rng(seed: int, index: int) -> random.Random:
    return random.Random(f"murphy-demo:{seed}:{index}")


def _story(rng: random.Random, index: int, now: datetime, within: timedelta | None) -> Story:
    site = rng.choices([*SITE_WEIGHTS], weights=[*SITE_WEIGHTS.values()])[0]
    kinds = KINDS[site]
    kind = rng.choices(kinds, weights=[k.weight for k in kinds])[0]
    tz = ZoneInfo(TIMEZONES[site])
    at = timing.reported_at(rng, kind, tz, now, within)
    title = rng.randrange(len(kind.titles))
    zone = rng.choice(zones_for(kind, frozenset({f"t{title}"})))
    people = cast(rng, site, kind, at, clearance_of(site, kind.key, title))
    known = {**zone_slots(ZONE_NAMES[(site, zone)]), **people.slots(), **_clocks(rng, kind, at, tz)}
    slots = Slots(rng, site, known)
    code = type_of(site, kind.key, title)
    story = Story(index, site, kind, zone, people, slots, rng, title=title, type_code=code)
    _report(story, at, "")
    live(story)
    return story


def _duplicate(rng: random.Random, index: int, first: Story) -> Story:
    """A second report of what `first` is about, merged into it by the control room."""
    start, end = first.steps[0].at, first.resolved_at or first.last
    at = start + (end - start) * rng.uniform(0.05, 0.35)
    people = cast(
        rng, first.site, first.kind, at, clearance_of(first.site, first.kind.key, first.title)
    )
    slots = Slots(rng, first.site, dict(first.slots))
    story = Story(
        index,
        first.site,
        first.kind,
        first.zone,
        people,
        slots,
        rng,
        title=first.title,
        type_code=first.type_code,
    )
    _report(story, at, "Second report. " if people.channel is Channel.PHONE else "")
    merge_at = at + min(timing.minutes(rng, (1, 10)), (end - at) * 0.6)
    if rng.random() < 0.3:
        categorize(story, at + (merge_at - at) / 2)
        move(story, at + (merge_at - at) / 2, people.dispatcher, Status.TRIAGED)
    if first.kind.source == "alarm":
        reason = "Same alarm point re-triggered; one incident is enough."
    else:
        reason = rng.choice(DUPLICATE_REASONS)
    move(story, merge_at, people.dispatcher, Status.MERGED, merge_into=first.index, reason=reason)
    return story


def _report(story: Story, at: datetime, prefix: str) -> None:
    rng, kind, facts = story.rng, story.kind, story.facts()
    title = story.slots.fill(kind.titles[story.title])
    description = story.slots.pick(kind.details, facts)
    if kind.lag[1] > 0:
        occurred: datetime | None = at - timing.minutes(rng, kind.lag)
    else:
        occurred = at - timedelta(seconds=rng.randint(2, 40))
    if kind.source == "patrol" and rng.random() < 0.3:
        occurred = None
    data = IncidentCreate(
        title=title,
        description=prefix + description,
        site=story.site,
        place=PlaceIn(zone=story.zone, detail=rng.choice(kind.spots)),
        occurred_at=occurred,
    )
    crew = (story.cast.dispatcher, story.cast.officer, story.cast.supervisor)
    story.add(
        at,
        story.cast.reporter.username,
        "report",
        data,
        channel=story.cast.channel,
        crew=tuple(p.username for p in crew),
    )
