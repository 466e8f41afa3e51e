"""Real receivers for the delivery tests: an HTTP server that takes webhooks and gateway
posts (checking signatures, answering as told), and an SMTP server that takes mail."""

from __future__ import annotations

import email
import email.policy
import json
import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email.message import EmailMessage
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

from murphy.notify import render


@dataclass
class Hit:
    """One request the HTTP receiver took."""

    path: str
    headers: dict[str, str]
    body: bytes
    at: float
    signed: bool | None  # None: not checked (no secret given)

    def json(self) -> Any:
        return json.loads(self.body)


@dataclass
class HttpReceiver:
    """Takes POSTs; answers `status` after `delay` seconds (settable while it runs)."""

    secret: str | None = None
    status: int = 200
    delay: float = 0.0
    headers: dict[str, str] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    url: str = ""
    lock: threading.Lock = field(default_factory=threading.Lock)

    def keys(self) -> list[str]:
        with self.lock:
            return [h.headers.get("Idempotency-Key", "") for h in self.hits]

    def count(self) -> int:
        with self.lock:
            return len(self.hits)


@contextmanager
def http_receiver(**kw: Any) -> Iterator[HttpReceiver]:
    """An HTTP receiver on a free port of 127.0.0.1, for the duration of the block."""
    receiver = HttpReceiver(**kw)

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", 0))
            body = self.rfile.read(length)
            if len(body) < length:  # the sender went away mid-request (a killed worker):
                return  # an incomplete request is not a message, as for any HTTP server
            headers = {k: v for k, v in self.headers.items()}
            signed = None
            if receiver.secret is not None:
                ts = int(headers.get(render.TIMESTAMP_HEADER, "0"))
                signed = render.verify(
                    receiver.secret,
                    ts,
                    body,
                    headers.get(render.SIGNATURE_HEADER, ""),
                    now=int(time.time()),
                )
            if receiver.delay:
                time.sleep(receiver.delay)
            with receiver.lock:
                receiver.hits.append(Hit(self.path, headers, body, time.time(), signed))
            self.send_response(receiver.status)
            for name, value in receiver.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Length", "2")
            self.end_headers()
            self.wfile.write(b"ok")

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}/hook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class Mail:
    """One message the SMTP server took."""

    sender: str
    recipients: list[str]
    message: EmailMessage
    at: float

    def text(self) -> str:
        part = self.message.get_body(("plain",))
        return part.get_content() if part is not None else ""

    def html(self) -> str:
        part = self.message.get_body(("html",))
        return part.get_content() if part is not None else ""


class _Collect:
    def __init__(self) -> None:
        self.mails: list[Mail] = []
        self.arrived = threading.Condition()

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.arrived:
            self.mails.append(
                Mail(envelope.mail_from, list(envelope.rcpt_tos), message, time.time())  # type: ignore[arg-type]
            )
            self.arrived.notify_all()
        return "250 OK"


@dataclass
class SmtpServer:
    """A running aiosmtpd server and what it received."""

    host: str
    port: int
    handler: _Collect

    @property
    def mails(self) -> list[Mail]:
        return self.handler.mails

    def wait(self, count: int, timeout: float = 10.0) -> list[Mail]:
        """Block until `count` messages arrived (or fail)."""
        with self.handler.arrived:
            ok = self.handler.arrived.wait_for(lambda: len(self.handler.mails) >= count, timeout)
        assert ok, f"{len(self.handler.mails)} of {count} mails arrived within {timeout} s"
        return self.handler.mails


@contextmanager
def smtp_server(**kw: Any) -> Iterator[SmtpServer]:
    """A real SMTP server (aiosmtpd) on a free port of 127.0.0.1."""
    handler = _Collect()
    port = free_port()
    controller = Controller(handler, hostname="127.0.0.1", port=port, **kw)
    controller.start()
    try:
        yield SmtpServer("127.0.0.1", port, handler)
    finally:
        controller.stop()


def free_port() -> int:
    """A TCP port of 127.0.0.1 that nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
