"""The incident lifecycle as a state machine, checked by Hypothesis."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, rule

from murphy.core.errors import IllegalTransition, ValidationFailed
from murphy.incidents import rules
from murphy.incidents.schemas import Action, ResolutionCode, Status
from murphy.users.rules import ROLE_PERMISSIONS
from murphy.users.schemas import Principal, Role

S = Status


def principal(role: Role) -> Principal:
    return Principal(1, "u", "U", role, ROLE_PERMISSIONS[role], None)


def reachable(start: Status) -> set[Status]:
    seen, todo = {start}, [start]
    while todo:
        for nxt in rules.targets(todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


class Lifecycle(RuleBasedStateMachine):
    """Random moves with random inputs; the rules below must always hold."""

    def __init__(self) -> None:
        super().__init__()
        self.status = S.NEW
        self.history: list[Status] = [S.NEW]
        self.was_resolved_before_close = True

    @rule(
        to=st.sampled_from(list(Status)),
        reason=st.one_of(st.none(), st.just(""), st.just("   "), st.text(min_size=1, max_size=20)),
        code=st.one_of(st.none(), st.sampled_from(list(ResolutionCode))),
        merge_into=st.one_of(st.none(), st.just(""), st.just("INC-2026-00007")),
    )
    def move(
        self, to: Status, reason: str | None, code: ResolutionCode | None, merge_into: str | None
    ) -> None:
        target = merge_into
        before = self.status
        legal = to in rules.targets(before)
        try:
            plan = rules.plan(before, to, reason=reason, resolution_code=code, merge_into=target)
        except IllegalTransition as exc:
            assert not legal, f"{before}->{to} is in the table but was refused"
            assert before.value in exc.detail and to.value in exc.detail
            return
        except ValidationFailed:
            assert legal, "an illegal move must be refused as illegal, not as bad input"
            needs_input = (
                (plan_action(before, to) in rules.NEEDS_REASON and not (reason or "").strip())
                or (plan_action(before, to) is Action.RESOLVE and code is None)
                or (plan_action(before, to) is Action.MERGE and not (target or "").strip())
            )
            assert needs_input, "a complete request was refused"
            return
        assert legal
        assert plan.source == before and plan.target == to
        if plan.action in rules.NEEDS_REASON:
            assert plan.reason, "cancel and reopen always carry a reason"
        if plan.action is Action.RESOLVE:
            assert plan.resolution_code is not None
        if plan.action is Action.MERGE:
            assert plan.merge_into
        if to is S.CLOSED:
            self.was_resolved_before_close &= before is S.RESOLVED
        self.status = to
        self.history.append(to)

    @invariant()
    def final_states_have_no_exit(self) -> None:
        if self.status in rules.TERMINAL:
            assert rules.targets(self.status) == []

    @invariant()
    def closing_only_after_resolving(self) -> None:
        assert self.was_resolved_before_close

    @invariant()
    def every_live_incident_can_still_be_closed(self) -> None:
        if self.status not in rules.TERMINAL:
            assert S.CLOSED in reachable(self.status)

    @invariant()
    def supervisor_options_are_exactly_the_legal_moves(self) -> None:
        offered = {o.to for o in rules.options(self.status, principal(Role.SUPERVISOR))}
        assert offered == set(rules.targets(self.status))

    @invariant()
    def reporter_is_offered_nothing(self) -> None:
        assert rules.options(self.status, principal(Role.REPORTER)) == []


def plan_action(source: Status, to: Status) -> Action:
    return rules.TRANSITIONS[(source, to)]


TestLifecycle = Lifecycle.TestCase


def test_happy_path_names_each_action() -> None:
    path = [S.NEW, S.TRIAGED, S.RESPONDING, S.RESOLVED, S.CLOSED]
    actions = [
        rules.plan(a, b, resolution_code=ResolutionCode.RESOLVED).action
        for a, b in itertools.pairwise(path)
    ]
    assert actions == [Action.TRIAGE, Action.RESPOND, Action.RESOLVE, Action.CLOSE]


def test_illegal_move_lists_the_legal_ones() -> None:
    with pytest.raises(IllegalTransition) as exc:
        rules.plan(S.NEW, S.CLOSED)
    assert "'triaged'" in exc.value.detail and "'cancelled'" in exc.value.detail
    assert exc.value.extra["allowed"] == ["triaged", "cancelled", "merged"]


def test_reopen_goes_back_to_triaged_and_needs_a_reason() -> None:
    with pytest.raises(ValidationFailed, match="reason"):
        rules.plan(S.CLOSED, S.TRIAGED, reason="  ")
    assert rules.plan(S.CLOSED, S.TRIAGED, reason="new footage").action is Action.REOPEN


def test_dispatcher_cannot_close_but_supervisor_can() -> None:
    assert S.CLOSED not in {o.to for o in rules.options(S.RESOLVED, principal(Role.DISPATCHER))}
    assert S.CLOSED in {o.to for o in rules.options(S.RESOLVED, principal(Role.SUPERVISOR))}


def test_merge_target_checks() -> None:
    with pytest.raises(ValidationFailed, match="itself"):
        rules.check_merge_target("INC-2026-00001", "INC-2026-00001", S.NEW)
    with pytest.raises(IllegalTransition, match="cancelled"):
        rules.check_merge_target("INC-2026-00001", "INC-2026-00002", S.CANCELLED)
    rules.check_merge_target("INC-2026-00001", "INC-2026-00002", S.CLOSED)


@given(st.integers(min_value=2000, max_value=2999), st.integers(min_value=1, max_value=10**7))
def test_numbers_round_trip(year: int, seq: int) -> None:
    number = rules.format_number(year, seq)
    assert number.startswith(f"INC-{year}-")
    assert rules.parse_number(number) == number
    assert rules.parse_number(number.lower()) == number
    assert rules.parse_number(f"{year}-{seq}") == number


def test_number_format_pads_to_five() -> None:
    assert rules.format_number(2026, 42) == "INC-2026-00042"
    assert rules.parse_number("door forced") is None


def test_replay_follows_updates_and_transitions() -> None:
    created = {"title": "A", "description": "", "site": "HQ", "place": None, "occurred_at": None}
    entries = [
        ("created", created),
        ("updated", {"changes": {"title": {"before": "A", "after": "B"}}}),
        ("transition", {"action": "triage", "from": "new", "to": "triaged"}),
        ("note", {"body": "x"}),
        (
            "transition",
            {"action": "merge", "from": "triaged", "to": "merged", "merged_into": "INC-2026-00001"},
        ),
    ]
    state = rules.replay(entries)
    assert state["title"] == "B" and state["status"] == "merged"
    assert state["merged_into"] == "INC-2026-00001"
    assert rules.differences(state, {**state, "title": "C"}) == ["title"]


@given(st.text(max_size=60))
def test_search_terms_are_words_only(q: str) -> None:
    terms = rules.search_terms(q)
    assert len(terms) <= rules.MAX_TERMS
    assert all(t and all(c.isalnum() or c == "_" for c in t) for t in terms)
