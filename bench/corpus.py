"""Words for generated incidents: a realistic, skewed vocabulary with a long tail.

Titles and descriptions are built from templates of a security control room's
everyday language (doors, alarms, thefts, spills, phishing), so common words such as
"door" or "alarm" match thousands of incidents, while names, licence plates and
badge numbers drawn from large generated pools match a handful or just one: text
search is measured on both. Same seed, same text.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# (weight, title stems, what the description is about)
EVENTS: list[tuple[int, list[str]]] = [
    (
        14,
        [
            "Door forced",
            "Door held open",
            "Door propped open",
            "Fire door alarm",
            "Tailgating through turnstile",
            "Badge denied repeatedly",
            "Lost access badge",
            "Door left unlocked",
        ],
    ),
    (
        12,
        [
            "Intrusion alarm",
            "Fire alarm activation",
            "Panic button pressed",
            "Glass break alarm",
            "Motion sensor alarm",
            "Duress alarm",
            "Smoke detector alarm",
        ],
    ),
    (
        10,
        [
            "Suspicious person",
            "Trespasser",
            "Aggressive visitor",
            "Wandering patient",
            "Loitering near entrance",
            "Person photographing building",
            "Verbal threat",
        ],
    ),
    (
        9,
        [
            "Theft of laptop",
            "Bicycle stolen",
            "Wallet stolen",
            "Theft from vehicle",
            "Shoplifting at pharmacy",
            "Missing equipment",
            "Copper cable theft",
        ],
    ),
    (
        8,
        [
            "Water leak",
            "Smoke smell",
            "Elevator entrapment",
            "Power outage",
            "Chemical spill",
            "Gas odour",
            "Flooding",
            "Broken handrail",
        ],
    ),
    (
        7,
        [
            "Medical emergency",
            "Fall injury",
            "Person fainted",
            "Allergic reaction",
            "Chest pain",
            "Slip on wet floor",
        ],
    ),
    (
        7,
        [
            "Vehicle blocking fire lane",
            "Unauthorized parking",
            "Car break-in",
            "Minor collision",
            "Abandoned vehicle",
            "Speeding on campus road",
        ],
    ),
    (
        6,
        [
            "Phishing email reported",
            "Malware alert",
            "Unauthorized USB device",
            "Account lockout storm",
            "Suspicious login",
            "Ransomware warning",
            "Data exfiltration alert",
        ],
    ),
    (
        5,
        [
            "Graffiti",
            "Broken window",
            "Damaged fence",
            "Vandalised vending machine",
            "Slashed tyres",
        ],
    ),
    (
        5,
        [
            "Unattended bag",
            "Lost property",
            "Found keys",
            "Suspicious package",
            "Unattended child",
        ],
    ),
    (
        3,
        [
            "Protest at gate",
            "Drone over campus",
            "Noise complaint",
            "Animal on premises",
            "Bomb threat call",
        ],
    ),
]

WHERE = [
    "at loading dock",
    "at main entrance",
    "in car park",
    "near reception",
    "in stairwell",
    "at service corridor",
    "in server room",
    "at east gate",
    "at west gate",
    "in emergency department",
    "in library",
    "in cafeteria",
    "at bicycle shed",
    "on roof",
    "in basement",
    "at lecture hall",
    "in laboratory",
    "near lifts",
    "at pharmacy",
    "in ward",
]

OPENINGS = [
    "Caller reports",
    "Guard on patrol noticed",
    "CCTV operator observed",
    "Staff member reported",
    "Alarm panel signalled",
    "Visitor told reception about",
    "Night shift found",
    "Cleaner discovered",
    "Patrol officer confirmed",
    "Anonymous caller mentioned",
]

OBSERVATIONS = [
    "a person in a {color} jacket leaving quickly towards the {exit}",
    "two people arguing loudly near the {exit}",
    "the {thing} was damaged and left open",
    "water dripping from the ceiling above the {thing}",
    "a strong smell of burning near the {thing}",
    "the {thing} missing from its usual place",
    "a {color} {vehicle} with plate {plate} parked without permit",
    "a man carrying a {color} backpack trying several doors",
    "a woman asking staff for access without a badge",
    "the alarm sounding for several minutes without anyone responding",
    "broken glass on the floor next to the {thing}",
    "an employee who felt unwell and collapsed near the {thing}",
    "an email asking staff to confirm passwords on an external page",
    "a laptop left unattended with the screen unlocked",
    "a USB stick found plugged into a reception computer",
    "smoke coming from a bin next to the {thing}",
    "a child waiting alone near the {exit}",
    "a drone hovering over the {exit} for ten minutes",
    "graffiti sprayed on the wall beside the {thing}",
    "a delivery driver refusing to sign in at the {exit}",
]

FOLLOW_UPS = [
    "Officer {name} attended and secured the area.",
    "Patrol requested backup; {name} arrived within minutes.",
    "Facilities was informed and a technician is on the way.",
    "CCTV footage from camera {camera} has been saved for review.",
    "The person was escorted off site by {name}.",
    "First aid given; ambulance was not required.",
    "Ambulance called, patient transferred to the emergency department.",
    "Police informed, reference {reference}.",
    "Access logs show badge {badge} used at the time.",
    "IT security isolated the workstation and reset the account.",
    "Witness {name} gave a statement at the security office.",
    "Area cordoned off until the cleaning crew finished.",
    "Nothing further found after a sweep of the floor.",
    "The owner, {name}, collected the item at the control room.",
    "Maintenance ticket raised to repair the {thing}.",
    "Supervisor {name} was briefed at shift handover.",
]

COLORS = ["black", "grey", "red", "blue", "green", "white", "yellow", "orange", "brown", "purple"]
EXITS = ["loading dock", "main entrance", "east gate", "west gate", "car park exit", "fire exit"]
THINGS = [
    "vending machine",
    "fire extinguisher",
    "card reader",
    "turnstile",
    "server rack",
    "medicine cabinet",
    "projector",
    "defibrillator",
    "bicycle rack",
    "ladder",
    "skylight",
    "storage cupboard",
    "printer",
    "boiler",
]
VEHICLES = ["van", "car", "pickup truck", "motorbike", "scooter", "lorry"]
RESOLUTIONS = [
    "Area checked and secured, no further action.",
    "Handled on scene by the patrol officer.",
    "False alarm caused by a faulty sensor; ticket raised.",
    "Referred to police with the CCTV footage.",
    "Owner identified and property returned.",
    "Contractor fixed the fault the same day.",
]
CANCEL_REASONS = ["Reported twice by mistake", "Test alarm announced in advance", "Caller withdrew"]

_SYLLABLES = [
    "ka", "lo", "mir", "ten", "sa", "vor", "del", "ri", "ban", "tul", "os", "zem", "ha", "nik",
    "pe", "dra", "gul", "mo", "ver", "si", "rak", "lin", "bor", "eth", "quo", "jas", "fen", "wy",
]  # fmt: skip
_LETTERS = "ABCDEFGHJKLMNPRSTUVWXYZ"


@dataclass(frozen=True)
class Text:
    """A generated title and description."""

    title: str
    description: str


class Corpus:
    """A seeded source of incident titles and descriptions."""

    def __init__(self, seed: int = 2026, names: int = 4000) -> None:
        self.rng = random.Random(seed)
        pool: set[str] = set()
        while len(pool) < names:
            n = self.rng.choice((2, 2, 3))
            pool.add("".join(self.rng.choice(_SYLLABLES) for _ in range(n)).capitalize())
        self.names = sorted(pool)
        self._weights = [w for w, _ in EVENTS]
        self._stems = [s for _, s in EVENTS]

    def name(self) -> str:
        """A person's surname from a large pool, with a skew (some names recur)."""
        i = int(len(self.names) * self.rng.random() ** 2)
        return self.names[i]

    def plate(self) -> str:
        """A licence plate: practically unique."""
        letters = "".join(self.rng.choice(_LETTERS) for _ in range(3))
        return f"{letters}{self.rng.randint(100, 9999)}"

    def fill(self, template: str) -> str:
        """A template with its slots filled."""
        rng = self.rng
        return template.format(
            color=rng.choice(COLORS),
            exit=rng.choice(EXITS),
            thing=rng.choice(THINGS),
            vehicle=rng.choice(VEHICLES),
            plate=self.plate(),
            name=self.name(),
            camera=f"CAM{rng.randint(1, 480):03d}",
            reference=f"{rng.randint(10, 99)}/{rng.randint(10000, 99999)}",
            badge=str(rng.randint(10000, 99999)),
        )

    def text(self) -> Text:
        """A new incident's title and description."""
        rng = self.rng
        (stems,) = rng.choices(self._stems, weights=self._weights)
        title = f"{rng.choice(stems)} {rng.choice(WHERE)}"
        sentences = [f"{rng.choice(OPENINGS)} {self.fill(rng.choice(OBSERVATIONS))}."]
        for _ in range(rng.randint(0, 3)):
            sentences.append(self.fill(rng.choice(FOLLOW_UPS)))
        return Text(title=title[:200], description=" ".join(sentences))

    def resolution(self) -> str:
        """A resolution summary."""
        return self.rng.choice(RESOLUTIONS)

    def cancel_reason(self) -> str:
        """Why an incident was cancelled."""
        return self.rng.choice(CANCEL_REASONS)


# The words the search benchmark rotates through: common words that match a large share
# of incidents (the answer is a page of the newest matches), less common ones, and rare
# surnames from the tail of the name pool that match a few incidents or none; `bench.run`
# records how many incidents each one matches at each size.
COMMON_WORDS = ["door", "alarm", "officer", "staff", "car park"]
MEDIUM_WORDS = ["ladder", "drone", "ransomware", "defibrillator"]


def rare_words(corpus: Corpus, count: int = 4) -> list[str]:
    """Surnames from the rare end of the pool (each draw picks one with p ~ 1/8000)."""
    return [n.lower() for n in corpus.names[-count:]]
