"""A report as data: a title, a header, and sections (key/values, tables, paragraphs)."""

from __future__ import annotations

from pydantic import BaseModel, Field


class Section(BaseModel):
    """One part of a report: a heading and any of paragraphs, pairs, a table, flags."""

    heading: str
    paragraphs: list[str] = Field(default_factory=list)
    pairs: list[tuple[str, str]] = Field(default_factory=list)
    columns: list[str] = Field(default_factory=list)
    rows: list[list[str]] = Field(default_factory=list)
    flags: list[str] = Field(default_factory=list, description="Warnings for the reader")
    charts: list[str] = Field(default_factory=list, description="SVG charts (made on the server)")
    empty: str = Field("", description="Shown when the section has no rows")


class Report(BaseModel):
    """A rendered-agnostic report: HTML and PDF are both made from this."""

    kind: str = Field(description="daily, handover, monthly, ics-201, ics-214")
    title: str
    site: str
    period: str
    generated_at: str
    generated_by: str
    filename: str = Field(description="Base file name, without extension")
    sections: list[Section]
