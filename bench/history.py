"""Fill a migrated database with years of realistic history, for analytics and reports.

    python -m bench.history --url sqlite:///history.db --incidents 1000000 [--years 5]

Builds on bench.generate (the same sites, users, text corpus and hash-chained timeline
writer) and adds what analytics need: a type from the taxonomy (the corporate pack is
loaded if there is none), impact, urgency and the matrix's priority, an
acknowledgement, SLA clocks met or breached (with their `sla_breached` entries), unit
assignments with dispatch, en-route, on-scene and clear times, and `updated_at` the
incident's last change. Times follow an hour-of-day curve per type in the site's time
zone (intrusion alarms at night, thefts and medical calls by day), weekdays against
weekends, seasons and slow growth year on year; a few hot spots (a zone of a site
taking a large share of one type, e.g. break-ins into cars in the HQ car park) give
recurrence analysis something to find. Every row is what the services would have
written, so `murphy audit verify` passes. One transaction per chunk, `executemany`.
"""

from __future__ import annotations

import argparse
import json
import random
import time
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any, cast

from psycopg.types.json import Json
from sqlalchemy import JSON, Connection, Table, func, select

from bench import generate as g
from bench.corpus import Corpus
from bench.history_model import Model, TypeInfo, build_model, ensure_units, schedule_timers
from murphy.analytics.changes import rebuild as rebuild_facts
from murphy.core import audit
from murphy.core.clock import isoformat
from murphy.core.db import Database, UTCDateTime
from murphy.incidents import rules
from murphy.incidents.models import Incident, IncidentCounter, TimelineEntry
from murphy.incidents.schemas import ResolutionCode
from murphy.sla.models import Clock
from murphy.units.models import Assignment

DEFAULT_INCIDENTS = 1_000_000
DEFAULT_YEARS = 5
DEFAULT_SEED = 7
CHUNK = 2000

Event = tuple[datetime, int, str, dict[str, Any], "g.Actor | None", dict[str, Any]]


@dataclass
class _HBatch(g._Batch):
    clocks: list[dict[str, Any]] = field(default_factory=list)
    assignments: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class Stats:
    """What one run did."""

    added: int = 0
    entries: int = 0
    clocks: int = 0
    breached: int = 0
    assignments: int = 0
    seconds: float = 0.0
    timers: list[tuple[str, int, str, datetime]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        """Incidents per second."""
        return self.added / self.seconds if self.seconds else 0.0


class HistoryWriter(g._Writer):
    """The generate writer, with types, clocks, units and the times of a real operation."""

    def __init__(self, world: g.World, model: Model, rng: random.Random, corpus: Corpus) -> None:
        super().__init__(world, rng, corpus)
        self.model = model
        self.stats = Stats()
        self.pending_assignment: dict[str, Any] | None = None

    def history_incident(
        self, batch: _HBatch, reported: datetime, site: g.SiteInfo, kind: TypeInfo, now: datetime
    ) -> None:
        """One incident reported at `reported`, of type `kind`, at `site`."""
        rng = self.rng
        place = self.model.place(rng, site, kind)
        row = self._row(site, place, reported)
        text_ = self.corpus.text()
        row.update(title=text_.title, description=text_.description)
        codes = {**place.codes, "detail": ""} if place else g._no_place()
        created = {
            "number": row["number"],
            "title": text_.title,
            "description": text_.description,
            "site": site.code,
            "place": codes,
            "occurred_at": None,
            "reported_at": isoformat(reported),
            "channel": row["channel"],
        }
        reporter = rng.choice(self.world.reporters)
        row["reporter_id"] = reporter.id
        self._append(batch, row, "created", created, reporter, reported)
        events = self._events(batch, row, site, kind, now)
        for at, _order, ev_kind, data, actor, updates in sorted(events, key=lambda e: e[:2]):
            self._apply(batch, row, at, ev_kind, data, actor, updates)
        batch.incidents.append(row)
        self.stats.added += 1

    def _row(self, site: g.SiteInfo, place: g.Place | None, reported: datetime) -> dict[str, Any]:
        year = reported.astimezone(site.tz).year
        seq = self.counters[year] = self.counters.get(year, 0) + 1
        row = g.blank_incident()
        row.update(
            id=self.next_incident_id,
            number=rules.format_number(year, seq),
            year=year,
            seq=seq,
            status="new",
            channel=self.rng.choices(g.CHANNELS, g.CHANNEL_WEIGHTS)[0].value,
            site_id=site.id,
            building_id=place.building_id if place else None,
            floor_id=place.floor_id if place else None,
            zone_id=place.zone_id if place else None,
            location_detail="",
            reported_at=reported,
            reporter_id=None,
            updated_at=reported,
            resolution_summary="",
            cancel_reason="",
            priority_reason="",
            major=False,
            exercise=False,
            version=1,
            timeline_length=0,
            timeline_head=audit.GENESIS,
        )
        self.next_incident_id += 1
        return row

    def _apply(
        self,
        batch: _HBatch,
        row: dict[str, Any],
        at: datetime,
        kind: str,
        data: dict[str, Any],
        actor: g.Actor | None,
        updates: dict[str, Any],
    ) -> None:
        if kind == "transition":
            data = {"action": data["action"], "from": row["status"], **data}
        if updates.pop("_bump", False):
            row["version"] += 1
        row.update(updates)
        row["updated_at"] = at
        self._append(batch, row, kind, data, actor, at)

    def _events(
        self, batch: _HBatch, row: dict[str, Any], site: g.SiteInfo, kind: TypeInfo, now: datetime
    ) -> list[Event]:
        """The incident's life after its report, as timestamped events (not yet ordered)."""
        rng, m = self.rng, self.model
        reported = row["reported_at"]
        plan = m.plan(rng, now - reported)
        if plan == "new" and rng.random() < 0.5:
            return []
        disp = rng.choice(self.world.dispatchers)
        impact, urgency, priority = m.priority(rng, kind)
        targets = m.targets(priority, kind.id, site.id)
        t = m.times(rng, reported, targets, now)
        classified = t["classified"]
        if classified is None:  # reported a moment ago: not classified yet
            return []
        events: list[Event] = [
            (
                classified,
                1,
                "classified",
                m.classified(kind, impact, urgency, priority),
                disp,
                {
                    "type_id": kind.id,
                    "clearance": kind.clearance,
                    "impact": impact,
                    "urgency": urgency,
                    "priority": priority,
                    "_bump": True,
                },
            ),
        ]
        if plan != "new" and t["acknowledged"]:
            ack = t["acknowledged"]
            events.append(
                (
                    ack,
                    2,
                    "acknowledged",
                    {},
                    disp,
                    {"acknowledged_at": ack, "acknowledged_by_id": disp.id, "_bump": True},
                )
            )
        reached = self._lifecycle_events(events, row, plan, t, site)
        self._clocks(batch, events, row, targets, t, reached, now)
        return events

    def _lifecycle_events(
        self,
        events: list[Event],
        row: dict[str, Any],
        plan: str,
        t: dict[str, datetime | None],
        site: g.SiteInfo,
    ) -> dict[str, datetime | None]:
        rng = self.rng
        reached: dict[str, datetime | None] = {"end": None}
        if plan == "cancelled":
            at = t["cancelled"]
            if at is not None:
                reason = self.corpus.cancel_reason()
                events.append(
                    self._move(at, 9, "cancelled", {"reason": reason}, cancel_reason=reason)
                )
                reached["end"] = at
            return reached
        order = ["triaged", "responding", "resolved", "closed"]
        for step in order[: order.index(plan) + 1 if plan in order else 0]:
            at = t[step]
            if at is None:
                break
            reached[step] = at
            extra: dict[str, Any] = {}
            if step == "resolved":
                code = rng.choice(list(ResolutionCode)).value
                summary = self.corpus.resolution()
                extra = {"reason": summary, "resolution_code": code}
                events.append(
                    self._move(at, 6, step, extra, resolution_code=code, resolution_summary=summary)
                )
                continue
            events.append(
                self._move(at, {"triaged": 3, "responding": 5, "closed": 8}[step], step, {})
            )
        if reached.get("closed"):
            reached["end"] = reached["closed"]
        if reached.get("responding") and rng.random() < 0.85:
            self._assignment(events, row, t, reached, site)
        return reached

    def _move(
        self, at: datetime, order: int, status: str, extra: dict[str, Any], **more: Any
    ) -> Event:
        officers = status in ("responding", "resolved")
        actor = self.rng.choice(self.world.officers if officers else self.world.dispatchers)
        data = {"action": g._ACTION[status], "to": status, **extra}
        updates = {
            "status": status,
            f"{status}_at": at,
            f"{status}_by_id": actor.id,
            "_bump": True,
            **more,
        }
        return (at, order, "transition", data, actor, updates)

    def _assignment(
        self,
        events: list[Event],
        row: dict[str, Any],
        t: dict[str, datetime | None],
        reached: dict[str, datetime | None],
        site: g.SiteInfo,
    ) -> None:
        """A unit dispatched at the respond transition, en route, on scene, cleared on resolve."""
        rng = self.rng
        dispatched = reached["responding"]
        resolved = reached.get("resolved")
        if dispatched is None or resolved is None:
            return  # open incidents keep their units free: no unit is on two at once now
        unit_id, callsign = rng.choice(self.model.units[site.id])
        en_route = min(dispatched + timedelta(seconds=rng.randint(20, 180)), resolved)
        on_scene = min(en_route + timedelta(seconds=rng.randint(60, 900)), resolved)
        disp, officer = rng.choice(self.world.dispatchers), rng.choice(self.world.officers)
        entry = {"unit": callsign, "role": "primary", "reason": ""}
        events.append((dispatched, 4, "unit_dispatched", entry, disp, {}))
        events.append(
            (en_route, 5, "unit_status", {"unit": callsign, "status": "en_route"}, officer, {})
        )
        events.append(
            (on_scene, 5, "unit_status", {"unit": callsign, "status": "on_scene"}, officer, {})
        )
        times = {
            "dispatched": isoformat(dispatched),
            "acknowledged": isoformat(en_route),
            "en_route": isoformat(en_route),
            "on_scene": isoformat(on_scene),
            "cleared": isoformat(resolved),
        }
        cleared = {
            "unit": callsign,
            "role": "primary",
            "reason": "incident resolved",
            "times": times,
        }
        events.append((resolved, 7, "unit_cleared", cleared, None, {}))
        self.pending_assignment = {
            "incident_id": row["id"],
            "unit_id": unit_id,
            "role": "primary",
            "reason": "",
            "dispatched_at": dispatched,
            "dispatched_by": disp.username,
            "acknowledged_at": en_route,
            "en_route_at": en_route,
            "on_scene_at": on_scene,
            "cleared_at": resolved,
            "cleared_reason": "incident resolved",
        }

    def _clocks(
        self,
        batch: _HBatch,
        events: list[Event],
        row: dict[str, Any],
        targets: dict[str, int | None],
        t: dict[str, datetime | None],
        reached: dict[str, datetime | None],
        now: datetime,
    ) -> None:
        """The incident's SLA clock rows, and a `sla_breached` entry per breach."""
        assignment = self.pending_assignment
        if assignment is not None:
            batch.assignments.append(assignment)
            self.stats.assignments += 1
            self.pending_assignment = None
        milestones = {
            "acknowledge": t["acknowledged"]
            if any(e[2] == "acknowledged" for e in events)
            else None,
            "respond": reached.get("responding"),
            "resolve": reached.get("resolved"),
        }
        for kind, minutes in targets.items():
            if minutes is None:
                continue
            clock, breach = self.model.clock(
                kind, row, minutes, milestones[kind], reached["end"], now
            )
            batch.clocks.append(clock)
            self.stats.clocks += 1
            if breach is not None:
                self.stats.breached += 1
                at = max(breach["due"], t["classified"] or breach["due"])
                events.append((at, 4, "sla_breached", breach["data"], None, {}))
            elif clock["met_at"] is None and clock["paused_at"] is None:
                self.stats.timers.append((row["number"], row["id"], kind, clock["due_at"]))


def _timeline(
    total: int, years: int, now: datetime, rng: random.Random, model: Model
) -> list[tuple[date, int]]:
    """How many incidents each UTC day gets: growth, seasons and weekends, summing to `total`."""
    first = (now - timedelta(days=round(365.25 * years))).date()
    days = [first + timedelta(days=i) for i in range((now.date() - first).days + 1)]
    weights = [model.day_weight(d, first) for d in days]
    scale = total / sum(weights)
    counts = [int(w * scale + rng.random()) for w in weights]
    counts[-1] += total - sum(counts)
    while counts[-1] < 0:  # give back what rounding took too much, from the busiest day
        i = counts.index(max(counts))
        counts[i] -= 1
        counts[-1] += 1
    return list(zip(days, counts, strict=True))


def _day(writer: HistoryWriter, batch: _HBatch, day: date, count: int, now: datetime) -> None:
    """The incidents of one UTC day, in time order (the last day stops before `now`)."""
    rng, model = writer.rng, writer.model
    start = datetime(day.year, day.month, day.day, tzinfo=UTC)
    span = min(86400.0, (now - start).total_seconds() - 60)
    if span <= 0:
        return
    items = []
    for site, kind in model.picks(rng, day, count):
        local = rng.choices(range(24), cum_weights=kind.hours)[0] * 3600 + rng.random() * 3600
        offset = site.tz.utcoffset(start.replace(tzinfo=None)) or timedelta()
        seconds = (local - offset.total_seconds()) % 86400.0
        if seconds >= span:
            seconds = rng.random() * span
        items.append((start + timedelta(seconds=round(seconds, 6)), site, kind))
    items.sort(key=lambda i: i[0])
    for reported, site, kind in items:
        writer.history_incident(batch, reported, site, kind, now)


def fill(
    db: Database,
    incidents: int,
    *,
    years: int = DEFAULT_YEARS,
    seed: int = DEFAULT_SEED,
    now: datetime | None = None,
    progress: bool = True,
) -> Stats:
    """Add `incidents` incidents over `years` years ending now; a progress bar on stderr."""
    started = time.perf_counter()
    now = now or datetime.now(UTC).replace(microsecond=0)
    world = g.ensure_world(db)
    model = build_model(db, world, ensure_units(db, world))
    rng = random.Random(seed)
    writer = HistoryWriter(world, model, rng, Corpus(seed))
    with db.engine.connect() as conn:
        writer.next_incident_id = (conn.scalar(select(func.max(Incident.id))) or 0) + 1
        writer.next_entry_id = (conn.scalar(select(func.max(TimelineEntry.id))) or 0) + 1
        writer.counters = dict(
            conn.execute(select(IncidentCounter.year, IncidentCounter.last)).all()
        )
    plan = _timeline(incidents, years, now, rng, model)
    bar: Any
    with g.progress_bar() if progress else _Quiet() as bar:
        task = bar.add_task(f"history ({db.dialect})", total=incidents)
        _write(db, writer, plan, now, lambda n: bar.advance(task, n))
    if db.dialect == "postgresql":
        g._postgres_after_load(db)
    if writer.stats.timers:
        schedule_timers(db, writer.stats.timers)
    writer.stats.seconds = time.perf_counter() - started
    return writer.stats


def _write(
    db: Database, writer: HistoryWriter, plan: list[tuple[date, int]], now: datetime, advance: Any
) -> None:
    with db.engine.execution_options(murphy_write=True).begin() as conn:
        index = g._suspend_search_index(conn)
        batch = _HBatch()
        for i, (day, count) in enumerate(plan):
            _day(writer, batch, day, count, now)
            if len(batch.incidents) >= CHUNK or i == len(plan) - 1:
                _flush(conn, batch)
                writer.stats.entries += len(batch.entries)
                advance(len(batch.incidents))
                batch = _HBatch()
        g._upsert_counters(conn, writer.counters)
        g._restore_search_index(conn, index)
        rebuild_facts(conn)  # the dashboard's rows, written behind the plugin's back


def _flush(conn: Connection, batch: _HBatch) -> None:
    for model, rows in (
        (Incident, batch.incidents),
        (TimelineEntry, batch.entries),
        (Clock, batch.clocks),
        (Assignment, batch.assignments),
    ):
        if rows:
            _insert_many(conn, cast(Table, model.__table__), rows)


def _insert_many(conn: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """`executemany` on the driver's cursor, the values converted as the column types
    would (UTC times, JSON): SQLAlchemy's per-row bind processing costs more than the
    rest of the generator together."""
    names = list(rows[0])
    sqlite = conn.dialect.name == "sqlite"
    mark = "?" if sqlite else "%s"
    convert = [(i, f) for i, n in enumerate(names) if (f := _converter(table.c[n].type, sqlite))]
    quote = conn.dialect.identifier_preparer.quote
    columns = ", ".join(quote(n) for n in names)
    sql = f"INSERT INTO {quote(table.name)} ({columns}) VALUES ({', '.join([mark] * len(names))})"  # noqa: S608 (names from the model)
    params = []
    for row in rows:
        values = [row[n] for n in names]
        for i, f in convert:
            values[i] = f(values[i])
        params.append(tuple(values))
    conn.exec_driver_sql(sql, params)


def _sqlite_time(value: datetime | None) -> str | None:
    """A UTC time as SQLAlchemy stores it on SQLite (always six digits of microseconds)."""
    if value is None:
        return None
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", timespec="microseconds")


def _converter(kind: Any, sqlite: bool) -> Any:
    """How a value of a column of type `kind` goes to the driver; None: as it is."""
    if isinstance(kind, UTCDateTime):
        return _sqlite_time if sqlite else None
    if isinstance(kind, JSON):
        return json.dumps if sqlite else Json
    return None


class _Quiet:
    """A progress bar that shows nothing (tests)."""

    def __enter__(self) -> _Quiet:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def add_task(self, *_a: Any, **_k: Any) -> int:
        return 0

    def advance(self, *_a: Any) -> None:
        return None


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.history --url URL --incidents N [--years Y] [--seed S]`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.history", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of a migrated database")
    parser.add_argument("--incidents", type=int, default=DEFAULT_INCIDENTS, help="how many to add")
    parser.add_argument("--years", type=int, default=DEFAULT_YEARS, help="ending now")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    args = parser.parse_args(argv)
    db = Database(args.url, pool_size=2)
    try:
        s = fill(db, args.incidents, years=args.years, seed=args.seed)
        g.console.print(
            f"added {s.added:,} incidents, {s.entries:,} timeline entries, {s.clocks:,} clocks "
            f"({s.breached:,} breached, {100 * s.breached / max(1, s.clocks):.1f} %), "
            f"{s.assignments:,} unit assignments in {s.seconds:.1f} s ({s.rate:,.0f}/s)"
        )
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
