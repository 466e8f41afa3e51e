"""Verify every incident's timeline: the hash chain, and the row against its replay."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from itertools import groupby

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from murphy.core import audit
from murphy.core.audit import sealed
from murphy.core.clock import isoformat
from murphy.incidents import changes, rules
from murphy.incidents.models import Incident, TimelineEntry
from murphy.sites import service as sites_service
from murphy.taxonomy import service as taxonomy_service

CHUNK = 1000


@dataclass(frozen=True)
class Problem:
    """A broken entry, or a row that disagrees with its timeline."""

    number: str
    seq: int
    reason: str


@dataclass
class Report:
    """What verification covered and what it found."""

    incidents: int = 0
    entries: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        """True when nothing was found."""
        return not self.problems


def count(session: Session) -> int:
    """How many incident timelines there are to verify."""
    return session.scalar(select(func.count()).select_from(Incident)) or 0


def verify(session: Session, *, progress: Callable[[int], None] | None = None) -> Report:
    """Check every incident, in chunks so memory stays flat at a million incidents."""
    report = Report()
    last_id = 0
    while True:
        incidents = session.scalars(
            select(Incident).where(Incident.id > last_id).order_by(Incident.id).limit(CHUNK)
        ).all()
        if not incidents:
            return report
        last_id = incidents[-1].id
        for problem in _verify_chunk(session, incidents, report):
            report.problems.append(problem)
        report.incidents += len(incidents)
        if progress:
            progress(len(incidents))
        session.expunge_all()


def _verify_chunk(
    session: Session, incidents: Sequence[Incident], report: Report
) -> Iterator[Problem]:
    ids = [i.id for i in incidents]
    rows = session.scalars(
        select(TimelineEntry)
        .where(TimelineEntry.incident_id.in_(ids))
        .order_by(TimelineEntry.incident_id, TimelineEntry.seq)
    ).all()
    by_incident = {k: list(g) for k, g in groupby(rows, key=lambda e: e.incident_id)}
    sites = {
        s.id: s.code
        for s in sites_service.get_by_ids(session, {i.site_id for i in incidents}).values()
    }
    numbers = dict(
        session.execute(
            select(Incident.id, Incident.number).where(
                Incident.id.in_({i.merged_into_id for i in incidents if i.merged_into_id})
            )
        ).all()
    )
    places = sites_service.describe(session, [changes.place_ids(i) for i in incidents])
    types = taxonomy_service.codes(session, {i.type_id for i in incidents if i.type_id})
    for incident, place in zip(incidents, places, strict=True):
        entries = by_incident.get(incident.id, [])
        report.entries += len(entries)
        links = [
            audit.Link(
                seq=e.seq,
                body=rules.entry_body(
                    incident.number,
                    e.seq,
                    isoformat(e.at),
                    e.actor,
                    e.kind,
                    sealed(e.data, e.seals),
                ),
                prev_hash=e.prev_hash,
                hash=e.hash,
            )
            for e in entries
        ]
        broken = audit.verify(links, head=incident.timeline_head, length=incident.timeline_length)
        if broken is not None:
            yield Problem(incident.number, broken.seq, broken.reason)
            continue
        expected = rules.replay((e.kind, e.data) for e in entries)
        actual = _projection(incident, sites_service.codes(place), sites, numbers)
        actual["type"] = types.get(incident.type_id) if incident.type_id else None
        diff = rules.differences(expected, actual)
        if diff:
            yield Problem(
                incident.number,
                incident.timeline_length,
                f"stored {', '.join(diff)} differ(s) from the timeline (row altered)",
            )


def _projection(
    incident: Incident,
    place: dict[str, str | None],
    sites: dict[int, str],
    numbers: dict[int, str],
) -> dict[str, object]:
    return {
        "title": incident.title,
        "description": incident.description,
        "status": incident.status,
        "site": sites[incident.site_id],
        "place": place,
        "occurred_at": isoformat(incident.occurred_at) if incident.occurred_at else None,
        "merged_into": numbers.get(incident.merged_into_id) if incident.merged_into_id else None,
        "priority": incident.priority,
    }
