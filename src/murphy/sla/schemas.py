"""Pydantic models for priority and service targets."""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict, Field


class MatrixIn(BaseModel):
    """A priority matrix: rows by impact 1-5, columns by urgency 1-5."""

    model_config = ConfigDict(extra="forbid")

    matrix: list[list[int]] = Field(description="5 rows (impact 1-5) of 5 priorities")


class MatrixOut(BaseModel):
    """The priority matrix in force."""

    matrix: list[list[int]]
    default: bool
