"""Use cases of delivery: the outbox's rows become deliveries, workers claim and send
them, and every try is recorded. Never commits: the caller owns the transaction.

1. `route` claims pending outbox rows and writes one delivery per channel of each
   person a row reaches (a role reaches each member who may see the incident; an
   outside party the one channel its address names). In-app notifications are written
   right there, in the same transaction: they need no sending.
2. `claim` takes due deliveries for a worker: state `sending`, owned until a lease
   ends, and counts the try. On PostgreSQL the claim skips rows another worker holds
   (`FOR UPDATE SKIP LOCKED`), so no delivery is sent by two workers at once; a worker
   that dies leaves its claims to be taken again when the lease ends (at least once,
   always under the same dedup key).
3. `record` stores each try's result: `sent`, a retry after a backoff with jitter, or
   `dead` (permanent failure, or out of tries): the dead-letter list, which an admin
   can send again (`retry`).
"""

from __future__ import annotations

import builtins
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import Connection, Table, func, insert, select, update
from sqlalchemy.orm import Session

from murphy.core.clock import isoformat, utcnow
from murphy.core.errors import Conflict, NotFound
from murphy.core.events import Event, emit
from murphy.notify import preferences, render, rules
from murphy.notify.models import Delivery, DeliveryAttempt, Notification, OutboxMessage
from murphy.notify.schemas import (
    DIGEST_EVENT,
    AttemptOut,
    DeliveryOut,
    DeliveryQuery,
    DeliveryState,
    NotificationOut,
    OutboxState,
)
from murphy.notify.service import require_admin
from murphy.sites import service as sites_service
from murphy.users import service as users_service
from murphy.users.schemas import Principal

IN_APP = "in_app"
NOTIFIED_EVENT = "notification.created"  # published after commit: {"users": [ids]}
DELIVERY_EVENT = "delivery.due"  # published after commit: wakes this process's worker

_D = cast(Table, Delivery.__table__)
_A = cast(Table, DeliveryAttempt.__table__)


@dataclass(frozen=True)
class Claimed:
    """A delivery a worker now owns, with what it needs to send it."""

    id: int
    key: str
    channel: str
    address: str
    attempt: int
    payload: Mapping[str, Any]


@dataclass(frozen=True)
class Outcome:
    """The result of one try, as the worker reports it."""

    delivery_id: int
    attempt: int
    started_at: datetime
    duration_ms: int
    ok: bool
    detail: str = ""
    permanent: bool = False
    retry_after: float | None = None


@dataclass(frozen=True)
class RetryPolicy:
    """How many tries, and how long between them (see render.backoff)."""

    max_attempts: int = 8
    base_seconds: float = 10.0
    cap_seconds: float = 3600.0


# --- routing -------------------------------------------------------------------------


def route(session: Session, *, channels: Iterable[str], now: datetime, limit: int) -> int:
    """Turn up to `limit` pending outbox rows into deliveries; returns how many rows.

    `channels` are the channels that can send (configured): a person is reached on
    those of them they have an address for, and always in the app.
    """
    usable = set(channels)
    rows = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.state == OutboxState.PENDING.value)
        .order_by(OutboxMessage.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    notified: set[int] = set()
    due = False
    for row in rows:
        made = _route_one(session, row, usable, now, notified)
        row.state = (OutboxState.ROUTED if made else OutboxState.UNROUTED).value
        due = due or any(d.channel != IN_APP for d in made)
    session.flush()
    if notified:
        emit(session, Event(NOTIFIED_EVENT, {"users": sorted(notified)}))
    if due:
        emit(session, Event(DELIVERY_EVENT, {}))
    return len(rows)


def _route_one(
    session: Session, row: OutboxMessage, usable: set[str], now: datetime, notified: set[int]
) -> list[Delivery]:
    payload = row.payload
    recipient = payload.get("recipient") or {}
    made: list[Delivery] = []
    if row.recipient_kind == "external":
        channel = str(recipient.get("channel") or "")
        made.append(_delivery(row, f"{row.dedup_key}:{channel}", channel, row.recipient, None, now))
    else:
        people = _people(session, row)
        reach = preferences.reach(session, {u.id: u.email for u in people})
        sent = _last_hour(session, [u.id for u in people], now)
        for user in people:
            key = row.dedup_key if row.recipient_kind == "user" else f"{row.dedup_key}>u{user.id}"
            made.append(_in_app(session, row, f"{key}:{IN_APP}", user.id, now))
            notified.add(user.id)
            made += _personal(row, key, user.id, reach[user.id], usable, sent, now)
    session.add_all(made)
    return made


def _personal(
    row: OutboxMessage,
    key: str,
    user_id: int,
    reach: preferences.Reach,
    usable: set[str],
    sent: Mapping[tuple[int, str], tuple[int, datetime]],
    now: datetime,
) -> list[Delivery]:
    """One person's deliveries besides the app: each contact method whose channel
    works and that they want for this priority (a page: their P1 channels), now or
    held for a digest (their quiet hours, their hourly limit)."""
    page = bool(row.payload.get("page"))
    priority = (row.payload.get("incident") or {}).get("priority")
    wanted = rules.channels_for(reach.prefs, priority=priority, page=page)
    made = []
    for method in reach.methods:
        channel = method.channel
        if channel not in usable or channel not in wanted:
            continue
        count, oldest = sent.get((user_id, channel), (0, None))
        held = rules.hold_until(
            reach.prefs,
            priority=priority,
            page=page,
            now=now,
            sent_last_hour=count,
            oldest_in_hour=oldest,
        )
        suffix = channel if method.id == preferences.ACCOUNT_EMAIL else f"{channel}#{method.id}"
        delivery = _delivery(row, f"{key}:{suffix}", channel, method.address, user_id, now)
        if held is not None:
            delivery.state, delivery.due_at = DeliveryState.HELD.value, held
        made.append(delivery)
    return made


def _last_hour(
    session: Session, user_ids: list[int], now: datetime
) -> dict[tuple[int, str], tuple[int, datetime]]:
    """Per (user, channel): how many messages went (or are going) out in the last hour,
    and when the oldest of them was made (what the hourly limit counts)."""
    if not user_ids:
        return {}
    rows = session.execute(
        select(_D.c.user_id, _D.c.channel, func.count(), func.min(_D.c.created_at))
        .where(
            _D.c.user_id.in_(user_ids),
            _D.c.channel != IN_APP,
            _D.c.created_at > now - timedelta(hours=1),
            _D.c.state.not_in([DeliveryState.HELD.value, DeliveryState.DIGESTED.value]),
        )
        .group_by(_D.c.user_id, _D.c.channel)
    ).all()
    return {(r[0], r[1]): (int(r[2]), r[3]) for r in rows}


# --- digests -------------------------------------------------------------------------


def release(session: Session, *, now: datetime, limit: int = 500) -> int:
    """Turn the held deliveries that are due into digests: one message per person,
    channel and address, listing what waited; returns how many digests were made."""
    held = session.scalars(
        select(Delivery)
        .where(Delivery.state == DeliveryState.HELD.value, Delivery.due_at <= now)
        .order_by(Delivery.user_id, Delivery.channel, Delivery.address, Delivery.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    ).all()
    groups: dict[tuple[int | None, str, str], list[Delivery]] = {}
    for d in held:
        groups.setdefault((d.user_id, d.channel, d.address), []).append(d)
    for (user_id, channel, address), waiting in groups.items():
        _digest(session, user_id, channel, address, waiting, now)
    session.flush()
    if groups:
        emit(session, Event(DELIVERY_EVENT, {}))
    return len(groups)


def _digest(
    session: Session,
    user_id: int | None,
    channel: str,
    address: str,
    waiting: list[Delivery],
    now: datetime,
) -> None:
    messages = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.id.in_([d.outbox_id for d in waiting]))
        .order_by(OutboxMessage.id)
    ).all()
    user = users_service.get_by_id(session, user_id) if user_id is not None else None
    username = user.username if user is not None else ""
    key = f"digest:u{user_id}:{channel}:{waiting[0].id}"
    body = render.digest_payload(
        key=key,
        occurred_at=isoformat(now),
        payloads=[m.payload for m in messages],
        recipient={"kind": "user", "value": username, "channel": channel},
    )
    row = OutboxMessage(
        dedup_key=key,
        event=DIGEST_EVENT,
        incident_id=None,
        rule_id=None,
        recipient_kind="user",
        recipient=username,
        payload=body,
        state=OutboxState.ROUTED.value,
        created_at=now,
    )
    session.add(row)
    session.flush()
    session.add(_delivery(row, f"{key}:{channel}", channel, address, user_id, now))
    for d in waiting:
        d.state, d.sent_at = DeliveryState.DIGESTED.value, now


def _people(session: Session, row: OutboxMessage) -> Sequence[Any]:
    """The users an outbox row for a user or a role reaches."""
    if row.recipient_kind == "user":
        user = users_service.get(session, username=row.recipient)
        return [user] if user is not None and user.is_active else []
    audience = (row.payload.get("recipient") or {}).get("audience") or {}
    site = sites_service.get(session, code=str(audience.get("site") or ""))
    return users_service.audience(
        session,
        role=row.recipient,
        site_id=site.id if site is not None else None,
        clearance=audience.get("clearance"),
    )


def _delivery(
    row: OutboxMessage, key: str, channel: str, address: str, user_id: int | None, now: datetime
) -> Delivery:
    return Delivery(
        outbox_id=row.id,
        dedup_key=key,
        channel=channel,
        address=address,
        user_id=user_id,
        state=DeliveryState.PENDING.value,
        attempts=0,
        due_at=now,
        last_error="",
        created_at=now,
    )


def _in_app(
    session: Session, row: OutboxMessage, key: str, user_id: int, now: datetime
) -> Delivery:
    """The in-app notification, written now; its delivery is born sent."""
    payload = row.payload
    incident = payload.get("incident") or {}
    facts = "; ".join(f"{label}: {value}" for label, value in render.facts(payload))
    session.add(
        Notification(
            user_id=user_id,
            dedup_key=key,
            incident_id=row.incident_id,
            priority=incident.get("priority"),
            title=render.headline(payload)[:300],
            body=facts[:2000],
            path=str(incident.get("path") or "")[:300],
            created_at=now,
        )
    )
    done = _delivery(row, key, IN_APP, f"user:{user_id}", user_id, now)
    done.state, done.attempts, done.sent_at = DeliveryState.SENT.value, 1, now
    return done


# --- sending -------------------------------------------------------------------------


def claim(
    session: Session, *, now: datetime, limit: int, lease: timedelta, skip: Iterable[str] = ()
) -> list[Claimed]:
    """Take up to `limit` due deliveries (oldest first) for this worker until `now +
    lease`, and count the try. A claim whose lease ran out (its worker died) is taken
    again, and the lost try is recorded as such."""
    stmt = (
        select(_D.c.id, _D.c.state, _D.c.attempts)
        .where(
            _D.c.state.in_([DeliveryState.PENDING.value, DeliveryState.SENDING.value]),
            _D.c.due_at <= now,
        )
        .order_by(_D.c.due_at, _D.c.id)
        .limit(limit)
        .with_for_update(skip_locked=True)  # nothing on SQLite: its one writer serializes
    )
    skipped = builtins.list(skip)
    if skipped:
        stmt = stmt.where(_D.c.channel.not_in(skipped))
    found = session.execute(stmt).all()
    if not found:
        return []
    ids = [r.id for r in found]
    lost = [r for r in found if r.state == DeliveryState.SENDING.value]
    if lost:
        session.execute(
            insert(_A),
            [
                {
                    "delivery_id": r.id,
                    "number": r.attempts,
                    "started_at": now,
                    "duration_ms": 0,
                    "outcome": "lost",
                    "detail": "the worker stopped before it recorded a result",
                }
                for r in lost
            ],
        )
    session.execute(
        update(_D)
        .where(_D.c.id.in_(ids))
        .values(
            state=DeliveryState.SENDING.value,
            due_at=now + lease,
            attempts=_D.c.attempts + 1,
        )
    )
    rows = session.execute(
        select(
            _D.c.id,
            _D.c.dedup_key,
            _D.c.channel,
            _D.c.address,
            _D.c.attempts,
            OutboxMessage.payload,
        )
        .join(OutboxMessage, OutboxMessage.id == _D.c.outbox_id)
        .where(_D.c.id.in_(ids))
        .order_by(_D.c.id)
    ).all()
    return [Claimed(r.id, r.dedup_key, r.channel, r.address, r.attempts, r.payload) for r in rows]


def record(
    session: Session,
    outcomes: Iterable[Outcome],
    *,
    now: datetime,
    policy: RetryPolicy,
    rand: Any = None,
) -> None:
    """Store each try and move its delivery on: `sent`, back to `pending` after a
    backoff, or `dead`. A try whose claim was since taken by another worker (its lease
    ran out) is recorded but does not move the delivery."""
    attempts = []
    for o in outcomes:
        attempts.append(
            {
                "delivery_id": o.delivery_id,
                "number": o.attempt,
                "started_at": o.started_at,
                "duration_ms": o.duration_ms,
                "outcome": _outcome(o, policy),
                "detail": o.detail[:500],
            }
        )
        session.execute(
            update(_D)
            .where(
                _D.c.id == o.delivery_id,
                _D.c.state == DeliveryState.SENDING.value,
                _D.c.attempts == o.attempt,
            )
            .values(**_next(o, policy, now, rand))
        )
    if attempts:
        session.execute(insert(_A), attempts)


def _outcome(o: Outcome, policy: RetryPolicy) -> str:
    if o.ok:
        return "sent"
    return "failed" if o.permanent or o.attempt >= policy.max_attempts else "retry"


def _next(o: Outcome, policy: RetryPolicy, now: datetime, rand: Any) -> dict[str, Any]:
    outcome = _outcome(o, policy)
    if outcome == "sent":
        return {"state": DeliveryState.SENT.value, "sent_at": now, "last_error": ""}
    if outcome == "failed":
        return {"state": DeliveryState.DEAD.value, "last_error": o.detail[:500]}
    kwargs = {"rand": rand} if rand is not None else {}
    wait = render.backoff(o.attempt, base=policy.base_seconds, cap=policy.cap_seconds, **kwargs)
    if o.retry_after is not None:
        wait = max(wait, min(o.retry_after, policy.cap_seconds))
    return {
        "state": DeliveryState.PENDING.value,
        "due_at": now + timedelta(seconds=wait),
        "last_error": o.detail[:500],
    }


def next_due(conn: Session | Connection) -> datetime | None:
    """When the first delivery is due (or its claim runs out, or a held one goes out in
    a digest), or None."""
    found: datetime | None = conn.execute(
        select(func.min(_D.c.due_at)).where(
            _D.c.state.in_(
                [
                    DeliveryState.PENDING.value,
                    DeliveryState.SENDING.value,
                    DeliveryState.HELD.value,
                ]
            )
        )
    ).scalar()
    return found


def held_due(conn: Session | Connection, now: datetime) -> bool:
    """Whether a held delivery is due to go out in a digest (one index lookup)."""
    found = conn.execute(
        select(_D.c.id).where(_D.c.state == DeliveryState.HELD.value, _D.c.due_at <= now).limit(1)
    ).scalar()
    return found is not None


def pending_outbox(conn: Session | Connection) -> bool:
    """Whether an outbox row waits to be routed (one index lookup)."""
    found = conn.execute(
        select(OutboxMessage.id).where(OutboxMessage.state == OutboxState.PENDING.value).limit(1)
    ).scalar()
    return found is not None


# --- the dead-letter list, for admins ------------------------------------------------


def list_deliveries(
    session: Session, *, principal: Principal, query: DeliveryQuery
) -> builtins.list[DeliveryOut]:
    """Recent deliveries, newest first (admins): the dead-letter list with `state=dead`."""
    require_admin(principal, "see deliveries")
    stmt = select(Delivery, OutboxMessage).join(
        OutboxMessage, OutboxMessage.id == Delivery.outbox_id
    )
    if query.state is not None:
        stmt = stmt.where(Delivery.state == query.state.value)
    if query.failing:
        stmt = stmt.where(Delivery.state == DeliveryState.PENDING.value, Delivery.attempts > 0)
    if query.channel:
        stmt = stmt.where(Delivery.channel == query.channel)
    rows = session.execute(stmt.order_by(Delivery.id.desc()).limit(query.limit)).all()
    return [_out(d, o, []) for d, o in rows]


def get_delivery(session: Session, *, principal: Principal, delivery_id: int) -> DeliveryOut:
    """One delivery with every try (admins)."""
    require_admin(principal, "see deliveries")
    delivery, message = _get_or_raise(session, delivery_id)
    tries = session.scalars(
        select(DeliveryAttempt)
        .where(DeliveryAttempt.delivery_id == delivery_id)
        .order_by(DeliveryAttempt.id)
    ).all()
    return _out(delivery, message, tries)


def retry(
    session: Session, *, principal: Principal, delivery_id: int, now: datetime | None = None
) -> DeliveryOut:
    """Send a dead delivery again, with a fresh set of tries (admins)."""
    require_admin(principal, "retry deliveries")
    delivery, _ = _get_or_raise(session, delivery_id)
    if delivery.state != DeliveryState.DEAD.value:
        raise Conflict(
            f"delivery {delivery_id} is {delivery.state}: only a dead delivery can be sent again"
        )
    delivery.state = DeliveryState.PENDING.value
    delivery.attempts = 0
    delivery.due_at = now or utcnow()
    session.flush()
    emit(session, Event(DELIVERY_EVENT, {}))
    return get_delivery(session, principal=principal, delivery_id=delivery_id)


def _get_or_raise(session: Session, delivery_id: int) -> tuple[Delivery, OutboxMessage]:
    found = session.execute(
        select(Delivery, OutboxMessage)
        .join(OutboxMessage, OutboxMessage.id == Delivery.outbox_id)
        .where(Delivery.id == delivery_id)
    ).first()
    if found is None:
        raise NotFound(f"no delivery {delivery_id}")
    return found[0], found[1]


def _out(
    delivery: Delivery, message: OutboxMessage, tries: Sequence[DeliveryAttempt]
) -> DeliveryOut:
    incident = message.payload.get("incident") or {}
    return DeliveryOut(
        id=delivery.id,
        dedup_key=delivery.dedup_key,
        event=message.event,
        incident=incident.get("number"),
        headline=render.headline(message.payload),
        channel=delivery.channel,
        address=delivery.address,
        state=DeliveryState(delivery.state),
        attempts=delivery.attempts,
        due_at=delivery.due_at,
        last_error=delivery.last_error,
        created_at=delivery.created_at,
        sent_at=delivery.sent_at,
        tries=[
            AttemptOut(
                number=t.number,
                started_at=t.started_at,
                duration_ms=t.duration_ms,
                outcome=t.outcome,
                detail=t.detail,
            )
            for t in tries
        ],
    )


# --- in-app notifications ------------------------------------------------------------


def notifications(
    session: Session, *, principal: Principal, unread: bool = False, limit: int = 50
) -> builtins.list[NotificationOut]:
    """The caller's in-app notifications, newest first."""
    stmt = select(Notification).where(Notification.user_id == principal.id)
    if unread:
        stmt = stmt.where(Notification.read_at.is_(None))
    rows = session.scalars(stmt.order_by(Notification.id.desc()).limit(limit)).all()
    return [NotificationOut.model_validate(r, from_attributes=True) for r in rows]


def get_notification(
    session: Session, *, principal: Principal, notification_id: int
) -> NotificationOut:
    """One of the caller's notifications; another user's is not found either."""
    found = session.get(Notification, notification_id)
    if found is None or found.user_id != principal.id:
        raise NotFound(f"you have no notification {notification_id}")
    return NotificationOut.model_validate(found, from_attributes=True)


def unread_count(session: Session, *, principal: Principal) -> int:
    """How many of the caller's notifications are unread (the bell's number)."""
    return int(
        session.execute(
            select(func.count())
            .select_from(Notification)
            .where(Notification.user_id == principal.id, Notification.read_at.is_(None))
        ).scalar_one()
    )


def mark_read(
    session: Session,
    *,
    principal: Principal,
    ids: Iterable[int] | None = None,
    now: datetime | None = None,
) -> int:
    """Mark the caller's notifications read (`ids`, or all); returns how many changed."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == principal.id, Notification.read_at.is_(None))
        .values(read_at=now or utcnow())
    )
    if ids is not None:
        stmt = stmt.where(Notification.id.in_(builtins.list(ids)))
    changed = session.execute(stmt).rowcount  # type: ignore[attr-defined]
    if changed:
        emit(session, Event(NOTIFIED_EVENT, {"users": [principal.id]}))
    return int(changed or 0)
