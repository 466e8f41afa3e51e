"""Pydantic models for the taxonomy: types, playbook steps, packs (YAML), suggestions."""

from __future__ import annotations

import re
from enum import StrEnum
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, field_validator

# What a type may require to be filled before an incident of it is resolved.
REQUIRED_FIELDS = (
    "description",
    "place",
    "occurred_at",
    "assessment.immediate_actions",
    "assessment.risks",
    "assessment.suspected_root_cause",
    "assessment.recommended_solution",
    "assessment.parties_informed",
    "resolution.effectiveness",  # asked when resolving: did the action fix it?
)


class Level(StrEnum):
    """Where a node sits in the tree."""

    CATEGORY = "category"
    TYPE = "type"
    SUBTYPE = "subtype"


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class Branch(_In):
    """A step that runs only after a yes/no question was answered a certain way."""

    step: str = Field(min_length=1, max_length=48, description="key of the question step")
    answer: bool


class StepIn(_In):
    """One step of a playbook."""

    key: str = Field(min_length=1, max_length=48, pattern=r"^[a-z0-9][a-z0-9_-]*$")
    title: str = Field(min_length=1, max_length=240)
    role: str | None = Field(default=None, description="who does it: a role name")
    within_minutes: int | None = Field(default=None, ge=0, le=60 * 24 * 90)
    mandatory: bool = True
    question: str = Field(default="", max_length=500, description="a yes/no question")
    when: Branch | None = Field(default=None, description="only after this answer")


class TypeIn(_In):
    """A type as packs and the API describe it; `children` nest the tree."""

    code: str = Field(min_length=1, max_length=64, pattern=r"^[a-z0-9][a-z0-9_.-]*$")
    name: str = Field(min_length=1, max_length=160)
    description: str = Field(default="", max_length=4000)
    default_impact: int = Field(default=3, ge=1, le=5)
    default_urgency: int = Field(default=3, ge=1, le=5)
    required_fields: list[str] = Field(default_factory=list)
    clearance: str | None = Field(default=None, max_length=32, pattern=r"^[a-z0-9_-]+$")
    keywords: list[str] = Field(default_factory=list)
    skills: list[str] = Field(
        default_factory=list, max_length=16, description="what a responder must have, e.g. aed"
    )
    playbook: list[StepIn] = Field(default_factory=list)
    children: list[TypeIn] = Field(default_factory=list)

    @field_validator("required_fields")
    @classmethod
    def _known_fields(cls, value: list[str]) -> list[str]:
        return known_fields(value)

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str]) -> list[str]:
        return normalize_skills(value)

    @field_validator("keywords", mode="before")
    @classmethod
    def _keywords_as_text(cls, value: Any) -> Any:
        return keywords_as_text(value)


def known_fields(value: list[str]) -> list[str]:
    """Refuse required fields that are not among REQUIRED_FIELDS."""
    unknown = [f for f in value if f not in REQUIRED_FIELDS]
    if unknown:
        raise ValueError(
            f"unknown required field(s) {', '.join(unknown)}: "
            f"choose from {', '.join(REQUIRED_FIELDS)}"
        )
    return value


SKILL = re.compile(r"^[a-z0-9][a-z0-9_-]{0,31}$")


def normalize_skills(value: list[str]) -> list[str]:
    """Skills (what a type needs, what a unit holds) as short lower-case names
    (`first_aid`, `aed`, `k9`), each once, sorted."""
    out = set()
    for raw in value:
        name = str(raw).strip().lower().replace(" ", "_")
        if not SKILL.match(name):
            raise ValueError(
                f"invalid skill {raw!r}: use 1-32 lower-case letters, digits, '_' or '-'"
            )
        out.add(name)
    return sorted(out)


def keywords_as_text(value: Any) -> Any:
    """Keywords YAML reads as numbers (`5150`, `911`) are kept as the text they were."""
    if isinstance(value, list):
        return [
            str(v) if isinstance(v, int | float) and not isinstance(v, bool) else v for v in value
        ]
    return value


class TypeCreate(TypeIn):
    """A new single type: placed under `parent` (none for a category); no children."""

    parent: str | None = Field(default=None, description="code of the parent type")
    children: list[TypeIn] = Field(default_factory=list, max_length=0)


class TypeUpdate(_In):
    """Changes to one type; only the fields sent change. The code never changes."""

    name: str | None = Field(default=None, min_length=1, max_length=160)
    description: str | None = Field(default=None, max_length=4000)
    default_impact: int | None = Field(default=None, ge=1, le=5)
    default_urgency: int | None = Field(default=None, ge=1, le=5)
    required_fields: list[str] | None = None
    clearance: str | None = Field(default=None, max_length=32, pattern=r"^[a-z0-9_-]*$")
    keywords: list[str] | None = None
    skills: list[str] | None = Field(default=None, max_length=16)
    playbook: list[StepIn] | None = Field(default=None, description="a new playbook version")
    active: bool | None = Field(
        default=None, description="false deactivates: types are never deleted"
    )

    @field_validator("required_fields")
    @classmethod
    def _known_fields(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else known_fields(value)

    @field_validator("skills")
    @classmethod
    def _skills(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else normalize_skills(value)

    @field_validator("keywords", mode="before")
    @classmethod
    def _keywords_as_text(cls, value: Any) -> Any:
        return keywords_as_text(value)


class PackIn(_In):
    """A taxonomy pack: a named tree of categories, types and subtypes."""

    pack: str = Field(min_length=1, max_length=32, pattern=r"^[a-z0-9_-]+$")
    title: str = Field(default="", max_length=160)
    description: str = Field(default="", max_length=4000)
    categories: list[TypeIn]


class TypeRef(BaseModel):
    """A type as shown on an incident."""

    code: str
    name: str
    path: list[str] = Field(default_factory=list, description="names from the category down")


class StepOut(BaseModel):
    """A playbook step."""

    key: str
    title: str
    role: str | None = None
    within_minutes: int | None = None
    mandatory: bool = True
    question: str = ""
    when: Branch | None = None


class TypeOut(BaseModel):
    """A node of the taxonomy with its children."""

    code: str
    name: str
    description: str
    level: Level
    default_impact: int
    default_urgency: int
    required_fields: list[str]
    clearance: str | None
    keywords: list[str]
    skills: list[str] = Field(default_factory=list)
    pack: str
    active: bool
    playbook_version: int | None = None
    playbook: list[StepOut] = Field(default_factory=list)
    children: list[TypeOut] = Field(default_factory=list)


class LoadReport(BaseModel):
    """What loading a pack did."""

    pack: str
    created: int
    updated: int
    playbooks: int
    unchanged: int = 0


class SuggestionIn(_In):
    """The free text of a report, to suggest a type and similar incidents from."""

    title: str = Field(default="", max_length=200)
    description: str = Field(default="", max_length=20_000)
    limit: int = Field(default=5, ge=1, le=20)


class TypeSuggestion(BaseModel):
    """A suggested type, with how sure and why."""

    code: str
    name: str
    path: list[str] = Field(description="names from the category down")
    score: float = Field(description="similarity of the text to the type, 0..1")
    words: list[str] = Field(description="the words of the report that drove the suggestion")
