"""Use cases of evidence. Never commits: the caller owns the transaction.

A file's bytes are streamed into the blob store by the caller (the API or page) before
`add_file` records it; every step that touches evidence (added, viewed, downloaded,
handed over, stored, transferred, returned, disposed) is an entry on the incident's
hash-chained timeline, which is its chain of custody.
"""

from __future__ import annotations

import builtins
from collections.abc import Callable
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from murphy.core.blobs import BlobStore, Stored, digest
from murphy.core.clock import utcnow
from murphy.core.errors import Gone, NotFound, ValidationFailed
from murphy.evidence import rules
from murphy.evidence.models import Evidence
from murphy.evidence.schemas import (
    Action,
    CustodyIn,
    CustodyStep,
    EvidenceDetail,
    EvidenceOut,
    ItemIn,
    Kind,
    Problem,
    State,
)
from murphy.incidents import service as incidents_service
from murphy.users.schemas import Permission, Principal

KINDS = ("evidence_added", "evidence_custody", "evidence_viewed", "evidence_downloaded")


def check_upload(
    session: Session, *, principal: Principal, number: str, filename: str | None, declared: str
) -> tuple[str, str]:
    """Before a file's bytes are read: the caller may add evidence to the incident, and its
    name and type are taken. The checked (name, type)."""
    _, name, kind = _upload_target(session, principal, number, filename, declared)
    return name, kind


def _upload_target(
    session: Session, principal: Principal, number: str, filename: str | None, declared: str
) -> tuple[Any, str, str]:
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    incidents_service.require(principal, Permission.NOTE, "add evidence")
    if incident.status == "merged":
        raise ValidationFailed(f"{incident.number} was merged: add the evidence to the survivor")
    return incident, rules.file_name(filename), rules.media_type(declared)


def add_file(
    session: Session,
    *,
    principal: Principal,
    number: str,
    filename: str,
    media_type: str,
    stored: Stored,
    description: str = "",
    now: datetime | None = None,
) -> EvidenceOut:
    """Record a file already in the blob store; its digest goes on the timeline."""
    incident, name, kind = _upload_target(session, principal, number, filename, media_type)
    now = now or utcnow()
    data = {
        "filename": name,
        "media_type": kind,
        "size": stored.size,
        "sha256": stored.sha256,
        "description": description.strip()[:2000],
    }
    return _add(session, principal, incident, Kind.FILE, data, now, blob_key=stored.key)


def add_item(
    session: Session,
    *,
    principal: Principal,
    number: str,
    data: ItemIn,
    now: datetime | None = None,
) -> EvidenceOut:
    """Record a physical item taken into custody by the caller."""
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    incidents_service.require(principal, Permission.NOTE, "log evidence")
    facts = {
        "description": data.description,
        "location": data.location,
        "seal": data.seal,
        "holder": principal.username,
    }
    return _add(session, principal, incident, Kind.ITEM, facts, now or utcnow(), blob_key=None)


def _add(
    session: Session,
    principal: Principal,
    incident: Any,
    kind: Kind,
    data: dict[str, Any],
    at: datetime,
    *,
    blob_key: str | None,
) -> EvidenceOut:
    row = Evidence(
        incident_id=incident.id,
        kind=kind.value,
        state=State.HELD.value,
        added_by=principal.username,
        added_at=at,
        entry_seq=0,
        blob_key=blob_key,
        **data,
    )
    session.add(row)
    session.flush()
    entry = incidents_service.append_entry(
        session,
        incident_id=incident.id,
        kind="evidence_added",
        data={"evidence": row.id, "kind": kind.value, **data},
        at=at,
        actor=principal,
    )
    row.entry_seq = entry.seq
    session.flush()
    return _out(row, incident.number)


def record_custody(
    session: Session,
    *,
    principal: Principal,
    number: str,
    evidence_id: int,
    data: CustodyIn,
    now: datetime | None = None,
) -> EvidenceOut:
    """A step in the chain of custody: handed over, stored, transferred, returned, disposed."""
    incident, row = _find(session, principal, number, evidence_id, lock=True)
    incidents_service.require(principal, Permission.NOTE, "record custody")
    missing = [rules.SAY[f] for f in rules.needs(data.action) if not getattr(data, f)]
    if missing:
        done = data.action.value.replace("_", " ")
        raise ValidationFailed(f"to record it as {done}, say {' and '.join(missing)}")
    row.state = rules.next_state(Kind(row.kind), State(row.state), data.action).value
    before = {"holder": row.holder, "location": row.location, "seal": row.seal}
    if data.action in (Action.HANDED_OVER, Action.TRANSFERRED, Action.RETURNED):
        row.holder = data.to
    row.location = data.location or row.location
    row.seal = data.seal or row.seal
    step = {
        "evidence": row.id,
        "action": data.action.value,
        "from": before["holder"],
        "to": data.to,
        "location": row.location,
        "seal": row.seal,
        "note": data.note,
    }
    if data.seal and data.seal != before["seal"]:
        step["previous_seal"] = before["seal"]
    incidents_service.append_entry(
        session,
        incident_id=incident.id,
        kind="evidence_custody",
        data=step,
        at=now or utcnow(),
        actor=principal,
    )
    return _out(row, incident.number)


def open_file(
    session: Session,
    *,
    principal: Principal,
    number: str,
    evidence_id: int,
    download: bool,
    now: datetime | None = None,
) -> tuple[EvidenceOut, str]:
    """Log a view or a download of a file on the timeline; the file's facts and its blob
    key (the caller streams the blob)."""
    incident, row = _find(session, principal, number, evidence_id, lock=False)
    if row.kind != Kind.FILE or row.blob_key is None:
        raise NotFound(f"evidence {evidence_id} of {incident.number} is an item, not a file")
    if row.state == State.DELETED.value:
        raise Gone(f"{row.filename} was deleted under the retention policy; its SHA-256 is kept")
    incidents_service.append_entry(
        session,
        incident_id=incident.id,
        kind="evidence_downloaded" if download else "evidence_viewed",
        data={"evidence": row.id, "filename": row.filename, "sha256": row.sha256},
        at=now or utcnow(),
        actor=principal,
    )
    return _out(row, incident.number), row.blob_key


def list(session: Session, *, principal: Principal, number: str) -> builtins.list[EvidenceOut]:
    """The evidence of an incident the caller may read, oldest first."""
    incident = incidents_service.get_or_raise(session, principal=principal, number=number)
    incidents_service.require(principal, Permission.READ, "see evidence")
    rows = session.scalars(
        select(Evidence).where(Evidence.incident_id == incident.id).order_by(Evidence.id)
    )
    return [_out(r, incident.number) for r in rows]


def detail(
    session: Session, *, principal: Principal, number: str, evidence_id: int
) -> EvidenceDetail:
    """One evidence with its chain of custody (its entries on the timeline)."""
    incident, row = _find(session, principal, number, evidence_id, lock=False)
    steps = [
        CustodyStep(seq=e.seq, at=e.at, actor=e.actor, kind=e.kind, data=dict(e.data))
        for e in incidents_service.entries(session, incident_id=incident.id)
        if e.kind in KINDS and e.data.get("evidence") == row.id
    ]
    return EvidenceDetail(**_out(row, incident.number).model_dump(), custody=steps)


def verify(
    session: Session, *, store: BlobStore, advance: Callable[[int], None] | None = None
) -> tuple[int, builtins.list[Problem]]:
    """Re-hash every stored file against the digest on the timeline entry that added it:
    how many files were checked, and those missing or changed."""
    rows = session.scalars(_stored_files()).all()
    recorded = _recorded_digests(session, rows)
    problems: builtins.list[Problem] = []
    for row in rows:
        found = _check(store, row, recorded.get(row.id))
        if found:
            number = incidents_service.get(session, incident_id=row.incident_id).number
            problems.append(
                Problem(id=row.id, number=number, filename=row.filename or "", problem=found)
            )
        if advance:
            advance(row.size or 0)
    return len(rows), problems


def total_bytes(session: Session) -> int:
    """The bytes of every stored file (for a progress bar)."""
    rows = session.scalars(_stored_files().with_only_columns(Evidence.size))
    return sum(r or 0 for r in rows)


def _check(store: BlobStore, row: Evidence, recorded: tuple[int, str] | None) -> str | None:
    if recorded is None or recorded != (row.size, row.sha256):
        return "its record differs from the timeline entry that added it"
    if row.blob_key is None or not store.exists(row.blob_key):
        return "missing from the store"
    size, sha = digest(store.read(row.blob_key))
    if size != row.size:
        return f"size changed ({row.size} bytes recorded, {size} stored)"
    return "content changed (SHA-256 differs)" if sha != row.sha256 else None


def _recorded_digests(session: Session, rows: Any) -> dict[int, tuple[int, str]]:
    """Evidence id -> (size, SHA-256) as the hash-chained `evidence_added` entries say."""
    out: dict[int, tuple[int, str]] = {}
    for incident_id in {r.incident_id for r in rows}:
        for e in incidents_service.entries(session, incident_id=incident_id):
            if e.kind == "evidence_added" and e.data.get("kind") == Kind.FILE.value:
                out[int(e.data["evidence"])] = (int(e.data["size"]), str(e.data["sha256"]))
    return out


def _find(
    session: Session, principal: Principal, number: str, evidence_id: int, *, lock: bool
) -> tuple[Any, Evidence]:
    incident = incidents_service.get_or_raise(
        session, principal=principal, number=number, for_update=lock
    )
    incidents_service.require(principal, Permission.READ, "see evidence")
    stmt = select(Evidence).where(Evidence.id == evidence_id, Evidence.incident_id == incident.id)
    row = session.scalar(stmt.with_for_update() if lock else stmt)
    if row is None:
        raise NotFound(f"no evidence {evidence_id} on {incident.number}")
    return incident, row


def _out(row: Evidence, number: str) -> EvidenceOut:
    url = None
    if row.kind == Kind.FILE.value and row.state != State.DELETED.value:
        url = f"/api/v1/incidents/{number}/evidence/{row.id}/content"
    return EvidenceOut(
        id=row.id,
        number=number,
        kind=Kind(row.kind),
        state=State(row.state),
        description=row.description,
        filename=row.filename,
        media_type=row.media_type,
        size=row.size,
        sha256=row.sha256,
        url=url,
        location=row.location,
        seal=row.seal,
        holder=row.holder,
        added_by=row.added_by,
        added_at=row.added_at,
    )


def delete_ended(session: Session, *, before: datetime) -> dict[int, int]:
    """Mark the files of incidents that ended before `before` deleted (their size and
    SHA-256 stay); `remove_deleted` then removes their bytes once this has committed:
    {incident id: files deleted}."""
    ended = incidents_service.ended_ids(before)
    rows = session.scalars(
        _stored_files().where(Evidence.incident_id.in_(ended)).with_for_update()
    ).all()
    counts: dict[int, int] = {}
    for row in rows:
        row.state = State.DELETED.value
        counts[row.incident_id] = counts.get(row.incident_id, 0) + 1
    return counts


def remove_deleted(session: Session, *, store: BlobStore) -> int:
    """Remove from the store the bytes of files marked deleted (missing ones are fine, so
    a run that stopped half-way is finished by the next): how many."""
    rows = session.scalars(
        select(Evidence).where(
            Evidence.state == State.DELETED.value, Evidence.blob_key.is_not(None)
        )
    ).all()
    for row in rows:
        store.delete(row.blob_key or "")
        row.blob_key = None
    return len(rows)


def _stored_files() -> Any:
    return select(Evidence).where(
        Evidence.kind == Kind.FILE.value, Evidence.state != State.DELETED.value
    )
