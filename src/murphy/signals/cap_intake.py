"""CAP 1.2 alerts from a source: an Alert is a signal like any other, mapped by the
source's mapping from the alert's data (`core.cap.Alert.as_payload`, e.g.
``{info[0].headline}``) and decided by the same rules; an Update or a Cancel changes the
incident of the alert it refers to.

- The alert's identity is its sender and identifier (the fingerprint): the same alert
  sent twice is a repeat, counted.
- status Exercise opens an incident marked as an exercise; Test, System and Draft
  alerts, and Ack and Error messages, are answered and not acted on (nothing stored).
- An Update whose references name an alert this source sent is recorded on that
  incident's timeline, and its severity (through the mapping's severities) sets the
  incident's priority; an Update of an unknown alert is taken as a new alert.
- A Cancel withdraws the incident of the alert it names: cancelled when nobody responds
  to it yet, else recorded and left to the control room. A Cancel of an unknown alert
  is answered and not acted on.
"""

from __future__ import annotations

import hashlib
from dataclasses import replace
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core import cap
from murphy.core.clock import utcnow
from murphy.incidents import intake
from murphy.signals import mapping, rules, service
from murphy.signals.models import Signal
from murphy.signals.schemas import CapAnswer
from murphy.users import service as users_service

NOT_ACTED_ON = ("Test", "System", "Draft")


def fingerprint(sender: str, identifier: str) -> str:
    """The fingerprint of a CAP alert: its sender and identifier."""
    return hashlib.sha256(f"cap\x1f{sender}\x1f{identifier}".encode()).hexdigest()


def receive(
    session: Session, *, source: service.Config, raw: bytes, now: datetime | None = None
) -> CapAnswer:
    """Parse, check and act on one CAP alert (see the module docstring)."""
    now = now or utcnow()
    alert = cap.parse(raw)
    base = {"identifier": alert.identifier, "msg_type": alert.msg_type, "status": alert.status}
    if alert.status in NOT_ACTED_ON or alert.msg_type in ("Ack", "Error"):
        what = f"status {alert.status}" if alert.status in NOT_ACTED_ON else alert.msg_type
        return CapAnswer(**base, decision="ignored", rule=f"CAP {what}: not acted on")
    payload = alert.as_payload()
    found = _mapped(source, alert, payload)
    referred = _referred(session, source, alert) if alert.msg_type != "Alert" else None
    if alert.msg_type == "Cancel":
        if referred is None:
            return CapAnswer(
                **base,
                decision="ignored",
                rule="CAP Cancel of an alert this source never sent: nothing to cancel",
            )
        outcome = _cancel(session, source, alert, referred, now)
    elif alert.msg_type == "Update" and referred is not None:
        outcome = _update(session, source, alert, found, referred, now)
    else:
        outcome = None  # an Alert, or an Update of nothing known: the rules decide
    answer = service.accept(
        session, source=source, found=found, payload=payload, now=now, decided=outcome
    )
    if alert.msg_type == "Update" and referred is None:
        unknown = "CAP Update of an alert this source never sent, taken as new; "
        answer = answer.model_copy(update={"rule": unknown + answer.rule})
    return CapAnswer(**base, **answer.model_dump())


def _mapped(source: service.Config, alert: cap.Alert, payload: Any) -> mapping.Mapped:
    """The source's mapping applied to the alert, with the alert's identity as the
    fingerprint, its event when the mapping found no title, and the exercise flag."""
    info = alert.info[0] if alert.info else None
    fallback = (info.headline or info.event) if info is not None else None
    found = mapping.apply(source.mapping, payload, source=source.code, fallback=fallback)
    return replace(
        found,
        fingerprint=fingerprint(alert.sender, alert.identifier),
        is_clear=False,
        exercise=alert.status == "Exercise",
    )


def _referred(session: Session, source: service.Config, alert: cap.Alert) -> int | None:
    """The incident of the newest alert among those `alert` refers to, if any."""
    prints = [fingerprint(r.sender, r.identifier) for r in alert.references]
    if not prints:
        return None
    return session.scalar(
        select(Signal.incident_id)
        .where(
            Signal.source_id == source.id,
            Signal.fingerprint.in_(prints),
            Signal.incident_id.is_not(None),
        )
        .order_by(Signal.id.desc())
        .limit(1)
    )


def _names(alert: cap.Alert) -> str:
    return ", ".join(r.identifier for r in alert.references)


def _update(
    session: Session,
    source: service.Config,
    alert: cap.Alert,
    found: mapping.Mapped,
    incident_id: int,
    now: datetime,
) -> rules.Outcome:
    rule = f"CAP Update of {_names(alert)} from its sender"
    if found.priority is not None:
        why_not = intake.reprioritize(
            session,
            principal=users_service.signals_principal(session),
            incident_id=incident_id,
            priority=found.priority,
            why=f"CAP Update {alert.identifier}: severity {found.severity}",
            now=now,
        )
        rule += f"; priority not changed: {why_not}" if why_not else ""
    return rules.Outcome(rules.Decision.UPDATED, rule, incident_id)


def _cancel(
    session: Session, source: service.Config, alert: cap.Alert, incident_id: int, now: datetime
) -> rules.Outcome:
    note = alert.note or (alert.info[0].headline if alert.info else None) or ""
    reason = f"Withdrawn by its sender (CAP Cancel {alert.identifier}, source {source.code})"
    why_not = intake.withdraw(
        session,
        principal=users_service.signals_principal(session),
        incident_id=incident_id,
        reason=reason + (f": {note}" if note else ""),
        now=now,
    )
    rule = f"CAP Cancel of {_names(alert)} from its sender: "
    rule += f"the incident stays ({why_not})" if why_not else "the incident was cancelled"
    return rules.Outcome(rules.Decision.CANCELLED, rule, incident_id)
