"""Statements: what witnesses and involved people said, drafts and then fixed for good

Revision ID: 0020
Revises: 0019
Create Date: 2026-11-29 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

from murphy.core.db import UTCDateTime

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "statements",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("amends_id", sa.Integer(), nullable=True),
        sa.Column("giver", sa.String(length=20), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("contact", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=12), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("taken_by", sa.String(length=64), nullable=False),
        sa.Column("taken_at", UTCDateTime(), nullable=False),
        sa.Column("submitted_at", UTCDateTime(), nullable=True),
        sa.Column("sign_off", sa.String(length=12), nullable=True),
        sa.Column("signed_name", sa.String(length=120), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["amends_id"], ["statements.id"], name=op.f("fk_statements_amends_id_statements")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_statements_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_statements")),
    )
    op.create_index(op.f("ix_statements_incident_id"), "statements", ["incident_id"])
    op.create_index(op.f("ix_statements_amends_id"), "statements", ["amends_id"])


def downgrade() -> None:
    op.drop_index(op.f("ix_statements_amends_id"), table_name="statements")
    op.drop_index(op.f("ix_statements_incident_id"), table_name="statements")
    op.drop_table("statements")
