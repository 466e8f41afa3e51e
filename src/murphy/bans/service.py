"""Bans and trespass notices: issue (the person linked to the incident that caused it),
read, list, lift; the front desk's "is this person banned here?"; and what the retention
work needs. Status is derived against now, so a ban expires by itself. Never commits."""

from __future__ import annotations

import builtins
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from murphy.bans import listing, queries, render, rules
from murphy.bans.models import Ban, BanSite
from murphy.bans.schemas import (
    BanIn,
    BanOut,
    BanStatus,
    CheckOut,
    LiftIn,
)
from murphy.core.clock import isoformat, utcnow
from murphy.core.errors import Conflict, NotFound, PreconditionFailed, ValidationFailed
from murphy.incidents import service as incidents_service
from murphy.sites import service as sites_service
from murphy.subjects import service as subjects_service
from murphy.subjects.schemas import LinkIn, SubjectRole
from murphy.users.schemas import Permission, Principal

ISSUED, LIFTED = "ban_issued", "ban_lifted"
PERSONAL = ("label",)  # the person's name on those entries: removable by retention
REMOVED = "removed under the retention policy"
CHECK_LIMIT = 20  # people per front desk answer
LIST_LIMIT = 500


def require_reader(principal: Principal) -> None:
    """Refuse with 403 unless the caller reads incidents of their sites."""
    incidents_service.require(principal, Permission.READ, "look up bans")


def require_issuer(principal: Principal) -> None:
    """Refuse with 403 unless the caller may issue and lift bans."""
    incidents_service.require(principal, Permission.ISSUE_BAN, "issue or lift bans")


def create(session: Session, *, principal: Principal, data: BanIn) -> BanOut:
    """Ban a person (seen through an incident) from sites of the caller's scope, because of
    an incident; the person is linked to it as "subject" if not yet, and its timeline says
    so (no date of birth, no identifiers)."""
    require_issuer(principal)
    now = utcnow()
    incident = incidents_service.get_or_raise(session, principal=principal, number=data.incident)
    name = subjects_service.person_for(session, principal=principal, subject_id=data.subject_id)
    site_ids = _site_ids(session, principal, data.sites)
    starts_at, ends_at, served = _times(data, now, principal)
    linked = subjects_service.for_incident(session, principal=principal, incident_id=incident.id)
    if data.subject_id not in {link.subject_id for link in linked}:
        link = LinkIn(subject_id=data.subject_id, role=SubjectRole.SUBJECT)
        subjects_service.link(session, principal=principal, number=incident.number, data=link)
    ban = Ban(
        subject_id=data.subject_id,
        incident_id=incident.id,
        kind=data.kind.value,
        reason=data.reason,
        conditions=data.conditions,
        starts_at=starts_at,
        ends_at=ends_at,
        served_at=served.at,
        served_by=served.by,
        served_how=served.how.value if served.how else None,
        issued_at=now,
        issued_by=principal.username,
        lift_reason="",
        version=1,
    )
    session.add(ban)
    session.flush()
    session.add_all(BanSite(ban_id=ban.id, site_id=s) for s in site_ids.values())
    session.flush()
    entry = {"ban": ban.id, "kind": ban.kind, "subject": ban.subject_id, "label": name}
    entry |= {"sites": sorted(site_ids), "starts_at": isoformat(starts_at)}
    entry["ends_at"] = isoformat(ends_at)
    incidents_service.append_entry(
        session,
        incident_id=incident.id,
        kind=ISSUED,
        data=entry,
        at=now,
        actor=principal,
        personal=PERSONAL,
    )
    return listing.outs(session, principal, [ban], now)[0]


def get(session: Session, *, principal: Principal, ban_id: int, how: str = "api") -> BanOut:
    """One ban covering a site of the caller; the view of the person's record is logged."""
    require_reader(principal)
    ban = _visible(session, principal, ban_id)
    subjects_service.log_view(session, principal=principal, subject_id=ban.subject_id, how=how)
    return listing.outs(session, principal, [ban], utcnow())[0]


def list(
    session: Session,
    *,
    principal: Principal,
    site: str | None = None,
    status: BanStatus | None = None,
) -> builtins.list[BanOut]:
    """Bans covering the caller's sites (or one of them), with a status if asked; the
    latest to end first. Names only: not logged as views."""
    require_reader(principal)
    now = utcnow()
    stmt = select(Ban).where(queries.in_scope(principal))
    if site:
        row = sites_service.get_visible_or_raise(session, principal=principal, code=site)
        stmt = stmt.where(Ban.id.in_(select(BanSite.ban_id).where(BanSite.site_id == row.id)))
    if status is not None:
        stmt = stmt.where(queries.with_status(status, now))
    bans = session.scalars(stmt.order_by(Ban.ends_at.desc(), Ban.id.desc()).limit(LIST_LIMIT))
    return listing.outs(session, principal, bans.all(), now)


def lift(
    session: Session, *, principal: Principal, ban_id: int, data: LiftIn, version: int | None
) -> BanOut:
    """End a ban now, with a reason (a stale version: 412; lifted or ended already: 409);
    the incident's timeline says so."""
    require_issuer(principal)
    ban = _visible(session, principal, ban_id, for_update=True)
    if version is not None and version != ban.version:
        raise PreconditionFailed(
            f"ban {ban.id} was changed by someone else (now version {ban.version}, you had"
            f" {version}); reload it and try again"
        )
    now = utcnow()
    status = listing.period(ban).status(now)
    if status is BanStatus.LIFTED:
        raise Conflict(f"ban {ban.id} was already lifted by {ban.lifted_by}")
    if status is BanStatus.EXPIRED:
        raise Conflict(f"ban {ban.id} already ended on {ban.ends_at:%Y-%m-%d}; nothing to lift")
    ban.lifted_at, ban.lifted_by, ban.lift_reason = now, principal.username, data.reason
    ban.version += 1
    name = subjects_service.people(session, subject_ids=[ban.subject_id])
    entry = {
        "ban": ban.id,
        "kind": ban.kind,
        "subject": ban.subject_id,
        "label": name.get(ban.subject_id, ("", None))[0],
        "reason": data.reason,
    }
    incidents_service.append_entry(
        session,
        incident_id=ban.incident_id,
        kind=LIFTED,
        data=entry,
        at=now,
        actor=principal,
        personal=PERSONAL,
    )
    return listing.outs(session, principal, [ban], now)[0]


def check(session: Session, *, principal: Principal, q: str, site: str) -> CheckOut:
    """Is this person banned here? People whose name words start with `q`'s words, or with
    an ID number `q`, who have a ban covering one of the caller's sites; each with the
    verdict at `site`. Nobody else shows, whatever the records hold."""
    require_reader(principal)
    here = sites_service.get_visible_or_raise(session, principal=principal, code=site)
    text = q.strip()
    if not text:
        raise ValidationFailed("q: type a name or an ID number")
    among = queries.people_banned(principal)
    ids = subjects_service.match_ids(session, query=text, limit=CHECK_LIMIT, among=among)
    records = subjects_service.records_of(session, subject_ids=ids, among=among)
    groups: dict[int, builtins.list[Ban]] = {}
    if records:
        stmt = select(Ban).where(Ban.subject_id.in_(records), queries.in_scope(principal))
        for ban in session.scalars(stmt.order_by(Ban.id)):
            groups.setdefault(records[ban.subject_id], []).append(ban)
    people = listing.answer(session, principal, groups, here.id, utcnow())
    return CheckOut(q=text, site=here.code, people=people)


def of_person(session: Session, *, principal: Principal, subject_id: int) -> builtins.list[BanOut]:
    """The bans of a person (and of records merged into theirs) covering one of the
    caller's sites, the latest to end first; for the person's page (not a view)."""
    require_reader(principal)
    among = queries.people_banned(principal)
    records = subjects_service.records_of(session, subject_ids=[subject_id], among=among)
    stmt = select(Ban).where(Ban.subject_id.in_(records), queries.in_scope(principal))
    bans = session.scalars(stmt.order_by(Ban.ends_at.desc(), Ban.id.desc()).limit(LIST_LIMIT))
    return listing.outs(session, principal, bans.all(), utcnow())


def notice(session: Session, *, principal: Principal, ban_id: int) -> bytes:
    """The printable notice (one PDF page) of a ban; a view of the person is logged."""
    out = get(session, principal=principal, ban_id=ban_id, how="pdf")
    born = subjects_service.people(session, subject_ids=[out.subject_id])
    rows = [sites_service.get(session, code=code) for code in out.sites]
    sites = [f"{r.code} - {r.name}" for r in rows if r is not None]
    zone = rows[0].timezone if rows and rows[0] is not None else "UTC"
    facts = render.Notice(out, born.get(out.subject_id, ("", None))[1], sites, zone)
    return render.pdf(facts)


# --- for the retention work ------------------------------------------------------------


def for_subject(session: Session, *, subject_id: int) -> builtins.list[dict[str, Any]]:
    """All bans of that person as plain JSON-able dicts (every site), oldest first."""
    bans = session.scalars(select(Ban).where(Ban.subject_id == subject_id).order_by(Ban.id))
    return listing.plain(session, bans.all(), utcnow())


def apply_retention(session: Session, *, before: datetime) -> int:
    """Delete bans (with their site rows) that ended (expired or lifted) before `before`;
    how many."""
    rows = session.execute(select(Ban.id, Ban.incident_id).where(queries.ended_before(before)))
    on = {ban_id: incident_id for ban_id, incident_id in rows}
    ids = builtins.list(on)
    incidents_service.remove_personal(  # the name on the timeline goes with the ban
        session,
        kinds=(ISSUED, LIFTED),
        key="ban",
        replacements=dict.fromkeys(ids, REMOVED),
        fields=PERSONAL,
        incident_ids=set(on.values()),
    )
    for start in range(0, len(ids), 500):
        part = ids[start : start + 500]
        session.execute(delete(BanSite).where(BanSite.ban_id.in_(part)))
        session.execute(delete(Ban).where(Ban.id.in_(part)))
    return len(ids)


def subjects_held_since(session: Session, *, since: datetime) -> set[int]:
    """Person ids with a ban active, to come, or ended after `since`."""
    stmt = select(Ban.subject_id).where(queries.held_since(since, utcnow())).distinct()
    return set(session.scalars(stmt))


# --- internals -------------------------------------------------------------------------


def _visible(session: Session, principal: Principal, ban_id: int, for_update: bool = False) -> Ban:
    stmt = select(Ban).where(Ban.id == ban_id, queries.in_scope(principal))
    ban = session.scalar(stmt.with_for_update() if for_update else stmt)
    if ban is None:
        raise NotFound(f"no ban {ban_id}")
    return ban


def _site_ids(session: Session, principal: Principal, codes: builtins.list[str]) -> dict[str, int]:
    """The ids of the sites given, each of the caller's scope."""
    out = {}
    for code in rules.check_sites(codes):
        site = sites_service.get(session, code=code)
        if site is None or not principal.sees_site(site.id):
            raise ValidationFailed(f"sites: {code} is not one of your sites")
        out[site.code] = site.id
    return out


def _times(
    data: BanIn, now: datetime, principal: Principal
) -> tuple[datetime, datetime, rules.Serving]:
    """The start (default now), the end and the serving, checked."""
    starts_at = _utc(data.starts_at, "starts_at") if data.starts_at else now
    ends_at = _utc(data.ends_at, "ends_at")
    rules.check_period(starts_at, ends_at, now)
    served_at = _utc(data.served_at, "served_at") if data.served_at else None
    given = rules.Serving(served_at, data.served_by, data.served_how)
    served = rules.check_serving(data.kind, given, now=now, issuer=principal.display_name)
    return starts_at, ends_at, served


def _utc(value: datetime, what: str) -> datetime:
    """The instant in UTC; one without an offset is refused (which zone was it?)."""
    if value.tzinfo is None:
        raise ValidationFailed(f"{what}: add an offset to the time, e.g. +00:00 or Z")
    return value.astimezone(UTC)
