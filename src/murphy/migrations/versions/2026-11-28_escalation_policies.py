"""Escalation policies, the pagings they start, contact methods and preferences

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 23:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import murphy.core.db

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = murphy.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "escalation_policies",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=80), nullable=False),
        sa.Column("description", sa.String(length=500), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_escalation_policies")),
        sa.UniqueConstraint("name", name=op.f("uq_escalation_policies_name")),
    )
    op.create_table(
        "pagings",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("policy_id", sa.Integer(), nullable=True),
        sa.Column("policy_name", sa.String(length=80), nullable=False),
        sa.Column("levels", sa.JSON(), nullable=False),
        sa.Column("repeat", sa.Integer(), nullable=False),
        sa.Column("event", sa.String(length=48), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("level", sa.Integer(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("paged", sa.JSON(), nullable=False),
        sa.Column("started_at", UTC, nullable=False),
        sa.Column("escalates_at", UTC, nullable=True),
        sa.Column("ended_at", UTC, nullable=True),
        sa.Column("acked_by_id", sa.Integer(), nullable=True),
        sa.Column("acked_by", sa.String(length=254), nullable=True),
        sa.Column("acked_via", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_pagings_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"],
            ["escalation_policies.id"],
            name=op.f("fk_pagings_policy_id_escalation_policies"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["acked_by_id"],
            ["users.id"],
            name=op.f("fk_pagings_acked_by_id_users"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_pagings")),
    )
    op.create_index(op.f("ix_pagings_incident_id"), "pagings", ["incident_id"])
    op.create_table(
        "contact_methods",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channel", sa.String(length=16), nullable=False),
        sa.Column("address", sa.String(length=1000), nullable=False),
        sa.Column("label", sa.String(length=80), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_contact_methods_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_contact_methods")),
        sa.UniqueConstraint(
            "user_id", "channel", "address", name=op.f("uq_contact_methods_user_id")
        ),
    )
    op.create_index(op.f("ix_contact_methods_user_id"), "contact_methods", ["user_id"])
    op.create_table(
        "notify_preferences",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("channels", sa.JSON(), nullable=False),
        sa.Column("quiet_start", sa.String(length=5), nullable=True),
        sa.Column("quiet_end", sa.String(length=5), nullable=True),
        sa.Column("timezone", sa.String(length=64), nullable=False),
        sa.Column("quiet_from", sa.Integer(), nullable=False),
        sa.Column("hourly_limit", sa.Integer(), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_notify_preferences_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_notify_preferences")),
    )


def downgrade() -> None:
    op.drop_table("notify_preferences")
    op.drop_index(op.f("ix_contact_methods_user_id"), table_name="contact_methods")
    op.drop_table("contact_methods")
    op.drop_index(op.f("ix_pagings_incident_id"), table_name="pagings")
    op.drop_table("pagings")
    op.drop_table("escalation_policies")
