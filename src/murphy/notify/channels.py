"""Notification channels: how a delivery leaves Murphy (email, webhook, SMS, voice).

A channel is any object with a `name`, a `problem` (None when it can send, else why
not, e.g. "set MURPHY_SMTP_HOST") and `async send(message) -> Result`, plus `async
close()`. The built-in ones are returned by the notify plugin's `notification_channels`
hook; a third-party plugin adds a channel the same way (see murphy.plugins.hookspecs).

`send` must not raise for a failure of the receiver: it returns a `Result` saying
whether the message went, and if not, whether trying again may help (`permanent`).
The delivery worker records every result as an attempt and retries with backoff.
In-app notifications are not a channel: they are written to the database when the
message is routed (see murphy.notify.deliveries).
"""

from __future__ import annotations

import asyncio
import contextlib
import smtplib
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from email.message import EmailMessage
from email.utils import formatdate, parseaddr
from typing import Any, Protocol
from urllib.parse import urlsplit

import httpx

from murphy.notify import render
from murphy.settings import Gateway, Settings, SmtpSecurity


@dataclass(frozen=True)
class Outgoing:
    """One message to send on one channel to one address."""

    delivery_id: int
    key: str  # the delivery's dedup key: the idempotency key downstream
    channel: str
    address: str  # an email address, a phone number, a URL
    attempt: int  # 1 for the first try
    payload: Mapping[str, Any]  # the outbox payload (docs/outbox.md, schema 1)
    link: str  # the incident's page, absolute
    ack_link: str | None = None  # a one-click acknowledgement, when there is one


@dataclass(frozen=True)
class Result:
    """What came of one try."""

    ok: bool
    detail: str = ""  # e.g. "250 OK", "HTTP 503", "timed out after 10 s"
    permanent: bool = False  # a failure that retrying will not fix (goes to dead letters)
    retry_after: float | None = None  # seconds the receiver asked us to wait, if it did


class Channel(Protocol):
    """What the delivery worker needs of a channel."""

    name: str

    @property
    def problem(self) -> str | None:
        """Why this channel cannot send (not configured), or None."""

    async def send(self, message: Outgoing) -> Result:
        """Send one message; never raises for the receiver's failures."""

    async def close(self) -> None:
        """Release connections (the worker is stopping)."""


def builtin(settings: Settings) -> list[Channel]:
    """The built-in channels: email, webhook, and the SMS and voice gateways."""
    timeout = settings.webhook_timeout
    return [
        EmailChannel(settings),
        WebhookChannel(settings),
        GatewayChannel("sms", settings.sms_gateway, _sms_text, timeout, label="SMS"),
        GatewayChannel("voice", settings.voice_gateway, _voice_text, timeout),
    ]


def _sms_text(message: Outgoing) -> str:
    return render.sms(message.payload, link=message.ack_link or message.link)


def _voice_text(message: Outgoing) -> str:
    return render.voice(message.payload)


# Email


class EmailChannel:
    """Email through the configured SMTP server, one connection per message."""

    name = "email"

    def __init__(self, settings: Settings) -> None:
        self.settings = settings

    @property
    def problem(self) -> str | None:
        """Why email cannot be sent, or None."""
        if not self.settings.smtp_host:
            return "email is not configured: set MURPHY_SMTP_HOST"
        return None

    async def send(self, message: Outgoing) -> Result:
        """Send one email; the SMTP conversation runs in a thread."""
        problem = self.problem
        if problem:
            return Result(ok=False, permanent=True, detail=problem)
        try:
            mail = self.compose(message)
        except ValueError as exc:  # e.g. a line break in the address
            return Result(ok=False, permanent=True, detail=f"cannot write the email: {exc}")
        return await asyncio.to_thread(self._deliver, mail)

    async def close(self) -> None:
        """Nothing to release: each message has its own connection."""

    def compose(self, message: Outgoing) -> EmailMessage:
        """The email for one message: a text part and an HTML alternative."""
        _, at, domain = parseaddr(self.settings.smtp_from)[1].rpartition("@")
        domain = domain if at and domain else "murphy.local"
        mail = EmailMessage()
        mail["From"] = self.settings.smtp_from
        mail["To"] = message.address
        mail["Subject"] = render.subject(message.payload)
        mail["Date"] = formatdate(usegmt=True)
        mail["Message-ID"] = render.message_id(message.key, domain)
        mail["X-Murphy-Key"] = message.key
        mail["Auto-Submitted"] = "auto-generated"
        link, ack = message.link, message.ack_link
        mail.set_content(render.text_body(message.payload, link=link, ack_link=ack))
        mail.add_alternative(
            render.html_body(message.payload, link=link, ack_link=ack), subtype="html"
        )
        return mail

    def _deliver(self, mail: EmailMessage) -> Result:
        try:
            self._converse(mail)
        except Exception as exc:
            failure = _smtp_failure(exc, self.settings.smtp_timeout)
            if failure is None:
                raise
            return failure
        return Result(ok=True, detail="250 accepted")

    def _converse(self, mail: EmailMessage) -> None:
        s = self.settings
        context = ssl.create_default_context(cafile=s.smtp_ca_file or None)
        smtp: smtplib.SMTP
        if s.smtp_security is SmtpSecurity.TLS:
            smtp = smtplib.SMTP_SSL(
                s.smtp_host, s.smtp_port, timeout=s.smtp_timeout, context=context
            )
        else:
            smtp = smtplib.SMTP(s.smtp_host, s.smtp_port, timeout=s.smtp_timeout)
        try:
            if s.smtp_security is SmtpSecurity.STARTTLS:
                smtp.ehlo()
                smtp.starttls(context=context)
                smtp.ehlo()
            if s.smtp_username:
                smtp.login(s.smtp_username, s.smtp_password)
            smtp.send_message(mail)
            with contextlib.suppress(smtplib.SMTPException, OSError):
                smtp.quit()
        finally:
            smtp.close()


def _smtp_failure(exc: Exception, timeout: float) -> Result | None:
    """The result of an SMTP failure; None for an error that is not the receiver's."""
    if isinstance(exc, smtplib.SMTPRecipientsRefused):
        code, text = next(iter(exc.recipients.values()), (0, b"refused"))
        return _smtp_reply(code, text)
    if isinstance(exc, smtplib.SMTPResponseException):
        return _smtp_reply(exc.smtp_code, exc.smtp_error)
    if isinstance(exc, ssl.SSLCertVerificationError):
        return Result(ok=False, detail=f"the server's TLS certificate is not trusted: {exc}")
    if isinstance(exc, ssl.SSLError):
        return Result(ok=False, detail=f"TLS failed: {exc}")
    if isinstance(exc, TimeoutError):
        return Result(ok=False, detail=f"timed out after {timeout:g} s")
    if isinstance(exc, smtplib.SMTPException | OSError):
        return Result(ok=False, detail=f"{type(exc).__name__}: {exc}")
    return None


def _smtp_reply(code: int, text: bytes | str) -> Result:
    """A refusal: 5xx is permanent, anything else may pass later."""
    if isinstance(text, bytes):
        text = text.decode("utf-8", "replace")
    return Result(ok=False, permanent=code >= 500, detail=f"{code} {text}".strip())


# HTTP: webhooks and gateways


class WebhookChannel:
    """Signed JSON POSTs to the receiver's URL (the message's address)."""

    name = "webhook"

    def __init__(self, settings: Settings) -> None:
        self.secret = settings.webhook_secret
        self.timeout = settings.webhook_timeout
        self._client: httpx.AsyncClient | None = None

    @property
    def problem(self) -> str | None:
        """Why webhooks cannot be sent, or None."""
        if not self.secret:
            return "webhooks are not signed without a key: set MURPHY_WEBHOOK_SECRET"
        return None

    async def send(self, message: Outgoing) -> Result:
        """POST the payload, signed, with the delivery key as `Idempotency-Key`."""
        problem = self.problem
        if problem:
            return Result(ok=False, permanent=True, detail=problem)
        body = render.webhook_body(
            message.payload, delivery_key=message.key, link=message.link, ack_link=message.ack_link
        )
        timestamp = int(time.time())
        headers = {
            "Content-Type": "application/json",
            "User-Agent": "Murphy",
            "Idempotency-Key": message.key,
            "Murphy-Event": str(message.payload.get("event", "")),
            render.TIMESTAMP_HEADER: str(timestamp),
            render.SIGNATURE_HEADER: render.sign(self.secret, timestamp, body),
        }
        if self._client is None:
            self._client = _client(self.timeout)
        return await _post(
            self._client, message.address, self.timeout, content=body, headers=headers
        )

    async def close(self) -> None:
        """Close the shared HTTP connections."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


class GatewayChannel:
    """Texts or calls through an HTTP gateway: one form or JSON POST per message."""

    def __init__(
        self,
        name: str,
        gateway: Gateway | None,
        render_fn: Callable[[Outgoing], str],
        timeout: float = 10.0,
        *,
        label: str = "",
    ) -> None:
        self.name = name
        self.gateway = gateway
        self.render_fn = render_fn
        self.timeout = timeout
        self.label = label or name
        self._client: httpx.AsyncClient | None = None

    @property
    def problem(self) -> str | None:
        """Why this gateway cannot be used, or None."""
        if self.gateway is None:
            return f"no {self.label} gateway: set MURPHY_{self.name.upper()}_GATEWAY"
        return None

    async def send(self, message: Outgoing) -> Result:
        """POST the rendered text and the number to the gateway."""
        gateway = self.gateway
        if gateway is None:
            return Result(ok=False, permanent=True, detail=self.problem or "")
        fields = {
            **gateway.fields,
            gateway.to_field: message.address,
            gateway.text_field: self.render_fn(message),
        }
        headers = {"User-Agent": "Murphy", "Idempotency-Key": message.key}
        if gateway.authorization:
            headers["Authorization"] = gateway.authorization
        if self._client is None:
            self._client = _client(self.timeout)
        if gateway.format == "json":
            return await _post(
                self._client, gateway.url, self.timeout, json=fields, headers=headers
            )
        return await _post(self._client, gateway.url, self.timeout, data=fields, headers=headers)

    async def close(self) -> None:
        """Close the gateway's HTTP connections."""
        if self._client is not None:
            client, self._client = self._client, None
            await client.aclose()


def _client(timeout: float) -> httpx.AsyncClient:
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False)


async def _post(client: httpx.AsyncClient, url: str, timeout: float, **request: Any) -> Result:
    """POST and say what came of it: 2xx sent, 408/429/5xx later, anything else never."""
    if urlsplit(url).scheme not in ("http", "https"):
        return Result(ok=False, permanent=True, detail=f"not an http(s) URL: {url[:200]}")
    try:
        async with asyncio.timeout(timeout):  # httpx's timeout is per step; this is the whole
            async with client.stream("POST", url, **request) as response:
                if response.is_success:
                    return Result(ok=True, detail=f"HTTP {response.status_code}")
                return await _refusal(response)
    except (httpx.TimeoutException, TimeoutError):
        return Result(ok=False, detail=f"timed out after {timeout:g} s")
    except (httpx.InvalidURL, httpx.UnsupportedProtocol) as exc:
        return Result(ok=False, permanent=True, detail=f"bad URL: {exc}")
    except httpx.HTTPError as exc:
        return Result(ok=False, detail=f"{type(exc).__name__}: {exc}".rstrip(": "))


async def _refusal(response: httpx.Response) -> Result:
    """A non-2xx answer, with the start of its body (read no further than needed)."""
    head = b""
    with contextlib.suppress(httpx.HTTPError):  # the status says enough without the body
        async for chunk in response.aiter_bytes():
            head += chunk
            if len(head) >= 800:
                break
    text = " ".join(head.decode("utf-8", "replace").split())[:200]
    detail = f"HTTP {response.status_code} {response.reason_phrase}".strip()
    if text:
        detail += f": {text}"
    status = response.status_code
    if render.retryable_status(status):
        return Result(ok=False, detail=detail, retry_after=_retry_after(response))
    return Result(ok=False, permanent=True, detail=detail)


def _retry_after(response: httpx.Response) -> float | None:
    """`Retry-After` in seconds; the HTTP-date form is ignored."""
    value = response.headers.get("Retry-After", "").strip()
    return float(value) if value.isdigit() else None
