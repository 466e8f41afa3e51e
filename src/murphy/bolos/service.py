"""BOLOs: issue (from a person or vehicle record, for an incident), list the active ones
of the caller's sites, cancel, the photo; and what the retention run needs."""

from __future__ import annotations

import builtins
import hashlib
from collections.abc import Sequence
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select
from sqlalchemy.orm import Session

from murphy.bolos import listing, rules
from murphy.bolos.models import Bolo, BoloPhoto, BoloSite
from murphy.bolos.schemas import BoloForm, BoloIn, BoloKind, BoloOut, CancelIn
from murphy.core import images
from murphy.core.clock import isoformat, utcnow
from murphy.core.errors import Conflict, NotFound, ValidationFailed
from murphy.core.events import Audience, Event, emit
from murphy.incidents import service as incidents_service
from murphy.sites import service as sites_service
from murphy.subjects import service as subjects_service
from murphy.subjects.schemas import SubjectOut
from murphy.users.schemas import Permission, Principal

ISSUED, CANCELLED = "bolo_issued", "bolo_cancelled"
PERSONAL = ("label",)  # a name or a plate on the timeline: removable by retention
REMOVED = "removed under the retention policy"
LIST_LIMIT = 200
STRIP_LIMIT = 6  # on the board and the officer's page
ENDED_DAYS = 30  # how far back the list of ended notices goes


def require_reader(principal: Principal) -> None:
    """Refuse with 403 unless the caller reads the incidents of their sites."""
    incidents_service.require(principal, Permission.READ, "read BOLOs")


def require_issuer(principal: Principal) -> None:
    """Refuse with 403 unless the caller may issue and cancel notices."""
    incidents_service.require(principal, Permission.ISSUE_BOLO, "issue or cancel BOLOs")


def issue(
    session: Session,
    *,
    principal: Principal,
    data: BoloIn,
    photo: bytes | None = None,
    now: datetime | None = None,
) -> BoloOut:
    """A new notice for one or more of the caller's sites; on the linked incident's
    timeline and on the live boards of its sites."""
    require_issuer(principal)
    now = now or utcnow()
    rules.check_expiry(data.expires_at, now)
    site_ids = scoped_sites(session, principal=principal, codes=data.sites)
    subject = _subject(session, principal, data.subject_id, data.kind) if data.subject_id else None
    name, plate, description = rules.prefilled(data.name, data.plate, data.description, subject)
    name, plate = rules.check_identity(data.kind, name, plate)
    incident = _incident(session, principal, data.incident)
    if photo is None and subject is not None and subject.photo_sha256:  # the record's own
        photo = subjects_service.photo(session, principal=principal, subject_id=subject.id)[1]
    image = _clean(photo) if photo is not None else None
    row = Bolo(
        kind=data.kind.value,
        subject_id=subject.id if subject else None,
        incident_id=incident,
        name=name,
        plate=plate,
        description=description,
        reason=data.reason,
        caution=data.caution,
        expires_at=data.expires_at,
        issued_at=now,
        issued_by=principal.username,
        updated_at=now,
    )
    session.add(row)
    session.flush()
    session.add_all(BoloSite(bolo_id=row.id, site_id=i) for i in site_ids.values())
    sha = _store_photo(session, principal, row, image, now) if image else None
    extra = {"reason": row.reason, "caution": row.caution, "expires_at": isoformat(row.expires_at)}
    _entry(session, principal, row, ISSUED, [*site_ids], now, photo_sha256=sha, **extra)
    _announce(session, row, site_ids.values(), "issued")
    session.flush()
    return _one(session, principal, row, now)


def cancel(
    session: Session,
    *,
    principal: Principal,
    bolo_id: int,
    data: CancelIn,
    version: int | None = None,
    now: datetime | None = None,
) -> BoloOut:
    """Take an active notice down with a reason; If-Match refuses a stale change."""
    require_issuer(principal)
    now = now or utcnow()
    row = _locked(session, principal, bolo_id)
    rules.check_version(row.id, row.version, version)
    if row.cancelled_at is not None:
        raise Conflict(f"BOLO {row.id} was already cancelled by {row.cancelled_by}")
    if row.expires_at <= now:
        raise Conflict(f"BOLO {row.id} has already expired")
    row.cancelled_at, row.cancelled_by, row.cancel_reason = now, principal.username, data.reason
    row.updated_at, row.version = now, row.version + 1
    site_ids = listing.site_ids_of(session, [row.id])[row.id]
    codes = [s.code for s in sites_service.get_by_ids(session, site_ids).values()]
    _entry(session, principal, row, CANCELLED, sorted(codes), now, reason=data.reason)
    _announce(session, row, site_ids, "cancelled")
    session.flush()
    return _one(session, principal, row, now)


def set_photo(
    session: Session,
    *,
    principal: Principal,
    bolo_id: int,
    data: bytes,
    version: int | None = None,
    now: datetime | None = None,
) -> BoloOut:
    """Add or replace the photo of an active notice (checked, metadata stripped)."""
    require_issuer(principal)
    now = now or utcnow()
    row = _locked(session, principal, bolo_id)
    rules.check_version(row.id, row.version, version)
    if rules.state(row.cancelled_at, row.expires_at, now).value != "active":
        raise Conflict(f"BOLO {row.id} is no longer active: its photo stays as it was")
    image = _clean(data)
    session.execute(delete(BoloPhoto).where(BoloPhoto.bolo_id == row.id))
    _store_photo(session, principal, row, image, now)
    row.updated_at, row.version = now, row.version + 1
    _announce(session, row, listing.site_ids_of(session, [row.id])[row.id], "updated")
    session.flush()
    return _one(session, principal, row, now)


def photo(session: Session, *, principal: Principal, bolo_id: int) -> tuple[str, bytes, str]:
    """The photo of a notice the caller may see: (media type, bytes, SHA-256)."""
    require_reader(principal)
    row = _visible(session, principal, bolo_id)
    found = session.get(BoloPhoto, row.id)
    if found is None:
        raise NotFound(f"BOLO {row.id} has no photo")
    return found.media_type, found.data, found.sha256


def get(
    session: Session, *, principal: Principal, bolo_id: int, now: datetime | None = None
) -> BoloOut:
    """One notice, active or not, if it is for one of the caller's sites."""
    require_reader(principal)
    return _one(session, principal, _visible(session, principal, bolo_id), now or utcnow())


def active(
    session: Session,
    *,
    principal: Principal,
    sites: Sequence[str] = (),
    now: datetime | None = None,
    limit: int = LIST_LIMIT,
) -> builtins.list[BoloOut]:
    """The active notices of the caller's sites (or of the sites given), newest first;
    expired ones drop out by themselves."""
    require_reader(principal)
    now = now or utcnow()
    stmt = select(Bolo).where(listing.active_at(now), listing.in_scope(principal))
    if sites:
        ids = [
            sites_service.get_visible_or_raise(session, principal=principal, code=c).id
            for c in sites
        ]
        stmt = stmt.where(listing.on_sites(ids))
    rows = session.scalars(stmt.order_by(Bolo.issued_at.desc(), Bolo.id.desc()).limit(limit))
    return listing.outs(session, principal, rows.all(), now)


def strip(
    session: Session, *, principal: Principal, sites: Sequence[str], now: datetime | None = None
) -> builtins.list[BoloOut]:
    """The newest active notices of these sites for the board and the officer's page
    (none for a caller who may not read them)."""
    if not principal.can(Permission.READ) or not sites:
        return []
    return active(session, principal=principal, sites=sites, now=now, limit=STRIP_LIMIT)


def ended(
    session: Session, *, principal: Principal, now: datetime | None = None, limit: int = 20
) -> builtins.list[BoloOut]:
    """Notices that expired or were cancelled in the last ENDED_DAYS, latest first (for
    those who issue them)."""
    require_issuer(principal)
    now = now or utcnow()
    stop = func.coalesce(Bolo.cancelled_at, Bolo.expires_at)
    since = now - timedelta(days=ENDED_DAYS)
    stmt = (
        select(Bolo)
        .where(listing.in_scope(principal), stop <= now, stop > since)
        .order_by(stop.desc(), Bolo.id.desc())
        .limit(limit)
    )
    return listing.outs(session, principal, session.scalars(stmt).all(), now)


def form(
    session: Session, *, principal: Principal, subject_id: int | None = None, number: str = ""
) -> BoloForm:
    """The start of the "Issue a BOLO" form, from a person or vehicle record and/or an
    incident (whose site is then chosen)."""
    require_issuer(principal)
    out = BoloForm()
    if number.strip():
        incident = incidents_service.get_or_raise(session, principal=principal, number=number)
        out.incident = incident.number
        site = sites_service.get_by_ids(session, [incident.site_id]).get(incident.site_id)
        out.sites = [site.code] if site else []
    if subject_id is not None:
        subject = subjects_service.detail(
            session, principal=principal, subject_id=subject_id, how="page"
        )
        name, plate, description = rules.prefilled("", "", "", subject)
        out.kind, out.subject_id = BoloKind(subject.kind.value), subject.id
        out.name, out.plate, out.description = name, plate, description
    return out


def scoped_sites(session: Session, *, principal: Principal, codes: Sequence[str]) -> dict[str, int]:
    """Site ids by code; each must be one of the caller's sites (an unknown one and one
    outside the caller's scope are refused alike)."""
    out = {}
    for code in rules.site_codes(codes):
        site = sites_service.get(session, code=code)
        if site is None or not principal.sees_site(site.id):
            raise ValidationFailed(f"sites: {code} is not one of your sites")
        out[site.code] = site.id
    return out


# --- for the retention run (no caller: the system itself) ------------------------------


def for_subject(session: Session, *, subject_id: int) -> builtins.list[dict[str, Any]]:
    """Every notice about a person or vehicle record, as plain JSON-able dicts (whether a
    photo exists and its digest, never its bytes), oldest first."""
    rows = session.scalars(
        select(Bolo).where(Bolo.subject_id == subject_id).order_by(Bolo.id)
    ).all()
    ids = [r.id for r in rows]
    sites_of, digests, now = (
        listing.site_ids_of(session, ids),
        listing.photo_digests(session, ids),
        utcnow(),
    )
    return [listing.held(session, r, sites_of[r.id], digests.get(r.id), now) for r in rows]


def apply_retention(session: Session, *, before: datetime) -> int:
    """Delete the notices (with their sites and photos) that expired or were cancelled
    before `before`; how many."""
    rows = session.execute(select(Bolo.id, Bolo.incident_id).where(listing.ended_before(before)))
    on = {bolo_id: incident_id for bolo_id, incident_id in rows}
    ids = builtins.list(on)
    incidents_service.remove_personal(
        session,
        kinds=(ISSUED, CANCELLED),
        key="bolo",
        replacements=dict.fromkeys(ids, REMOVED),
        fields=PERSONAL,
        incident_ids={i for i in on.values() if i is not None},
    )
    for chunk in range(0, len(ids), 500):
        part = ids[chunk : chunk + 500]
        session.execute(delete(BoloPhoto).where(BoloPhoto.bolo_id.in_(part)))
        session.execute(delete(BoloSite).where(BoloSite.bolo_id.in_(part)))
        session.execute(delete(Bolo).where(Bolo.id.in_(part)))
    return len(ids)


def subjects_held_since(session: Session, *, since: datetime) -> set[int]:
    """Ids of the person and vehicle records that a notice still active, or one that
    ended after `since`, is about."""
    ended_after = and_(
        or_(Bolo.cancelled_at.is_(None), Bolo.cancelled_at >= since), Bolo.expires_at >= since
    )
    stmt = select(Bolo.subject_id).where(
        Bolo.subject_id.is_not(None), or_(ended_after, listing.active_at(utcnow()))
    )
    return {i for i in session.scalars(stmt.distinct()) if i is not None}


# --- internals -----------------------------------------------------------------------


def _visible(
    session: Session, principal: Principal, bolo_id: int, *, for_update: bool = False
) -> Bolo:
    stmt = select(Bolo).where(Bolo.id == bolo_id, listing.in_scope(principal))
    row = session.scalar(stmt.with_for_update() if for_update else stmt)
    if row is None:
        raise NotFound(f"no BOLO {bolo_id}")
    return row


def _locked(session: Session, principal: Principal, bolo_id: int) -> Bolo:
    """The notice to change, locked after its incident (if any) in the usual order."""
    row = _visible(session, principal, bolo_id)
    if row.incident_id is not None:
        incidents_service.get(session, incident_id=row.incident_id, for_update=True)
    return _visible(session, principal, bolo_id, for_update=True)


def _one(session: Session, principal: Principal, row: Bolo, now: datetime) -> BoloOut:
    return listing.outs(session, principal, [row], now)[0]


def _subject(session: Session, principal: Principal, subject_id: int, kind: BoloKind) -> SubjectOut:
    try:
        subject = subjects_service.detail(session, principal=principal, subject_id=subject_id)
    except NotFound:
        raise ValidationFailed(
            f"subject_id: no person or vehicle record {subject_id} you can see"
        ) from None
    if subject.anonymized_at is not None:
        raise ValidationFailed(f"subject_id: record {subject_id} was anonymized")
    if subject.merged_into_id is not None:
        raise ValidationFailed(
            f"subject_id: record {subject_id} was merged into record"
            f" {subject.merged_into_id}; use that one"
        )
    if subject.kind.value != kind.value:
        raise ValidationFailed(
            f"subject_id: record {subject_id} is a {subject.kind.value}, not a {kind.value}"
        )
    return subject


def _incident(session: Session, principal: Principal, number: str | None) -> int | None:
    if not number:
        return None
    try:
        # The incident's lock first, before any BOLO row (the order every domain keeps).
        found = incidents_service.get_or_raise(
            session, principal=principal, number=number, for_update=True
        )
        return found.id
    except NotFound:
        raise ValidationFailed(f"incident: no incident {number} you can see") from None


def _clean(data: bytes) -> images.CleanImage:
    try:
        return images.clean(data, max_bytes=rules.MAX_PHOTO_BYTES)
    except images.ImageRefused as exc:
        raise ValidationFailed(f"photo: {exc}") from None


def _store_photo(
    session: Session, principal: Principal, row: Bolo, image: images.CleanImage, now: datetime
) -> str:
    sha = hashlib.sha256(image.data).hexdigest()
    session.add(
        BoloPhoto(
            bolo_id=row.id,
            media_type=image.media_type,
            size=len(image.data),
            sha256=sha,
            data=image.data,
            created_at=now,
            created_by=principal.username,
        )
    )
    return sha


def _entry(
    session: Session,
    principal: Principal,
    row: Bolo,
    kind: str,
    codes: builtins.list[str],
    at: datetime,
    **more: object,
) -> None:
    if row.incident_id is None:
        return
    data = rules.entry_data(row.id, row.kind, row.name, row.plate, codes, **more)
    incidents_service.append_entry(
        session,
        incident_id=row.incident_id,
        kind=kind,
        data=data,
        at=at,
        actor=principal,
        personal=PERSONAL,
    )


def _announce(session: Session, row: Bolo, site_ids: Any, what: str) -> None:
    """A live event per site: the boards and officers' pages of those sites fetch again."""
    for site_id in site_ids:
        payload = {"bolo": row.id, "site_id": site_id, "version": row.version}
        emit(session, Event(f"bolo.{what}", payload, audience=Audience(site_id=site_id)))
