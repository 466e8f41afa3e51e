"""Floor plans: a picture per floor, and zone outlines drawn on it

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import murphy.core.db

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = murphy.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.add_column("zones", sa.Column("outline", sa.JSON(), nullable=True))  # no rebuild
    op.create_table(
        "floor_plans",
        sa.Column("floor_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("uploaded_by", sa.String(length=64), nullable=False),
        sa.Column("uploaded_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["floor_id"],
            ["floors.id"],
            name=op.f("fk_floor_plans_floor_id_floors"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("floor_id", name=op.f("pk_floor_plans")),
    )


def downgrade() -> None:
    op.drop_table("floor_plans")
    with op.batch_alter_table("zones") as batch:
        batch.drop_column("outline")
