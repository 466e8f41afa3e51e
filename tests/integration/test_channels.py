"""The built-in channels against real receivers: an SMTP server (aiosmtpd, with STARTTLS,
implicit TLS and AUTH from a test CA) and an HTTP server in a thread. No mocks."""

from __future__ import annotations

import asyncio
import json
import ssl
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.parser import BytesParser
from email.policy import default as default_policy
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs

import pytest
import trustme
from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword

from murphy.notify import render
from murphy.notify.channels import (
    Channel,
    EmailChannel,
    GatewayChannel,
    Outgoing,
    Result,
    WebhookChannel,
    builtin,
)
from murphy.settings import Gateway, Settings
from tests.receivers import free_port

KEY = "incident.classified:INC-2026-00042:2:external:5d41402abc4b2a76"
LINK = "https://murphy.example.org/incidents/INC-2026-00042"
ACK = "https://murphy.example.org/ack/7.1795000000.abc"
SECRET = "s3cret-key"


@pytest.fixture
def payload() -> dict[str, Any]:
    """A schema-1 payload (docs/outbox.md) whose title needs escaping."""
    return {
        "schema": 1,
        "event": "incident.classified",
        "dedup_key": KEY,
        "occurred_at": "2026-11-28T09:03:00.000000Z",
        "incident": {
            "number": "INC-2026-00042",
            "title": "Door forced <b>& alarm",
            "status": "new",
            "priority": 1,
            "type": {"code": "intrusion", "name": "Intrusion"},
            "site": "HQ",
            "place": {"building": "A", "floor": "1", "zone": "LOBBY", "detail": "bay 3"},
            "major": False,
            "restricted": False,
            "path": "/incidents/INC-2026-00042",
            "api_path": "/api/v1/incidents/INC-2026-00042",
        },
        "change": {
            "kind": "classified",
            "seq": 2,
            "actor": "dana",
            "data": {"type": "intrusion", "type_name": "Intrusion", "priority": 1},
        },
        "recipient": {"kind": "external", "value": "soc@example.org", "channel": "email"},
        "rules": [{"id": 1, "name": "P1 to the SOC"}],
    }


def outgoing(payload: dict[str, Any], channel: str, address: str) -> Outgoing:
    return Outgoing(
        delivery_id=1,
        key=KEY,
        channel=channel,
        address=address,
        attempt=1,
        payload=payload,
        link=LINK,
        ack_link=ACK,
    )


def send(channel: Channel, message: Outgoing) -> Result:
    """One send in a fresh event loop, closing the channel after."""

    async def go() -> Result:
        try:
            return await channel.send(message)
        finally:
            await channel.close()

    return asyncio.run(go())


# SMTP


@dataclass
class Inbox:
    """An aiosmtpd handler that keeps what arrives, or refuses recipients."""

    rcpt_reply: str | None = None
    received: list[tuple[bytes, bool, bytes | None]] = field(default_factory=list)

    async def handle_RCPT(  # noqa: N802 - aiosmtpd's hook name
        self, server: Any, session: Any, envelope: Any, address: str, rcpt_options: Any
    ) -> str:
        if self.rcpt_reply:
            return self.rcpt_reply
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:  # noqa: N802
        login = getattr(session.auth_data, "login", None)
        self.received.append((envelope.content, bool(session.authenticated), login))
        return "250 2.0.0 queued"

    def message(self) -> EmailMessage:
        assert len(self.received) == 1
        parsed = BytesParser(policy=default_policy).parsebytes(self.received[0][0])
        assert isinstance(parsed, EmailMessage)
        return parsed


def accept_murphy(
    server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any
) -> AuthResult:
    ok = isinstance(auth_data, LoginPassword) and auth_data == (b"murphy", b"hunter2")
    return AuthResult(success=ok, handled=False, auth_data=auth_data)


@pytest.fixture
def smtp_server() -> Iterator[Callable[..., tuple[Inbox, int]]]:
    """Start aiosmtpd servers on free ports; stop them after the test."""
    started: list[Controller] = []

    def start(inbox: Inbox | None = None, **kwargs: Any) -> tuple[Inbox, int]:
        inbox = inbox or Inbox()
        port = free_port()
        controller = Controller(inbox, hostname="127.0.0.1", port=port, **kwargs)
        controller.start()
        started.append(controller)
        return inbox, port

    yield start
    for controller in started:
        controller.stop()


@pytest.fixture
def ca(tmp_path: Path) -> tuple[trustme.CA, str, ssl.SSLContext]:
    """A test CA (its PEM file) and a server context with a cert for 127.0.0.1."""
    authority = trustme.CA()
    server_context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    authority.issue_cert("localhost", "127.0.0.1").configure_cert(server_context)
    pem = tmp_path / "ca.pem"
    authority.cert_pem.write_to_path(str(pem))
    return authority, str(pem), server_context


def email_settings(port: int, **kwargs: Any) -> Settings:
    values: dict[str, Any] = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_security": "none",
        "smtp_from": "Murphy <murphy@alerts.example.org>",
        "smtp_timeout": 5,
        **kwargs,
    }
    return Settings(**values)


def test_plain_email_arrives_with_both_parts_and_stable_ids(
    smtp_server: Callable[..., tuple[Inbox, int]], payload: dict[str, Any]
) -> None:
    inbox, port = smtp_server()
    result = send(EmailChannel(email_settings(port)), outgoing(payload, "email", "soc@example.org"))

    assert result == Result(ok=True, detail="250 accepted")
    mail = inbox.message()
    assert mail["To"] == "soc@example.org"
    assert mail["From"] == "Murphy <murphy@alerts.example.org>"
    assert "P1 Intrusion classified: Door forced <b>& alarm" in mail["Subject"]
    assert mail["Message-ID"] == render.message_id(KEY, "alerts.example.org")
    assert mail["X-Murphy-Key"] == KEY
    assert mail["Auto-Submitted"] == "auto-generated"
    assert mail["Date"]
    text = mail.get_body(preferencelist=("plain",))
    html = mail.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    text_content, html_content = text.get_content(), html.get_content()
    assert f"Open it: {LINK}" in text_content
    assert f"Acknowledge: {ACK}" in text_content
    assert "Door forced &lt;b&gt;&amp; alarm" in html_content
    assert "<b>&" not in html_content
    assert f'href="{LINK}"' in html_content
    assert 'href="https://murphy.example.org/ack/7.1795000000.abc"' in html_content


def test_message_id_domain_defaults_without_one_in_from(payload: dict[str, Any]) -> None:
    channel = EmailChannel(email_settings(25, smtp_from="murphy"))
    mail = channel.compose(outgoing(payload, "email", "soc@example.org"))
    assert mail["Message-ID"] == render.message_id(KEY, "murphy.local")


def test_starttls_with_auth(
    smtp_server: Callable[..., tuple[Inbox, int]],
    ca: tuple[trustme.CA, str, ssl.SSLContext],
    payload: dict[str, Any],
) -> None:
    _, pem, server_context = ca
    inbox, port = smtp_server(
        tls_context=server_context,
        require_starttls=True,
        authenticator=accept_murphy,
        auth_require_tls=True,
    )
    settings = email_settings(
        port,
        smtp_security="starttls",
        smtp_ca_file=pem,
        smtp_username="murphy",
        smtp_password="hunter2",
    )
    result = send(EmailChannel(settings), outgoing(payload, "email", "soc@example.org"))

    assert result.ok, result
    assert len(inbox.received) == 1
    _, authenticated, login = inbox.received[0]
    assert authenticated is True
    assert login == b"murphy"


def test_starttls_wrong_password_is_permanent(
    smtp_server: Callable[..., tuple[Inbox, int]],
    ca: tuple[trustme.CA, str, ssl.SSLContext],
    payload: dict[str, Any],
) -> None:
    _, pem, server_context = ca
    inbox, port = smtp_server(
        tls_context=server_context,
        require_starttls=True,
        authenticator=accept_murphy,
        auth_require_tls=True,
    )
    settings = email_settings(
        port,
        smtp_security="starttls",
        smtp_ca_file=pem,
        smtp_username="murphy",
        smtp_password="wrong",
    )
    result = send(EmailChannel(settings), outgoing(payload, "email", "soc@example.org"))

    assert not result.ok
    assert result.permanent
    assert result.detail.startswith("535")
    assert inbox.received == []


def test_untrusted_certificate_is_retryable_and_says_so(
    smtp_server: Callable[..., tuple[Inbox, int]],
    ca: tuple[trustme.CA, str, ssl.SSLContext],
    payload: dict[str, Any],
) -> None:
    _, _, server_context = ca
    inbox, port = smtp_server(tls_context=server_context, require_starttls=True)
    settings = email_settings(port, smtp_security="starttls")  # the system's CAs only

    result = send(EmailChannel(settings), outgoing(payload, "email", "soc@example.org"))

    assert not result.ok
    assert not result.permanent
    assert "certificate" in result.detail
    assert inbox.received == []


def test_implicit_tls(
    smtp_server: Callable[..., tuple[Inbox, int]],
    ca: tuple[trustme.CA, str, ssl.SSLContext],
    payload: dict[str, Any],
) -> None:
    _, pem, server_context = ca
    inbox, port = smtp_server(ssl_context=server_context)
    settings = email_settings(port, smtp_security="tls", smtp_ca_file=pem)

    result = send(EmailChannel(settings), outgoing(payload, "email", "soc@example.org"))

    assert result.ok, result
    assert inbox.message()["X-Murphy-Key"] == KEY


@pytest.mark.parametrize(
    ("reply", "permanent"), [("550 no such user", True), ("451 try later", False)]
)
def test_refused_recipient(
    smtp_server: Callable[..., tuple[Inbox, int]],
    payload: dict[str, Any],
    reply: str,
    permanent: bool,
) -> None:
    inbox, port = smtp_server(Inbox(rcpt_reply=reply))
    result = send(EmailChannel(email_settings(port)), outgoing(payload, "email", "nobody@x.org"))

    assert not result.ok
    assert result.permanent is permanent
    assert result.detail == reply
    assert inbox.received == []


def test_nothing_listening_is_retryable(payload: dict[str, Any]) -> None:
    result = send(
        EmailChannel(email_settings(free_port())), outgoing(payload, "email", "soc@example.org")
    )
    assert not result.ok
    assert not result.permanent
    assert "refused" in result.detail.lower()


def test_line_break_in_address_is_permanent(payload: dict[str, Any]) -> None:
    message = outgoing(payload, "email", "soc@example.org\r\nBcc: all@example.org")
    result = send(EmailChannel(email_settings(free_port())), message)
    assert not result.ok
    assert result.permanent


def test_email_unconfigured(payload: dict[str, Any]) -> None:
    channel = EmailChannel(Settings(smtp_host=""))
    assert channel.problem == "email is not configured: set MURPHY_SMTP_HOST"
    result = send(channel, outgoing(payload, "email", "soc@example.org"))
    assert result == Result(ok=False, permanent=True, detail=channel.problem)


# HTTP


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


class Receiver(ThreadingHTTPServer):
    """An HTTP server that records requests and answers as told."""

    daemon_threads = True

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.seen: list[Seen] = []
        self.status = 204
        self.reply_headers: dict[str, str] = {}
        self.reply_body = b""
        self.delay = 0.0
        self.release = threading.Event()

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server_address[1]}/hook"

    def handle_error(self, request: Any, client_address: Any) -> None:
        """The client gave up (the timeout test): nothing to report."""


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
        self.server.seen.append(Seen("POST", self.path, dict(self.headers.items()), body))
        if self.server.delay:
            self.server.release.wait(self.server.delay)
        self.send_response(self.server.status)
        for name, value in self.server.reply_headers.items():
            self.send_header(name, value)
        self.send_header("Content-Length", str(len(self.server.reply_body)))
        self.end_headers()
        self.wfile.write(self.server.reply_body)

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, args=(0.02,), daemon=True)
    thread.start()
    yield server
    server.release.set()
    server.shutdown()
    server.server_close()
    thread.join(5)


def webhook(**kwargs: Any) -> WebhookChannel:
    return WebhookChannel(Settings(**{"webhook_secret": SECRET, **kwargs}))


def test_webhook_is_signed_and_carries_the_key(receiver: Receiver, payload: dict[str, Any]) -> None:
    result = send(webhook(), outgoing(payload, "webhook", receiver.url))

    assert result == Result(ok=True, detail="HTTP 204")
    [seen] = receiver.seen
    assert seen.method == "POST"
    assert seen.path == "/hook"
    headers = {k.lower(): v for k, v in seen.headers.items()}
    assert headers["content-type"] == "application/json"
    assert headers["user-agent"] == "Murphy"
    assert headers["idempotency-key"] == KEY
    assert headers["murphy-event"] == "incident.classified"
    timestamp = int(headers["murphy-timestamp"])
    assert abs(timestamp - time.time()) < 60
    signature = headers["murphy-signature"]
    now = int(time.time())
    assert render.verify(SECRET, timestamp, seen.body, signature, now=now)
    assert not render.verify("another-key", timestamp, seen.body, signature, now=now)
    assert not render.verify(SECRET, timestamp, seen.body + b" ", signature, now=now)
    body = json.loads(seen.body)
    assert body["delivery_key"] == KEY
    assert body["url"] == LINK
    assert body["ack_url"] == ACK
    assert body["ack_api_url"] == "https://murphy.example.org/api/v1/ack/7.1795000000.abc"
    assert body["event"] == payload["event"]
    assert body["dedup_key"] == payload["dedup_key"]
    assert body["incident"]["title"] == "Door forced <b>& alarm"


def test_webhook_503_with_retry_after(receiver: Receiver, payload: dict[str, Any]) -> None:
    receiver.status, receiver.reply_headers = 503, {"Retry-After": "7"}
    receiver.reply_body = b"overloaded, come back later"
    result = send(webhook(), outgoing(payload, "webhook", receiver.url))

    assert not result.ok
    assert not result.permanent
    assert result.retry_after == 7
    assert result.detail.startswith("HTTP 503")
    assert "overloaded" in result.detail


def test_webhook_retry_after_date_is_ignored(receiver: Receiver, payload: dict[str, Any]) -> None:
    receiver.status = 429
    receiver.reply_headers = {"Retry-After": "Wed, 21 Oct 2026 07:28:00 GMT"}
    result = send(webhook(), outgoing(payload, "webhook", receiver.url))
    assert not result.ok
    assert not result.permanent
    assert result.retry_after is None


def test_webhook_410_is_permanent_with_the_body(
    receiver: Receiver, payload: dict[str, Any]
) -> None:
    receiver.status, receiver.reply_body = 410, b"this hook was removed " + b"x" * 1000
    result = send(webhook(), outgoing(payload, "webhook", receiver.url))

    assert not result.ok
    assert result.permanent
    assert result.detail.startswith("HTTP 410 Gone: this hook was removed")
    assert len(result.detail) <= len("HTTP 410 Gone: ") + 200


def test_webhook_timeout_is_retryable(receiver: Receiver, payload: dict[str, Any]) -> None:
    receiver.delay = 2.0
    began = time.perf_counter()
    result = send(webhook(webhook_timeout=0.5), outgoing(payload, "webhook", receiver.url))

    assert time.perf_counter() - began < 1.8
    assert not result.ok
    assert not result.permanent
    assert result.detail == "timed out after 0.5 s"


def test_webhook_redirect_is_not_followed(receiver: Receiver, payload: dict[str, Any]) -> None:
    receiver.status, receiver.reply_headers = 302, {"Location": receiver.url + "/elsewhere"}
    result = send(webhook(), outgoing(payload, "webhook", receiver.url))

    assert not result.ok
    assert result.permanent
    assert result.detail.startswith("HTTP 302")
    assert len(receiver.seen) == 1


def test_webhook_without_secret_sends_nothing(receiver: Receiver, payload: dict[str, Any]) -> None:
    channel = webhook(webhook_secret="")
    result = send(channel, outgoing(payload, "webhook", receiver.url))

    expected = "webhooks are not signed without a key: set MURPHY_WEBHOOK_SECRET"
    assert channel.problem == expected
    assert result == Result(ok=False, permanent=True, detail=expected)
    assert receiver.seen == []


@pytest.mark.parametrize("url", ["ftp://example.org/hook", "file:///etc/passwd", "not a url"])
def test_webhook_only_http(payload: dict[str, Any], url: str) -> None:
    result = send(webhook(), outgoing(payload, "webhook", url))
    assert not result.ok
    assert result.permanent


def test_webhook_nothing_listening_is_retryable(payload: dict[str, Any]) -> None:
    url = f"http://127.0.0.1:{free_port()}/hook"
    result = send(webhook(), outgoing(payload, "webhook", url))
    assert not result.ok
    assert not result.permanent
    assert "ConnectError" in result.detail


def test_sms_gateway_form(receiver: Receiver, payload: dict[str, Any]) -> None:
    gateway = Gateway(
        url=receiver.url, to_field="To", text_field="Body", fields={"From": "+4930000"}
    )
    channel = GatewayChannel("sms", gateway, lambda m: render.sms(m.payload, link=m.link))
    receiver.status = 200
    result = send(channel, outgoing(payload, "sms", "+4930123456"))

    assert result == Result(ok=True, detail="HTTP 200")
    [seen] = receiver.seen
    headers = {k.lower(): v for k, v in seen.headers.items()}
    assert headers["content-type"] == "application/x-www-form-urlencoded"
    assert headers["idempotency-key"] == KEY
    assert "authorization" not in headers
    form = parse_qs(seen.body.decode(), strict_parsing=True)
    text = render.sms(payload, link=LINK)
    assert form == {"From": ["+4930000"], "To": ["+4930123456"], "Body": [text]}
    assert len(text) <= render.SMS_LIMIT
    assert text.endswith(LINK)


def test_builtin_gateways_json_with_authorization(
    receiver: Receiver, payload: dict[str, Any]
) -> None:
    gateway = {"url": receiver.url, "format": "json", "authorization": "Bearer abc"}
    channels = {c.name: c for c in builtin(Settings(sms_gateway=gateway, voice_gateway=gateway))}
    assert send(channels["sms"], outgoing(payload, "sms", "+4930123456")).ok
    assert send(channels["voice"], outgoing(payload, "voice", "+4930123456")).ok

    sms_seen, voice_seen = receiver.seen
    for seen in receiver.seen:
        headers = {k.lower(): v for k, v in seen.headers.items()}
        assert headers["content-type"] == "application/json"
        assert headers["authorization"] == "Bearer abc"
    assert json.loads(sms_seen.body) == {
        "to": "+4930123456",
        "text": render.sms(payload, link=ACK),  # a page texts its one-click acknowledge link
    }
    assert json.loads(voice_seen.body) == {"to": "+4930123456", "text": render.voice(payload)}


def test_gateway_refusals_map_like_webhooks(receiver: Receiver, payload: dict[str, Any]) -> None:
    channel = GatewayChannel("sms", Gateway(url=receiver.url), lambda m: "hi")
    receiver.status = 400
    assert send(channel, outgoing(payload, "sms", "+49")).permanent
    receiver.status = 500
    result = send(channel, outgoing(payload, "sms", "+49"))
    assert not result.ok
    assert not result.permanent


def test_builtin_problems(payload: dict[str, Any]) -> None:
    channels = builtin(Settings(smtp_host="", webhook_secret="", sms_gateway=None))
    problems = {c.name: c.problem for c in channels}
    assert problems == {
        "email": "email is not configured: set MURPHY_SMTP_HOST",
        "webhook": "webhooks are not signed without a key: set MURPHY_WEBHOOK_SECRET",
        "sms": "no SMS gateway: set MURPHY_SMS_GATEWAY",
        "voice": "no voice gateway: set MURPHY_VOICE_GATEWAY",
    }
    sms = next(c for c in channels if c.name == "sms")
    result = send(sms, outgoing(payload, "sms", "+4930123456"))
    assert result == Result(
        ok=False, permanent=True, detail="no SMS gateway: set MURPHY_SMS_GATEWAY"
    )


def test_builtin_configured_has_no_problems(tmp_path: Path) -> None:
    settings = Settings(
        smtp_host="mail.example.org",
        webhook_secret=SECRET,
        sms_gateway={"url": "https://sms.example.org/send"},
        voice_gateway={"url": "https://voice.example.org/call"},
    )
    assert [(c.name, c.problem) for c in builtin(settings)] == [
        ("email", None),
        ("webhook", None),
        ("sms", None),
        ("voice", None),
    ]
