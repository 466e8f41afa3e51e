"""Paging by escalation policies: who is paged, when, until someone acknowledges.
Never commits: the caller owns the transaction.

1. An escalation rule whose recipient is a policy starts a *paging* of the incident
   (`start`, in the transaction of the change the rule matched): the policy's levels
   are copied onto it, and a durable timer (`page.step`) is due at once.
2. Each step (`step`, the timer's handler) pages the next level: its users, whoever is
   on call on its schedules at that moment, the members of its roles who may see the
   incident. The messages go through the outbox (event `incident.paged`, with a
   `page` block the delivery worker turns into an acknowledge link); the `paged`
   entry on the timeline names who was paged and why. The timer is set again for when
   the level's time to acknowledge runs out; a level that reaches nobody goes on to
   the next at once.
3. After the last level the policy starts again from the first, `repeat` more times;
   then the paging is `exhausted` and the supervisors are told nobody acknowledged.
4. Acknowledging ends it: the link in a message (`acknowledge_link`), the API or the
   incident page (`acknowledge`), or acknowledging the incident itself. The incident
   ending (resolved, closed, cancelled, merged) stops it. Each end is on the timeline.

Locks: the incident's row first, then the paging's (like every incident change), so
a step and an acknowledgement never deadlock; a step re-checks the paging's state.
"""

from __future__ import annotations

import builtins
import copy
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core import keys, timers
from murphy.core.clock import isoformat, utcnow
from murphy.core.errors import Conflict, NotFound
from murphy.core.timers import DueTimer
from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import Change
from murphy.notify import policies, render, rules, service
from murphy.notify.models import Delivery, OutboxMessage, Paging
from murphy.notify.schemas import (
    EXHAUSTED_EVENT,
    PAGED_EVENT,
    AckLinkOut,
    PagingOut,
    PagingState,
    RecipientKind,
)
from murphy.oncall import service as oncall_service
from murphy.users import service as users_service
from murphy.users.schemas import Principal, Role

log = logging.getLogger(__name__)

STEP = "page.step"  # the timer kind; subject "paging:{id}"
ACK_KEY = "ack"  # the name of the key that signs acknowledge links (core.keys)
ENDS = {"resolve", "close", "cancel", "merge"}  # moves that stop a paging
_OPEN = (PagingState.ACTIVE.value, PagingState.ACKNOWLEDGED.value)


# --- following the incident's changes --------------------------------------------------


def on_change(session: Session, *, change: Change) -> None:
    """Tell whoever the escalation rules name, start the pagings they name, and end
    the incident's pagings when it is acknowledged or ends."""
    for event, name in service.on_change(session, change=change):
        start(session, change=change, policy=name, event=event)
    if change.kind == "acknowledged":
        actor = users_service.get(session, username=change.actor) if change.actor else None
        for paging in _active(session, change.incident.id):
            by = users_service.principal(session, actor) if actor is not None else None
            _acknowledged(session, paging, by=by, via="incident", at=change.at)
    elif change.kind == "transition" and change.data.get("action") in ENDS:
        for paging in _active(session, change.incident.id):
            _stop(session, paging, reason=str(change.data["action"]), at=change.at)


def start(session: Session, *, change: Change, policy: str, event: str) -> Paging | None:
    """Start paging the incident by `policy` (its levels copied now), unless a paging by
    the same policy is running or was acknowledged. The first level is paged at once,
    by the step timer."""
    found = policies.by_name(session, policy)
    if found is None:  # a rule cannot name a missing policy; a race with its removal can
        log.warning("no escalation policy %r: %s not paged", policy, change.incident.number)
        return None
    running = session.scalar(
        select(Paging.id).where(
            Paging.incident_id == change.incident.id,
            Paging.policy_name == found.name,
            Paging.state.in_(_OPEN),
        )
    )
    if running is not None:
        return None
    paging = Paging(
        incident_id=change.incident.id,
        policy_id=found.id,
        policy_name=found.name,
        levels=copy.deepcopy(found.levels),
        repeat=found.repeat,
        event=event,
        state=PagingState.ACTIVE.value,
        level=-1,
        round=0,
        started_at=change.at,
        escalates_at=change.at,
        paged=[],
    )
    session.add(paging)
    session.flush()
    _arm(session, paging, change.at)
    return paging


# --- the step timer --------------------------------------------------------------------


def step(session: Session, timer: DueTimer) -> None:
    """Page the paging's next level, or give up when none is left. Does nothing when
    the paging ended meanwhile (acknowledged, stopped)."""
    paging_id = int(timer.subject.removeprefix("paging:"))
    incident_id = session.scalar(select(Paging.incident_id).where(Paging.id == paging_id))
    if incident_id is None:
        return
    incident = incidents_service.get(session, incident_id=incident_id, for_update=True)
    paging = _lock(session, paging_id)
    if paging is None or paging.state != PagingState.ACTIVE.value:
        return
    at = timer.fired_at
    nxt = rules.next_step(
        paging.level, paging.round, levels=len(paging.levels), repeat=paging.repeat
    )
    if nxt is None:
        _exhausted(session, paging, incident, at)
    else:
        _page(session, paging, incident, nxt, at)


def _page(
    session: Session, paging: Paging, incident: Any, nxt: tuple[int, int], at: datetime
) -> None:
    """Page one level: resolve its targets now, write the entry and the messages, and
    set the timer for when its time to acknowledge runs out."""
    level, round_ = nxt
    spec = paging.levels[level]
    facts = incidents_service.facts(incident)
    recipients, paged, nobody = _targets(session, spec["targets"], facts, at)
    timeout = int(spec["timeout_minutes"])
    escalates_at = at + timedelta(minutes=timeout) if recipients else at
    more = rules.next_step(level, round_, levels=len(paging.levels), repeat=paging.repeat)
    data = {
        "policy": paging.policy_name,
        "paging": paging.id,
        "level": level + 1,
        "levels": len(paging.levels),
        "round": round_ + 1,
        "rounds": paging.repeat + 1,
        "timeout_minutes": timeout,
        "paged": paged,
        "nobody": nobody,
        "escalates_at": isoformat(escalates_at) if more is not None else None,
        "gives_up_at": isoformat(escalates_at) if more is None else None,
    }
    entry = incidents_service.append_entry(
        session, incident_id=paging.incident_id, kind="paged", data=data, at=at
    )
    paging.level, paging.round, paging.escalates_at = level, round_, escalates_at
    paging.paged = [f"{k.value}:{v}" if k is RecipientKind.ROLE else v for k, v in recipients]
    change = _change(facts, entry.seq, "paged", data, at)
    page = {
        "id": paging.id,
        "policy": paging.policy_name,
        "level": level + 1,
        "levels": len(paging.levels),
        "round": round_ + 1,
        "timeout_minutes": timeout,
        "escalates_at": isoformat(escalates_at),
    }
    service.send(session, change=change, event=PAGED_EVENT, recipients=recipients, page=page)
    _arm(session, paging, escalates_at)


def _targets(
    session: Session, targets: builtins.list[dict[str, Any]], facts: Any, at: datetime
) -> tuple[
    builtins.list[tuple[RecipientKind, str]],
    builtins.list[dict[str, str]],
    builtins.list[dict[str, str]],
]:
    """Who a level reaches now: the outbox recipients, who was paged (and through which
    target) for the timeline, and the targets that reached nobody (and why)."""
    recipients: builtins.list[tuple[RecipientKind, str]] = []
    paged: builtins.list[dict[str, str]] = []
    nobody: builtins.list[dict[str, str]] = []
    for target in targets:
        kind, name = target["kind"], target["name"]
        if kind == "role":
            if not users_service.audience(
                session, role=name, site_id=facts.site_id, clearance=facts.clearance
            ):
                nobody.append({"role": name, "why": "no member may see this incident"})
                continue
            recipient = (RecipientKind.ROLE, name)
        else:
            user = name
            if kind == "schedule":
                user = oncall_service.who(session, schedule_id=int(target["id"]), at=at) or ""
                if not user:
                    nobody.append({"schedule": name, "why": "nobody is on call"})
                    continue
            why = _unreachable(session, user, facts)
            if why:
                nobody.append({kind: name, "user": user, "why": why})
                continue
            recipient = (RecipientKind.USER, user)
        if recipient not in recipients:
            recipients.append(recipient)
            paged.append({kind: name} | ({"user": recipient[1]} if kind == "schedule" else {}))
    return recipients, paged, nobody


def _unreachable(session: Session, username: str, facts: Any) -> str:
    """Why a user cannot be paged about this incident ('' when they can)."""
    user = users_service.get(session, username=username)
    if user is None or not user.is_active:
        return "not an active user"
    them = users_service.principal(session, user)
    visible = incidents_service.may_see(
        them, site_id=facts.site_id, clearance=facts.clearance, owner_id=None
    )
    return "" if visible else "may not see this incident"


def _exhausted(session: Session, paging: Paging, incident: Any, at: datetime) -> None:
    """Every level of every round was paged and nobody acknowledged: say so, and tell
    the supervisors."""
    _end(session, paging, PagingState.EXHAUSTED, at)
    data = {
        "policy": paging.policy_name,
        "paging": paging.id,
        "levels": len(paging.levels),
        "rounds": paging.repeat + 1,
    }
    entry = incidents_service.append_entry(
        session, incident_id=paging.incident_id, kind="page_exhausted", data=data, at=at
    )
    change = _change(incidents_service.facts(incident), entry.seq, "page_exhausted", data, at)
    supervisors = [(RecipientKind.ROLE, Role.SUPERVISOR.value)]
    service.send(session, change=change, event=EXHAUSTED_EVENT, recipients=supervisors)


# --- acknowledging ---------------------------------------------------------------------


def acknowledge(
    session: Session,
    *,
    principal: Principal,
    number: str,
    via: str = "api",
    now: datetime | None = None,
) -> builtins.list[PagingOut]:
    """The caller has it: end every active paging of the incident (and acknowledge the
    incident, if nobody did yet). Anyone who may see the incident may; it is on the
    timeline under their name."""
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=True
    )
    active = _active(session, incident.id)
    if not active:
        raise Conflict(_nothing_active(session, incident.id, number))
    now = now or utcnow()
    for paging in active:
        _acknowledged(session, paging, by=principal, via=via, at=now)
    incidents_service.mark_acknowledged(
        session, incident, actor=principal, at=now, data={"via": "page"}
    )
    return list_for(session, principal=principal, number=number)


def read_link(session: Session, *, token: str, now: datetime | None = None) -> AckLinkOut:
    """What an acknowledge link is about, without acknowledging (a mail scanner that
    follows links must not acknowledge anything)."""
    _, message, paging, who = _link(session, token, now or utcnow())
    return _link_out(message, paging, who, token)


def acknowledge_link(session: Session, *, token: str, now: datetime | None = None) -> AckLinkOut:
    """Acknowledge from the link in a message: signed, expiring, and good for one
    acknowledgement (once the paging ended, the link changes nothing: 409)."""
    now = now or utcnow()
    _, message, paging, who = _link(session, token, now)
    incident = incidents_service.get(session, incident_id=paging.incident_id, for_update=True)
    locked = _lock(session, paging.id)
    if locked is None or locked.state != PagingState.ACTIVE.value:
        raise Conflict(_ended(paging))
    _acknowledged(session, locked, by=who, via="link", at=now)
    incidents_service.mark_acknowledged(session, incident, actor=who, at=now, data={"via": "page"})
    return _link_out(message, locked, who, token)


def ack_key(session: Session) -> bytes:
    """The key that signs acknowledge links (made on first use, shared by every
    process through the database)."""
    return keys.ensure(session, ACK_KEY)


def list_for(session: Session, *, principal: Principal, number: str) -> builtins.list[PagingOut]:
    """The incident's pagings, oldest first (for whoever may see the incident)."""
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    rows = session.scalars(
        select(Paging).where(Paging.incident_id == incident.id).order_by(Paging.id)
    ).all()
    return [service.paging_out(p, incident.number) for p in rows]


# --- internals -----------------------------------------------------------------------


def _acknowledged(
    session: Session, paging: Paging, *, by: Principal | None, via: str, at: datetime
) -> None:
    _end(session, paging, PagingState.ACKNOWLEDGED, at)
    paging.acked_by_id = by.id if by is not None else None
    paging.acked_by = by.username if by is not None else None
    paging.acked_via = via
    data = {
        "policy": paging.policy_name,
        "paging": paging.id,
        "level": paging.level + 1,
        "via": via,
        "minutes": round((at - paging.started_at).total_seconds() / 60, 1),
    }
    incidents_service.append_entry(
        session,
        incident_id=paging.incident_id,
        kind="page_acknowledged",
        data=data,
        at=at,
        actor=by,
    )


def _stop(session: Session, paging: Paging, *, reason: str, at: datetime) -> None:
    _end(session, paging, PagingState.STOPPED, at)
    data = {"policy": paging.policy_name, "paging": paging.id, "reason": reason}
    incidents_service.append_entry(
        session, incident_id=paging.incident_id, kind="page_stopped", data=data, at=at
    )


def _end(session: Session, paging: Paging, state: PagingState, at: datetime) -> None:
    paging.state, paging.ended_at, paging.escalates_at = state.value, at, None
    timers.cancel(session, kind=STEP, subject=_subject(paging.id))
    session.flush()


def _arm(session: Session, paging: Paging, due: datetime) -> None:
    timers.schedule(
        session,
        kind=STEP,
        subject=_subject(paging.id),
        due_at=due,
        payload={"incident_id": paging.incident_id},
    )


def _subject(paging_id: int) -> str:
    return f"paging:{paging_id}"


def _lock(session: Session, paging_id: int) -> Paging | None:
    return session.scalar(
        select(Paging)
        .where(Paging.id == paging_id)
        .with_for_update()
        .execution_options(populate_existing=True)
    )


def _active(session: Session, incident_id: int) -> builtins.list[Paging]:
    return builtins.list(
        session.scalars(
            select(Paging)
            .where(Paging.incident_id == incident_id, Paging.state == PagingState.ACTIVE.value)
            .order_by(Paging.id)
            .with_for_update()
        )
    )


def _nothing_active(session: Session, incident_id: int, number: str) -> str:
    last = session.scalar(
        select(Paging).where(Paging.incident_id == incident_id).order_by(Paging.id.desc())
    )
    if last is None:
        return f"{number} is not being paged: there is nothing to acknowledge"
    return _ended(last)


def _ended(paging: Paging) -> str:
    """Why a paging can no longer be acknowledged, in words."""
    when = isoformat(paging.ended_at) if paging.ended_at else ""
    if paging.state == PagingState.ACKNOWLEDGED.value:
        who = paging.acked_by or "someone"
        return f"already acknowledged by {who} at {when}: nothing more to do"
    if paging.state == PagingState.STOPPED.value:
        return f"paging stopped at {when}: the incident ended"
    return f"paging gave up at {when} (nobody acknowledged): the supervisors were told"


def _link(
    session: Session, token: str, now: datetime
) -> tuple[Delivery, OutboxMessage, Paging, Principal]:
    """The delivery, message, paging and recipient a valid link is for; NotFound (no
    hint why) for anything else, Gone when it expired."""
    key = keys.get(session, ACK_KEY)
    if key is None:
        raise NotFound("this acknowledge link is not valid")
    delivery_id = rules.read_ack_token(key, token, now=now)
    delivery = session.get(Delivery, delivery_id)
    message = session.get(OutboxMessage, delivery.outbox_id) if delivery is not None else None
    page = (message.payload.get("page") or {}) if message is not None else {}
    paging = session.get(Paging, int(page["id"])) if page.get("id") else None
    user = None
    if delivery is not None and delivery.user_id is not None:
        user = users_service.get_by_id(session, delivery.user_id)
    if delivery is None or message is None or paging is None or user is None:
        raise NotFound("this acknowledge link is not valid")
    who = users_service.principal(session, user) if user.is_active else None
    incident = incidents_service.get(session, incident_id=paging.incident_id)
    if who is None or not incidents_service.may_see(
        who, site_id=incident.site_id, clearance=incident.clearance, owner_id=None
    ):
        raise NotFound("this acknowledge link is not valid")
    return delivery, message, paging, who


def _link_out(message: OutboxMessage, paging: Paging, who: Principal, token: str) -> AckLinkOut:
    incident = message.payload.get("incident") or {}
    return AckLinkOut(
        incident=str(incident.get("number") or ""),
        headline=render.headline(message.payload),
        recipient=who.display_name or who.username,
        state=PagingState(paging.state),
        acknowledged_by=paging.acked_by,
        acknowledged_at=paging.ended_at if paging.state == PagingState.ACKNOWLEDGED.value else None,
        expires_at=rules.ack_expiry(token),
    )


def _change(facts: Any, seq: int, kind: str, data: dict[str, Any], at: datetime) -> Change:
    return Change(incident=facts, kind=kind, seq=seq, data=data, actor=None, at=at)
