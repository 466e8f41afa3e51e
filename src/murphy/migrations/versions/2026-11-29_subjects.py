"""Subjects: people and vehicles involved in incidents, name tokens, identifiers, links, views

Revision ID: 0019
Revises: 0018
Create Date: 2026-11-29 05:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import murphy.core.db

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = murphy.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "subjects",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=True),
        sa.Column("name_key", sa.String(length=200), nullable=True),
        sa.Column("birth_date", sa.Date(), nullable=True),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("plate", sa.String(length=20), nullable=True),
        sa.Column("plate_key", sa.String(length=20), nullable=True),
        sa.Column("make", sa.String(length=60), nullable=False),
        sa.Column("model", sa.String(length=60), nullable=False),
        sa.Column("colour", sa.String(length=60), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into_id"], ["subjects.id"], name=op.f("fk_subjects_merged_into_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subjects")),
    )
    op.create_index("ix_subjects_name_key", "subjects", ["name_key"])
    op.create_index("ix_subjects_plate_key", "subjects", ["plate_key"])
    op.create_table(
        "subject_tokens",
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("token", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_subject_tokens_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("subject_id", "token", name=op.f("pk_subject_tokens")),
    )
    op.create_index("ix_subject_tokens_token", "subject_tokens", ["token", "subject_id"])
    op.create_table(
        "subject_identifiers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=20), nullable=False),
        sa.Column("value", sa.String(length=80), nullable=False),
        sa.Column("value_key", sa.String(length=80), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_subject_identifiers_subject_id_subjects"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_identifiers")),
    )
    op.create_index(
        op.f("ix_subject_identifiers_subject_id"), "subject_identifiers", ["subject_id"]
    )
    op.create_index("ix_subject_identifiers_key", "subject_identifiers", ["value_key"])
    op.create_table(
        "subject_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_subject_links_incident_id_incidents")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_subject_links_subject_id_subjects")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_links")),
        sa.UniqueConstraint("subject_id", "incident_id", name="uq_subject_links_subject_incident"),
    )
    op.create_index("ix_subject_links_incident", "subject_links", ["incident_id"])
    op.create_table(
        "subject_views",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("how", sa.String(length=8), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["subjects.id"], name=op.f("fk_subject_views_subject_id_subjects")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_subject_views_user_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subject_views")),
    )
    op.create_index("ix_subject_views_subject", "subject_views", ["subject_id", "at"])


def downgrade() -> None:
    op.drop_table("subject_views")
    op.drop_table("subject_links")
    op.drop_table("subject_identifiers")
    op.drop_table("subject_tokens")
    op.drop_table("subjects")
