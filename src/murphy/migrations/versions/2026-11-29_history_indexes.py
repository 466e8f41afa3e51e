"""Incidents: indexes for analytics, reports and incremental export over large histories

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-29 00:00:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # One site's incidents in a time range (the dashboard, the daily report); everything
    # changed since an instant (incremental export), in a stable order.
    op.create_index("ix_incidents_site_id_reported_at", "incidents", ["site_id", "reported_at"])
    op.create_index("ix_incidents_updated_at_id", "incidents", ["updated_at", "id"])


def downgrade() -> None:
    op.drop_index("ix_incidents_updated_at_id", table_name="incidents")
    op.drop_index("ix_incidents_site_id_reported_at", table_name="incidents")
