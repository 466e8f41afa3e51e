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


class CapAnswer(BaseModel):
    """What became of a CAP alert, after it was committed."""

    identifier: str = Field(description="the alert's identifier")
    msg_type: str = Field(description="Alert | Update | Cancel | Ack | Error")
    status: str = Field(description="Actual | Exercise | System | Test | Draft")
    decision: str = Field(
        description="as for a signal, or updated | cancelled; ignored when not acted on"
    )
    rule: str
    signal: int | None = Field(default=None, description="the signal it was stored as")
    incident: str | None = Field(default=None, description="the incident it opened or changed")
    count: int | None = Field(default=None, description="times this alert was received")


class SignalRow(BaseModel):
    """One signal of a source as the admin page lists it (without its payload)."""

    id: int
    received_at: datetime
    last_seen_at: datetime = Field(description="the last repeat counted on it")
    count: int
    title: str
    priority: int | None
    is_clear: bool
    flapping: bool
    decision: str
    rule: str
    incident: str | None = Field(description="the number of the incident it went to")


class MappingTrial(BaseModel):
    """What a mapping makes of a sample payload, and what that would mean once received:
    nothing is stored."""

    title: str
    type: str | None
    type_name: str | None = Field(description="the type's name; None when unknown or unmapped")
    severity: str | None
    priority: int | None = Field(description="from the severity; None: the type's default")
    site: str | None = Field(description="the site the signal goes to")
    site_from: Literal["payload", "source", "none"]
    zone: str | None
    place: str
    fingerprint: str
    fingerprint_from: list[str] = Field(description="the paths it hashes; empty: the title")
    is_clear: bool
    description: str
    refused: str | None = Field(description="why the signal would be refused (422), if so")
    missing: list[str] = Field(description="the paths the mapping reads that the payload lacks")
