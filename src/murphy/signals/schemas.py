"""What the signal routes take and give."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from murphy.signals.mapping import Mapping


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class WindowsIn(_In):
    """The windows of de-duplication, correlation and flapping, in seconds."""

    dedup_seconds: int = Field(default=300, ge=0, le=86_400)
    correlate_seconds: int = Field(default=600, ge=0, le=86_400)
    flap_changes: int = Field(default=5, ge=2, le=1_000)
    flap_seconds: int = Field(default=600, ge=1, le=86_400)
    resolve_on_clear: bool = False


def check_topics(topics: list[str]) -> list[str]:
    """MQTT topic filters: '+' a whole level, '#' only as the last one."""
    for topic in topics:
        levels = topic.split("/")
        bad = (
            not topic
            or len(topic) > 200
            or any(
                ("+" in lv and lv != "+") or ("#" in lv and (lv != "#" or i != len(levels) - 1))
                for i, lv in enumerate(levels)
            )
        )
        if bad:
            raise ValueError(f"{topic!r} is not an MQTT topic filter, e.g. 'hq/alarms/#'")
    return topics


class SourceIn(_In):
    """A new integration source; its credential is made here and shown once."""

    code: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{1,31}$", description="e.g. 'hq-alarm-panel'")
    name: str = Field(min_length=1, max_length=120)
    site: str | None = Field(
        default=None, max_length=16, description="Site when the payload has none"
    )
    auth: Literal["token", "hmac"] = "token"
    mapping: Mapping
    windows: WindowsIn = Field(default_factory=WindowsIn)
    topics: list[str] = Field(
        default_factory=list, max_length=20, description="MQTT topic filters, e.g. 'hq/alarms/#'"
    )

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str]) -> list[str]:
        return check_topics(value)


class SourceUpdate(_In):
    """Changes to a source; only the fields sent change."""

    name: str | None = Field(default=None, min_length=1, max_length=120)
    site: str | None = Field(default=None, max_length=16)
    mapping: Mapping | None = None
    windows: WindowsIn | None = None
    topics: list[str] | None = Field(default=None, max_length=20)
    active: bool | None = None

    @field_validator("topics")
    @classmethod
    def _topics(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else check_topics(value)


class SourceOut(BaseModel):
    """A source, without its credential."""

    code: str
    name: str
    site: str | None
    auth: str
    mapping: dict[str, Any]
    windows: WindowsIn
    topics: list[str]
    active: bool
    created_at: datetime
    signals: int = Field(description="signals received so far")


class Credential(BaseModel):
    """A source's new credential: shown only this once."""

    source: str
    auth: str
    token: str | None = Field(default=None, description="Send as 'Authorization: Bearer TOKEN'")
    secret: str | None = Field(
        default=None,
        description="HMAC-SHA256 key: X-Murphy-Signature: sha256=HEX of 'TIMESTAMP.BODY'",
    )


class SignalAnswer(BaseModel):
    """What became of a signal, after it was committed."""

    signal: int
    decision: str = Field(description="new | duplicate | correlated | cleared | flapping | ignored")
    rule: str
    incident: str | None = Field(description="the incident it opened or went to")
    count: int = Field(description="how many times this signal was seen (de-duplication)")
