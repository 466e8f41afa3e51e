"""A burst from many devices correlates into the incidents a control room expects: one
per zone, every repeat counted, nothing lost, every decision on a timeline (a device's
repeats noted at its 2nd, 10th, 100th ... signal). The service, one transaction per
signal, as the writer runs it."""

from __future__ import annotations

import json
import os
import random
from collections import Counter
from datetime import timedelta
from typing import Any

from sqlalchemy import func, select

from murphy.core.clock import utcnow
from murphy.incidents.models import Incident, TimelineEntry
from murphy.signals import service
from murphy.signals.models import Signal, Source
from murphy.signals.schemas import SourceIn
from tests.factories import Factory

# The burst: 10,000 signals from 500 devices (7 s here on SQLite, 18 s on
# PostgreSQL); MURPHY_SIGNALS_BURST sets another total.
TOTAL = int(os.environ.get("MURPHY_SIGNALS_BURST", "10000"))
DEVICES = TOTAL // 20
PER_ZONE = 5


def test_a_burst_from_many_devices_becomes_one_incident_per_zone(db: Any, factory: Factory) -> None:
    factory.taxonomy()
    factory.site("HQ")
    admin = factory.user("root", "admin", all_sites=True)
    mapping = {
        "title": "{event} ({device})",
        "type": "intrusion",
        "zone": "{zone}",
        "fingerprint": ["device"],
        "severity": "{sev}",
        "severities": {"high": 2},
    }
    with db.transaction() as session:
        data = SourceIn.model_validate(
            {"code": "panel", "name": "Panel", "site": "HQ", "mapping": mapping}
        )
        service.create_source(session, principal=admin.principal, data=data)
    zones = DEVICES // PER_ZONE
    sends = [d for d in range(DEVICES) for _ in range(TOTAL // DEVICES)]
    random.Random(7).shuffle(sends)
    start = utcnow()
    decisions: Counter[str] = Counter()
    for i, device in enumerate(sends):
        body = {
            "device": f"d{device}",
            "zone": f"Z{device % zones}",
            "event": "Motion",
            "sev": "high",
        }
        with db.transaction() as session:
            source = session.scalar(select(Source).where(Source.code == "panel"))
            assert source is not None
            answer, _ = service.receive(
                session,
                source=source,
                raw=json.dumps(body).encode(),
                now=start + timedelta(milliseconds=10 * i),  # all within the windows
            )
        decisions[answer.decision] += 1
    with db.engine.connect() as conn:
        incidents = conn.scalar(select(func.count()).select_from(Incident))
        rows = conn.execute(select(Signal.incident_id, Signal.count)).all()
        # every decision but a repeat is an entry; repeats at the 2nd, 10th, 100th ...
        repeats_noted = {2, 10, 100, 1_000, 10_000}
        entries = conn.scalar(
            select(func.count()).select_from(TimelineEntry).where(TimelineEntry.kind == "signal")
        )
    assert incidents == zones, "one incident per zone"
    assert decisions == {"new": zones, "correlated": DEVICES - zones, "duplicate": TOTAL - DEVICES}
    assert len(rows) == DEVICES and sum(r.count for r in rows) == TOTAL, "every repeat counted"
    per_incident = Counter(r.incident_id for r in rows)
    assert sorted(per_incident.values()) == [PER_ZONE] * zones
    expected = sum(1 + sum(1 for k in repeats_noted if k <= r.count) for r in rows)
    assert entries == expected, "every decision is on a timeline, repeats summarized"
