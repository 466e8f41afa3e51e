"""Use cases of escalation policies: who is paged, in which order, and how long each
level has to acknowledge. Never commits: the caller owns the transaction.

A level's targets are stored by kind and name (a schedule also by id, so renaming it
keeps the policy working). Paging copies a policy's levels when it starts
(`notify.paging`), so a change here never alters a paging already running.
"""

from __future__ import annotations

import builtins
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core.clock import utcnow
from murphy.core.errors import (
    Conflict,
    NotFound,
    PermissionDenied,
    PreconditionFailed,
    ValidationFailed,
)
from murphy.notify.models import EscalationPolicy, EscalationRule
from murphy.notify.schemas import LevelIn, LevelOut, PolicyIn, PolicyOut, TargetIn, TargetOut
from murphy.oncall import service as oncall_service
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal, Role


def list_policies(session: Session, *, principal: Principal) -> builtins.list[PolicyOut]:
    """Every escalation policy, by name."""
    _require_reader(principal)
    return [
        out(p) for p in session.scalars(select(EscalationPolicy).order_by(EscalationPolicy.name))
    ]


def get(session: Session, *, principal: Principal, ref: str) -> PolicyOut:
    """One policy, by id or name."""
    _require_reader(principal)
    return out(get_or_raise(session, ref))


def create(
    session: Session, *, principal: Principal, data: PolicyIn, now: datetime | None = None
) -> PolicyOut:
    """Add a policy; every user, schedule and role it names must exist."""
    _require_manager(principal)
    _check_name(session, data.name, None)
    now = now or utcnow()
    policy = EscalationPolicy(
        name=data.name,
        description=data.description,
        levels=_levels(session, principal, data.levels),
        repeat=data.repeat,
        version=1,
        created_at=now,
        updated_at=now,
    )
    session.add(policy)
    session.flush()
    return out(policy)


def replace(
    session: Session,
    *,
    principal: Principal,
    ref: str,
    data: PolicyIn,
    version: int | None,
    now: datetime | None = None,
) -> PolicyOut:
    """Replace a policy (If-Match `version`: someone else's change is never overwritten).
    Pagings already running keep the levels they copied."""
    _require_manager(principal)
    policy = get_or_raise(session, ref, for_update=True)
    if version is not None and version != policy.version:
        raise PreconditionFailed(
            f"policy {policy.name!r} changed since you read it (version {policy.version}, "
            f"you sent {version}): read it again and redo your change"
        )
    _check_name(session, data.name, policy.id)
    if data.name != policy.name and (rule := _naming_rule(session, policy.name)) is not None:
        raise Conflict(
            f"the escalation rule {rule!r} names this policy: change the rule before renaming it"
        )
    policy.name, policy.description, policy.repeat = data.name, data.description, data.repeat
    policy.levels = _levels(session, principal, data.levels)
    policy.version += 1
    policy.updated_at = now or utcnow()
    session.flush()
    return out(policy)


def remove(session: Session, *, principal: Principal, ref: str) -> None:
    """Remove a policy no rule names; pagings it started keep their copy."""
    _require_manager(principal)
    policy = get_or_raise(session, ref)
    rule = _naming_rule(session, policy.name)
    if rule is not None:
        raise Conflict(f"the escalation rule {rule!r} names this policy: change that rule first")
    session.delete(policy)
    session.flush()


def by_name(session: Session, name: str) -> EscalationPolicy | None:
    """The policy with this name, for the system (starting a paging): no permission."""
    return session.scalar(select(EscalationPolicy).where(EscalationPolicy.name == name))


def get_or_raise(session: Session, ref: str, *, for_update: bool = False) -> EscalationPolicy:
    """The policy with this id or name, or NotFound."""
    stmt = select(EscalationPolicy)
    if ref.isdigit():
        stmt = stmt.where(EscalationPolicy.id == int(ref))
    else:
        stmt = stmt.where(EscalationPolicy.name == ref)
    found = session.scalar(stmt.with_for_update() if for_update else stmt)
    if found is None:
        raise NotFound(f"no escalation policy {ref!r}: see GET /api/v1/escalation-policies")
    return found


def levels_out(levels: builtins.list[dict[str, Any]]) -> builtins.list[LevelOut]:
    """Stored levels (a policy's, or a paging's copy) as the API shows them."""
    return [
        LevelOut(
            targets=[TargetOut(**t) for t in level["targets"]],
            timeout_minutes=level["timeout_minutes"],
        )
        for level in levels
    ]


def out(policy: EscalationPolicy) -> PolicyOut:
    """A stored policy as the API shows it."""
    return PolicyOut(
        id=policy.id,
        name=policy.name,
        description=policy.description,
        levels=levels_out(policy.levels),
        repeat=policy.repeat,
        version=policy.version,
        created_at=policy.created_at,
        updated_at=policy.updated_at,
    )


# --- internals -----------------------------------------------------------------------


def _require_reader(principal: Principal) -> None:
    if not (principal.can(Permission.READ) or principal.can(Permission.MANAGE_ONCALL)):
        raise PermissionDenied(
            f"your role ({principal.role.value}) may not see escalation policies"
        )


def _require_manager(principal: Principal) -> None:
    if not principal.can(Permission.MANAGE_ONCALL):
        raise PermissionDenied(
            f"your role ({principal.role.value}) may not manage escalation policies: "
            "supervisors and admins may"
        )


def _levels(
    session: Session, principal: Principal, levels: builtins.list[LevelIn]
) -> builtins.list[dict[str, Any]]:
    """Check every target and store each level as plain values."""
    stored = []
    for number, level in enumerate(levels, start=1):
        targets: builtins.list[dict[str, Any]] = []
        for target in level.targets:
            value = _target(session, principal, target, number)
            if value not in targets:
                targets.append(value)
        stored.append({"targets": targets, "timeout_minutes": level.timeout_minutes})
    return stored


def _target(session: Session, principal: Principal, target: TargetIn, level: int) -> dict[str, Any]:
    if target.user:
        user = users_service.get(session, username=target.user)
        if user is None or not user.is_active:
            raise ValidationFailed(
                f"level {level}: no active user {target.user!r}: see GET /api/v1/users"
            )
        return {"kind": "user", "name": user.username}
    if target.schedule:
        try:
            found = oncall_service.get(session, principal=principal, ref=target.schedule)
        except NotFound:
            raise ValidationFailed(
                f"level {level}: no on-call schedule {target.schedule!r}: see GET /api/v1/schedules"
            ) from None
        return {"kind": "schedule", "name": found.name, "id": found.id}
    role = (target.role or "").lower()
    if role not in {r.value for r in Role}:
        names = ", ".join(r.value for r in Role)
        raise ValidationFailed(
            f"level {level}: unknown role {target.role!r}: choose one of {names}"
        )
    return {"kind": "role", "name": role}


def _check_name(session: Session, name: str, policy_id: int | None) -> None:
    stmt = select(EscalationPolicy.id).where(EscalationPolicy.name == name)
    if policy_id is not None:
        stmt = stmt.where(EscalationPolicy.id != policy_id)
    if session.scalar(stmt) is not None:
        raise Conflict(f"an escalation policy named {name!r} already exists")


def _naming_rule(session: Session, name: str) -> str | None:
    """The name of a rule that pages by this policy, if any (rules are few)."""
    for rule in session.scalars(select(EscalationRule).order_by(EscalationRule.id)):
        if {"policy": name} in rule.recipients:
            return rule.name
    return None
