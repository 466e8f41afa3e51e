"""Pydantic shapes of retention rules and runs."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field


class RecordType(StrEnum):
    """A kind of personal data Murphy holds, with its own retention period."""

    PEOPLE = "people"  # person records: name, date of birth, description, identifiers
    VEHICLES = "vehicles"  # vehicle records: the plate and the description
    STATEMENTS = "statements"  # what people said, their names and contact details
    EVIDENCE_FILES = "evidence_files"  # photos, video and documents in the evidence store
    REPORTER_CONTACTS = "reporter_contacts"  # how to reach whoever reported an incident
    REPORT_PHOTOS = "report_photos"  # photos sent with a report
    PERSON_VIEWS = "person_views"  # the log of who viewed a person record
    BANS = "bans"  # bans and trespass notices, once ended
    BOLOS = "bolos"  # be-on-the-lookout notices, once ended


class Action(StrEnum):
    """What happens to a record once its period is over."""

    ANONYMIZE = "anonymize"  # personal fields cleared; the record and its statistics stay
    DELETE = "delete"  # the record is removed


class RuleOut(BaseModel):
    """A record type's rule as in force (the default unless changed)."""

    record_type: RecordType
    label: str
    counted_from: str = Field(description="when the period starts")
    days: int
    action: Action
    enabled: bool
    actions: list[Action] = Field(description="the actions this record type allows")
    changed: bool = Field(description="differs from the default")
    updated_at: datetime | None = None
    updated_by: str | None = None


class RuleIn(BaseModel):
    """A change to one record type's rule."""

    model_config = ConfigDict(extra="forbid")

    days: int | None = Field(default=None, ge=1, le=36_500)
    action: Action | None = None
    enabled: bool | None = None


class RunOut(BaseModel):
    """What a run did (or, dry, would do): records changed per record type."""

    id: int | None = Field(default=None, description="None for a dry run")
    started_at: datetime
    finished_at: datetime
    started_by: str
    dry_run: bool = False
    counts: dict[str, int]
    total: int


class PersonExport(BaseModel):
    """Everything Murphy holds about one person, for a subject access request."""

    exported_at: datetime
    exported_by: str
    person: dict[str, Any]
    incidents: list[dict[str, Any]]
    statements: list[dict[str, Any]]
    bans: list[dict[str, Any]]
    bolos: list[dict[str, Any]]
    views: list[dict[str, Any]]
