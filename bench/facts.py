"""What keeping the analytics facts costs each change of an incident.

    python -m bench.facts [--db sqlite|postgresql|both] [--incidents 100] [--rounds 5]

The analytics plugin rewrites an incident's fact row after every change, in the change's
own transaction. This bench works incidents through the real services, as a dispatcher
would (report, classify, triage, respond, a note, cancel as a false alarm: six
transactions each), in rounds that alternate between the plugin registered and left out, on
one fresh database (bench organization, corporate pack). It prints incidents per second
both ways and their ratio (the cost of the facts), and checks every incident has its row.
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import dataclass

from sqlalchemy import func, select

from bench import generate as g
from bench.run import Options, fresh_database
from murphy import migrations, plugins
from murphy.analytics.changes import FACTS
from murphy.core.db import Database
from murphy.incidents import service as incidents_service
from murphy.incidents import triage
from murphy.incidents.schemas import ClassifyIn, IncidentCreate, NoteIn, Status, TransitionIn
from murphy.taxonomy import service as taxonomy_service
from murphy.users import service as users_service
from murphy.users.schemas import Principal

PLUGIN = "murphy.analytics.plugin"
DEFAULT_PG = "postgresql+psycopg://murphy:murphy@127.0.0.1:5432/murphy_bench_facts"


@dataclass(frozen=True)
class Result:
    """Incidents per second with and without the plugin, over the rounds."""

    database: str
    per_round: int
    with_facts: list[float]
    without: list[float]

    @property
    def ratio(self) -> float:
        """Median rate with the facts kept ÷ median rate without."""
        return statistics.median(self.with_facts) / statistics.median(self.without)


def work(db: Database, who: Principal, site: str, count: int) -> None:
    """`count` incidents from report to cancelled through the services."""
    for i in range(count):
        with db.transaction() as s:
            data = IncidentCreate(title=f"Door held open at the dock ({i})", site=site)
            number = incidents_service.report(s, principal=who, data=data).number
        with db.transaction() as s:
            triage.classify(
                s, principal=who, number=number, data=ClassifyIn(type="intrusion.alarm")
            )
        for step in (
            TransitionIn(to=Status.TRIAGED),
            TransitionIn(to=Status.RESPONDING),
            None,
            TransitionIn(to=Status.CANCELLED, reason="False alarm: the wind"),
        ):
            with db.transaction() as s:
                if step is None:
                    note = NoteIn(body="Checked the door, closed it")
                    incidents_service.add_note(s, principal=who, number=number, data=note)
                else:
                    incidents_service.transition(s, principal=who, number=number, data=step)


def measure(url: str, kind: str, count: int, rounds: int) -> Result:
    db = Database(url, pool_size=2)
    migrations.upgrade(db)
    pm = plugins.install(db)
    world = g.ensure_world(db)
    with db.transaction() as s:
        if not taxonomy_service.tree(s):
            taxonomy_service.load_pack(s, name="corporate", actor="bench")
        user = users_service.get(s, username=world.dispatchers[0].username)
        if user is None:
            raise SystemExit("the bench organization has no dispatcher")
        who = users_service.principal(s, user)
    site = world.sites[0].code
    module = pm.get_plugin(PLUGIN)
    work(db, who, site, 5)  # warm up
    rates: dict[bool, list[float]] = {True: [], False: []}
    for r in range(rounds):
        for keep in (True, False) if r % 2 == 0 else (False, True):
            if not keep:
                pm.unregister(name=PLUGIN)
            started = time.perf_counter()
            work(db, who, site, count)
            rates[keep].append(count / (time.perf_counter() - started))
            if not keep:
                pm.register(module, name=PLUGIN)
    with db.engine.connect() as conn:
        kept = conn.scalar(select(func.count()).select_from(FACTS))
    if kept != 5 + rounds * count:  # the warm-up and the rounds with the plugin
        raise SystemExit(f"{kept} fact rows for {5 + rounds * count} incidents worked with them")
    db.dispose()
    return Result(kind, count, rates[True], rates[False])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.facts", description=__doc__)
    parser.add_argument("--db", choices=["sqlite", "postgresql", "both"], default="both")
    parser.add_argument("--incidents", type=int, default=100, help="per round")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pg-url", default=DEFAULT_PG)
    args = parser.parse_args(argv)
    kinds = ["sqlite", "postgresql"] if args.db == "both" else [args.db]
    opts = Options.databases_only(args.pg_url)
    print("| database | incidents/s with the facts | without | ratio |")
    print("| --- | ---: | ---: | ---: |")
    for kind in kinds:
        with fresh_database(kind, opts) as url:
            res = measure(url, kind, args.incidents, args.rounds)
        print(
            f"| {kind} | {statistics.median(res.with_facts):.1f} | "
            f"{statistics.median(res.without):.1f} | {res.ratio:.2f} |"
        )


if __name__ == "__main__":
    main()
