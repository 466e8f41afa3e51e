"""Settings: one typed object read from the environment (prefix MURPHY_), passed in."""

from __future__ import annotations

import os
from enum import StrEnum
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    """Where Murphy runs; production refuses unsafe defaults."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


class SmtpSecurity(StrEnum):
    """How the connection to the mail server is protected."""

    STARTTLS = "starttls"
    TLS = "tls"
    NONE = "none"


class Gateway(BaseModel):
    """An HTTP gateway for texts or calls: Murphy posts one request per message, as a
    form (`application/x-www-form-urlencoded`) or as JSON, as SMS providers accept."""

    model_config = ConfigDict(extra="forbid")

    url: str = Field(pattern=r"^https?://\S+$", max_length=500)
    format: Literal["form", "json"] = "form"
    to_field: str = Field(default="to", min_length=1, max_length=64)
    text_field: str = Field(default="text", min_length=1, max_length=64)
    fields: dict[str, str] = Field(default_factory=dict)  # sent as they are (sender, account)
    authorization: str = Field(default="", max_length=1000)  # the Authorization header


class Settings(BaseSettings):
    """Everything an operator can set. Each field is documented in docs/configuration.md."""

    model_config = SettingsConfigDict(env_prefix="MURPHY_", extra="ignore")

    environment: Environment = Field(
        default=Environment.DEVELOPMENT,
        description="'development' or 'production'. Production requires secure cookies.",
    )
    database_url: str = Field(
        default="sqlite:///./murphy.db",
        description="SQLAlchemy URL: sqlite:///PATH or postgresql+psycopg://USER:PASS@HOST/DB.",
    )
    host: str = Field(default="127.0.0.1", description="Address `murphy serve` listens on.")
    port: int = Field(default=8000, ge=1, le=65535, description="Port `murphy serve` listens on.")
    db_pool_size: int = Field(
        default=20, ge=1, le=200, description="Database connections kept open per process."
    )
    read_concurrency: int = Field(
        default=0,
        ge=0,
        le=200,
        description="API reads run at once per process; 0 means one per CPU core (at least 2).",
    )
    max_body_bytes: int = Field(
        default=1_048_576,
        ge=1024,
        description="Largest request body accepted, in bytes; larger ones get 413.",
    )
    session_hours: float = Field(
        default=12.0, gt=0, le=24 * 30, description="How long a web sign-in lasts, in hours."
    )
    cookie_secure: bool = Field(
        default=False,
        description="Mark cookies Secure (HTTPS only). Required in production.",
    )
    login_attempts: int = Field(
        default=10,
        ge=1,
        description="Failed sign-ins allowed per user name and address in 15 minutes.",
    )
    max_upload_bytes: int = Field(
        default=64 * 1024 * 1024,
        ge=1024,
        description=(
            "Largest body of the routes that take files (photos from the public and from"
            " officers, floor plans), in bytes."
        ),
    )
    evidence_dir: str = Field(
        default="murphy-evidence",
        description=(
            "Directory where evidence files are kept (created if missing; relative to the"
            " working directory). Back it up with the database."
        ),
    )
    max_evidence_bytes: int = Field(
        default=4 * 1024**3,
        ge=1024,
        description="Largest evidence file taken (a phone's video, a CCTV export), in bytes.",
    )
    public_reports_per_hour: int = Field(
        default=10,
        ge=1,
        description="Public reports and additions accepted per client address per hour.",
    )
    public_lookups_per_hour: int = Field(
        default=60,
        ge=1,
        description="Follow-up code lookups per client address per hour (wrong codes count).",
    )
    map_tile_url: str = Field(
        default="",
        max_length=500,
        pattern=r"^(https://[^\s'\"]+)?$",
        description="Optional map tiles, e.g. https://tile.example.org/{z}/{x}/{y}.png. "
        "Empty: the map draws without tiles (works offline).",
    )
    map_tile_attribution: str = Field(
        default="", max_length=300, description="The credit line the tile provider asks for."
    )
    cap_sender: str = Field(
        default="murphy@localhost",
        pattern=r"^[^\s,<&]+$",
        max_length=200,
        description="The CAP 1.2 `sender` of exported alerts (no spaces or commas), e.g. "
        "security-control@example.org.",
    )
    mqtt_url: str = Field(
        default="mqtt://127.0.0.1:1883",
        description="The MQTT broker, mqtt://[USER:PASS@]HOST:PORT (`murphy mqtt`, and "
        "`murphy serve` with MURPHY_MQTT_IN_SERVE).",
    )
    mqtt_in_serve: bool = Field(
        default=False,
        description="`murphy serve` also subscribes to the sources' MQTT topics in-process "
        "(then do not run `murphy mqtt` with the same client id).",
    )
    mqtt_client_id: str = Field(
        default="murphy-signals",
        min_length=1,
        max_length=64,
        description="MQTT client id; keep it across restarts so the broker keeps the queue.",
    )
    log_level: str = Field(default="info", description="Log level: debug, info, warning, error.")
    scheduler: bool = Field(
        default=True,
        description="Fire durable timers (service-target breaches) in `murphy serve`; set "
        "false where dedicated `murphy worker` processes do it.",
    )

    public_url: str = Field(
        default="http://127.0.0.1:8000",
        pattern=r"^https?://[^\s'\"]+$",
        max_length=300,
        description="Where people reach the web UI; the links in emails, texts and webhooks "
        "start with it (e.g. https://murphy.example.org).",
    )
    delivery: bool = Field(
        default=True,
        description="Send the outbox's messages (email, webhooks, SMS, voice, in-app) in "
        "`murphy serve`; set false where dedicated `murphy worker` processes do it.",
    )
    delivery_concurrency: int = Field(
        default=32,
        ge=1,
        le=1000,
        description="Messages a process sends at once (a slow receiver holds one slot each).",
    )
    delivery_max_attempts: int = Field(
        default=8,
        ge=1,
        le=50,
        description="Tries per message before it goes to the dead-letter list.",
    )
    delivery_retry_seconds: float = Field(
        default=10.0,
        gt=0,
        description="Wait before the first retry; it doubles each time (with jitter).",
    )
    delivery_retry_max_seconds: float = Field(
        default=3600.0, gt=0, description="The longest wait between two tries."
    )
    delivery_lease_seconds: float = Field(
        default=120.0,
        ge=1,
        description="How long a worker owns a message it is sending; a worker that dies "
        "leaves it to another after this. Keep it above the channels' timeouts.",
    )
    ack_link_hours: float = Field(
        default=24.0,
        gt=0,
        le=24 * 14,
        description="How long the acknowledge link in a page stays valid.",
    )
    smtp_host: str = Field(
        default="", max_length=253, description="The mail server; empty: no email is sent."
    )
    smtp_port: int = Field(default=587, ge=1, le=65535, description="The mail server's port.")
    smtp_security: SmtpSecurity = Field(
        default=SmtpSecurity.STARTTLS,
        description="'starttls' (port 587), 'tls' (implicit TLS, port 465) or 'none' (only "
        "for a relay on this host).",
    )
    smtp_username: str = Field(default="", description="SMTP AUTH user; empty: no AUTH.")
    smtp_password: str = Field(default="", description="SMTP AUTH password.")
    smtp_from: str = Field(
        default="murphy@localhost",
        max_length=254,
        description="The From address of Murphy's email (e.g. Murphy <murphy@example.org>).",
    )
    smtp_ca_file: str = Field(
        default="",
        description="A PEM file of CAs to trust for the mail server's certificate; empty: "
        "the system's.",
    )
    smtp_timeout: float = Field(
        default=30.0, gt=0, le=600, description="Seconds to wait for the mail server."
    )
    webhook_secret: str = Field(
        default="",
        description="The key of the HMAC-SHA256 signature of webhooks (`Murphy-Signature`); "
        "webhooks are not sent without it. Share it with the receivers.",
    )
    webhook_timeout: float = Field(
        default=10.0, gt=0, le=600, description="Seconds to wait for a webhook receiver."
    )
    sms_gateway: Gateway | None = Field(
        default=None,
        description="The HTTP gateway for text messages, as JSON (see 'SMS and voice "
        "gateways' below); unset: no texts are sent.",
    )
    voice_gateway: Gateway | None = Field(
        default=None,
        description="The HTTP gateway for voice calls, as JSON, like MURPHY_SMS_GATEWAY.",
    )

    @field_validator("database_url")
    @classmethod
    def _known_backend(cls, value: str) -> str:
        if not value.startswith(("sqlite:///", "postgresql")):
            raise ValueError("use sqlite:///PATH or postgresql+psycopg://USER:PASS@HOST/DB")
        return value

    def reads_at_once(self) -> int:
        """How many API reads a process runs at once (more only adds thread contention)."""
        return self.read_concurrency or max(2, os.cpu_count() or 2)

    def check(self) -> None:
        """Refuse settings that are unsafe for the environment."""
        if self.environment is Environment.PRODUCTION and not self.cookie_secure:
            raise ValueError(
                "MURPHY_COOKIE_SECURE must be true in production (serve Murphy over HTTPS)"
            )
