"""Settings: one typed object read from the environment (prefix MURPHY_), passed in."""

from __future__ import annotations

import os
from enum import StrEnum

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Environment(StrEnum):
    """Where Murphy runs; production refuses unsafe defaults."""

    DEVELOPMENT = "development"
    PRODUCTION = "production"


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
