"""Escalation rules write the outbox in the transaction of the change: matching by event,
type (with subtypes), priority and site; one row per recipient; stable dedup keys;
restricted incidents never leak. Through the services, on a real database."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import func, select

from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn, IncidentCreate, PriorityIn, Status, TransitionIn
from murphy.notify import rules, service
from murphy.notify.models import OutboxMessage
from murphy.notify.schemas import EVENTS, RecipientIn, RecipientKind, RuleIn, RulePatch

T0 = datetime(2026, 11, 28, 9, 0, tzinfo=UTC)


@pytest.fixture
def org(factory):
    factory.taxonomy()
    factory.site("HQ")
    factory.site("DC")
    return factory


@pytest.fixture
def admin(org):
    return org.user("root", "admin", all_sites=True)


@pytest.fixture
def dana(org):
    return org.user("dana", "dispatcher", ["HQ", "DC"])


def rule(db, admin, name="r", **fields):
    fields.setdefault("events", ["incident.classified"])
    fields.setdefault("recipients", [RecipientIn(role="supervisor")])
    with db.transaction() as s:
        return service.create_rule(s, principal=admin.principal, data=RuleIn(name=name, **fields))


def report(db, account, site="HQ", title="Door forced at the loading bay", at=T0):
    with db.transaction() as s:
        data = IncidentCreate(title=title, site=site, place={"zone": "LOBBY"} if site else None)
        return incidents_service.report(s, principal=account.principal, data=data, now=at).number


def classify(db, account, number, type="theft", **extra):
    with db.transaction() as s:
        triage.classify(
            s, principal=account.principal, number=number, data=ClassifyIn(type=type, **extra)
        )


def messages(db, event=None):
    with db.transaction(write=False) as s:
        stmt = select(OutboxMessage).order_by(OutboxMessage.id)
        if event:
            stmt = stmt.where(OutboxMessage.event == event)
        return s.scalars(stmt).all()


def test_a_rule_matches_its_type_and_the_subtypes_below_it(db, admin, dana):
    rule(db, admin, types=["theft"])
    vehicle, parent, other = report(db, dana), report(db, dana), report(db, dana)
    classify(db, dana, vehicle, type="theft.vehicle")
    classify(db, dana, parent, type="theft")
    classify(db, dana, other, type="intrusion")
    told = [m.payload["incident"]["number"] for m in messages(db, "incident.classified")]
    assert told == [vehicle, parent]


def test_a_rule_matches_priority_and_site(db, admin, dana):
    rule(db, admin, priorities=[1], sites=["HQ"])
    hq_p1, dc_p1, hq_p3 = report(db, dana), report(db, dana, site="DC"), report(db, dana)
    classify(db, dana, hq_p1, type="intrusion")  # P1
    classify(db, dana, dc_p1, type="intrusion")
    classify(db, dana, hq_p3, type="theft")  # P3
    assert [m.payload["incident"]["number"] for m in messages(db)] == [hq_p1]


def test_one_row_per_recipient_however_many_rules_name_it(db, admin, dana, org):
    org.user("sam", "supervisor", ["HQ"])
    first = rule(db, admin, name="all classifications")
    second = rule(
        db,
        admin,
        name="intrusions",
        types=["intrusion"],
        recipients=[
            RecipientIn(role="supervisor"),
            RecipientIn(user="sam"),
            RecipientIn(external="soc@example.org"),
            RecipientIn(external="+4930123456"),
            RecipientIn(external="https://hooks.example.org/murphy"),
        ],
    )
    number = report(db, dana)
    classify(db, dana, number, type="intrusion")
    found = messages(db, "incident.classified")
    assert sorted((m.recipient_kind, m.recipient) for m in found) == [
        ("external", "+4930123456"),
        ("external", "https://hooks.example.org/murphy"),
        ("external", "soc@example.org"),
        ("role", "supervisor"),
        ("user", "sam"),
    ]
    supervisors = next(m for m in found if m.recipient_kind == "role")
    assert supervisors.rule_id == first.id
    assert [r["id"] for r in supervisors.payload["rules"]] == [first.id, second.id]
    channels = {m.recipient: m.payload["recipient"]["channel"] for m in found}
    assert channels["soc@example.org"] == "email"
    assert channels["+4930123456"] == "sms"
    assert channels["https://hooks.example.org/murphy"] == "webhook"


def test_outbox_rows_commit_or_roll_back_with_the_change(db, admin, dana):
    rule(db, admin, events=["incident.reported"])
    with pytest.raises(RuntimeError), db.transaction() as s:
        data = IncidentCreate(title="Smoke in the stairwell", site="HQ")
        incidents_service.report(s, principal=dana.principal, data=data)
        assert s.scalar(select(func.count()).select_from(OutboxMessage)) == 1
        raise RuntimeError("the request failed after the report")
    assert messages(db) == []
    report(db, dana)
    assert len(messages(db, "incident.reported")) == 1


def test_dedup_keys_are_stable_and_name_the_change(db, admin, dana):
    rule(
        db,
        admin,
        events=["incident.reported", "incident.classified", "incident.prioritized"],
        recipients=[RecipientIn(role="supervisor"), RecipientIn(external="soc@example.org")],
    )
    number = report(db, dana)
    classify(db, dana, number, type="intrusion")
    keys = sorted(m.dedup_key for m in messages(db))
    digest = rules.dedup_key("x", "n", 1, RecipientKind.EXTERNAL, "soc@example.org").split(":")[-1]
    assert len(digest) == 16
    assert keys == sorted(
        [
            f"incident.reported:{number}:1:role:supervisor",
            f"incident.reported:{number}:1:external:{digest}",
            f"incident.classified:{number}:2:role:supervisor",
            f"incident.classified:{number}:2:external:{digest}",
            f"incident.prioritized:{number}:2:role:supervisor",
            f"incident.prioritized:{number}:2:external:{digest}",
        ]
    )
    assert all(m.payload["dedup_key"] == m.dedup_key for m in messages(db))


@given(
    event=st.sampled_from(EVENTS),
    seq=st.integers(1, 10**9),
    kind=st.sampled_from(list(RecipientKind)),
    value=st.text(min_size=1, max_size=254),
    other=st.text(min_size=1, max_size=254),
)
def test_dedup_keys_fit_their_column_and_differ_per_recipient(event, seq, kind, value, other):
    if kind is not RecipientKind.EXTERNAL:  # role and user names are at most 64 characters
        value, other = value[:64], other[:64]
    number = "INC-9999-999999999"
    key = rules.dedup_key(event, number, seq, kind, value)
    assert key == rules.dedup_key(event, number, seq, kind, value)
    assert len(key) <= 160
    assert key.startswith(f"{event}:{number}:{seq}:{kind.value}:")
    if other != value:
        assert key != rules.dedup_key(event, number, seq, kind, other)


def test_prioritized_only_when_the_priority_changes(db, admin, dana):
    rule(db, admin, events=["incident.prioritized"])
    number = report(db, dana)
    classify(db, dana, number, type="theft")  # None -> P3
    with db.transaction() as s:
        triage.prioritize(s, principal=dana.principal, number=number, data=PriorityIn(impact=3))
        triage.prioritize(
            s, principal=dana.principal, number=number, data=PriorityIn(priority=1, reason="VIP")
        )
    found = messages(db)
    assert [m.payload["change"]["data"]["priority"] for m in found] == [3, 1]
    assert found[1].payload["change"]["kind"] == "prioritized"


def test_transitions_and_breaches_are_events(db, admin, dana):
    rule(
        db,
        admin,
        events=["incident.triage", "incident.cancel", "sla.breached"],
        recipients=[RecipientIn(external="https://hooks.example.org/x")],
    )
    number = report(db, dana)
    classify(db, dana, number)
    due = T0 + timedelta(minutes=15)
    with db.transaction() as s:
        incidents_service.transition(
            s, principal=dana.principal, number=number, data=TransitionIn(to=Status.TRIAGED)
        )
        incident = incidents_service.get_or_raise(s, principal=dana.principal, number=number)
        breach = {"clock": "acknowledge", "due_at": "2026-11-28T09:15:00.000000Z"}
        incidents_service.append_entry(
            s, incident_id=incident.id, kind="sla_breached", data=breach, at=due
        )
        incidents_service.transition(
            s,
            principal=dana.principal,
            number=number,
            data=TransitionIn(to=Status.CANCELLED, reason="Duplicate call"),
        )
    events = [m.event for m in messages(db)]
    assert events == ["incident.triage", "sla.breached", "incident.cancel"]
    breached = messages(db, "sla.breached")[0].payload
    assert breached["change"]["data"] == breach
    assert breached["change"]["actor"] is None
    assert breached["occurred_at"] == "2026-11-28T09:15:00.000000Z"
    assert breached["incident"]["status"] == "triaged"


def test_a_real_breach_escalates_by_itself(db, admin, dana):
    from murphy.core import hooks, timers
    from murphy.core.clock import utcnow

    rule(db, admin, events=["sla.breached"], priorities=[1])
    started = utcnow() - timedelta(hours=1)
    number = report(db, dana, at=started)
    classify(db, dana, number, type="intrusion")  # P1: acknowledge and respond are overdue
    with db.session(write=False) as s:
        handlers = timers.collect(hooks.manager(s).hook.timer_handlers())
    with db.transaction() as s:
        assert timers.fire_due(s, handlers, now=utcnow(), limit=10) >= 1
    found = messages(db, "sla.breached")
    assert found, "the breach wrote its outbox rows in the scheduler's transaction"
    assert {m.payload["change"]["data"]["clock"] for m in found} >= {"acknowledge"}
    assert all(m.payload["change"]["actor"] is None and m.recipient == "supervisor" for m in found)
    assert len({m.dedup_key for m in found}) == len(found)


def test_the_payload_says_what_delivery_needs(db, admin, dana):
    made = rule(db, admin, name="P1 to supervisors", events=["incident.classified"])
    number = report(db, dana)
    classify(db, dana, number, type="intrusion")
    (message,) = messages(db)
    body = message.payload
    assert body["schema"] == 1 and body["event"] == "incident.classified"
    assert body["incident"] == {
        "number": number,
        "title": "Door forced at the loading bay",
        "status": "new",
        "priority": 1,
        "type": {"code": "intrusion", "name": "Intrusion"},
        "site": "HQ",
        "place": {"building": "A", "floor": "1", "zone": "LOBBY", "detail": ""},
        "major": False,
        "restricted": False,
        "path": f"/incidents/{number}",
        "api_path": f"/api/v1/incidents/{number}",
    }
    assert body["change"]["kind"] == "classified" and body["change"]["seq"] == 2
    assert body["change"]["actor"] == "dana" and body["change"]["data"]["type"] == "intrusion"
    assert body["recipient"] == {
        "kind": "role",
        "value": "supervisor",
        "channel": None,
        "audience": {"role": "supervisor", "site": "HQ", "clearance": None},
    }
    assert body["rules"] == [{"id": made.id, "name": "P1 to supervisors"}]


def test_restricted_incidents_never_leak_through_the_outbox(db, admin, dana, org):
    org.user("sam", "supervisor", ["HQ"], clearances=["safeguarding"])
    org.user("olu", "officer", ["HQ"])
    org.user("dora", "dispatcher", ["DC"])
    rule(
        db,
        admin,
        recipients=[
            RecipientIn(role="supervisor"),
            RecipientIn(user="sam"),
            RecipientIn(user="olu"),
            RecipientIn(external="police@example.org"),
        ],
    )
    secret = report(db, dana, title="Assault in stairwell B")
    classify(db, dana, secret, type="assault")
    found = {m.recipient: m for m in messages(db)}
    assert found["olu"].state == "withheld", "no clearance: never delivered"
    assert found["olu"].payload["recipient"]["withheld"]
    assert found["sam"].state == "pending" and found["supervisor"].state == "pending"
    assert found["supervisor"].payload["recipient"]["audience"]["clearance"] == "safeguarding"
    for m in found.values():
        text = str(m.payload)
        assert "Assault" not in text and "stairwell" not in text and "assault" not in text
        assert m.payload["incident"]["restricted"] is True
        assert m.payload["incident"]["title"] is None and m.payload["change"]["data"] == {}
    other = report(db, dana, site="DC")
    classify(db, dana, other)
    with db.transaction() as s:
        service.update_rule(
            s,
            principal=admin.principal,
            rule_id=1,
            data=RulePatch(recipients=[RecipientIn(user="dora")]),
        )
    classify(db, dana, report(db, dana))  # at HQ: dora works at DC only
    assert messages(db)[-1].recipient == "dora" and messages(db)[-1].state == "withheld"


def test_inactive_and_deleted_rules_tell_nobody(db, admin, dana):
    made = rule(db, admin, events=["incident.reported"])
    report(db, dana)
    with db.transaction() as s:
        service.update_rule(
            s, principal=admin.principal, rule_id=made.id, data=RulePatch(active=False)
        )
    report(db, dana)
    assert len(messages(db)) == 1
    with db.transaction() as s:
        service.delete_rule(s, principal=admin.principal, rule_id=made.id)
    (kept,) = messages(db)
    assert kept.rule_id is None and kept.payload["rules"][0]["id"] == made.id


def test_a_rule_changed_in_the_same_transaction_applies_at_once(db, admin, dana):
    with db.transaction() as s:
        data = IncidentCreate(title="Smoke", site="HQ")
        number = incidents_service.report(s, principal=dana.principal, data=data).number
        service.create_rule(
            s,
            principal=admin.principal,
            data=RuleIn(
                name="now", events=["incident.classified"], recipients=[RecipientIn(role="admin")]
            ),
        )
        triage.classify(s, principal=dana.principal, number=number, data=ClassifyIn(type="theft"))
    assert [m.recipient for m in messages(db)] == ["admin"]


def test_the_cli_adds_lists_and_removes_rules(db, admin, database_url, monkeypatch):
    from typer.testing import CliRunner

    from murphy.cli import app, common

    monkeypatch.setenv("MURPHY_DATABASE_URL", database_url)
    monkeypatch.setattr(common.console, "width", 200)  # made at import, whatever COLUMNS says
    common.settings.cache_clear()
    common.database.cache_clear()
    try:
        runner = CliRunner()
        add = [
            "rules", "add", "P1 to supervisors", "--event", "incident.classified",
            "--priority", "1", "--type", "theft", "--role", "supervisor",
            "--external", "soc@example.org", "--as", "root",
        ]  # fmt: skip
        result = runner.invoke(app, add)
        assert result.exit_code == 0, result.output
        assert "rule 1 added" in result.output
        listed = runner.invoke(app, ["rules", "list", "--as", "root"]).output
        assert "P1 to supervisors" in listed and "external:soc@example.org" in listed
        bad = runner.invoke(
            app, ["rules", "add", "x", "--event", "nope", "--role", "admin", "--as", "root"]
        )
        assert bad.exit_code != 0 and "unknown event 'nope'" in str(bad.exception)
        assert runner.invoke(app, ["rules", "remove", "1", "--as", "root"]).exit_code == 0
        with db.transaction(write=False) as s:
            assert service.list_rules(s, principal=admin.principal) == []
    finally:
        common.database().dispose()
        common.settings.cache_clear()
        common.database.cache_clear()
