"""Use cases of retention. Never commits: the caller owns the transaction.

Each record type has a period and an action (rules.DEFAULTS, changed by the privacy
officer). A run finds, type by type, the records whose period is over and has the domain
that owns them anonymize or delete them; the incidents' statistics stay (incidents, their
facts, and the links of people and vehicles with their roles are never removed). What a
run changed on an incident goes on its hash-chained timeline (`retention_applied`); the
run itself is logged. Evidence files are marked deleted here and their bytes removed by
`evidence.service.remove_deleted` once the run has committed.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.bans import service as bans_service
from murphy.bolos import service as bolos_service
from murphy.core import timers
from murphy.core.clock import isoformat, utcnow
from murphy.core.errors import PermissionDenied
from murphy.evidence import service as evidence_service
from murphy.incidents import service as incidents_service
from murphy.retention import rules
from murphy.retention.models import RetentionRule, RetentionRun
from murphy.retention.schemas import (
    Action,
    PersonExport,
    RecordType,
    RuleIn,
    RuleOut,
    RunOut,
)
from murphy.statements import service as statements_service
from murphy.subjects import service as subjects_service
from murphy.subjects.schemas import SubjectKind
from murphy.users import service as users_service
from murphy.users.schemas import Permission, Principal

APPLIED = "retention_applied"
RUN, FILES, DAILY = "retention.run", "retention.files", "daily"
SCHEDULE = "schedule"
R = RecordType
# Record types tied to an incident: what they change is told on its timeline.
PerIncident = Callable[[Session, datetime, datetime], dict[int, int]]
ON_INCIDENTS: dict[RecordType, PerIncident] = {
    R.STATEMENTS: lambda s, before, at: statements_service.anonymize_ended(s, before=before, at=at),
    R.EVIDENCE_FILES: lambda s, before, at: evidence_service.delete_ended(s, before=before),
    R.REPORTER_CONTACTS: lambda s, before, at: incidents_service.forget_contacts(s, before=before),
    R.REPORT_PHOTOS: lambda s, before, at: incidents_service.forget_report_photos(s, before=before),
}


def require(principal: Principal) -> None:
    """Refuse with 403 unless the caller manages privacy."""
    if not principal.can(Permission.PRIVACY):
        raise PermissionDenied(
            f"your role ({principal.role.value}) may not manage retention or export personal data"
        )


def rules_in_force(session: Session, *, principal: Principal | None = None) -> list[RuleOut]:
    """Every record type's rule: the default unless changed."""
    if principal is not None:
        require(principal)
    changed = {r.record_type: r for r in session.scalars(select(RetentionRule))}
    return [_rule_out(t, changed.get(t.value)) for t in RecordType]


def set_rule(
    session: Session, *, principal: Principal, record_type: RecordType, data: RuleIn
) -> RuleOut:
    """Change a record type's period, action or whether it runs at all."""
    require(principal)
    current = _rule_out(record_type, session.get(RetentionRule, record_type.value))
    action = data.action or current.action
    rules.check_action(record_type, action)
    row = session.get(RetentionRule, record_type.value, with_for_update=True)
    if row is None:
        row = RetentionRule(record_type=record_type.value)
        session.add(row)
    row.days = data.days if data.days is not None else current.days
    row.action = action.value
    row.enabled = data.enabled if data.enabled is not None else current.enabled
    row.updated_at, row.updated_by = utcnow(), principal.username
    session.flush()
    return _rule_out(record_type, row)


def run(
    session: Session,
    *,
    principal: Principal | None,
    now: datetime | None = None,
    dry_run: bool = False,
) -> RunOut:
    """Apply every enabled rule (PRIVACY, or the schedule when `principal` is None). A dry
    run does the same work in a savepoint and rolls it back: its counts are exact."""
    if principal is not None:
        require(principal)
    now = now or utcnow()
    if dry_run:
        savepoint = session.begin_nested()
        try:
            counts = _apply(session, principal, now)
        finally:
            savepoint.rollback()
    else:
        counts = _apply(session, principal, now)
    by = principal.username if principal else SCHEDULE
    out = RunOut(
        started_at=now,
        finished_at=utcnow(),
        started_by=by,
        dry_run=dry_run,
        counts=counts,
        total=sum(counts.values()),
    )
    if not dry_run:
        row = RetentionRun(
            started_at=now, finished_at=out.finished_at, started_by=by, counts=counts
        )
        session.add(row)
        session.flush()
        out.id = row.id
    return out


def runs(session: Session, *, principal: Principal, limit: int = 20) -> builtins.list[RunOut]:
    """The latest runs, newest first."""
    require(principal)
    rows = session.scalars(select(RetentionRun).order_by(RetentionRun.id.desc()).limit(limit))
    return [
        RunOut(
            id=r.id,
            started_at=r.started_at,
            finished_at=r.finished_at,
            started_by=r.started_by,
            counts=dict(r.counts),
            total=sum(r.counts.values()),
        )
        for r in rows
    ]


def export_person(session: Session, *, principal: Principal, subject_id: int) -> PersonExport:
    """Everything held about one person or vehicle, for a subject access request: the
    record and its incidents, statements given under their name, bans, BOLOs, and who
    viewed the record. The export itself is logged as a view."""
    require(principal)
    held = subjects_service.export(session, principal=principal, subject_id=subject_id)
    name = held["record"].get("name")
    views = subjects_service.views_of(session, subject_id=subject_id)
    users = users_service.refs(session, {user_id for user_id, _, _ in views})
    return PersonExport(
        exported_at=utcnow(),
        exported_by=principal.username,
        person=held["record"],
        incidents=held["incidents"],
        statements=statements_service.given_by(session, name=name) if name else [],
        bans=bans_service.for_subject(session, subject_id=subject_id),
        bolos=bolos_service.for_subject(session, subject_id=subject_id),
        views=[
            {"by": users[u].username if u in users else None, "at": isoformat(at), "how": how}
            for u, at, how in views
        ],
    )


def arm(session: Session, *, now: datetime | None = None) -> None:
    """Arm the daily run unless it is armed already (at start: the run re-arms itself, and
    this brings it back after a run that failed for good)."""
    if not timers.pending(session, kind=RUN, subject=DAILY):
        timers.schedule(session, kind=RUN, subject=DAILY, due_at=rules.next_run(now or utcnow()))


# --- internals -----------------------------------------------------------------------


def _apply(session: Session, principal: Principal | None, now: datetime) -> dict[str, int]:
    in_force = {r.record_type: r for r in rules_in_force(session) if r.enabled}
    counts: dict[str, int] = {}
    per_incident: dict[int, dict[str, int]] = {}
    for record_type, fn in ON_INCIDENTS.items():
        if record_type in in_force:
            found = fn(session, rules.cutoff(now, in_force[record_type].days), now)
            counts[record_type.value] = sum(found.values())
            for incident_id, n in found.items():
                per_incident.setdefault(incident_id, {})[record_type.value] = n
    counts.update(_records(session, in_force, now))
    for incident_id, said in sorted(per_incident.items()):
        incidents_service.append_entry(
            session, incident_id=incident_id, kind=APPLIED, data=said, at=now, actor=principal
        )
    return counts


def _records(
    session: Session, in_force: dict[RecordType, RuleOut], now: datetime
) -> dict[str, int]:
    """The record types that stand alone: people, vehicles, the views log, bans, BOLOs."""
    counts: dict[str, int] = {}
    cut = {t: rules.cutoff(now, r.days) for t, r in in_force.items()}
    if R.BANS in cut:
        counts[R.BANS.value] = bans_service.apply_retention(session, before=cut[R.BANS])
    if R.BOLOS in cut:
        counts[R.BOLOS.value] = bolos_service.apply_retention(session, before=cut[R.BOLOS])
    for record_type, kind in ((R.PEOPLE, SubjectKind.PERSON), (R.VEHICLES, SubjectKind.VEHICLE)):
        if record_type in cut:
            since = cut[record_type]
            keep = bans_service.subjects_held_since(session, since=since)
            keep |= bolos_service.subjects_held_since(session, since=since)
            counts[record_type.value] = subjects_service.anonymize_ended(
                session, kind=kind, before=since, keep=keep, at=now
            )
    if R.PERSON_VIEWS in cut:
        counts[R.PERSON_VIEWS.value] = subjects_service.forget_views(
            session, before=cut[R.PERSON_VIEWS]
        )
    return counts


def _rule_out(record_type: RecordType, row: RetentionRule | None) -> RuleOut:
    default = rules.DEFAULTS[record_type]
    return RuleOut(
        record_type=record_type,
        label=default.label,
        counted_from=default.counted_from,
        days=row.days if row else default.days,
        action=Action(row.action) if row else default.action,
        enabled=row.enabled if row else True,
        actions=list(default.actions),
        changed=row is not None,
        updated_at=row.updated_at if row else None,
        updated_by=row.updated_by if row else None,
    )
