"""Bans' pure rules: status against now (a ban expires by itself), the period and serving
checks, and the front desk's verdict."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from murphy.bans import rules
from murphy.bans.schemas import BanKind, BanStatus, ServedHow, Verdict
from murphy.core.errors import ValidationFailed

NOW = datetime(2026, 11, 29, 12, 0, tzinfo=UTC)
DAY = timedelta(days=1)


def test_status_is_derived_against_now():
    p = rules.Period(NOW - DAY, NOW + DAY)
    assert p.status(NOW) is BanStatus.ACTIVE
    assert p.status(NOW - 2 * DAY) is BanStatus.UPCOMING
    assert p.status(NOW + DAY) is BanStatus.EXPIRED  # the end itself is past
    lifted = rules.Period(NOW - DAY, NOW + DAY, lifted_at=NOW)
    assert lifted.status(NOW - 2 * DAY) is BanStatus.LIFTED
    assert (lifted.ended_at, p.ended_at) == (NOW, NOW + DAY)


@pytest.mark.parametrize(
    ("starts", "ends", "words"),
    [
        (NOW, NOW - DAY, "already past"),
        (NOW + 2 * DAY, NOW + DAY, "end after it starts"),
        (NOW + DAY, NOW + DAY, "end after it starts"),
        (NOW, NOW + 3700 * DAY, "at most 10 years"),
    ],
)
def test_bad_periods_are_refused(starts, ends, words):
    with pytest.raises(ValidationFailed, match=words):
        rules.check_period(starts, ends, NOW)


def test_ten_years_to_the_day_is_allowed():
    rules.check_period(NOW, NOW.replace(year=NOW.year + 10), NOW)


def test_a_trespass_notice_is_served_and_a_ban_is_not():
    served = rules.check_serving(
        BanKind.TRESPASS, rules.Serving(how=ServedHow.POST), now=NOW, issuer="Sam"
    )
    assert served == rules.Serving(at=NOW, by="Sam", how=ServedHow.POST)
    with pytest.raises(ValidationFailed, match="say how"):
        rules.check_serving(BanKind.TRESPASS, rules.Serving(), now=NOW, issuer="Sam")
    with pytest.raises(ValidationFailed, match="in the future"):
        future = rules.Serving(at=NOW + DAY, how=ServedHow.EMAIL)
        rules.check_serving(BanKind.TRESPASS, future, now=NOW, issuer="Sam")
    with pytest.raises(ValidationFailed, match="only a trespass notice"):
        rules.check_serving(BanKind.BAN, rules.Serving(by="Sam"), now=NOW, issuer="Sam")
    assert rules.check_serving(BanKind.BAN, rules.Serving(), now=NOW, issuer="x") == rules.Serving()


def test_sites_are_upper_case_once_and_at_least_one():
    assert rules.check_sites([" hq", "HQ", "north", ""]) == ["HQ", "NORTH"]
    with pytest.raises(ValidationFailed, match="at least one site"):
        rules.check_sites([" "])


def covering(ban_id, sites, starts, ends, lifted=None):
    return rules.Covering(ban_id, frozenset(sites), rules.Period(starts, ends, lifted))


def test_the_verdict_prefers_a_ban_here_then_elsewhere_then_to_come_then_ended():
    here = covering(1, {10}, NOW - DAY, NOW + DAY)
    longer_here = covering(2, {10, 20}, NOW - DAY, NOW + 9 * DAY)
    elsewhere = covering(3, {20}, NOW - DAY, NOW + 5 * DAY)
    soon = covering(4, {10}, NOW + DAY, NOW + 2 * DAY)
    old = covering(5, {10}, NOW - 9 * DAY, NOW - 5 * DAY)
    lifted = covering(6, {10}, NOW - 9 * DAY, NOW + 9 * DAY, lifted=NOW - DAY)
    assert rules.verdict([old, here, longer_here, elsewhere], 10, NOW) == (
        Verdict.BANNED_HERE,
        longer_here,
    )
    assert rules.verdict([old, elsewhere, soon], 10, NOW) == (Verdict.BANNED_ELSEWHERE, elsewhere)
    assert rules.verdict([old, soon], 10, NOW) == (Verdict.UPCOMING, soon)
    assert rules.verdict([old, lifted], 10, NOW) == (Verdict.ENDED, lifted)
    with pytest.raises(ValueError):
        rules.verdict([], 10, NOW)


def test_years_on_from_a_leap_day():
    leap = datetime(2028, 2, 29, 9, 0, tzinfo=UTC)
    assert rules.years_on(leap, 10) == datetime(2038, 3, 1, 9, 0, tzinfo=UTC)
