"""Incremental export of incidents: the rows changed in a window, in keyset batches.

The window is `updated_since <= updated_at < until` (since inclusive, until exclusive),
read in (updated_at, id) order. A client passes the `until` of one export as the
`updated_since` of the next: consecutive windows neither overlap nor leave a gap, so
no row is lost and none comes twice within one chain of windows (an incident changed
again later comes again, with its new state).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from murphy.core.clock import isoformat, parse_instant, utcnow
from murphy.core.errors import ValidationFailed
from murphy.incidents.models import Incident
from murphy.incidents.service import require, visible_to
from murphy.sites import service as sites_service
from murphy.taxonomy import service as taxonomy_service
from murphy.users.schemas import Permission, Principal

BATCH = 1000
# A change is stamped just before its transaction commits: a default `until` this far
# in the past leaves out only changes that may still be committing.
SETTLE = timedelta(seconds=5)
FORMATS = ("csv", "json", "ndjson")
MEDIA_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "json": "application/json",
    "ndjson": "application/x-ndjson",
}
COLUMNS = (
    "number", "title", "status", "priority", "impact", "urgency", "type", "site",
    "building", "floor", "zone", "zone_name", "location_detail", "channel", "major",
    "exercise", "occurred_at", "reported_at", "acknowledged_at", "triaged_at",
    "responding_at", "resolved_at", "closed_at", "cancelled_at", "updated_at",
    "resolution_code", "version",
)  # fmt: skip
_TIMES = (
    "occurred_at", "reported_at", "acknowledged_at", "triaged_at", "responding_at",
    "resolved_at", "closed_at", "cancelled_at", "updated_at",
)  # fmt: skip
_PLAIN = ("number", "title", "status", "priority", "impact", "urgency", "channel", "major")
_PLAIN_TAIL = ("exercise", "resolution_code", "version")


@dataclass(frozen=True)
class Window:
    """What to export: the changes in [since, until), optionally at one site."""

    since: datetime
    until: datetime
    site_id: int | None
    format: str


def instant(raw: str | None, name: str) -> datetime | None:
    """An ISO 8601 instant with its offset, or None if not given; a naive one is refused."""
    return parse_instant(raw, name) if raw and raw.strip() else None


def window(
    session: Session,
    *,
    principal: Principal,
    since: str | None,
    until: str | None,
    site: str | None,
    fmt: str,
) -> Window:
    """Check the caller and the request; the window to export."""
    require(principal, Permission.REPORTS, "export incidents")
    if fmt not in FORMATS:
        raise ValidationFailed(f"format: {fmt!r} is not one of {', '.join(FORMATS)}")
    start = instant(since, "updated_since")
    if start is None:
        raise ValidationFailed("updated_since is required, e.g. 2026-11-28T00:00:00+00:00")
    end = instant(until, "until") or (utcnow() - SETTLE).replace(microsecond=0)
    if end < start:
        raise ValidationFailed("until is before updated_since")
    site_id = None
    if site:
        site_id = sites_service.get_visible_or_raise(session, principal=principal, code=site).id
    return Window(start, end, site_id, fmt)


def batch(
    session: Session,
    *,
    principal: Principal,
    window: Window,
    after: tuple[datetime, int] | None,
    size: int = BATCH,
) -> list[dict[str, Any]]:
    """The next `size` rows of the window after the keyset `after`, as export records."""
    stmt = select(Incident).where(
        visible_to(principal),
        Incident.updated_at >= window.since,
        Incident.updated_at < window.until,
    )
    if window.site_id is not None:
        stmt = stmt.where(Incident.site_id == window.site_id)
    if after is not None:
        at, last_id = after
        stmt = stmt.where(
            or_(Incident.updated_at > at, and_(Incident.updated_at == at, Incident.id > last_id))
        )
    rows = session.scalars(stmt.order_by(Incident.updated_at, Incident.id).limit(size)).all()
    return records(session, rows)


def records(session: Session, rows: Sequence[Incident]) -> list[dict[str, Any]]:
    """Export records (COLUMNS, plus the keyset under `_key`) for incident rows."""
    if not rows:
        return []
    sites = sites_service.get_by_ids(session, {r.site_id for r in rows})
    types = taxonomy_service.codes(session, {r.type_id for r in rows if r.type_id})
    ids = sites_service.PlaceIds
    places = sites_service.describe(
        session,
        [ids(r.site_id, r.building_id, r.floor_id, r.zone_id, r.location_detail) for r in rows],
    )
    out = []
    for row, place in zip(rows, places, strict=True):
        record: dict[str, Any] = {name: getattr(row, name) for name in _PLAIN}
        record.update(
            type=types.get(row.type_id) if row.type_id else None,
            site=sites[row.site_id].code if row.site_id in sites else None,
            building=place.building.code if place.building else None,
            floor=place.floor.code if place.floor else None,
            zone=place.zone.code if place.zone else None,
            zone_name=place.zone.name if place.zone else None,
            location_detail=row.location_detail,
        )
        for name in _TIMES:
            value = getattr(row, name)
            record[name] = isoformat(value) if value else None
        record.update({name: getattr(row, name) for name in _PLAIN_TAIL})
        record["_key"] = (row.updated_at, row.id)
        out.append(record)
    return out


def head(fmt: str) -> str:
    """What the body starts with: the CSV header row, or the JSON array's bracket."""
    if fmt == "csv":
        return _csv_line(list(COLUMNS))
    return "[" if fmt == "json" else ""


def tail(fmt: str) -> str:
    """What the body ends with."""
    return "]\n" if fmt == "json" else ""


def encode(fmt: str, records_: Sequence[dict[str, Any]], *, first: bool) -> str:
    """A batch of records in the format; `first` says no JSON comma is due before it."""
    if fmt == "csv":
        return "".join(_csv_line([_cell(r[c]) for c in COLUMNS]) for r in records_)
    objects = [json.dumps({c: r[c] for c in COLUMNS}, ensure_ascii=False) for r in records_]
    if fmt == "ndjson":
        return "".join(f"{o}\n" for o in objects)
    sep = "" if first else ","
    return sep + ",".join(f"\n{o}" for o in objects) if objects else ""


def _csv_line(cells: list[Any]) -> str:
    buf = io.StringIO()
    csv.writer(buf, lineterminator="\r\n").writerow(cells)
    return buf.getvalue()


def _cell(value: Any) -> Any:
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    return value
