"""Pydantic models for major incidents under NIMS/ICS: the roster and the periods."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, model_validator

from murphy.users.schemas import UserRef


class IcsRole(StrEnum):
    """The command and general staff of the Incident Command System."""

    INCIDENT_COMMANDER = "incident_commander"
    SAFETY_OFFICER = "safety_officer"
    PUBLIC_INFORMATION_OFFICER = "public_information_officer"
    LIAISON_OFFICER = "liaison_officer"
    OPERATIONS_SECTION_CHIEF = "operations_section_chief"
    PLANNING_SECTION_CHIEF = "planning_section_chief"
    LOGISTICS_SECTION_CHIEF = "logistics_section_chief"
    FINANCE_ADMIN_SECTION_CHIEF = "finance_admin_section_chief"


TITLES: dict[IcsRole, str] = {
    IcsRole.INCIDENT_COMMANDER: "Incident Commander",
    IcsRole.SAFETY_OFFICER: "Safety Officer",
    IcsRole.PUBLIC_INFORMATION_OFFICER: "Public Information Officer",
    IcsRole.LIAISON_OFFICER: "Liaison Officer",
    IcsRole.OPERATIONS_SECTION_CHIEF: "Operations Section Chief",
    IcsRole.PLANNING_SECTION_CHIEF: "Planning Section Chief",
    IcsRole.LOGISTICS_SECTION_CHIEF: "Logistics Section Chief",
    IcsRole.FINANCE_ADMIN_SECTION_CHIEF: "Finance/Admin Section Chief",
}


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PersonIn(_In):
    """Who fills a role: a Murphy user (`user`), or a named outsider (`name`), such as
    the fire brigade's officer in charge."""

    user: str | None = Field(default=None, max_length=64, description="User name")
    name: str | None = Field(
        default=None, max_length=120, description="Name of someone without an account"
    )

    @model_validator(mode="after")
    def _one(self) -> PersonIn:
        if bool(self.user) == bool(self.name):
            raise ValueError("give either `user` (a user name) or `name` (an outsider)")
        return self


class DeclareIn(_In):
    """Declare an incident major: its incident commander and complexity type."""

    commander: PersonIn
    complexity: int = Field(ge=1, le=5, description="ICS type 5 (simplest) .. 1 (most complex)")


class AssignIn(PersonIn):
    """Put someone in an ICS role; whoever held it is relieved at the same moment."""

    role: IcsRole


class RelieveIn(_In):
    """Relieve the holder of a role without a successor."""

    reason: str = Field(default="", max_length=2_000)


class ComplexityIn(_In):
    """A new complexity type for a major incident."""

    complexity: int = Field(ge=1, le=5)
    reason: str = Field(default="", max_length=2_000)


class PeriodIn(_In):
    """An operational period and its objectives; times without an offset are read in
    the site's time zone."""

    starts_at: datetime
    ends_at: datetime
    objectives: str = Field(min_length=1, max_length=20_000)


class AssignmentOut(BaseModel):
    """Someone in an ICS role, from when until when."""

    role: IcsRole
    title: str
    user: UserRef | None = None
    name: str
    assigned_at: datetime
    relieved_at: datetime | None = None
    current: bool


class PeriodOut(BaseModel):
    """An operational period."""

    number: int
    starts_at: datetime
    ends_at: datetime
    objectives: str


class IcsOut(BaseModel):
    """The command of a major incident: the roster (current and relieved) and periods."""

    number: str
    major: bool
    complexity: int | None
    commander: AssignmentOut | None
    roster: list[AssignmentOut]
    periods: list[PeriodOut]
