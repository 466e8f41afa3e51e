"""Pydantic models and the Principal (who is asking) for the users domain."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field


class Role(StrEnum):
    """What a person does in the security organization."""

    REPORTER = "reporter"
    OFFICER = "officer"
    DISPATCHER = "dispatcher"
    SUPERVISOR = "supervisor"
    ANALYST = "analyst"
    ADMIN = "admin"


class Permission(StrEnum):
    """One thing a role may do. Site scope is checked separately."""

    REPORT = "incident.report"
    READ_OWN = "incident.read_own"  # only incidents one reported oneself
    READ = "incident.read"  # every incident of one's sites
    EDIT = "incident.edit"
    NOTE = "incident.note"
    TRIAGE = "incident.triage"
    RESPOND = "incident.respond"
    RESOLVE = "incident.resolve"
    CLOSE = "incident.close"
    REOPEN = "incident.reopen"
    CANCEL = "incident.cancel"
    MERGE = "incident.merge"
    AUDIT = "audit.verify"
    MANAGE_USERS = "admin.users"
    MANAGE_SITES = "admin.sites"
    MANAGE_SETTINGS = "admin.settings"  # priority matrix and service targets
    MANAGE_TAXONOMY = "admin.taxonomy"
    MANAGE_RULES = "admin.rules"  # escalation rules and the outbox
    WORK_TASKS = "task.work"  # complete playbook tasks, skip optional ones
    SKIP_MANDATORY = "task.skip_mandatory"  # skip a mandatory step (with a reason)
    COMMAND = "incident.command"  # declare major incidents, assign ICS roles
    DISPATCH = "unit.dispatch"  # send units to incidents, set any unit's status
    MANAGE_UNITS = "admin.units"  # add units, set their members and skills
    MANAGE_ONCALL = "admin.oncall"  # on-call schedules, their overrides, escalation policies
    REPORTS = "report.read"  # the analytics dashboard, activity reports, exports
    REVIEW = "review.write"  # post-incident reviews, corrective actions, problems
    APPROVE_REVIEW = "review.approve"  # approve a post-incident review
    ISSUE_BOLO = "bolo.issue"  # issue and cancel be-on-the-lookout notices
    ISSUE_BAN = "ban.issue"  # ban a person from sites, serve trespass notices, lift bans
    PRIVACY = "privacy.manage"  # retention rules and runs, export of all held about a person


@dataclass(frozen=True)
class Principal:
    """The authenticated caller: identity, role, permissions, site scope, clearances.

    `site_ids` is None for someone who sees every site. `clearances` name the
    restricted incident types (an HR matter, a sexual assault) the caller may see.
    """

    id: int
    username: str
    display_name: str
    role: Role
    permissions: frozenset[Permission]
    site_ids: frozenset[int] | None
    clearances: frozenset[str] = frozenset()

    def can(self, permission: Permission) -> bool:
        """Whether the role grants `permission`."""
        return permission in self.permissions

    def sees_site(self, site_id: int) -> bool:
        """Whether `site_id` is inside this caller's scope."""
        return self.site_ids is None or site_id in self.site_ids


class UserIn(BaseModel):
    """A new user."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)

    username: str = Field(min_length=1, max_length=64)
    display_name: str = Field(default="", max_length=120)
    email: str = Field(default="", max_length=254)
    role: Role
    sites: list[str] = Field(default_factory=list, description="Site codes the user may see")
    all_sites: bool = Field(default=False, description="Sees every site, present and future")
    clearances: list[str] = Field(
        default_factory=list, description="Restricted types the user may see (e.g. hr)"
    )
    password: str = Field(min_length=1, max_length=1024)


class UserRef(BaseModel):
    """A user as shown next to what they did."""

    username: str
    display_name: str


class UserOut(UserRef):
    """A user as the API shows it."""

    email: str
    role: Role
    sites: list[str]
    all_sites: bool
    clearances: list[str] = []
    is_active: bool


class TokenOut(BaseModel):
    """A newly created API token; the secret is shown once."""

    token: str
    name: str
    prefix: str
    expires_at: datetime | None
