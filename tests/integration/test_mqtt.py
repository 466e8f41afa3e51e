"""MQTT against a real Mosquitto that the test starts: messages become signals, a
subscriber killed mid-stream loses nothing it acknowledged, and it reconnects after the
broker restarts."""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import paho.mqtt.client as mqtt
import pytest
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy import func, select

from murphy.signals import service
from murphy.signals.models import Signal
from murphy.signals.schemas import SourceIn
from tests.factories import Factory

REPO = Path(__file__).resolve().parents[2]
MOSQUITTO = shutil.which("mosquitto") or "/usr/sbin/mosquitto"
pytestmark = [
    pytest.mark.xdist_group("processes"),
    pytest.mark.skipif(
        not Path(MOSQUITTO).exists() and not os.environ.get("MURPHY_REQUIRE_E2E"),
        reason="Mosquitto is not installed (apt-get install mosquitto)",
    ),
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _wait(predicate: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.1)


class Broker:
    """A Mosquitto on a free port; restartable on the same port."""

    def __init__(self, tmp: Path) -> None:
        self.port = _free_port()
        self.conf = tmp / "mosquitto.conf"
        self.conf.write_text(
            f"listener {self.port} 127.0.0.1\nallow_anonymous true\npersistence false\n"
        )
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        self.proc = subprocess.Popen(
            [MOSQUITTO, "-c", str(self.conf)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        _wait(self._listening, 10, "Mosquitto to listen")

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)

    def _listening(self) -> bool:
        with socket.socket() as s:
            return s.connect_ex(("127.0.0.1", self.port)) == 0


@pytest.fixture
def broker(tmp_path: Path) -> Iterator[Broker]:
    b = Broker(tmp_path)
    b.start()
    yield b
    b.stop()


def _subscriber(url: str, port: int, log: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "MURPHY_DATABASE_URL": url, "MURPHY_LOG_LEVEL": "warning"}
    with log.open("ab") as out:
        return subprocess.Popen(
            [sys.executable, "-m", "murphy", "mqtt", "--broker", f"mqtt://127.0.0.1:{port}"],
            cwd=REPO,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
        )


def _publish(port: int, messages: list[tuple[str, bytes]]) -> None:
    client = mqtt.Client(CallbackAPIVersion.VERSION2, client_id=f"pub-{time.monotonic_ns()}")
    client.connect("127.0.0.1", port)
    client.loop_start()
    for topic, payload in messages:
        client.publish(topic, payload, qos=1).wait_for_publish(10)
    client.disconnect()
    client.loop_stop()


def _alarm(n: int) -> tuple[str, bytes]:
    body = {"n": n, "event": f"Door {n} held open", "state": "ok"}
    return f"hq/alarms/door/{n}", json.dumps(body).encode()


def _stored(db: Any) -> int:
    with db.engine.connect() as conn:
        return int(conn.scalar(select(func.count()).select_from(Signal)) or 0)


def _source(db: Any, factory: Factory) -> None:
    factory.site("HQ")
    admin = factory.user("root", "admin", all_sites=True)
    mapping = {
        "title": "{event}",
        "fingerprint": ["n"],
        "clear": {"path": "state", "equals": ["ok"]},
    }
    data = SourceIn.model_validate(
        {
            "code": "doors",
            "name": "Doors",
            "site": "HQ",
            "mapping": mapping,
            "topics": ["hq/alarms/#"],
        }
    )
    with db.transaction() as session:
        service.create_source(session, principal=admin.principal, data=data)


def test_messages_become_signals_and_a_killed_subscriber_loses_none(
    db: Any, factory: Factory, database_url: str, broker: Broker, tmp_path: Path
) -> None:
    _source(db, factory)
    log = tmp_path / "mqtt.log"
    sub = _subscriber(database_url, broker.port, log)
    try:
        _wait(lambda: "topics: hq/alarms/#" in log.read_text(), 30, "the subscriber to start")
        time.sleep(0.5)  # subscribed
        _publish(broker.port, [_alarm(n) for n in range(30)])
        _publish(broker.port, [("hq/alarms/door/x", b"{not json")])  # refused, acknowledged
        _publish(broker.port, [("elsewhere/topic", b"{}")])  # no source listens
        _wait(lambda: _stored(db) == 30, 30, "30 signals")
        sub.send_signal(signal.SIGKILL)  # gone, without a word to the broker
        sub.wait(10)
        _publish(broker.port, [_alarm(n) for n in range(30, 60)])  # queued for its session
        sub = _subscriber(database_url, broker.port, log)
        _wait(lambda: _stored(db) == 60, 60, "the 30 queued while it was down")
        broker.stop()  # the broker goes away and comes back: the subscriber reconnects
        broker.start()
        time.sleep(3)  # backoff: first retry after 1 s
        _publish(broker.port, [_alarm(n) for n in range(60, 70)])
        _wait(lambda: _stored(db) == 70, 60, "signals after the broker came back")
    finally:
        if sub.poll() is None:
            sub.send_signal(signal.SIGTERM)
            sub.wait(10)
    with db.engine.connect() as conn:
        titles = set(conn.execute(select(Signal.title)).scalars())
    assert titles == {f"Door {n} held open" for n in range(70)}
    assert "refused" in log.read_text()


def test_serve_subscribes_in_process_when_given_a_broker(
    db: Any, factory: Factory, database_url: str, broker: Broker
) -> None:
    from fastapi.testclient import TestClient

    from murphy.app import create_app
    from murphy.settings import Settings

    _source(db, factory)
    settings = Settings(
        database_url=database_url,
        mqtt_url=f"mqtt://127.0.0.1:{broker.port}",
        mqtt_in_serve=True,
        mqtt_client_id="murphy-in-process",
        scheduler=False,
    )
    with TestClient(create_app(settings, db=db)):  # the lifespan runs: the subscriber too
        threads = {t.name for t in threading.enumerate()}
        assert "murphy-mqtt" in threads
        time.sleep(1.5)  # connected and subscribed
        _publish(broker.port, [_alarm(n) for n in range(5)])
        _wait(lambda: _stored(db) == 5, 30, "5 signals through the in-process subscriber")
    _wait(
        lambda: "murphy-mqtt" not in {t.name for t in threading.enumerate()},
        15,
        "the subscriber to stop with the server",
    )
    with db.engine.connect() as conn:
        titles = set(conn.execute(select(Signal.title)).scalars())
    assert titles == {f"Door {n} held open" for n in range(5)}
