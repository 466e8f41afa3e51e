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


def test_analyst_cannot_change_anything() -> None:
    assert rules.ROLE_PERMISSIONS[Role.ANALYST] == {Permission.READ, Permission.AUDIT}


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
