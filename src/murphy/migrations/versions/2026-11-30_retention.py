"""Retention rules and runs, anonymized marks, sealed timeline fields, and person photos

Revision ID: 0023
Revises: 0022
Create Date: 2026-11-30 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from murphy.core.db import UTCDateTime

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "retention_rules",
        sa.Column("record_type", sa.String(length=24), nullable=False),
        sa.Column("days", sa.Integer(), nullable=False),
        sa.Column("action", sa.String(length=12), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        sa.Column("updated_at", UTCDateTime(), nullable=False),
        sa.Column("updated_by", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("record_type", name=op.f("pk_retention_rules")),
    )
    op.create_table(
        "retention_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("started_at", UTCDateTime(), nullable=False),
        sa.Column("finished_at", UTCDateTime(), nullable=False),
        sa.Column("started_by", sa.String(length=64), nullable=False),
        sa.Column("counts", sa.JSON(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_retention_runs")),
    )
    op.create_index(op.f("ix_retention_runs_started_at"), "retention_runs", ["started_at"])
    with op.batch_alter_table("subjects") as batch:
        batch.add_column(sa.Column("anonymized_at", UTCDateTime(), nullable=True))
    op.create_table(
        "subject_photos",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTCDateTime(), nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_subject_photos_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("subject_id", name=op.f("pk_subject_photos")),
    )
    with op.batch_alter_table("statements") as batch:
        batch.add_column(sa.Column("anonymized_at", UTCDateTime(), nullable=True))
    with op.batch_alter_table("timeline_entries") as batch:
        batch.add_column(sa.Column("seals", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("timeline_entries") as batch:
        batch.drop_column("seals")
    with op.batch_alter_table("statements") as batch:
        batch.drop_column("anonymized_at")
    op.drop_table("subject_photos")
    with op.batch_alter_table("subjects") as batch:
        batch.drop_column("anonymized_at")
    op.drop_index(op.f("ix_retention_runs_started_at"), table_name="retention_runs")
    op.drop_table("retention_runs")
    op.drop_table("retention_rules")
