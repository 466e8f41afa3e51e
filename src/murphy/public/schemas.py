"""What the public report page and API take and give."""

from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict, Field

from murphy.incidents.schemas import ContactIn


class _In(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


class PhotoIn(_In):
    """A photo in a JSON request: its file name and its bytes in base64."""

    filename: str = Field(default="photo", max_length=200)
    data: str = Field(min_length=1, description="The file's bytes, base64-encoded")


class PublicReportIn(_In):
    """A report from anyone, without an account."""

    title: str = Field(min_length=1, max_length=200, description="What happened, in a line")
    description: str = Field(default="", max_length=20_000, description="What was seen")
    site: str = Field(
        min_length=1, max_length=16, description="Site code (GET /api/v1/public/sites)"
    )
    where: str = Field(default="", max_length=240, description="Where exactly, in words")
    occurred_at: datetime | None = Field(
        default=None, description="When; without an offset it is read in the site's time zone"
    )
    contact: ContactIn | None = Field(default=None, description="Leave empty to stay anonymous")
    photos: list[PhotoIn] = Field(default_factory=list, max_length=5)
    keep_location: bool = Field(
        default=False,
        description="Keep the photos' metadata (GPS position, camera); removed unless true",
    )
    website: str = Field(default="", max_length=200, description="Leave empty (a trap for bots)")


class PublicReportOut(BaseModel):
    """The answer to a public report: the code to follow it up. Shown once."""

    number: str
    code: str = Field(description="Keep it: the only way to see the status or add to the report")
    status_url: str
    photos: int


class CodeIn(_In):
    """A follow-up code, as typed."""

    code: str = Field(min_length=1, max_length=64)


class AdditionIn(CodeIn):
    """More information for a report, by its follow-up code."""

    text: str = Field(default="", max_length=20_000)
    photos: list[PhotoIn] = Field(default_factory=list, max_length=5)
    keep_location: bool = False
    website: str = Field(default="", max_length=200)


class Addition(BaseModel):
    """Something the reporter sent: the report itself, or more later."""

    at: datetime
    text: str
    photos: int


class PublicStatusOut(BaseModel):
    """What a reporter may know of their report: never internal notes or other incidents."""

    number: str
    title: str
    site: str
    timezone: str = Field(description="The site's time zone, for showing the times")
    reported_at: datetime
    status: str = Field(description="Received | Being handled | Resolved | Closed")
    explanation: str
    updated_at: datetime
    open: bool = Field(description="Whether more information can still be added")
    sent: list[Addition] = Field(description="What the reporter sent, oldest first")


class PublicSite(BaseModel):
    """A site the public may report for."""

    code: str
    name: str
