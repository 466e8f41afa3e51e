"""BOLO queries and how rows become `BoloOut`: the scope condition, sites, photos and
incident numbers fetched for a whole list at once."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, or_, select, true
from sqlalchemy.orm import Session

from murphy.bolos import rules
from murphy.bolos.models import Bolo, BoloPhoto, BoloSite
from murphy.bolos.schemas import BoloKind, BoloOut
from murphy.core.clock import isoformat
from murphy.incidents import service as incidents_service
from murphy.sites import service as sites_service
from murphy.users.schemas import Principal

PHOTO_PATH = "/api/v1/bolos/{id}/photo"


def in_scope(principal: Principal) -> ColumnElement[bool]:
    """Notices with at least one site the caller sees (every notice has a site)."""
    if principal.site_ids is None:
        return true()
    mine = select(BoloSite.bolo_id).where(BoloSite.site_id.in_(principal.site_ids))
    return Bolo.id.in_(mine)


def on_sites(site_ids: Sequence[int]) -> ColumnElement[bool]:
    """Notices for any of these sites."""
    return Bolo.id.in_(select(BoloSite.bolo_id).where(BoloSite.site_id.in_(site_ids)))


def active_at(now: datetime) -> ColumnElement[bool]:
    """Not cancelled and not yet expired at `now`."""
    return and_(Bolo.cancelled_at.is_(None), Bolo.expires_at > now)


def ended_before(at: datetime) -> ColumnElement[bool]:
    """Cancelled or expired before `at`."""
    return or_(Bolo.cancelled_at < at, Bolo.expires_at < at)


def site_ids_of(session: Session, bolo_ids: Sequence[int]) -> dict[int, list[int]]:
    """The sites of each notice, by notice id."""
    out: dict[int, list[int]] = {i: [] for i in bolo_ids}
    if bolo_ids:
        rows = session.execute(
            select(BoloSite.bolo_id, BoloSite.site_id)
            .where(BoloSite.bolo_id.in_(bolo_ids))
            .order_by(BoloSite.bolo_id, BoloSite.site_id)
        )
        for bolo_id, site_id in rows:
            out[bolo_id].append(site_id)
    return out


def photo_digests(session: Session, bolo_ids: Sequence[int]) -> dict[int, str]:
    """The SHA-256 of each notice's photo, for those that have one."""
    if not bolo_ids:
        return {}
    rows = session.execute(
        select(BoloPhoto.bolo_id, BoloPhoto.sha256).where(BoloPhoto.bolo_id.in_(bolo_ids))
    )
    return {bolo_id: sha for bolo_id, sha in rows}


def outs(
    session: Session, principal: Principal, rows: Sequence[Bolo], now: datetime
) -> list[BoloOut]:
    """The notices as the caller may see them: their sites in the caller's scope, the
    incident's number only if the caller may see that incident."""
    ids = [r.id for r in rows]
    sites_of = site_ids_of(session, ids)
    digests = photo_digests(session, ids)
    numbers = incidents_service.visible_numbers(
        session, principal=principal, ids=[r.incident_id for r in rows if r.incident_id]
    )
    sites = sites_service.get_by_ids(session, {s for v in sites_of.values() for s in v})
    out = []
    for row in rows:
        mine = [sites[s] for s in sites_of[row.id] if s in sites and principal.sees_site(s)]
        number = numbers.get(row.incident_id) if row.incident_id else None
        tz = mine[0].timezone if mine else "UTC"
        out.append(_out(row, [s.code for s in mine], tz, number, digests.get(row.id), now))
    return out


def _out(
    row: Bolo, codes: list[str], tz: str, number: str | None, sha: str | None, now: datetime
) -> BoloOut:
    return BoloOut(
        id=row.id,
        kind=BoloKind(row.kind),
        label=rules.label(row.kind, row.name, row.plate),
        subject_id=row.subject_id,
        incident=number,
        name=row.name,
        plate=row.plate,
        description=row.description,
        reason=row.reason,
        caution=row.caution,
        sites=codes,
        expires_at=row.expires_at,
        expires_in=rules.expires_phrase(row.expires_at, now, row.cancelled_at),
        issued_at=row.issued_at,
        issued_by=row.issued_by,
        state=rules.state(row.cancelled_at, row.expires_at, now),
        cancelled_at=row.cancelled_at,
        cancelled_by=row.cancelled_by,
        cancel_reason=row.cancel_reason,
        has_photo=sha is not None,
        photo_url=PHOTO_PATH.format(id=row.id) if sha else None,
        photo_sha256=sha,
        tz=tz,
        version=row.version,
    )


def held(
    session: Session, row: Bolo, site_ids: list[int], sha: str | None, now: datetime
) -> dict[str, Any]:
    """Everything held about one notice as plain JSON-able values (no photo bytes)."""
    sites = sites_service.get_by_ids(session, site_ids)
    number = (
        incidents_service.get(session, incident_id=row.incident_id).number
        if row.incident_id
        else None
    )
    return {
        "id": row.id,
        "kind": row.kind,
        "name": row.name,
        "plate": row.plate,
        "description": row.description,
        "reason": row.reason,
        "caution": row.caution,
        "sites": sorted(sites[s].code for s in site_ids if s in sites),
        "incident": number,
        "issued_at": isoformat(row.issued_at),
        "issued_by": row.issued_by,
        "expires_at": isoformat(row.expires_at),
        "state": rules.state(row.cancelled_at, row.expires_at, now).value,
        "cancelled_at": isoformat(row.cancelled_at) if row.cancelled_at else None,
        "cancelled_by": row.cancelled_by,
        "cancel_reason": row.cancel_reason,
        "has_photo": sha is not None,
        "photo_sha256": sha,
    }
