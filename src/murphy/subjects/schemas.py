"""Subjects (people and vehicles) and their links to incidents: what goes in and comes out."""

from __future__ import annotations

from datetime import date, datetime
from enum import StrEnum
from typing import Self

from pydantic import BaseModel, ConfigDict, Field, model_validator


class SubjectKind(StrEnum):
    """What a subject record describes."""

    PERSON = "person"
    VEHICLE = "vehicle"


class SubjectRole(StrEnum):
    """The part a person or vehicle played in an incident."""

    VICTIM = "victim"
    WITNESS = "witness"
    SUSPECT = "suspect"
    SUBJECT = "subject"
    REPORTING_PARTY = "reporting_party"
    PATIENT = "patient"
    EMPLOYEE = "employee"
    VISITOR = "visitor"


ROLE_LABELS = {
    SubjectRole.VICTIM: "Victim",
    SubjectRole.WITNESS: "Witness",
    SubjectRole.SUSPECT: "Suspect",
    SubjectRole.SUBJECT: "Subject",
    SubjectRole.REPORTING_PARTY: "Reporting party",
    SubjectRole.PATIENT: "Patient",
    SubjectRole.EMPLOYEE: "Employee",
    SubjectRole.VISITOR: "Visitor",
}


class IdentifierKind(StrEnum):
    """A document or number that identifies a person."""

    STAFF_NUMBER = "staff_number"
    ID_CARD = "id_card"
    PASSPORT = "passport"
    DRIVING_LICENCE = "driving_licence"
    OTHER = "other"


class Identifier(BaseModel):
    """One identifier of a person: its kind and value as written on it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    kind: IdentifierKind
    value: str = Field(min_length=1, max_length=80)


class PersonIn(BaseModel):
    """A person as described by whoever saw them."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str = Field(min_length=1, max_length=200)
    birth_date: date | None = None
    description: str = Field(default="", max_length=2_000, description="height, build, clothing")
    identifiers: list[Identifier] = Field(default_factory=list, max_length=20)


class VehicleIn(BaseModel):
    """A vehicle: its plate and what it looks like."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    plate: str = Field(min_length=1, max_length=20)
    make: str = Field(default="", max_length=60)
    model: str = Field(default="", max_length=60)
    colour: str = Field(default="", max_length=60)
    description: str = Field(default="", max_length=2_000)


class LinkIn(BaseModel):
    """Link an existing subject to an incident, or describe a new one and link it."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    subject_id: int | None = None
    person: PersonIn | None = None
    vehicle: VehicleIn | None = None
    role: SubjectRole
    note: str = Field(default="", max_length=500)

    @model_validator(mode="after")
    def _one_subject(self) -> Self:
        given = [x for x in (self.subject_id, self.person, self.vehicle) if x is not None]
        if len(given) != 1:
            raise ValueError("give exactly one of subject_id, person or vehicle")
        return self


class SubjectUpdate(BaseModel):
    """The fields of a subject that may change (those of its kind)."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    name: str | None = Field(default=None, min_length=1, max_length=200)
    birth_date: date | None = None
    description: str | None = Field(default=None, max_length=2_000)
    identifiers: list[Identifier] | None = Field(default=None, max_length=20)
    plate: str | None = Field(default=None, min_length=1, max_length=20)
    make: str | None = Field(default=None, max_length=60)
    model: str | None = Field(default=None, max_length=60)
    colour: str | None = Field(default=None, max_length=60)


class MergeIn(BaseModel):
    """Merge this record into another one (the survivor)."""

    model_config = ConfigDict(extra="forbid")

    into: int


class SubjectIncident(BaseModel):
    """An incident a subject appears in, and as what."""

    number: str
    title: str
    role: SubjectRole
    site: str
    reported_at: datetime


class Duplicate(BaseModel):
    """Another record that may describe the same person or vehicle, and why."""

    id: int
    kind: SubjectKind
    label: str
    birth_date: date | None = None
    reason: str


class SubjectOut(BaseModel):
    id: int
    kind: SubjectKind
    label: str  # the name, or the plate
    name: str | None = None
    birth_date: date | None = None
    description: str
    identifiers: list[Identifier] = []
    plate: str | None = None
    make: str = ""
    model: str = ""
    colour: str = ""
    created_at: datetime
    created_by: str | None
    updated_at: datetime
    version: int
    merged_into_id: int | None = None
    anonymized_at: datetime | None = None
    photo_sha256: str | None = Field(default=None, description="The photo's digest, if any")
    incidents: list[SubjectIncident] = []
    possible_duplicates: list[Duplicate] = []


class SubjectHit(BaseModel):
    """A search result: who or what, and the incidents (the caller may see) it appears in."""

    id: int
    kind: SubjectKind
    label: str
    summary: str  # a vehicle's make, model and colour; a person's description, cut short
    incidents: list[SubjectIncident]


class LinkOut(BaseModel):
    """A subject on an incident, as the incident page lists it."""

    id: int  # the link
    subject_id: int
    kind: SubjectKind
    label: str
    summary: str
    role: SubjectRole
    role_label: str
    note: str
    created_at: datetime
    created_by: str | None
    possible_duplicates: list[Duplicate] = []  # filled when the link created the record


class SubjectPanel(BaseModel):
    """The incident page's "People and vehicles" section."""

    number: str
    links: list[LinkOut]
    can_read: bool
    can_add: bool
    roles: dict[str, str]  # role value → label, for the form's select
