"""Kill the delivery worker with SIGKILL in the middle of 1,000 deliveries: after a
restart all 1,000 arrive, and a message sent twice carries the same dedup key both
times (at least once, recognisable downstream). A real `murphy worker` process, a real
HTTP receiver that checks every signature, and the test database."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter

import pytest
from sqlalchemy import func, select

from murphy.incidents import service as incidents_service
from murphy.incidents.schemas import IncidentCreate
from murphy.notify import service
from murphy.notify.models import Delivery, DeliveryAttempt
from murphy.notify.schemas import RecipientIn, RuleIn
from tests.receivers import http_receiver

pytestmark = pytest.mark.slow

SECRET = "s3cret-for-the-crash-test"
MESSAGES = 1000


def start_worker(database_url: str) -> subprocess.Popen[bytes]:
    env = {
        **os.environ,
        "MURPHY_DATABASE_URL": database_url,
        "MURPHY_WEBHOOK_SECRET": SECRET,
        "MURPHY_DELIVERY_LEASE_SECONDS": "2",
        "MURPHY_DELIVERY_RETRY_SECONDS": "0.2",
        "MURPHY_DELIVERY_CONCURRENCY": "16",
        "MURPHY_LOG_LEVEL": "warning",
    }
    return subprocess.Popen(
        [sys.executable, "-m", "murphy", "worker"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def wait_for(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, f"timed out waiting for {what}"
        time.sleep(0.02)


def test_a_killed_worker_loses_nothing_and_repeats_keep_their_key(db, factory, database_url):
    factory.site("HQ")
    admin = factory.user("root", "admin", all_sites=True)
    with http_receiver(secret=SECRET, delay=0.01) as hook:
        with db.transaction() as s:
            data = RuleIn(
                name="all to the SOC",
                events=["incident.reported"],
                recipients=[RecipientIn(external=hook.url)],
            )
            service.create_rule(s, principal=admin.principal, data=data)
        with db.transaction() as s:
            for i in range(MESSAGES):
                incidents_service.report(
                    s, principal=admin.principal, data=IncidentCreate(title=f"Alarm {i}", site="HQ")
                )

        first = start_worker(database_url)
        try:
            wait_for(lambda: hook.count() >= 300, 60, "the first 300 webhooks")
        finally:
            first.send_signal(signal.SIGKILL)
            first.wait(10)
        assert first.returncode == -signal.SIGKILL
        at_kill = hook.count()
        assert at_kill < MESSAGES, "the worker finished before it was killed"

        second = start_worker(database_url)
        try:
            wait_for(lambda: len(set(hook.keys())) >= MESSAGES, 90, "all 1,000 webhooks")
        finally:
            second.send_signal(signal.SIGTERM)
            _, err = second.communicate(timeout=30)
        assert second.returncode == 0, err.decode()

    with db.transaction(write=False) as s:
        expected = set(s.scalars(select(Delivery.dedup_key)))
        states = dict(
            s.execute(select(Delivery.state, func.count()).group_by(Delivery.state)).all()
        )
        lost = s.scalar(
            select(func.count())
            .select_from(DeliveryAttempt)
            .where(DeliveryAttempt.outcome == "lost")
        )
    received = Counter(hook.keys())
    assert len(expected) == MESSAGES
    assert set(received) == expected  # every message arrived, and nothing else did
    assert all(h.signed for h in hook.hits)  # every one, repeats included, correctly signed
    for h in hook.hits:  # a repeat is the same message: same key in header and body
        assert h.json()["delivery_key"] == h.headers["Idempotency-Key"]
    assert states == {"sent": MESSAGES}
    repeats = sum(n - 1 for n in received.values())
    # what the killed worker had claimed but not recorded was taken again after its lease
    assert lost > 0, "the kill landed between two batches: nothing was in flight"
    assert lost >= repeats
    print(f"killed at {at_kill} received; {lost} claims lost, {repeats} repeats")
