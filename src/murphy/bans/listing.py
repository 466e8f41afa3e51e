"""Bans' outputs: one ban for the API and pages, a front desk answer, a retention dict."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from murphy.bans import queries, rules
from murphy.bans.models import Ban
from murphy.bans.schemas import BanKind, BanOut, CheckBan, CheckPerson, ServedHow
from murphy.core.clock import isoformat
from murphy.incidents import service as incidents_service
from murphy.sites import service as sites_service
from murphy.subjects import service as subjects_service
from murphy.users.schemas import Principal


def period(ban: Ban) -> rules.Period:
    """The times that decide the ban's status."""
    return rules.Period(ban.starts_at, ban.ends_at, ban.lifted_at)


def codes(session: Session, principal: Principal | None, site_ids: Sequence[int]) -> list[str]:
    """The codes of these sites (those the caller may see), sorted."""
    rows = sites_service.get_by_ids(session, site_ids)
    seen = [r for r in rows.values() if principal is None or principal.sees_site(r.id)]
    return sorted(r.code for r in seen)


def outs(
    session: Session, principal: Principal, bans: Sequence[Ban], now: datetime
) -> list[BanOut]:
    """Bans as the API shows them: the caller's sites only, the incident if they see it."""
    sites = queries.site_ids(session, [b.id for b in bans])
    numbers = incidents_service.visible_numbers(
        session, principal=principal, ids={b.incident_id for b in bans}
    )
    names = subjects_service.people(session, subject_ids={b.subject_id for b in bans})
    return [
        BanOut(
            id=b.id,
            kind=BanKind(b.kind),
            status=period(b).status(now),
            subject_id=b.subject_id,
            name=names.get(b.subject_id, ("", None))[0],
            incident=numbers.get(b.incident_id),
            reason=b.reason,
            conditions=b.conditions,
            sites=codes(session, principal, sites.get(b.id, [])),
            starts_at=b.starts_at,
            ends_at=b.ends_at,
            served_at=b.served_at,
            served_by=b.served_by,
            served_how=ServedHow(b.served_how) if b.served_how else None,
            issued_at=b.issued_at,
            issued_by=b.issued_by,
            lifted_at=b.lifted_at,
            lifted_by=b.lifted_by,
            lift_reason=b.lift_reason,
            version=b.version,
        )
        for b in bans
    ]


def answer(
    session: Session,
    principal: Principal,
    groups: dict[int, list[Ban]],
    site_id: int,
    now: datetime,
) -> list[CheckPerson]:
    """Per person, the verdict at the site and their bans (the caller's sites only); the
    banned here first, then by name."""
    every = [b for bans in groups.values() for b in bans]
    sites = queries.site_ids(session, [b.id for b in every])
    names = subjects_service.people(session, subject_ids=groups)
    out = []
    for subject_id, bans in groups.items():
        scoped = {b.id: [s for s in sites.get(b.id, []) if principal.sees_site(s)] for b in bans}
        covering = [rules.Covering(b.id, frozenset(scoped[b.id]), period(b)) for b in bans]
        verdict, decisive = rules.verdict(covering, site_id, now)
        shown = [_check_ban(session, b, scoped[b.id], now) for b in _newest_first(bans)]
        name, born = names.get(subject_id, ("", None))
        here = next((c for c in shown if decisive and c.id == decisive.id), None)
        out.append(
            CheckPerson(
                subject_id=subject_id,
                name=name,
                birth_date=born,
                verdict=verdict,
                here=here,
                bans=shown,
            )
        )
    order = list(rules.VERDICT_ORDER)
    return sorted(out, key=lambda p: (order.index(p.verdict), p.name.casefold()))


def _newest_first(bans: Sequence[Ban]) -> list[Ban]:
    return sorted(bans, key=lambda b: (b.starts_at, b.id), reverse=True)


def _check_ban(session: Session, ban: Ban, site_ids: Sequence[int], now: datetime) -> CheckBan:
    return CheckBan(
        id=ban.id,
        kind=BanKind(ban.kind),
        status=period(ban).status(now),
        sites=codes(session, None, site_ids),
        starts_at=ban.starts_at,
        ends_at=ban.ends_at,
        lifted_at=ban.lifted_at,
        reason=ban.reason,
        conditions=ban.conditions,
    )


def plain(session: Session, bans: Sequence[Ban], now: datetime) -> list[dict[str, Any]]:
    """Bans as plain JSON-able dicts, every site (for the privacy export and retention)."""
    sites = queries.site_ids(session, [b.id for b in bans])

    def when(value: datetime | None) -> str | None:
        return isoformat(value) if value is not None else None

    return [
        {
            "id": b.id,
            "kind": b.kind,
            "status": period(b).status(now).value,
            "subject_id": b.subject_id,
            "incident_id": b.incident_id,
            "reason": b.reason,
            "conditions": b.conditions,
            "sites": codes(session, None, sites.get(b.id, [])),
            "starts_at": when(b.starts_at),
            "ends_at": when(b.ends_at),
            "served_at": when(b.served_at),
            "served_by": b.served_by,
            "served_how": b.served_how,
            "issued_at": when(b.issued_at),
            "issued_by": b.issued_by,
            "lifted_at": when(b.lifted_at),
            "lifted_by": b.lifted_by,
            "lift_reason": b.lift_reason,
        }
        for b in bans
    ]
