"""Bans' SQL: what the caller may see (a ban covering one of their sites), status filters."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, and_, exists, or_, select
from sqlalchemy.orm import Session

from murphy.bans.models import Ban, BanSite
from murphy.bans.schemas import BanStatus
from murphy.users.schemas import Principal


def in_scope(principal: Principal) -> ColumnElement[bool]:
    """Bans covering at least one site `principal` may see."""
    covered = select(BanSite.ban_id).where(BanSite.ban_id == Ban.id)
    if principal.site_ids is not None:
        covered = covered.where(BanSite.site_id.in_(principal.site_ids or {0}))
    return exists(covered)


def people_banned(principal: Principal) -> Any:
    """The person record ids with a ban covering one of the caller's sites (a select)."""
    return select(Ban.subject_id).where(in_scope(principal))


def with_status(status: BanStatus, now: datetime) -> ColumnElement[bool]:
    """Bans with this status at `now`."""
    live = Ban.lifted_at.is_(None)
    if status is BanStatus.LIFTED:
        return Ban.lifted_at.is_not(None)
    if status is BanStatus.UPCOMING:
        return and_(live, Ban.starts_at > now)
    if status is BanStatus.EXPIRED:
        return and_(live, Ban.ends_at <= now)
    return and_(live, Ban.starts_at <= now, Ban.ends_at > now)


def ended_before(before: datetime) -> ColumnElement[bool]:
    """Bans that stopped (expired or lifted) before `before`."""
    return or_(
        Ban.lifted_at < before,
        and_(Ban.lifted_at.is_(None), Ban.ends_at < before),
    )


def held_since(since: datetime, now: datetime) -> ColumnElement[bool]:
    """Bans active, to come, or ended after `since`."""
    return or_(
        Ban.lifted_at > since,
        and_(Ban.lifted_at.is_(None), or_(Ban.ends_at > since, Ban.ends_at > now)),
    )


def site_ids(session: Session, ban_ids: Iterable[int]) -> dict[int, list[int]]:
    """The sites each ban covers."""
    out: dict[int, list[int]] = {}
    ids = set(ban_ids)
    if ids:
        rows = session.execute(
            select(BanSite.ban_id, BanSite.site_id)
            .where(BanSite.ban_id.in_(ids))
            .order_by(BanSite.ban_id, BanSite.site_id)
        )
        for ban_id, site_id in rows:
            out.setdefault(ban_id, []).append(site_id)
    return out
