"""`murphy mqtt`: turn MQTT messages on the sources' topics into signals."""

from __future__ import annotations

import signal
import threading
from typing import Annotated

import typer

from murphy.cli.common import console, migrated_database
from murphy.signals.mqtt import Subscriber


def register(app: typer.Typer) -> None:
    """Add the commands of this module to `app`."""
    app.command()(mqtt)


def mqtt(
    broker: Annotated[
        str, typer.Option(envvar="MURPHY_MQTT_URL", help="mqtt://[USER:PASS@]HOST:PORT")
    ] = "mqtt://127.0.0.1:1883",
    client_id: Annotated[
        str, typer.Option(help="Keep it the same across restarts: the broker keeps its queue")
    ] = "murphy-signals",
) -> None:
    """Subscribe to the topics of the active sources (QoS 1) until stopped (Ctrl+C)."""
    db = migrated_database()
    subscriber = Subscriber(db, broker, client_id=client_id)
    topics = ", ".join(f"{t} ({c})" for t, c in subscriber.routes) or "none: give a source --topic"
    console.print(f"Murphy MQTT: {broker} as {client_id}; topics: {topics}; Ctrl+C stops")
    stop = threading.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        signal.signal(sig, lambda *_: stop.set())
    try:
        subscriber.run(stop)
    finally:
        console.print(f"stored {subscriber.stored} signal(s), refused {subscriber.rejected}")
        db.dispose()
