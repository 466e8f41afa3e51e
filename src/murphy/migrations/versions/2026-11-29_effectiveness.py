"""Incidents: the effectiveness evaluation given when resolving, and its follow-up date

Revision ID: 0016
Revises: 0015
Create Date: 2026-11-29 02:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Plain ADD COLUMNs: no table rebuild on SQLite (the search index's triggers stay).
    op.add_column("incidents", sa.Column("effective", sa.String(length=8), nullable=True))
    op.add_column(
        "incidents",
        sa.Column("effectiveness_note", sa.Text(), server_default="", nullable=False),
    )
    op.add_column("incidents", sa.Column("follow_up_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("incidents") as batch:
        batch.drop_column("follow_up_on")
        batch.drop_column("effectiveness_note")
        batch.drop_column("effective")
