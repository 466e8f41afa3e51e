"""Use cases of statements. Never commits: the caller owns the transaction.

A statement is a draft while it is being taken (the officer may correct it), then it is
submitted with the person's sign-off and never changes again: its SHA-256 goes on the
incident's hash-chained timeline (`statement_submitted`). What the person adds or
corrects later is an amendment, a new statement linked to it (`statement_amended`).
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import Conflict, NotFound, PermissionDenied, PreconditionFailed
from murphy.incidents import service as incidents_service
from murphy.statements import rules
from murphy.statements.models import Statement
from murphy.statements.schemas import (
    AmendmentIn,
    Giver,
    Method,
    SignOff,
    StatementEdit,
    StatementIn,
    StatementOut,
    Status,
    SubmitIn,
)
from murphy.users.schemas import Permission, Principal

REMOVED = "[removed under the retention policy]"
ENTRY_KINDS = ("statement_submitted", "statement_amended")
PERSONAL = ("name",)  # on the timeline: removable by retention (core.audit seals)


def take(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: StatementIn,
    submit: SubmitIn | None = None,
    now: datetime | None = None,
) -> StatementOut:
    """Start a statement (a draft), or take and submit it at once with its sign-off."""
    incident = _incident(session, principal, number, Permission.NOTE, "take statements")
    row = Statement(
        incident_id=incident.id,
        giver=data.giver.value,
        name=data.name,
        contact=data.contact,
        method=data.method.value,
        place=data.place,
        body=data.body,
        status=Status.DRAFT.value,
        taken_by=principal.username,
        taken_at=now or utcnow(),
        signed_name="",
        version=1,
    )
    session.add(row)
    session.flush()
    if submit is not None:
        _submit(session, principal, incident, row, submit, now or utcnow())
    return _out(session, row, incident.number)


def edit(
    session: Session,
    *,
    principal: Principal,
    number: str,
    statement_id: int,
    data: StatementEdit,
    version: int | None = None,
) -> StatementOut:
    """Correct a draft (its taker only); a submitted statement answers 409."""
    incident, row = _find(session, principal, number, statement_id, lock=True)
    rules.check_editable(Status(row.status), row.id)
    _may_change(principal, row)
    if version is not None and version != row.version:
        raise PreconditionFailed(f"statement {row.id} changed meanwhile: reload it")
    for field in ("contact", "place", "body"):
        value = getattr(data, field)
        if value is not None:
            setattr(row, field, value)
    row.version += 1
    return _out(session, row, incident.number)


def submit(
    session: Session,
    *,
    principal: Principal,
    number: str,
    statement_id: int,
    data: SubmitIn,
    now: datetime | None = None,
) -> StatementOut:
    """Submit a draft with its sign-off: from now on it never changes."""
    incident, row = _find(session, principal, number, statement_id, lock=True)
    rules.check_editable(Status(row.status), row.id)
    _may_change(principal, row)
    _submit(session, principal, incident, row, data, now or utcnow())
    return _out(session, row, incident.number)


def amend(
    session: Session,
    *,
    principal: Principal,
    number: str,
    statement_id: int,
    data: AmendmentIn,
    now: datetime | None = None,
) -> StatementOut:
    """Add to or correct a submitted statement: a new statement, submitted at once, that
    amends it (the original stays as it was)."""
    incident, original = _find(session, principal, number, statement_id, lock=True)
    incidents_service.require(principal, Permission.NOTE, "amend statements")
    if original.status != Status.SUBMITTED.value:
        raise NotFound(f"statement {original.id} is a draft: correct it instead")
    if original.anonymized_at is not None:
        raise Conflict(f"statement {original.id} was anonymized under the retention policy")
    root = original.amends_id or original.id  # amendments hang off the first statement
    at = now or utcnow()
    row = Statement(
        incident_id=incident.id,
        amends_id=root,
        giver=original.giver,
        name=original.name,
        contact=original.contact,
        method=Method.TYPED.value,
        place="",
        body=data.body,
        status=Status.DRAFT.value,
        taken_by=principal.username,
        taken_at=at,
        signed_name="",
        version=1,
    )
    session.add(row)
    session.flush()
    sign = SubmitIn(sign_off=data.sign_off, signed_name=data.signed_name)
    _submit(session, principal, incident, row, sign, at, kind="statement_amended")
    return _out(session, row, incident.number)


def list(session: Session, *, principal: Principal, number: str) -> builtins.list[StatementOut]:
    """The statements of an incident, oldest first (amendments after what they amend)."""
    incident = _incident(session, principal, number, Permission.READ, "read statements")
    rows = session.scalars(
        select(Statement).where(Statement.incident_id == incident.id).order_by(Statement.id)
    ).all()
    return [_out(session, r, incident.number, rows) for r in rows]


def get(session: Session, *, principal: Principal, number: str, statement_id: int) -> StatementOut:
    """One statement with its amendments."""
    incident, row = _find(session, principal, number, statement_id, lock=False)
    return _out(session, row, incident.number)


def _submit(
    session: Session,
    principal: Principal,
    incident: Any,
    row: Statement,
    data: SubmitIn,
    at: datetime,
    *,
    kind: str = "statement_submitted",
) -> None:
    rules.check_body(row.body)
    signed_name = rules.check_sign_off(data.sign_off, data.signed_name)
    row.status, row.submitted_at = Status.SUBMITTED.value, at
    row.sign_off, row.signed_name = data.sign_off.value, signed_name
    row.sha256 = rules.digest(
        giver=row.giver,
        name=row.name,
        body=row.body,
        taken_by=row.taken_by,
        taken_at=row.taken_at,
        sign_off=row.sign_off,
        signed_name=row.signed_name,
        amends=row.amends_id,
    )
    row.version += 1
    incidents_service.append_entry(
        session,
        incident_id=incident.id,
        kind=kind,
        data={
            "statement": row.id,
            "amends": row.amends_id,
            "giver": row.giver,
            "name": row.name,
            "sign_off": row.sign_off,
            "words": len(row.body.split()),
            "sha256": row.sha256,
        },
        at=at,
        actor=principal,
        personal=PERSONAL,
    )


def _may_change(principal: Principal, row: Statement) -> None:
    if row.anonymized_at is not None:
        raise Conflict("this statement's personal data was removed under the retention policy")
    if not rules.may_change(row.taken_by, principal.username):
        raise PermissionDenied(f"only {row.taken_by}, who is taking it, may change this draft")


def _incident(
    session: Session, principal: Principal, number: str, permission: Permission, what: str
) -> Any:
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    incidents_service.require(principal, permission, what)
    return incident


def _find(
    session: Session, principal: Principal, number: str, statement_id: int, *, lock: bool
) -> tuple[Any, Statement]:
    incident = _incident(session, principal, number, Permission.READ, "read statements")
    stmt = select(Statement).where(
        Statement.id == statement_id, Statement.incident_id == incident.id
    )
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound(f"no statement {statement_id} on {incident.number}")
    return incident, row


def _out(session: Session, row: Statement, number: str, rows: Any = None) -> StatementOut:
    if rows is None:
        rows = session.scalars(select(Statement).where(Statement.amends_id == row.id)).all()
    amendments = [r.id for r in rows if r.amends_id == row.id]
    return StatementOut(
        id=row.id,
        number=number,
        giver=Giver(row.giver),
        name=row.name,
        contact=row.contact,
        method=Method(row.method),
        place=row.place,
        body=row.body,
        status=Status(row.status),
        taken_by=row.taken_by,
        taken_at=row.taken_at,
        submitted_at=row.submitted_at,
        sign_off=SignOff(row.sign_off) if row.sign_off else None,
        signed_name=row.signed_name,
        sha256=row.sha256,
        amends=row.amends_id,
        amendments=sorted(amendments),
        version=row.version,
        anonymized_at=row.anonymized_at,
    )


def anonymize_ended(session: Session, *, before: datetime, at: datetime) -> dict[int, int]:
    """Clear who gave, and what was said in, every statement of an incident that ended
    before `before` (the giver's role, method, times and SHA-256 stay):
    {incident id: statements anonymized}."""
    ended = incidents_service.ended_ids(before)
    rows = session.scalars(
        select(Statement)
        .where(Statement.anonymized_at.is_(None), Statement.incident_id.in_(ended))
        .with_for_update()
    ).all()
    counts: dict[int, int] = {}
    for row in rows:
        row.name = row.contact = row.signed_name = ""
        row.body, row.anonymized_at = REMOVED, at
        counts[row.incident_id] = counts.get(row.incident_id, 0) + 1
    incidents_service.remove_personal(
        session,
        kinds=ENTRY_KINDS,
        key="statement",
        replacements=dict.fromkeys((r.id for r in rows), ""),
        fields=PERSONAL,
        incident_ids=counts,
    )
    return counts


def given_by(session: Session, *, name: str) -> builtins.list[dict[str, Any]]:
    """Statements whose giver's name is `name` (case and outer spaces aside), for a
    person's data export."""
    wanted = name.strip().lower()
    rows = session.scalars(
        select(Statement)
        .where(func.lower(func.trim(Statement.name)) == wanted)
        .order_by(Statement.id)
    ).all()
    return [
        {
            "incident": incidents_service.get(session, incident_id=r.incident_id).number,
            **_out(session, r, "").model_dump(mode="json", exclude={"number", "amendments"}),
        }
        for r in rows
    ]
