"""Fill a migrated Murphy database with realistic incidents, fast.

    python -m bench.generate --url sqlite:///bench.db --incidents 100000

Sites (with buildings, floors and zones) and users are created through Murphy's own
services the first time; incidents are then written with SQLAlchemy Core
`executemany` in chunks, one transaction per chunk. Each incident gets exactly what
`murphy.incidents.service.report` (and `transition`) would have written: its number
from the yearly counter, a `created` timeline entry, one entry per lifecycle move
for the ones that were triaged, resolved, closed or cancelled, each hash-chained with
`murphy.core.audit.chain_hash` over `murphy.incidents.rules.entry_body`, and
`timeline_head`/`timeline_length`/`version` on the row to match, so `murphy audit
verify` passes. The counters of the years touched are updated in the same
transaction as each chunk, so the server carries on numbering where the generator
stopped. On SQLite the FTS5 index is kept by the migration's triggers, as in
production; on PostgreSQL the GIN index is maintained by the inserts and the tables
are VACUUM ANALYZEd at the end (what autovacuum would do on its own shortly after).
"""

from __future__ import annotations

import argparse
import bisect
import random
import re
import secrets
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskProgressColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from sqlalchemy import Connection, func, insert, select, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from bench.corpus import Corpus
from murphy.analytics.changes import rebuild as rebuild_facts
from murphy.core import audit
from murphy.core.clock import isoformat
from murphy.core.db import Database
from murphy.incidents import rules
from murphy.incidents import service as incidents_service
from murphy.incidents.models import Incident, IncidentCounter, TimelineEntry
from murphy.incidents.schemas import Channel, IncidentQuery, ResolutionCode, Status
from murphy.sites import service as sites_service
from murphy.sites.models import Building, Floor, Site, Zone
from murphy.sites.schemas import BuildingIn, FloorIn, SiteIn, ZoneIn
from murphy.users import service as users_service
from murphy.users.models import User
from murphy.users.schemas import Principal, Role, UserIn

console = Console(stderr=True, highlight=False)

# code, name, time zone, share of incidents, {building code: (name, floor levels)}
SITES: list[tuple[str, str, str, float, dict[str, tuple[str, list[int]]]]] = [
    (
        "HQ",
        "Headquarters",
        "Europe/Berlin",
        0.35,
        {"MAIN": ("Main building", [-1, 0, 1, 2, 3, 4, 5]), "LAB": ("Laboratories", [0, 1, 2])},
    ),
    (
        "HOSP",
        "St. Mary Hospital",
        "America/New_York",
        0.30,
        {
            "ER": ("Emergency wing", [0, 1]),
            "WEST": ("West wing", [0, 1, 2, 3]),
            "EAST": ("East wing", [0, 1, 2, 3]),
        },
    ),
    (
        "UNI",
        "North Campus",
        "Europe/London",
        0.25,
        {"LIB": ("Library", [0, 1, 2]), "SCI": ("Science hall", [0, 1, 2, 3])},
    ),
    ("DC", "Data Centre", "Asia/Singapore", 0.10, {"DC1": ("Data hall 1", [0, 1])}),
]
OUTDOOR_ZONES = [("GATE-E", "East gate"), ("GATE-W", "West gate"), ("CARPARK", "Car park")]

# username, role; the reporters are the ones who report, the dispatchers and officers
# move incidents along.
USERS: list[tuple[str, Role]] = [
    ("admin", Role.ADMIN),
    *((f"dispatcher{i}", Role.DISPATCHER) for i in range(1, 4)),
    *((f"officer{i}", Role.OFFICER) for i in range(1, 5)),
    *((f"reporter{i}", Role.REPORTER) for i in range(1, 4)),
]

CHANNELS = [Channel.WEB, Channel.API, Channel.PHONE, Channel.CLI]
CHANNEL_WEIGHTS = [50, 20, 25, 5]
DETAILS = ["by the lifts", "near the vending machines", "room 2.14", "behind the bins", "door 3"]

DEFAULT_SEED = 2026
DEFAULT_DAYS = 730
DEFAULT_CHUNK = 2000


@dataclass(frozen=True)
class Place:
    """A place incidents can be reported at: ids for the row, codes for the timeline."""

    building_id: int | None
    floor_id: int | None
    zone_id: int | None
    codes: dict[str, str | None]


@dataclass(frozen=True)
class SiteInfo:
    """A site, its time zone and the places in it."""

    id: int
    code: str
    tz: ZoneInfo
    weight: float
    zones: list[Place]
    buildings: list[Place]


@dataclass(frozen=True)
class Actor:
    """A user as the timeline records them."""

    id: int
    username: str
    role: Role


@dataclass
class World:
    """The sites and users incidents are generated for."""

    sites: list[SiteInfo]
    reporters: list[Actor]
    dispatchers: list[Actor]
    officers: list[Actor]


@dataclass
class Stats:
    """What one generation run did."""

    added: int = 0
    total: int = 0
    entries: int = 0
    seconds: float = 0.0
    by_status: dict[str, int] = field(default_factory=dict)

    @property
    def rate(self) -> float:
        """Incidents written per second."""
        return self.added / self.seconds if self.seconds else 0.0


# --- sites and users, through Murphy's services ----------------------------------------


def ensure_world(db: Database) -> World:
    """Create the bench organization through the services if the database has no sites."""
    with db.transaction(write=False) as session:
        empty = session.scalar(select(Site.id).limit(1)) is None
    if empty:
        with db.transaction() as session:
            for code, name, tz, _weight, buildings in SITES:
                site = sites_service.create(
                    session, data=SiteIn(code=code, name=name, timezone=tz, address="")
                )
                for b_code, (b_name, levels) in buildings.items():
                    building = sites_service.add_building(
                        session, site=site, data=BuildingIn(code=b_code, name=b_name)
                    )
                    for level in levels:
                        f_code = f"B{-level}" if level < 0 else str(level)
                        sites_service.add_floor(
                            session,
                            building=building,
                            data=FloorIn(code=f_code, name=f"Floor {f_code}", level=level),
                        )
                        for side in ("N", "S"):
                            sites_service.add_zone(
                                session,
                                site=site,
                                data=ZoneIn(
                                    code=f"{b_code}-{f_code}-{side}",
                                    name=f"{b_name} floor {f_code} {side}",
                                    building=b_code,
                                    floor=f_code,
                                ),
                            )
                for z_code, z_name in OUTDOOR_ZONES:
                    sites_service.add_zone(
                        session, site=site, data=ZoneIn(code=z_code, name=z_name)
                    )
        with db.transaction() as session:
            for username, role in USERS:
                if users_service.get(session, username=username) is None:
                    users_service.create(
                        session,
                        data=UserIn(
                            username=username,
                            role=role,
                            all_sites=True,
                            password=secrets.token_urlsafe(18),
                        ),
                    )
    return load_world(db)


def load_world(db: Database) -> World:
    """Read the sites, places and users of a prepared database."""
    weights = {code: weight for code, _n, _tz, weight, _b in SITES}
    with db.transaction(write=False) as session:
        sites = session.scalars(select(Site).order_by(Site.id)).all()
        buildings = {b.id: b for b in session.scalars(select(Building))}
        floors = {f.id: f for f in session.scalars(select(Floor))}
        zones = session.scalars(select(Zone).order_by(Zone.id)).all()
        users = session.scalars(select(User).where(User.is_active).order_by(User.id)).all()
    infos = []
    for s in sites:
        zone_places = []
        for z in zones:
            if z.site_id != s.id:
                continue
            b = buildings.get(z.building_id) if z.building_id else None
            f = floors.get(z.floor_id) if z.floor_id else None
            codes = {
                "building": b.code if b else None,
                "floor": f.code if f else None,
                "zone": z.code,
            }
            zone_places.append(Place(z.building_id, z.floor_id, z.id, codes))
        building_places = [
            Place(b.id, None, None, {"building": b.code, "floor": None, "zone": None})
            for b in buildings.values()
            if b.site_id == s.id
        ]
        infos.append(
            SiteInfo(
                s.id, s.code, ZoneInfo(s.timezone), weights.get(s.code, 0.1), zone_places,
                building_places,
            )
        )  # fmt: skip
    actors = [Actor(u.id, u.username, Role(u.role)) for u in users]
    dispatchers = [a for a in actors if a.role in (Role.DISPATCHER, Role.SUPERVISOR)]
    officers = [a for a in actors if a.role is Role.OFFICER]
    if not infos or not actors:
        raise SystemExit("the database has no sites or users: run without --no-setup first")
    return World(
        sites=infos,
        reporters=actors,
        dispatchers=dispatchers or actors,
        officers=officers or actors,
    )


def create_token(db: Database, username: str = "admin", name: str = "bench") -> str:
    """A new API token for `username` (through the users service)."""
    with db.transaction() as session:
        user = users_service.get_or_raise(session, username=username)
        return users_service.create_token(session, user=user, name=name).token


# --- incidents ----------------------------------------------------------------------------


@dataclass
class _Batch:
    incidents: list[dict[str, Any]] = field(default_factory=list)
    entries: list[dict[str, Any]] = field(default_factory=list)


class _Writer:
    """Builds incident rows and their hash-chained timelines, exactly as the service does."""

    def __init__(self, world: World, rng: random.Random, corpus: Corpus) -> None:
        self.world = world
        self.rng = rng
        self.corpus = corpus
        self.site_weights = [s.weight for s in world.sites]
        self.counters: dict[int, int] = {}
        self.next_incident_id = 1
        self.next_entry_id = 1
        self.by_status: dict[str, int] = {}

    def incident(self, batch: _Batch, reported: datetime, now: datetime) -> None:
        rng = self.rng
        (site,) = rng.choices(self.world.sites, weights=self.site_weights)
        year = reported.astimezone(site.tz).year
        seq = self.counters.get(year, 0) + 1
        self.counters[year] = seq
        number = rules.format_number(year, seq)
        text_ = self.corpus.text()
        place = self._place(site)
        detail = rng.choice(DETAILS) if place is not None and rng.random() < 0.3 else ""
        occurred = None
        if rng.random() < 0.6:
            occurred = (reported - timedelta(seconds=rng.randint(0, 7200))).replace(microsecond=0)
        reporter = rng.choice(self.world.reporters)
        channel = rng.choices(CHANNELS, weights=CHANNEL_WEIGHTS)[0]
        row = blank_incident()
        row.update(
            id=self.next_incident_id,
            number=number,
            year=year,
            seq=seq,
            title=text_.title,
            description=text_.description,
            status=Status.NEW.value,
            channel=channel.value,
            site_id=site.id,
            building_id=place.building_id if place else None,
            floor_id=place.floor_id if place else None,
            zone_id=place.zone_id if place else None,
            location_detail=detail,
            occurred_at=occurred,
            reported_at=reported,
            reporter_id=reporter.id,
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
        codes = {**place.codes, "detail": detail} if place else _no_place()
        created = {
            "number": number,
            "title": text_.title,
            "description": text_.description,
            "site": site.code,
            "place": codes,
            "occurred_at": isoformat(occurred) if occurred else None,
            "reported_at": isoformat(reported),
            "channel": channel.value,
        }
        self._append(batch, row, "created", created, reporter, reported)
        self._lifecycle(batch, row, now)
        self.by_status[row["status"]] = self.by_status.get(row["status"], 0) + 1
        batch.incidents.append(row)

    def _place(self, site: SiteInfo) -> Place | None:
        r = self.rng.random()
        if r < 0.7 and site.zones:
            return self.rng.choice(site.zones)
        if r < 0.85 and site.buildings:
            return self.rng.choice(site.buildings)
        return None

    def _lifecycle(self, batch: _Batch, row: dict[str, Any], now: datetime) -> None:
        """Move an incident on as far as its age makes likely, with a timeline entry per move."""
        rng = self.rng
        age = now - row["reported_at"]
        r = rng.random()
        if age < timedelta(days=2):
            # recent: mostly still in the queue
            plan = _pick(r, [(0.40, "new"), (0.65, "triaged"), (0.85, "responding")])
            plan = plan or _pick(r, [(0.95, "resolved"), (1.0, "cancelled")])
        else:
            # older: mostly closed, a few forgotten in the queue
            plan = _pick(r, [(0.002, "new"), (0.004, "triaged"), (0.006, "responding")])
            plan = plan or _pick(r, [(0.08, "resolved"), (0.14, "cancelled"), (1.0, "closed")])
        at = row["reported_at"]
        steps: list[tuple[str, Actor, dict[str, Any]]] = []
        if plan == "cancelled":
            reason = self.corpus.cancel_reason()
            row["cancel_reason"] = reason
            steps.append(("cancelled", rng.choice(self.world.dispatchers), {"reason": reason}))
        else:
            order = ["triaged", "responding", "resolved", "closed"]
            target = order.index(plan) + 1 if plan in order else 0
            for status in order[:target]:
                actor = rng.choice(
                    self.world.officers
                    if status in ("responding", "resolved")
                    else self.world.dispatchers
                )
                extra: dict[str, Any] = {}
                if status == "resolved":
                    code = rng.choice(list(ResolutionCode))
                    summary = self.corpus.resolution()
                    row["resolution_code"] = code.value
                    row["resolution_summary"] = summary
                    extra = {"reason": summary, "resolution_code": code.value}
                steps.append((status, actor, extra))
        for status, actor, extra in steps:
            at = min(at + timedelta(seconds=rng.randint(30, 4 * 3600)), now)
            action = _ACTION[status]
            data = {"action": action, "from": row["status"], "to": status, **extra}
            row["status"] = status
            row[f"{status}_at"] = at
            row[f"{status}_by_id"] = actor.id
            row["version"] += 1
            row["updated_at"] = at
            self._append(batch, row, "transition", data, actor, at)

    def _append(
        self,
        batch: _Batch,
        row: dict[str, Any],
        kind: str,
        data: dict[str, Any],
        actor: Actor | None,
        at: datetime,
    ) -> None:
        """As murphy.incidents.service._append: the entry, the chain, the head on the row."""
        seq = row["timeline_length"] + 1
        username = actor.username if actor else None
        body = rules.entry_body(row["number"], seq, isoformat(at), username, kind, data)
        digest = audit.chain_hash(row["timeline_head"], body)
        batch.entries.append(
            {
                "id": self.next_entry_id,
                "incident_id": row["id"],
                "seq": seq,
                "at": at,
                "actor_id": actor.id if actor else None,
                "actor": username,
                "kind": kind,
                "data": data,
                "prev_hash": row["timeline_head"],
                "hash": digest,
            }
        )
        self.next_entry_id += 1
        row["timeline_length"] = seq
        row["timeline_head"] = digest


def blank_incident() -> dict[str, Any]:
    """An incident row with every column: its scalar default, else None."""
    row: dict[str, Any] = {}
    for c in Incident.__table__.columns:
        default = c.default
        row[c.name] = default.arg if default is not None and default.is_scalar else None
    return row


_ACTION = {
    "triaged": "triage",
    "responding": "respond",
    "resolved": "resolve",
    "closed": "close",
    "cancelled": "cancel",
}


def _pick(r: float, table: list[tuple[float, str]]) -> str | None:
    for bound, status in table:
        if r < bound:
            return status
    return None


def _no_place() -> dict[str, str | None]:
    return {"building": None, "floor": None, "zone": None, "detail": ""}


def _times(count: int, now: datetime, days: int, rng: random.Random) -> Iterator[datetime]:
    """`count` increasing instants spread over the `days` before `now`, at microsecond precision."""
    start = now - timedelta(days=days)
    step = days * 86400 / count
    for i in range(count):
        offset = (i + rng.random() * 0.999) * step
        yield start + timedelta(seconds=round(offset, 6))


def _upsert_counters(conn: Connection, counters: dict[int, int]) -> None:
    upsert = pg_insert if conn.dialect.name == "postgresql" else sqlite_insert
    for year, last in counters.items():
        stmt = upsert(IncidentCounter).values(year=year, last=last)
        stmt = stmt.on_conflict_do_update(
            index_elements=[IncidentCounter.year], set_={"last": stmt.excluded.last}
        )
        conn.execute(stmt)


def generate(
    db: Database,
    incidents: int,
    *,
    seed: int = DEFAULT_SEED,
    days: int = DEFAULT_DAYS,
    chunk: int = DEFAULT_CHUNK,
    now: datetime | None = None,
    on_progress: Callable[[int], None] | None = None,
) -> Stats:
    """Add incidents until the database holds `incidents` of them; returns what was done."""
    started = time.perf_counter()
    world = ensure_world(db)
    with db.engine.connect() as conn:
        have = conn.scalar(select(func.count()).select_from(Incident)) or 0
        max_incident = conn.scalar(select(func.max(Incident.id))) or 0
        max_entry = conn.scalar(select(func.max(TimelineEntry.id))) or 0
        counters = dict(conn.execute(select(IncidentCounter.year, IncidentCounter.last)).all())
    stats = Stats(total=have)
    todo = max(0, incidents - have)
    if todo == 0:
        return stats
    rng = random.Random(seed + have)
    writer = _Writer(world, rng, Corpus(seed + have))
    writer.counters = dict(counters)
    writer.next_incident_id = max_incident + 1
    writer.next_entry_id = max_entry + 1
    now = now or datetime.now(UTC)
    times = _times(todo, now - timedelta(minutes=1), days, rng)
    done = 0
    with db.engine.execution_options(murphy_write=True).begin() as conn:
        index = _suspend_search_index(conn)
        while done < todo:
            size = min(chunk, todo - done)
            batch = _Batch()
            for _ in range(size):
                writer.incident(batch, next(times), now)
            conn.execute(insert(Incident), batch.incidents)
            conn.execute(insert(TimelineEntry), batch.entries)
            done += size
            stats.entries += len(batch.entries)
            if on_progress:
                on_progress(size)
        _upsert_counters(conn, writer.counters)
        _restore_search_index(conn, index)
        rebuild_facts(conn)  # the dashboard's rows, written behind the plugin's back
    if db.dialect == "postgresql":
        _postgres_after_load(db)
    stats.added = todo
    stats.total = have + todo
    stats.by_status = writer.by_status
    stats.seconds = time.perf_counter() - started
    return stats


# The text-search objects of the initial migration. Keeping them up to date row by row
# costs more than building them once at the end (SQLite 25 s against 20 s at 100,000
# incidents, PostgreSQL 39 s against 31 s), so they are dropped and re-created, from
# their own stored definitions, inside the loading transaction: if the load fails, the
# schema is exactly as it was.
SQLITE_TRIGGER = "incidents_fts_insert"
PG_INDEX = "ix_incidents_fts"


def _suspend_search_index(conn: Connection) -> str | None:
    """Drop the search trigger (SQLite) or GIN index (PostgreSQL); return its definition."""
    if conn.dialect.name == "sqlite":
        found = conn.scalar(
            text("SELECT sql FROM sqlite_master WHERE type = 'trigger' AND name = :n"),
            {"n": SQLITE_TRIGGER},
        )
        if found:
            conn.execute(text(f"DROP TRIGGER {SQLITE_TRIGGER}"))
    else:
        found = conn.scalar(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = :n"), {"n": PG_INDEX}
        )
        if found:
            conn.execute(text(f"DROP INDEX {PG_INDEX}"))
    if not found:
        console.print("[yellow]warning:[/] no search index found; text search is not rebuilt")
    return str(found) if found else None


def _restore_search_index(conn: Connection, definition: str | None) -> None:
    """Re-create what `_suspend_search_index` dropped and index every row."""
    if definition is None:
        return
    conn.execute(text(definition))
    if conn.dialect.name == "sqlite":
        conn.execute(text("INSERT INTO incidents_fts(incidents_fts) VALUES ('rebuild')"))


SETVAL = [
    "SELECT setval(pg_get_serial_sequence('incidents', 'id'), (SELECT max(id) FROM incidents))",
    "SELECT setval(pg_get_serial_sequence('timeline_entries', 'id'), "
    "(SELECT max(id) FROM timeline_entries))",
]


def _postgres_after_load(db: Database) -> None:
    """Move the id sequences past the explicit ids, and give the planner its statistics."""
    with db.engine.begin() as conn:
        for statement in SETVAL:
            conn.execute(text(statement))
    with db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
        conn.execute(text("VACUUM ANALYZE"))


@dataclass(frozen=True)
class SearchCheck:
    """What a search returns through the service, against a full scan."""

    q: str
    listed: int
    scanned: int
    differing: int  # incidents in one result and not the other

    @property
    def ok(self) -> bool:
        """Whether the service returned exactly the incidents the scan found."""
        return self.differing == 0


def check_search(db: Database, words: list[str]) -> list[SearchCheck]:
    """For each search, the incidents the API's search returns and those a full scan finds.

    The first is what `murphy.incidents.service.list` returns for `q=word` (every page,
    as the admin sees it); the scan reads every title and description and applies the
    documented rule (every word of the search is the prefix of a word of the incident).
    They must be the same incidents.
    """
    docs: list[tuple[str, frozenset[str]]] = []
    with db.transaction(write=False) as session:
        rows = session.execute(select(Incident.number, Incident.title, Incident.description))
        for number, title, description in rows:
            docs.append((number, frozenset(_TOKEN.findall(f"{title} {description}".lower()))))
        admin = users_service.principal(
            session, users_service.get_or_raise(session, username="admin")
        )
        vocabulary = sorted(set().union(*(d for _, d in docs))) if docs else []
        out = []
        for q in words:
            listed = _listed(session, admin, q)
            wanted = [_with_prefix(vocabulary, t) for t in rules.search_terms(q)]
            scanned = {n for n, d in docs if all(not d.isdisjoint(w) for w in wanted)}
            out.append(SearchCheck(q, len(listed), len(scanned), len(listed ^ scanned)))
    return out


def _listed(session: Session, principal: Principal, q: str) -> set[str]:
    """The numbers the incident list returns for a search, following every page."""
    numbers: set[str] = set()
    cursor = None
    while True:
        page = incidents_service.list(
            session, principal=principal, query=IncidentQuery(q=q, limit=200, cursor=cursor)
        )
        numbers.update(item.number for item in page.items)
        if not page.next_cursor:
            return numbers
        cursor = page.next_cursor


_TOKEN = re.compile(r"\w+")


def _with_prefix(vocabulary: list[str], prefix: str) -> frozenset[str]:
    """The words of a sorted vocabulary that start with `prefix`."""
    i = bisect.bisect_left(vocabulary, prefix)
    out = []
    while i < len(vocabulary) and vocabulary[i].startswith(prefix):
        out.append(vocabulary[i])
        i += 1
    return frozenset(out)


def progress_bar(console_: Console | None = None) -> Progress:
    """The progress display used by the CLI and by bench.run."""
    return Progress(
        "[progress.description]{task.description}",
        BarColumn(),
        MofNCompleteColumn(),
        TaskProgressColumn(),
        TimeElapsedColumn(),
        TimeRemainingColumn(),
        console=console_ or console,
        transient=False,
    )


def fill(
    db: Database, incidents: int, *, seed: int = DEFAULT_SEED, days: int = DEFAULT_DAYS
) -> Stats:
    """`generate` with a progress bar on stderr."""
    with db.engine.connect() as conn:
        have = conn.scalar(select(func.count()).select_from(Incident)) or 0
    with progress_bar() as bar:
        task = bar.add_task(f"generating incidents ({db.dialect})", total=max(0, incidents - have))
        return generate(
            db, incidents, seed=seed, days=days, on_progress=lambda n: bar.advance(task, n)
        )


def main(argv: list[str] | None = None) -> None:
    """`python -m bench.generate --url URL --incidents N`."""
    parser = argparse.ArgumentParser(
        prog="python -m bench.generate", description=__doc__.split("\n")[0]
    )
    parser.add_argument("--url", required=True, help="SQLAlchemy URL of a migrated database")
    parser.add_argument("--incidents", type=int, required=True, help="fill up to this many")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--days", type=int, default=DEFAULT_DAYS, help="spread over this many days")
    parser.add_argument("--token", action="store_true", help="also print a new API token for admin")
    args = parser.parse_args(argv)
    db = Database(args.url, pool_size=2)
    try:
        stats = fill(db, args.incidents, seed=args.seed, days=args.days)
        console.print(
            f"added {stats.added:,} incidents ({stats.entries:,} timeline entries) in "
            f"{stats.seconds:.1f} s ({stats.rate:,.0f}/s); the database holds {stats.total:,}"
        )
        if stats.by_status:
            console.print(
                "statuses: " + ", ".join(f"{k} {v:,}" for k, v in sorted(stats.by_status.items()))
            )
        if args.token:
            print(create_token(db))
    finally:
        db.dispose()


if __name__ == "__main__":
    main()
