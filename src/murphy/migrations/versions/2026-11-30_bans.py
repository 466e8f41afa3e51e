"""Bans and trespass notices: a person kept off sites for a period

Revision ID: 0022
Revises: 0021
Create Date: 2026-11-30 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import murphy.core.db

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = murphy.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bans",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("conditions", sa.Text(), nullable=False),
        sa.Column("starts_at", UTC, nullable=False),
        sa.Column("ends_at", UTC, nullable=False),
        sa.Column("served_at", UTC, nullable=True),
        sa.Column("served_by", sa.String(length=120), nullable=True),
        sa.Column("served_how", sa.String(length=10), nullable=True),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("lifted_at", UTC, nullable=True),
        sa.Column("lifted_by", sa.String(length=64), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_bans_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_bans_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bans")),
    )
    op.create_index("ix_bans_subject", "bans", ["subject_id"])
    op.create_index("ix_bans_incident", "bans", ["incident_id"])
    op.create_index("ix_bans_ends_at", "bans", ["ends_at"])
    op.create_table(
        "ban_sites",
        sa.Column("ban_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ban_id"], ["bans.id"], name=op.f("fk_ban_sites_ban_id_bans"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_ban_sites_site_id_sites")),
        sa.PrimaryKeyConstraint("ban_id", "site_id", name=op.f("pk_ban_sites")),
    )
    op.create_index("ix_ban_sites_site", "ban_sites", ["site_id", "ban_id"])


def downgrade() -> None:
    op.drop_index("ix_ban_sites_site", table_name="ban_sites")
    op.drop_table("ban_sites")
    op.drop_index("ix_bans_ends_at", table_name="bans")
    op.drop_index("ix_bans_incident", table_name="bans")
    op.drop_index("ix_bans_subject", table_name="bans")
    op.drop_table("bans")
