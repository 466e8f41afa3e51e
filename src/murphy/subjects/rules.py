"""Subjects' pure rules: search keys, name tokens, input checks, duplicate reasons."""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from datetime import date

from murphy.core.errors import ValidationFailed

TOKEN_MAX = 64
MAX_PHOTO_BYTES = 5 * 1024 * 1024
EARLIEST_BIRTH = date(1900, 1, 1)
SUMMARY_MAX = 80
_NOT_KEY = re.compile(r"[^0-9A-Z]+")


def fold(text: str) -> str:
    """Lower-case, accents removed ("Zoë Müller" → "zoe muller"); other scripts kept."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def name_words(name: str) -> list[str]:
    """The words of a name, folded, in order ("Smith, John" → ["smith", "john"])."""
    spaced = "".join(c if c.isalnum() else " " for c in fold(name))
    return [w[:TOKEN_MAX] for w in spaced.split()]


def name_key(name: str) -> str:
    """The words of a name, sorted: "John Smith" and "Smith, John" share it."""
    return " ".join(sorted(name_words(name)))


def tokens(name: str) -> set[str]:
    """The search tokens of a name: its words (a prefix of any finds it)."""
    return set(name_words(name))


def plate_key(plate: str) -> str:
    """Letters and digits only, upper-case ("AB-12 cde" → "AB12CDE")."""
    decomposed = unicodedata.normalize("NFKD", plate.upper())
    return _NOT_KEY.sub("", "".join(c for c in decomposed if not unicodedata.combining(c)))


def identifier_key(value: str) -> str:
    """An identifier's value compared without spaces, dashes or case."""
    return plate_key(value)


def prefix_end(prefix: str) -> str:
    """The upper bound of a prefix range: `key >= prefix AND key < prefix_end(prefix)`,
    the prefix with its last character moved one code point on ("smi" → "smj"). SQLite
    and PostgreSQL (C collation) compare UTF-8 byte by byte, that is by code point, so
    the range holds exactly the keys starting with the prefix, and PostgreSQL's planner
    estimates it well (it does not for a bound ending in U+FFFF)."""
    if not prefix:
        return "\U0010ffff"
    following = ord(prefix[-1]) + 1
    if 0xD800 <= following <= 0xDFFF:  # surrogates are not characters: skip them
        following = 0xE000
    return prefix[:-1] + chr(min(following, 0x10FFFF))


def check_name(name: str) -> str:
    """The name's key, or ValidationFailed when it has no letters or digits."""
    key = name_key(name)
    if not key:
        raise ValidationFailed("name: give at least one word of the name")
    return key


def check_plate(plate: str) -> str:
    """The plate's key, or ValidationFailed when it has no letters or digits."""
    key = plate_key(plate)
    if not key:
        raise ValidationFailed("plate: give the letters and digits of the plate")
    return key


def check_birth_date(born: date | None, today: date) -> None:
    """A date of birth is not in the future and not before 1900."""
    if born is None:
        return
    if born > today:
        raise ValidationFailed("birth_date: cannot be in the future")
    if born < EARLIEST_BIRTH:
        raise ValidationFailed(
            "birth_date: before 1900 is not plausible; leave it empty if unknown"
        )


def summary(*parts: str) -> str:
    """A short line from the non-empty parts (a vehicle's colour, make and model)."""
    text = " ".join(p.strip() for p in parts if p and p.strip())
    return text if len(text) <= SUMMARY_MAX else text[: SUMMARY_MAX - 1].rstrip() + "…"


@dataclass(frozen=True)
class Facts:
    """What duplicate detection compares of a record."""

    kind: str
    name_key: str | None = None
    birth_date: date | None = None
    identifiers: frozenset[str] = frozenset()
    plate_key: str | None = None


def duplicate_reason(a: Facts, b: Facts) -> str | None:
    """Why `b` may be the same person or vehicle as `a`, or None."""
    if a.kind != b.kind:
        return None
    if a.kind == "vehicle":
        return "same plate" if a.plate_key and a.plate_key == b.plate_key else None
    if a.identifiers & b.identifiers:
        return "same identifier"
    if not a.name_key or a.name_key != b.name_key:
        return None
    if a.birth_date is not None and b.birth_date is not None:
        return "same name and date of birth" if a.birth_date == b.birth_date else None
    return "same name, a date of birth missing"


def check_merge(gone_id: int, gone_kind: str, survivor_id: int, survivor_kind: str) -> None:
    """A record merges into another record of the same kind."""
    if gone_id == survivor_id:
        raise ValidationFailed("into: a record cannot be merged into itself")
    if gone_kind != survivor_kind:
        raise ValidationFailed("into: a person and a vehicle cannot be merged")


PERSON_ONLY = ("name", "birth_date", "identifiers")
VEHICLE_ONLY = ("plate", "make", "model", "colour")


def check_fields_of(kind: str, given: set[str]) -> None:
    """Refuse an edit that sets fields the record's kind does not have (a person's plate)."""
    other = VEHICLE_ONLY if kind == "person" else PERSON_ONLY
    wrong = [f for f in other if f in given]
    if wrong:
        raise ValidationFailed(f"a {kind} has no {', '.join(wrong)}: leave it out")
