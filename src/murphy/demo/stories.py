"""What happens at the demo sites: incident kinds, when they happen, and how they are told.

Texts are templates with {slots}. A slot is filled once per incident (so the same
subject, plate or police reference recurs across title, description and notes) from
the vocabulary below, or from what the planner already knows (zone, officer, ...).
"""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass

from murphy.demo.places import CAMPUS, DATACENTER, HOSPITAL
from murphy.incidents.schemas import ResolutionCode

Code = ResolutionCode
Texts = tuple[str, ...]


@dataclass(frozen=True)
class Kind:
    """One kind of incident at one site, with everything needed to tell it."""

    key: str
    weight: float
    hours: str  # a profile of HOURS
    zones: Texts
    titles: Texts
    details: Texts
    notes: Texts
    outcomes: tuple[tuple[Code, float], ...]
    summaries: tuple[tuple[Code, str], ...] = ()
    source: str = "mixed"  # alarm | patrol | staff | mixed
    staff: Texts = ()  # usernames of site staff who report this kind themselves
    urgency: int = 2  # 1 immediate, 2 prompt, 3 routine
    work: tuple[float, float] = (15, 90)  # minutes from response to resolution
    lag: tuple[float, float] = (0, 10)  # minutes between occurrence and report
    duplicates: float = 0.0  # chance that a second report of the same thing follows
    cancel: float = 0.04
    spots: Texts = ("",)  # free-text place details
    resolver: str = "officer"  # or "supervisor" for investigations
    reopens: float = 0.0  # chance that a closed one is reopened (police, insurers, new facts)


def _hours(*ranges: tuple[int, int, float], base: float = 1.0) -> tuple[float, ...]:
    weights = [base] * 24
    for start, end, weight in ranges:
        for h in range(start, end):
            weights[h % 24] = weight
    return tuple(weights)


# Relative likelihood by local hour of day, and how weekends compare with weekdays.
HOURS: dict[str, tuple[float, ...]] = {
    "night": _hours((22, 29, 8.0), (19, 22, 4.0), (5, 7, 3.0), base=1.0),
    "late": _hours((18, 24, 7.0), (0, 3, 6.0), (3, 6, 3.0), (11, 18, 3.0), base=1.5),
    "business": _hours((8, 18, 8.0), (7, 8, 3.0), (18, 20, 2.0), base=0.2),
    "day": _hours((8, 21, 6.0), (6, 8, 3.0), (21, 23, 2.0), base=0.6),
    "commute": _hours((7, 10, 8.0), (16, 19, 8.0), (10, 16, 4.0), (19, 22, 2.0), base=0.4),
    "flat": _hours((8, 20, 3.0), base=2.0),
}
WEEKEND: dict[str, float] = {
    "night": 1.2,
    "late": 1.3,
    "business": 0.2,
    "day": 0.8,
    "commute": 0.4,
    "flat": 1.0,
}


def _digits(n: int) -> Callable[[random.Random], str]:
    return lambda rng: "".join(rng.choice("0123456789") for _ in range(n))


def _letters(rng: random.Random, n: int) -> str:
    return "".join(rng.choice("ABCDEFGHJKLMNPRSTVWXYZ") for _ in range(n))


def _uk_plate(rng: random.Random) -> str:
    return f"{_letters(rng, 2)}{rng.randint(10, 25)} {_letters(rng, 3)}"


def _nl_plate(rng: random.Random) -> str:
    return f"{_letters(rng, 2)}-{rng.randint(100, 999)}-{_letters(rng, 1)}"


def _il_plate(rng: random.Random) -> str:
    return f"Illinois {_letters(rng, 2)} {rng.randint(10000, 99999)}"


Slot = Texts | Callable[[random.Random], str]

VOCAB: dict[str, Slot] = {
    "subject": (
        "a man in his 30s in a grey hoodie and jeans",
        "a woman in her 40s with a red backpack",
        "a man of about 25 in a black puffer jacket",
        "two teenage males on bicycles",
        "a man in dark clothing with a face covering",
        "an older man with a walking cane who seemed confused",
        "a woman in her 20s in a green parka",
        "a man in a hi-vis vest with no visible ID",
        "a heavy-set man with a shaved head and a neck tattoo",
        "a man in his 50s in a navy suit",
        "a young woman in a black tracksuit",
        "a man with a grey beard carrying two holdalls",
    ),
    "item": (
        "laptop",
        "wallet",
        "mobile phone",
        "handbag",
        "tablet",
        "backpack",
        "pair of wireless earbuds",
        "set of car keys",
        "pair of glasses",
        "smartwatch",
    ),
    "vehicle": (
        "a dark blue Ford Transit van",
        "a silver Toyota Corolla",
        "a white Mercedes Sprinter",
        "a black BMW 3 Series",
        "a grey Honda CR-V",
        "a red Volkswagen Golf",
        "a white Tesla Model 3",
        "a black Range Rover",
    ),
    "door": ("east door", "west door", "door 2", "service door", "emergency exit", "door 1"),
    "camera": lambda rng: f"CAM-{rng.randint(1, 64):02d}",
    "cage": lambda rng: f"{rng.choice('ABCDEFGH')}{rng.randint(1, 24):02d}",
    "sector": lambda rng: str(rng.randint(1, 12)),
    "bay": lambda rng: str(rng.randint(1, 24)),
    "room": lambda rng: str(rng.randint(401, 460)),
    "gate": lambda rng: str(rng.randint(1, 6)),
    "minutes": lambda rng: str(rng.randint(3, 14)),
    "count": lambda rng: str(rng.randint(2, 6)),
    "wo": lambda rng: f"WO-{rng.randint(20000, 89999)}",
    "badge": _digits(6),
    "eta": lambda rng: str(rng.randint(2, 9)),
}

REGION: dict[str, dict[str, Slot]] = {
    HOSPITAL: {
        "police": ("Chicago PD", "CPD"),
        "police_ref": lambda rng: f"RD# J{_letters(rng, 1)}-{rng.randint(100000, 999999)}",
        "plate": _il_plate,
        "ambulance": ("CFD EMS",),
    },
    CAMPUS: {
        "police": ("the Met", "Metropolitan Police"),
        "police_ref": lambda rng: f"CAD {rng.randint(1000, 9999)}",
        "plate": _uk_plate,
        "ambulance": ("London Ambulance Service",),
    },
    DATACENTER: {
        "police": ("Politie Amsterdam", "the police"),
        "police_ref": lambda rng: f"PL1300-2026{rng.randint(100000, 999999)}",
        "plate": _nl_plate,
        "ambulance": ("Ambulance Amsterdam",),
    },
}


class Slots(dict[str, str]):
    """Slot values for one incident: drawn on first use, then the same everywhere."""

    def __init__(self, rng: random.Random, site: str, known: Mapping[str, str]) -> None:
        super().__init__(known)
        self.rng = rng
        self.site = site

    def __missing__(self, key: str) -> str:
        source = REGION[self.site].get(key) or VOCAB.get(key)
        if source is None:
            raise KeyError(f"no vocabulary for slot {{{key}}}")
        value = source(self.rng) if callable(source) else self.rng.choice(source)
        self[key] = value
        return value

    def fill(self, template: str) -> str:
        """The template with its slots filled, first letter upper-case."""
        text = template.format_map(self)
        return text[:1].upper() + text[1:]

    def pick(self, templates: Texts, facts: frozenset[str] = frozenset()) -> str:
        """One of the templates that fit the facts, filled (see `fits`)."""
        fitting = [t for t in templates if fits(t, facts)] or list(templates)
        return self.fill(untag(self.rng.choice(fitting)))


def fits(template: str, facts: frozenset[str]) -> bool:
    """Whether a template fits an incident.

    A template may start with tags, '[t0,t2,referred_police] text': it then fits only
    the titles named (t0 is the first title of the kind) and only the outcomes named.
    """
    if not template.startswith("["):
        return True
    tags = template[1 : template.index("]")].split(",")
    titles = [t for t in tags if t[:1] == "t" and t[1:].isdigit()]
    codes = [t for t in tags if t not in titles]
    return (not titles or any(t in facts for t in titles)) and (
        not codes or any(c in facts for c in codes)
    )


def untag(template: str) -> str:
    """The template without its tags."""
    return template[template.index("]") + 1 :].lstrip() if template.startswith("[") else template


GENERIC_SUMMARIES: dict[Code, Texts] = {
    Code.RESOLVED: (
        "Dealt with by {officer}; nothing further needed.",
        "Resolved; the reporter was updated and is satisfied.",
        "Resolved, see the notes above.",
    ),
    Code.FALSE_ALARM: (
        "No cause found on site. Alarm reset and point tested OK.",
        "False alarm: area checked, nothing untoward. Reset at the panel.",
    ),
    Code.REFERRED_POLICE: (
        "Referred to {police}, reference {police_ref}. CCTV retained for the investigation.",
        "Handed over to {police} on scene ({police_ref}).",
    ),
    Code.REFERRED_EXTERNAL: ("Handed over to the responsible external party; our part is done.",),
    Code.NO_FURTHER_ACTION: (
        "No further action: nothing more security can do. Reporter informed.",
        "Logged for trend analysis; no further action required.",
    ),
    Code.UNFOUNDED: (
        "Unfounded: checks and CCTV review found nothing to support the report.",
        "Checked thoroughly; the report could not be substantiated.",
    ),
}

DISPATCH_NOTES: Texts = (
    "Dispatched {officer}, ETA {eta} minutes.",
    "Called the reporter back to confirm the location.",
    "CCTV operator reviewing camera {camera} for the time of the report.",
    "Duty supervisor {supervisor} informed.",
    "Logged on the shift handover sheet.",
)

FOLLOW_UPS: Texts = (
    "Left open until the CCTV export has been reviewed.",
    "Waiting for the reporter to call back with more details.",
    "A witness statement is still to take; the witness is off until tomorrow.",
    "Left open pending the department manager's reply.",
)

PATROL_NOTES: Texts = (
    "On scene. Area quiet on arrival.",
    "Photos taken and attached to the case file.",
    "CCTV reviewed from {camera}; clip exported and retained for 30 days.",
    "Checked adjacent areas; nothing further.",
)

CANCEL_REASONS: dict[str, Texts] = {
    "alarm": (
        "Alarm raised during planned maintenance ({wo}); contractor on site confirmed.",
        "Test signal from the alarm panel during the monthly check.",
        "Engineer working on the access control system; points were not isolated.",
    ),
    "other": (
        "Reporter called back: raised in error, nothing happened.",
        "Logged by mistake while testing the mobile app.",
        "Caller withdrew the report: the item turned up.",
        "Not a security matter; passed to the facilities help desk.",
    ),
}

REOPEN_REASONS: Texts = (
    "[referred_police] {police} requested the CCTV footage; reopening to record the hand-over.",
    "The reporter came back with new information; reopening to follow it up.",
    "Closed too early: the follow-up with the department head was never done.",
    "[referred_police,no_further_action,resolved] Insurance claim filed; the statement and "
    "photos need to be on the record.",
)

REOPEN_NOTES: Texts = (
    "[referred_police] Footage exported to an encrypted USB drive and signed over to {police}.",
    "Spoke to the reporter again and took an updated statement.",
    "Follow-up meeting held; actions agreed and recorded.",
    "[referred_police,no_further_action,resolved] Photos and statement added for the insurer.",
)
