"""Incident facts: one narrow row per incident for the analytics dashboard, filled from
the incidents already there

Revision ID: 0017
Revises: 0016
Create Date: 2026-11-29 03:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    from murphy.analytics import changes
    from murphy.core.db import UTCDateTime

    op.create_table(
        "incident_facts",
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("reporter_id", sa.Integer(), nullable=True),
        sa.Column("clearance", sa.String(length=32), nullable=True),
        sa.Column("exercise", sa.Boolean(), nullable=False),
        sa.Column("reported_at", UTCDateTime(), nullable=False),
        sa.Column("hour", sa.Integer(), nullable=False),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("priority", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("detail", sa.String(length=120), nullable=True),
        sa.Column("tta", sa.Integer(), nullable=True),
        sa.Column("tos", sa.Integer(), nullable=True),
        sa.Column("ttr", sa.Integer(), nullable=True),
        sa.Column("acknowledge", sa.String(length=8), nullable=True),
        sa.Column("respond", sa.String(length=8), nullable=True),
        sa.Column("resolve", sa.String(length=8), nullable=True),
        sa.Column("effective", sa.String(length=8), nullable=True),
        sa.ForeignKeyConstraint(["incident_id"], ["incidents.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"]),
        sa.PrimaryKeyConstraint("incident_id"),
    )
    # The facts of the incidents already recorded (the statement the plugin runs per
    # change, for all at once), then the indexes: building them after is faster.
    changes.rebuild(op.get_bind())
    # Every column the dashboard reads but the free text (see murphy.analytics.models).
    covered = [
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
    ]
    op.create_index(
        "ix_incident_facts_site_reported", "incident_facts", ["site_id", "reported_at", *covered]
    )
    op.create_index("ix_incident_facts_reported", "incident_facts", ["reported_at"])


def downgrade() -> None:
    op.drop_index("ix_incident_facts_reported", table_name="incident_facts")
    op.drop_index("ix_incident_facts_site_reported", table_name="incident_facts")
    op.drop_table("incident_facts")
