"""BOLOs: be-on-the-lookout notices for people and vehicles, their sites and photos

Revision ID: 0021
Revises: 0020
Create Date: 2026-11-30 04:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import murphy.core.db

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = murphy.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "bolos",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=True),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("plate", sa.String(length=20), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("caution", sa.String(length=500), nullable=False),
        sa.Column("expires_at", UTC, nullable=False),
        sa.Column("issued_at", UTC, nullable=False),
        sa.Column("issued_by", sa.String(length=64), nullable=False),
        sa.Column("cancelled_at", UTC, nullable=True),
        sa.Column("cancelled_by", sa.String(length=64), nullable=True),
        sa.Column("cancel_reason", sa.String(length=500), nullable=False),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subject_id"],
            ["subjects.id"],
            name=op.f("fk_bolos_subject_id_subjects"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_bolos_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bolos")),
    )
    op.create_index("ix_bolos_expires_at", "bolos", ["expires_at"])
    op.create_index(op.f("ix_bolos_subject_id"), "bolos", ["subject_id"])
    op.create_index(op.f("ix_bolos_incident_id"), "bolos", ["incident_id"])
    op.create_table(
        "bolo_sites",
        sa.Column("bolo_id", sa.Integer(), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["bolo_id"], ["bolos.id"], name=op.f("fk_bolo_sites_bolo_id_bolos"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["site_id"], ["sites.id"], name=op.f("fk_bolo_sites_site_id_sites")
        ),
        sa.PrimaryKeyConstraint("bolo_id", "site_id", name=op.f("pk_bolo_sites")),
    )
    op.create_index("ix_bolo_sites_site", "bolo_sites", ["site_id", "bolo_id"])
    op.create_table(
        "bolo_photos",
        sa.Column("bolo_id", sa.Integer(), nullable=False),
        sa.Column("media_type", sa.String(length=32), nullable=False),
        sa.Column("size", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("data", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["bolo_id"], ["bolos.id"], name=op.f("fk_bolo_photos_bolo_id_bolos"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("bolo_id", name=op.f("pk_bolo_photos")),
    )


def downgrade() -> None:
    op.drop_table("bolo_photos")
    op.drop_index("ix_bolo_sites_site", table_name="bolo_sites")
    op.drop_table("bolo_sites")
    op.drop_index(op.f("ix_bolos_incident_id"), table_name="bolos")
    op.drop_index(op.f("ix_bolos_subject_id"), table_name="bolos")
    op.drop_index("ix_bolos_expires_at", table_name="bolos")
    op.drop_table("bolos")
