"""The MQTT subscriber: messages on the topics of the active sources become signals.

QoS 1 with a persistent session (a fixed client id, `clean_session=False`) and manual
acknowledgement: a message is acknowledged only after its signal was committed. A crash
in between means the broker delivers it again after the reconnect (nothing acknowledged
is lost; a redelivered copy is counted by de-duplication, never a second incident). A
message that can never become a signal (not JSON, a mapping that finds no site) is
acknowledged and logged, so it does not come back forever. The connection to the broker
is the credential: run the broker with its own authentication and ACLs.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from urllib.parse import urlparse

import paho.mqtt.client as mqtt
from paho.mqtt.enums import CallbackAPIVersion
from sqlalchemy.exc import SQLAlchemyError

from murphy.core.db import Database
from murphy.core.errors import MurphyError
from murphy.signals import service

log = logging.getLogger(__name__)


class Subscriber:
    """Subscribes to every active source's topics and stores what arrives."""

    def __init__(
        self,
        db: Database,
        url: str,
        *,
        client_id: str = "murphy-signals",
        on_message: Callable[[str, str], None] | None = None,
    ) -> None:
        parsed = urlparse(url)
        if parsed.scheme not in ("mqtt", "tcp") or not parsed.hostname:
            raise ValueError(f"broker URL {url!r}: use mqtt://HOST:PORT")
        self.db = db
        self.host, self.port = parsed.hostname, parsed.port or 1883
        self.user, self.password = parsed.username, parsed.password
        self.on_stored = on_message  # (topic, decision) after each commit, for operators
        self.stored = self.rejected = 0
        self.failure: BaseException | None = None
        with db.transaction(write=False) as session:
            self.routes = service.subscriptions(session)
        self.client = mqtt.Client(
            CallbackAPIVersion.VERSION2,
            client_id=client_id,
            clean_session=False,
            manual_ack=True,
        )
        if self.user:
            self.client.username_pw_set(self.user, self.password)
        self.client.reconnect_delay_set(min_delay=1, max_delay=30)  # backoff, doubling
        self.client.on_connect = self._connected
        self.client.on_message = self._message

    def run(self, stop: threading.Event) -> None:
        """Connect (retrying until the broker answers) and work until `stop` is set."""
        self.client.connect_async(self.host, self.port, keepalive=30)
        self.client.loop_start()
        try:
            while not stop.wait(0.2):
                if self.failure is not None:
                    raise self.failure
        finally:
            self.client.disconnect()
            self.client.loop_stop()

    def _connected(
        self, client: mqtt.Client, _u: object, _f: object, code: object, _p: object
    ) -> None:
        if getattr(code, "is_failure", False):
            log.warning("the broker refused the connection: %s", code)
            return
        topics = sorted({topic for topic, _ in self.routes})
        if topics:
            client.subscribe([(t, 1) for t in topics])
        log.info("subscribed to %s", ", ".join(topics) or "nothing")

    def _message(self, client: mqtt.Client, _u: object, message: mqtt.MQTTMessage) -> None:
        code = next((c for t, c in self.routes if mqtt.topic_matches_sub(t, message.topic)), None)
        if code is None:
            client.ack(message.mid, message.qos)
            return
        try:
            with self.db.transaction() as session:
                source = service.source_for_mqtt(session, code=code)
                raw = bytes(message.payload)
                answer, _ = service.receive(session, source=source, raw=raw)
        except MurphyError as exc:  # never a signal: acknowledge, or it comes back forever
            self.rejected += 1
            log.warning("message on %s refused: %s", message.topic, exc.detail)
            client.ack(message.mid, message.qos)
            return
        except SQLAlchemyError as exc:  # not stored: not acknowledged; stop, to be restarted
            self.failure = exc
            return
        client.ack(message.mid, message.qos)  # only now: it is committed
        self.stored += 1
        if self.on_stored:
            self.on_stored(message.topic, answer.decision)


def supervise(db: Database, url: str, *, client_id: str, stop: threading.Event) -> None:
    """Run a subscriber until `stop` is set, starting a new one after a failure (the
    database went away): the in-process subscriber of `murphy serve`. The topics are
    read at each start."""
    while not stop.is_set():
        try:
            Subscriber(db, url, client_id=client_id).run(stop)
        except Exception:
            log.exception("the MQTT subscriber failed; starting again in 5 s")
            stop.wait(5)
