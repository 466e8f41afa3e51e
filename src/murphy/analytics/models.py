"""One narrow row of facts per incident, kept for the dashboard.

The dashboard for a site and a year reads tens of thousands of incidents at once. Reading
them from `incidents` meant wide rows, a join to every clock and one to the unit
assignments, and the hour computed from text per row: seconds at a million incidents. A
fact row holds only what the figures use, the durations and clock outcomes already worked
out; `analytics.changes` keeps it in step in the incident's own transaction.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, ForeignKey, Index, String
from sqlalchemy.orm import Mapped, mapped_column

from murphy.core.db import Base, UTCDateTime

# Every column the dashboard reads, but the free text: the index on site and report time
# holds them too, so a site's year is read from the index alone (SQLite 370 ms against
# 495 ms for the whole dashboard at a million incidents; PostgreSQL index-only scans).
COVERED = (
    "exercise",
    "clearance",
    "reporter_id",
    "hour",
    "type_id",
    "priority",
    "building_id",
    "zone_id",
    "tta",
    "tos",
    "ttr",
    "acknowledge",
    "respond",
    "resolve",
    "effective",
)


class IncidentFact(Base):
    """What the dashboard counts of one incident."""

    __tablename__ = "incident_facts"
    __table_args__ = (
        Index("ix_incident_facts_site_reported", "site_id", "reported_at", *COVERED),
        Index("ix_incident_facts_reported", "reported_at"),
    )

    incident_id: Mapped[int] = mapped_column(
        ForeignKey("incidents.id", ondelete="CASCADE"), primary_key=True
    )
    # Who may see it: the same rule as the incident's (site, reporter, clearance).
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"))
    reporter_id: Mapped[int | None]
    clearance: Mapped[str | None] = mapped_column(String(32))
    exercise: Mapped[bool] = mapped_column(Boolean)
    reported_at: Mapped[datetime] = mapped_column(UTCDateTime())
    hour: Mapped[int]  # UTC hours since 1970: the unit of every time bucket
    type_id: Mapped[int | None]
    priority: Mapped[int | None]
    building_id: Mapped[int | None]
    zone_id: Mapped[int | None]
    detail: Mapped[str | None] = mapped_column(String(120))  # trimmed, lower case; None if blank
    # Seconds from the report to the acknowledgement, the first unit on scene, resolving.
    tta: Mapped[int | None]
    tos: Mapped[int | None]
    ttr: Mapped[int | None]
    # The service-target clocks: met, breached or open; None when the incident has none.
    acknowledge: Mapped[str | None] = mapped_column(String(8))
    respond: Mapped[str | None] = mapped_column(String(8))
    resolve: Mapped[str | None] = mapped_column(String(8))
    effective: Mapped[str | None] = mapped_column(String(8))  # did it fix it: yes, partly, no
