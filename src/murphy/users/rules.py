"""Roles, what each may do, and the password policy. Pure: no session, no I/O."""

from __future__ import annotations

from murphy.core.errors import ValidationFailed
from murphy.users.schemas import Permission, Role

P = Permission
_FIELD = {P.REPORT, P.READ, P.NOTE, P.EDIT, P.RESPOND, P.RESOLVE, P.WORK_TASKS}
_DISPATCH = _FIELD | {
    P.TRIAGE,
    P.CANCEL,
    P.MERGE,
    P.REOPEN,
    P.SKIP_MANDATORY,
    P.DISPATCH,
    P.ISSUE_BOLO,
}
_SUPERVISE = {P.CLOSE, P.AUDIT, P.COMMAND, P.MANAGE_UNITS, P.MANAGE_ONCALL, P.ISSUE_BAN}
_LEARN = {P.REPORTS, P.REVIEW}

ROLE_PERMISSIONS: dict[Role, frozenset[Permission]] = {
    Role.REPORTER: frozenset({P.REPORT, P.READ_OWN, P.NOTE}),
    Role.OFFICER: frozenset(_FIELD),
    Role.DISPATCHER: frozenset(_DISPATCH | {P.REPORTS}),  # the shift handover
    Role.SUPERVISOR: frozenset(_DISPATCH | _SUPERVISE | _LEARN | {P.APPROVE_REVIEW}),
    Role.ANALYST: frozenset({P.READ, P.AUDIT} | _LEARN),
    Role.ADMIN: frozenset(Permission),
}

ROLE_DESCRIPTIONS: dict[Role, str] = {
    Role.REPORTER: "reports incidents and follows their own reports",
    Role.OFFICER: "works incidents in the field: notes, playbook tasks, respond, resolve",
    Role.DISPATCHER: "triages the queue, dispatches, cancels and merges",
    Role.SUPERVISOR: (
        "everything a dispatcher does, plus closing, audit, major incidents, reviews"
        " and approving them"
    ),
    Role.ANALYST: (
        "reads every incident of their sites, verifies the audit chain, writes reviews,"
        " reads analytics and reports"
    ),
    Role.ADMIN: "manages users and sites; may do everything",
}

MIN_PASSWORD_LENGTH = 10


def parse_role(value: str) -> Role:
    """The role named `value`, or an error listing the roles there are."""
    try:
        return Role(value.strip().lower())
    except ValueError:
        names = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"unknown role {value!r}: choose one of {names}") from None


def check_password(password: str, *, username: str) -> None:
    """Refuse passwords that are short, or that contain the user name."""
    if len(password) < MIN_PASSWORD_LENGTH:
        raise ValidationFailed(f"password too short: use at least {MIN_PASSWORD_LENGTH} characters")
    if username.lower() in password.lower():
        raise ValidationFailed("password must not contain the user name")
    if len(set(password)) < 4:
        raise ValidationFailed("password too simple: use more different characters")


def normalize_username(value: str) -> str:
    """A lower-case user name of letters, digits, '.', '-' and '_'."""
    name = value.strip().lower()
    if not (1 <= len(name) <= 64) or not all(c.isalnum() or c in "._-@" for c in name):
        raise ValidationFailed(
            f"invalid user name {value!r}: use 1-64 letters, digits, '.', '-', '_' or '@'"
        )
    return name


def normalize_clearance(value: str) -> str:
    """A clearance name: lower-case letters, digits, '-' and '_' (e.g. `hr`, `safeguarding`)."""
    name = value.strip().lower()
    if not (1 <= len(name) <= 32) or not all(c.isalnum() or c in "-_" for c in name):
        raise ValidationFailed(f"invalid clearance {value!r}: use 1-32 letters, digits, '-' or '_'")
    return name
