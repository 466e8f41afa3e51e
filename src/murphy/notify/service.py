"""Use cases for escalation rules and the outbox. Never commits: the caller owns the
transaction.

`on_change` runs inside the transaction of every incident change (through the plugin):
the outbox rows it writes commit or roll back with the change. Delivery (a later issue)
reads them; docs/outbox.md is the contract.
"""

from __future__ import annotations

import builtins
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from murphy.core.clock import isoformat, utcnow
from murphy.core.errors import Conflict, NotFound, PermissionDenied, ValidationFailed
from murphy.core.events import Event, emit
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import Change, IncidentFacts
from murphy.notify import policies, rules
from murphy.notify.models import EscalationRule, OutboxMessage, Paging
from murphy.notify.rules import RuleView
from murphy.notify.schemas import (
    OutboxOut,
    OutboxQuery,
    OutboxState,
    PagingOut,
    PagingState,
    RecipientIn,
    RecipientKind,
    RuleIn,
    RuleOut,
    RulePatch,
)
from murphy.sites import service as sites_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal, Role

_RULES = "murphy.notify.rules"  # session.info: the active rules, once per transaction
_TYPES = "murphy.notify.types"  # session.info: type codes -> ids with their subtypes

Plan = list[tuple[str, dict[tuple[RecipientKind, str], list[RuleView]]]]


def list_rules(session: Session, *, principal: Principal) -> builtins.list[RuleOut]:
    """Every escalation rule, by id."""
    require_admin(principal, "see escalation rules")
    return [_out(r) for r in session.scalars(select(EscalationRule).order_by(EscalationRule.id))]


def get_rule_or_raise(session: Session, *, rule_id: int) -> EscalationRule:
    """The rule with this id, or NotFound."""
    rule = session.get(EscalationRule, rule_id)
    if rule is None:
        raise NotFound(f"no escalation rule {rule_id}")
    return rule


def create_rule(
    session: Session, *, principal: Principal, data: RuleIn, now: datetime | None = None
) -> RuleOut:
    """Add an escalation rule; every event, type, site, role and user must exist."""
    require_admin(principal, "manage escalation rules")
    _check_name(session, data.name, None)
    rule = EscalationRule(name=data.name, active=data.active, created_at=now or utcnow())
    _apply(session, rule, data.model_dump(exclude={"name", "active"}), data.recipients)
    session.add(rule)
    session.flush()
    session.info.pop(_RULES, None)
    return _out(rule)


def update_rule(
    session: Session, *, principal: Principal, rule_id: int, data: RulePatch
) -> RuleOut:
    """Change the fields sent; the messages already written keep what they said."""
    require_admin(principal, "manage escalation rules")
    rule = get_rule_or_raise(session, rule_id=rule_id)
    sent = data.model_dump(exclude_unset=True, exclude={"recipients"})
    name, active = sent.pop("name", None), sent.pop("active", None)
    if any(v is None for v in sent.values()):
        raise ValidationFailed("events, types, priorities and sites cannot be null")
    if name is not None:
        _check_name(session, name, rule.id)
        rule.name = name
    if active is not None:
        rule.active = active
    _apply(session, rule, sent, data.recipients)
    session.flush()
    session.info.pop(_RULES, None)
    return _out(rule)


def delete_rule(session: Session, *, principal: Principal, rule_id: int) -> None:
    """Remove a rule; the messages it wrote stay (their payload names the rule)."""
    require_admin(principal, "manage escalation rules")
    rule = get_rule_or_raise(session, rule_id=rule_id)
    session.execute(
        update(OutboxMessage).where(OutboxMessage.rule_id == rule.id).values(rule_id=None)
    )
    session.delete(rule)
    session.flush()
    session.info.pop(_RULES, None)


def outbox(
    session: Session, *, principal: Principal, query: OutboxQuery
) -> builtins.list[OutboxOut]:
    """Recent outbox messages, newest first, by state and incident."""
    require_admin(principal, "read the outbox")
    stmt = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(query.limit)
    if query.state:
        stmt = stmt.where(OutboxMessage.state == query.state.strip().lower())
    if query.incident:
        found = incidents_service.get_or_raise(session, principal=principal, number=query.incident)
        stmt = stmt.where(OutboxMessage.incident_id == found.id)
    return [
        OutboxOut(
            id=m.id,
            dedup_key=m.dedup_key,
            event=m.event,
            incident=(m.payload.get("incident") or {}).get("number"),
            rule_id=m.rule_id,
            recipient_kind=RecipientKind(m.recipient_kind),
            recipient=m.recipient,
            state=m.state,
            created_at=m.created_at,
            payload=m.payload,
        )
        for m in session.scalars(stmt)
    ]


def on_change(session: Session, *, change: Change) -> builtins.list[tuple[str, str]]:
    """Write one outbox row per recipient of each event this change is, for every
    active rule that matches (and the built-in ones). Returns the escalation policies
    the matching rules name, as (event, policy name): paging starts them."""
    events = rules.events_for(change.kind, change.data)
    if not events:
        return []
    active, facts = _active(session), change.incident
    plan: Plan = []
    pages: builtins.list[tuple[str, str]] = []
    site = ""
    for event in events:
        candidates = [r for r in active if event in r.events]
        builtin = rules.builtin_recipients(event, change.data)
        if not candidates and not builtin:
            continue
        site = site or sites_service.get_by_ids(session, [facts.site_id])[facts.site_id].code
        matched = [
            r
            for r in candidates
            if rules.matches(r, priority=facts.priority, site=site)
            and _type_ok(session, r, facts.type_id)
        ]
        who = rules.recipients_of(matched, builtin)
        for kind, value in [r for r in who if r[0] is RecipientKind.POLICY]:
            pages.append((event, value))
            del who[(kind, value)]
        if who:
            plan.append((event, who))
    if plan:
        _write(session, change, site, plan)
    return pages


def send(
    session: Session,
    *,
    change: Change,
    event: str,
    recipients: Sequence[tuple[RecipientKind, str]],
    page: dict[str, Any] | None = None,
) -> builtins.list[OutboxMessage]:
    """Write one outbox row per recipient for an event the system raises itself (a
    page, a page nobody acknowledged), keyed by `change` (its timeline entry)."""
    site = sites_service.get_by_ids(session, [change.incident.site_id])[change.incident.site_id]
    plan: Plan = [(event, {r: [] for r in recipients})]
    return _write(session, change, site.code, plan, page=page) if recipients else []


def require_admin(principal: Principal, what: str) -> None:
    """Refuse with 403 unless the caller may manage escalation rules."""
    if not principal.can(Permission.MANAGE_RULES):
        raise PermissionDenied(f"only admins may {what}")


# --- internals -----------------------------------------------------------------------


def _apply(
    session: Session,
    rule: EscalationRule,
    fields: dict[str, Any],
    recipients: Sequence[RecipientIn] | None,
) -> None:
    """Check and set events, types, priorities, sites and recipients (those given)."""
    if "events" in fields:
        rule.events = rules.check_events(fields["events"])
    if "types" in fields:
        rule.types = [taxonomy_service.get_or_raise(session, code=c).code for c in fields["types"]]
    if "priorities" in fields:
        rule.priorities = rules.check_priorities(fields["priorities"])
    if "sites" in fields:
        rule.sites = [_site_code(session, c) for c in fields["sites"]]
    if recipients is not None:
        pairs = list(dict.fromkeys(rules.stored_recipient(r) for r in recipients))
        for kind, value in pairs:
            _check_recipient(session, kind, value)
        rule.recipients = [{kind.value: value} for kind, value in pairs]


def _site_code(session: Session, code: str) -> str:
    site = sites_service.get(session, code=code)
    if site is None:
        raise ValidationFailed(f"unknown site {code!r}: see GET /api/v1/sites")
    return site.code


def _check_recipient(session: Session, kind: RecipientKind, value: str) -> None:
    if kind is RecipientKind.ROLE and value not in {r.value for r in Role}:
        names = ", ".join(r.value for r in Role)
        raise ValidationFailed(f"unknown role {value!r}: choose one of {names}")
    if kind is RecipientKind.USER and users_service.get(session, username=value) is None:
        raise ValidationFailed(f"unknown user {value!r}: see GET /api/v1/users")
    if kind is RecipientKind.POLICY and policies.by_name(session, value) is None:
        raise ValidationFailed(
            f"unknown escalation policy {value!r}: see GET /api/v1/escalation-policies"
        )


def _check_name(session: Session, name: str, rule_id: int | None) -> None:
    """Rule names are unique."""
    stmt = select(EscalationRule.id).where(EscalationRule.name == name)
    if rule_id is not None:
        stmt = stmt.where(EscalationRule.id != rule_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"an escalation rule named {name!r} already exists")


def _out(rule: EscalationRule) -> RuleOut:
    return RuleOut(
        id=rule.id,
        name=rule.name,
        events=rule.events,
        types=rule.types,
        priorities=rule.priorities,
        sites=rule.sites,
        recipients=[rules.recipient_out(*rules.pair(r)) for r in rule.recipients],
        active=rule.active,
        created_at=rule.created_at,
    )


def _active(session: Session) -> builtins.list[RuleView]:
    """The active rules, read once per transaction (a rule change here forgets them)."""
    cached: builtins.list[RuleView] | None = session.info.get(_RULES)
    if cached is None:
        rows = session.scalars(
            select(EscalationRule)
            .where(EscalationRule.active.is_(True))
            .order_by(EscalationRule.id)
        )
        cached = session.info[_RULES] = [
            RuleView(
                id=r.id,
                name=r.name,
                events=frozenset(r.events),
                types=tuple(r.types),
                priorities=frozenset(r.priorities),
                sites=frozenset(r.sites),
                recipients=tuple(rules.pair(x) for x in r.recipients),
            )
            for r in rows
        ]
    return cached


def _type_ok(session: Session, rule: RuleView, type_id: int | None) -> bool:
    """Whether the incident's type is one of the rule's types or below one of them."""
    if not rule.types:
        return True
    if type_id is None:
        return False
    known: dict[tuple[str, ...], set[int]] = session.info.setdefault(_TYPES, {})
    if rule.types not in known:
        known[rule.types] = taxonomy_service.descendants(session, rule.types)
    return type_id in known[rule.types]


@dataclass(frozen=True)
class _About:
    """What every message of one change says: the change, its seq, the incident."""

    change: Change
    seq: int
    site: str
    incident: dict[str, Any]
    said: dict[str, Any]
    page: dict[str, Any] | None = None


def _write(
    session: Session,
    change: Change,
    site: str,
    plan: Plan,
    page: dict[str, Any] | None = None,
) -> builtins.list[OutboxMessage]:
    facts = change.incident
    incident = incidents_service.get(session, incident_id=facts.id)
    seq = change.seq
    shown = _incident_view(session, incident, facts, site)
    said = {"kind": change.kind, "seq": seq, "actor": change.actor, "data": change.data}
    if facts.clearance is not None:
        shown, said = rules.restricted_view(shown, said)
    about = _About(change=change, seq=seq, site=site, incident=shown, said=said, page=page)
    rows = [
        _message(session, about, event, recipient, named_by)
        for event, who in plan
        for recipient, named_by in who.items()
    ]
    session.add_all(rows)
    emit(session, Event("outbox.pending", {"count": len(rows), "number": facts.number}))
    return rows


def _message(
    session: Session,
    about: _About,
    event: str,
    recipient: tuple[RecipientKind, str],
    named_by: builtins.list[RuleView],
) -> OutboxMessage:
    """One outbox row: the payload for one recipient of one event."""
    facts, (kind, value) = about.change.incident, recipient
    key = rules.dedup_key(event, facts.number, about.seq, kind, value)
    state, who = _recipient(session, kind, value, facts, about.site)
    shown, said = about.incident, about.said
    if state is not OutboxState.PENDING:
        shown, said = rules.restricted_view(shown, said)
    body = rules.payload(
        event=event,
        key=key,
        occurred_at=isoformat(about.change.at),
        incident=shown,
        change=said,
        recipient=who,
        rules=named_by,
        page=about.page,
    )
    return OutboxMessage(
        dedup_key=key,
        event=event,
        incident_id=facts.id,
        rule_id=named_by[0].id if named_by else None,
        recipient_kind=kind.value,
        recipient=value,
        payload=body,
        state=state.value,
        created_at=about.change.at,
    )


def _recipient(
    session: Session, kind: RecipientKind, value: str, facts: IncidentFacts, site: str
) -> tuple[OutboxState, dict[str, Any]]:
    """The recipient block of a payload, and whether the message may go out at all."""
    out: dict[str, Any] = {"kind": kind.value, "value": value, "channel": None}
    if kind is RecipientKind.EXTERNAL:
        return OutboxState.PENDING, out | {"channel": rules.channel_of(value).value}
    if kind is RecipientKind.ROLE:
        audience = {"role": value, "site": site, "clearance": facts.clearance}
        return OutboxState.PENDING, out | {"audience": audience}
    user = users_service.get(session, username=value)
    if user is None or not user.is_active:
        return OutboxState.WITHHELD, out | {"withheld": "no such active user"}
    them = users_service.principal(session, user)
    visible = rules.sees(
        can_read=them.can(Permission.READ),
        site_ok=them.sees_site(facts.site_id),
        clearance=facts.clearance,
        clearances=them.clearances,
    )
    if not visible:
        return OutboxState.WITHHELD, out | {"withheld": "the user may not see this incident"}
    return OutboxState.PENDING, out


def _incident_view(
    session: Session, incident: Any, facts: IncidentFacts, site: str
) -> dict[str, Any]:
    kind = None
    if facts.type_id is not None:
        kind = taxonomy_service.by_ids(session, [facts.type_id])[facts.type_id]
    place = sites_service.PlaceIds(
        incident.site_id,
        incident.building_id,
        incident.floor_id,
        incident.zone_id,
        incident.location_detail,
    )
    return {
        "number": facts.number,
        "title": incident.title,
        "status": facts.status.value,
        "priority": facts.priority,
        "type": {"code": kind.code, "name": kind.name} if kind else None,
        "site": site,
        "place": sites_service.place_codes(session, place),
        "major": facts.major,
        "restricted": facts.clearance is not None,
        "path": f"/incidents/{facts.number}",
        "api_path": f"/api/v1/incidents/{facts.number}",
    }


def active_pagings(session: Session, *, incident_id: int, number: str) -> builtins.list[PagingOut]:
    """The incident's pagings still running (for the incident page: who is being paged,
    and a button to acknowledge). The caller has checked that its user may see it."""
    rows = session.scalars(
        select(Paging)
        .where(Paging.incident_id == incident_id, Paging.state == PagingState.ACTIVE.value)
        .order_by(Paging.id)
    )
    return [paging_out(p, number) for p in rows]


def paging_out(paging: Paging, number: str) -> PagingOut:
    """A paging as the API shows it."""
    return PagingOut(
        id=paging.id,
        incident=number,
        policy=paging.policy_name,
        state=PagingState(paging.state),
        level=paging.level + 1,
        round=paging.round + 1,
        paged=paging.paged,
        levels=policies.levels_out(paging.levels),
        repeat=paging.repeat,
        started_at=paging.started_at,
        escalates_at=paging.escalates_at,
        ended_at=paging.ended_at,
        acknowledged_by=paging.acked_by,
        acknowledged_via=paging.acked_via,
    )
