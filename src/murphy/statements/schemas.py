"""Pydantic shapes of statements."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator


class Giver(StrEnum):
    """Who gives the statement."""

    WITNESS = "witness"
    VICTIM = "victim"
    SUSPECT = "suspect"
    INVOLVED = "involved"
    REPORTING_PARTY = "reporting_party"
    STAFF = "staff"


class Method(StrEnum):
    """How it was taken down."""

    TYPED = "typed"  # the officer typed what was said
    DICTATED = "dictated"  # dictated on the phone (its keyboard's microphone)
    WRITTEN = "written"  # written by the person themselves, typed in as given


class SignOff(StrEnum):
    """Whether the person confirmed it as theirs."""

    SIGNED = "signed"  # read it and confirmed it, typing their name
    DECLINED = "declined"  # was there and refused to sign
    ABSENT = "absent"  # not there to sign (by telephone, left)


class Status(StrEnum):
    """A draft may change; a submitted statement never does."""

    DRAFT = "draft"
    SUBMITTED = "submitted"


def _clean(value: str) -> str:
    if any(ord(c) < 32 and c not in "\n\t\r" for c in value):
        raise ValueError("control characters are not allowed")
    return value.strip()


class StatementIn(BaseModel):
    """A statement as taken: who gave it, how, where, and what they said."""

    model_config = ConfigDict(extra="forbid")

    giver: Giver
    name: str = Field(min_length=2, max_length=120, description="The person's name")
    contact: str = Field(default="", max_length=200, description="Telephone or email")
    method: Method = Method.TYPED
    place: str = Field(default="", max_length=200, description="Where it was taken")
    body: str = Field(default="", max_length=50_000, description="What they said, in their words")

    _checked = field_validator("name", "contact", "place", "body")(_clean)


class StatementEdit(BaseModel):
    """A change to a draft."""

    model_config = ConfigDict(extra="forbid")

    contact: str | None = Field(default=None, max_length=200)
    place: str | None = Field(default=None, max_length=200)
    body: str | None = Field(default=None, max_length=50_000)

    @field_validator("contact", "place", "body")
    @classmethod
    def _checked(cls, value: str | None) -> str | None:
        return None if value is None else _clean(value)


class SubmitIn(BaseModel):
    """Submitting: whether the person signed it, and the name they typed if they did."""

    model_config = ConfigDict(extra="forbid")

    sign_off: SignOff
    signed_name: str = Field(default="", max_length=120)

    _checked = field_validator("signed_name")(_clean)


class AmendmentIn(BaseModel):
    """An amendment: what is added or corrected, submitted at once and signed off too."""

    model_config = ConfigDict(extra="forbid")

    body: str = Field(min_length=3, max_length=50_000)
    sign_off: SignOff
    signed_name: str = Field(default="", max_length=120)

    _checked = field_validator("body", "signed_name")(_clean)


class StatementOut(BaseModel):
    """A statement, its sign-off and the amendments made to it since."""

    id: int
    number: str
    giver: Giver
    name: str
    contact: str
    method: Method
    place: str
    body: str
    status: Status
    taken_by: str
    taken_at: datetime
    submitted_at: datetime | None
    sign_off: SignOff | None
    signed_name: str
    sha256: str | None = Field(description="Of the submitted text, as on the timeline")
    amends: int | None = Field(description="The statement this one amends")
    amendments: list[int] = []
    version: int
    anonymized_at: datetime | None = Field(
        default=None, description="When its personal data was removed under the retention policy"
    )
