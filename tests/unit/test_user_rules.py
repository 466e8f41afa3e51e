from __future__ import annotations

import pytest

from murphy.core.errors import ValidationFailed
from murphy.users import rules
from murphy.users.schemas import Permission, Role


def test_every_role_has_permissions_and_a_description() -> None:
    for role in Role:
        assert rules.ROLE_PERMISSIONS[role]
        assert rules.ROLE_DESCRIPTIONS[role]


def test_only_supervisors_and_admins_close() -> None:
    closers = {r for r in Role if Permission.CLOSE in rules.ROLE_PERMISSIONS[r]}
    assert closers == {Role.SUPERVISOR, Role.ADMIN}


def test_reporter_reads_only_own() -> None:
    perms = rules.ROLE_PERMISSIONS[Role.REPORTER]
    assert Permission.READ_OWN in perms and Permission.READ not in perms


def test_analyst_changes_no_incident() -> None:
    """Analysts read, verify and learn (reviews, analytics); they change no incident."""
    assert rules.ROLE_PERMISSIONS[Role.ANALYST] == {
        Permission.READ,
        Permission.AUDIT,
        Permission.REPORTS,
        Permission.REVIEW,
    }


def test_only_supervisors_and_admins_approve_reviews() -> None:
    approvers = {r for r in Role if Permission.APPROVE_REVIEW in rules.ROLE_PERMISSIONS[r]}
    assert approvers == {Role.SUPERVISOR, Role.ADMIN}


@pytest.mark.parametrize(
    ("password", "message"),
    [("short", "too short"), ("dana-password-1", "user name"), ("aaaaaaaaaaaa", "too simple")],
)
def test_password_policy(password: str, message: str) -> None:
    with pytest.raises(ValidationFailed, match=message):
        rules.check_password(password, username="dana")


def test_parse_role_lists_choices() -> None:
    assert rules.parse_role(" Dispatcher ") is Role.DISPATCHER
    with pytest.raises(ValidationFailed, match="reporter, officer"):
        rules.parse_role("boss")


def test_username_rules() -> None:
    assert rules.normalize_username(" Dana.K ") == "dana.k"
    with pytest.raises(ValidationFailed):
        rules.normalize_username("dana k")
