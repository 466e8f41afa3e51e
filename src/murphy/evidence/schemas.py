"""Pydantic shapes of evidence: what is recorded and how it is shown."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Kind(StrEnum):
    """A file kept in the store, or a physical item kept somewhere."""

    FILE = "file"
    ITEM = "item"


class Action(StrEnum):
    """A step in an item's chain of custody (files: only transferred, as a copy)."""

    HANDED_OVER = "handed_over"  # to another person, who now holds it
    STORED = "stored"  # put in a place (evidence locker 3), perhaps under a new seal
    TRANSFERRED = "transferred"  # given to an outside party (the police): out of our custody
    RETURNED = "returned"  # given back to its owner
    DISPOSED = "disposed"  # destroyed, with the reason


class State(StrEnum):
    """Where an item is."""

    HELD = "held"
    TRANSFERRED = "transferred"
    RETURNED = "returned"
    DISPOSED = "disposed"
    DELETED = "deleted"  # a file removed under the retention policy


class ItemIn(BaseModel):
    """A physical item taken into custody: what it is, where it is kept, its seal."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    description: str = Field(min_length=3, max_length=2000, description="What it is")
    location: str = Field(default="", max_length=200, description="Where it is kept")
    seal: str = Field(default="", max_length=64, description="The seal or bag number")


class CustodyIn(BaseModel):
    """A step in the chain of custody."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    action: Action
    to: str = Field(default="", max_length=200, description="Who receives it (a person, a force)")
    location: str = Field(default="", max_length=200, description="Where it is now kept")
    seal: str = Field(default="", max_length=64, description="A new seal number, if resealed")
    note: str = Field(default="", max_length=2000, description="Why; required to dispose")

    @field_validator("to", "location", "seal", "note")
    @classmethod
    def _no_controls(cls, value: str) -> str:
        if any(ord(c) < 32 and c not in "\n\t" for c in value):
            raise ValueError("control characters are not allowed")
        return value


class EvidenceOut(BaseModel):
    """A file or item of an incident, and where it is in custody."""

    id: int
    number: str
    kind: Kind
    state: State
    description: str
    filename: str | None = None
    media_type: str | None = None
    size: int | None = None
    sha256: str | None = None
    url: str | None = Field(default=None, description="Where to fetch a file (logged)")
    location: str = ""
    seal: str = ""
    holder: str = ""
    added_by: str
    added_at: datetime


class CustodyStep(BaseModel):
    """One entry of an evidence's chain of custody, from the incident's timeline."""

    seq: int
    at: datetime
    actor: str | None
    kind: str
    data: dict[str, object]


class EvidenceDetail(EvidenceOut):
    """An evidence with its whole chain of custody."""

    custody: list[CustodyStep]


class Problem(BaseModel):
    """A stored file that no longer matches what was recorded."""

    id: int
    number: str
    filename: str
    problem: str = Field(description="missing, size changed or content changed")
