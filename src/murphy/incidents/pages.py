"""HTML routes for the queue, the report form and the incident page."""

from __future__ import annotations

from fastapi import APIRouter

router = APIRouter(include_in_schema=False)
