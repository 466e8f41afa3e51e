"""Pure rules of reviews: policy matching, the status machines, milestones and gaps."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from murphy.core.errors import IllegalTransition, ValidationFailed
from murphy.reviews import rules
from murphy.reviews.rules import Entry, Policy
from murphy.reviews.schemas import ActionStatus, ReviewStatus

T0 = datetime(2026, 11, 29, 2, 0, tzinfo=UTC)


def at(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def entry(minutes: int, kind: str, **data: object) -> Entry:
    return Entry(at=at(minutes), kind=kind, actor="dana", data=dict(data))


LOG = [
    entry(0, "created"),
    entry(3, "transition", action="triage", to="triaged"),
    entry(4, "acknowledged"),
    entry(6, "unit_dispatched", unit="A1"),
    entry(7, "unit_dispatched", unit="A2"),
    entry(15, "unit_status", unit="A1", status="en_route"),
    entry(21, "unit_status", unit="A1", status="on_scene"),
    entry(95, "note", body="all quiet"),
    entry(100, "transition", action="resolve", to="resolved"),
    entry(300, "note", body="after the end"),
]


def test_policy_matches_priorities_types_and_major():
    policy = Policy(priorities=frozenset({1, 2}), type_ids=frozenset({7, 8}))
    assert rules.requires_review(policy, priority=2, type_id=None, major=False)
    assert not rules.requires_review(policy, priority=3, type_id=1, major=False)
    assert rules.requires_review(policy, priority=4, type_id=8, major=False)
    assert rules.requires_review(policy, priority=None, type_id=None, major=True)
    assert not rules.requires_review(Policy(), priority=None, type_id=None, major=False)


def test_milestones_are_first_times_after_the_report():
    found = {m.name: m for m in rules.milestones(T0, LOG)}
    assert list(found) == list(rules.MILESTONES)
    assert found["reported"].after_minutes == 0
    assert found["triaged"].after_minutes == 3
    assert found["acknowledged"].after_minutes == 4
    assert found["first unit dispatched"].after_minutes == 6
    assert found["on scene"].after_minutes == 21
    assert found["resolved"].after_minutes == 100


def test_missing_milestones_have_no_time():
    found = {m.name: m for m in rules.milestones(T0, LOG[:3])}
    assert found["on scene"].at is None and found["on scene"].after_minutes is None


def test_gaps_are_long_silences_while_open():
    gaps = rules.gaps(T0, LOG, end=at(1000), threshold_minutes=30)
    assert [(g.start, g.end, g.minutes) for g in gaps] == [(at(21), at(95), 74)]
    assert rules.gaps(T0, LOG, end=at(1000), threshold_minutes=80) == []


def test_an_open_incident_is_silent_until_now():
    gaps = rules.gaps(T0, LOG[:2], end=at(60), threshold_minutes=30)
    assert [(g.start, g.minutes) for g in gaps] == [(at(3), 57)]


def test_review_status_machine():
    assert rules.review_move(ReviewStatus.DRAFT, "submit") is ReviewStatus.SUBMITTED
    assert rules.review_move(ReviewStatus.SUBMITTED, "approve") is ReviewStatus.APPROVED
    assert rules.review_move(ReviewStatus.SUBMITTED, "return") is ReviewStatus.DRAFT
    with pytest.raises(IllegalTransition, match="draft"):
        rules.review_move(ReviewStatus.DRAFT, "approve")
    with pytest.raises(IllegalTransition):
        rules.review_move(ReviewStatus.APPROVED, "return")
    with pytest.raises(IllegalTransition):
        rules.check_editable(ReviewStatus.SUBMITTED)
    with pytest.raises(ValidationFailed, match="root cause"):
        rules.check_submittable("summary", [])


def test_only_author_may_not_approve():
    with pytest.raises(IllegalTransition):
        rules.check_approver("sam", ["sam"])
    rules.check_approver("sam", ["sam", "ann"])
    rules.check_approver("sam", ["ann"])


def test_action_status_machine_and_overdue():
    a = ActionStatus
    assert rules.action_move(a.OPEN, a.IN_PROGRESS, "") is a.IN_PROGRESS
    assert rules.action_move(a.IN_PROGRESS, a.DONE, "") is a.DONE
    with pytest.raises(ValidationFailed, match="why"):
        rules.action_move(a.OPEN, a.CANCELLED, " ")
    assert rules.action_move(a.OPEN, a.CANCELLED, "duplicate") is a.CANCELLED
    with pytest.raises(IllegalTransition):
        rules.action_move(a.DONE, a.OPEN, "")
    due = date(2026, 12, 1)
    assert not rules.is_overdue(due, a.OPEN, due)
    assert rules.is_overdue(due, a.IN_PROGRESS, due + timedelta(days=1))
    assert not rules.is_overdue(due, a.DONE, due + timedelta(days=9))


def test_steps_describe_who_did_what():
    steps = rules.steps(LOG[:7])
    assert steps[1].what == "triage: ? → triaged"
    assert steps[6].what == "unit A1 on scene" and steps[6].actor == "dana"
