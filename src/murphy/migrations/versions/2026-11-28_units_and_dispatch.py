"""Units and dispatch: units, members, their log, assignments, resource requests;
coordinates on sites, buildings and zones; the skills an incident type needs

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 17:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import murphy.core.db

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = murphy.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    # Plain ADD COLUMNs: no table rebuild on SQLite.
    for table in ("sites", "buildings", "zones"):
        op.add_column(table, sa.Column("latitude", sa.Float(), nullable=True))
        op.add_column(table, sa.Column("longitude", sa.Float(), nullable=True))
    op.add_column(
        "incident_types",
        sa.Column("skills", sa.JSON(), server_default=sa.text("'[]'"), nullable=False),
    )
    op.create_table(
        "units",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("callsign", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=120), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("site_id", sa.Integer(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_at", UTC, nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("duty_at", UTC, nullable=True),
        sa.Column("position_source", sa.String(length=12), nullable=True),
        sa.Column("latitude", sa.Float(), nullable=True),
        sa.Column("longitude", sa.Float(), nullable=True),
        sa.Column("accuracy_m", sa.Float(), nullable=True),
        sa.Column("position_site_id", sa.Integer(), nullable=True),
        sa.Column("position_zone_id", sa.Integer(), nullable=True),
        sa.Column("position_at", UTC, nullable=True),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_units_site_id_sites")),
        sa.ForeignKeyConstraint(
            ["position_site_id"], ["sites.id"], name=op.f("fk_units_position_site_id_sites")
        ),
        sa.ForeignKeyConstraint(
            ["position_zone_id"], ["zones.id"], name=op.f("fk_units_position_zone_id_zones")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_units")),
        sa.UniqueConstraint("callsign", name=op.f("uq_units_callsign")),
    )
    op.create_index(op.f("ix_units_site_id"), "units", ["site_id"])
    op.create_table(
        "unit_members",
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["user_id"],
            ["users.id"],
            name=op.f("fk_unit_members_user_id_users"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"],
            ["units.id"],
            name=op.f("fk_unit_members_unit_id_units"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("user_id", name=op.f("pk_unit_members")),
    )
    op.create_index(op.f("ix_unit_members_unit_id"), "unit_members", ["unit_id"])
    op.create_table(
        "unit_log",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("at", UTC, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("on_duty", sa.Boolean(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=True),
        sa.Column("actor", sa.String(length=64), nullable=True),
        sa.Column("note", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_log_unit_id_units"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"], ["incidents.id"], name=op.f("fk_unit_log_incident_id_incidents")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_log")),
    )
    op.create_index("ix_unit_log_unit_at", "unit_log", ["unit_id", "at"])
    op.create_table(
        "unit_assignments",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("unit_id", sa.Integer(), nullable=False),
        sa.Column("role", sa.String(length=12), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("dispatched_at", UTC, nullable=False),
        sa.Column("dispatched_by", sa.String(length=64), nullable=True),
        sa.Column("acknowledged_at", UTC, nullable=True),
        sa.Column("en_route_at", UTC, nullable=True),
        sa.Column("on_scene_at", UTC, nullable=True),
        sa.Column("cleared_at", UTC, nullable=True),
        sa.Column("cleared_reason", sa.String(length=120), nullable=False),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_unit_assignments_incident_id_incidents"),
        ),
        sa.ForeignKeyConstraint(
            ["unit_id"], ["units.id"], name=op.f("fk_unit_assignments_unit_id_units")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_unit_assignments")),
    )
    op.create_index(
        "ix_unit_assignments_unit_cleared", "unit_assignments", ["unit_id", "cleared_at"]
    )
    op.create_index("ix_unit_assignments_incident", "unit_assignments", ["incident_id", "id"])
    op.create_table(
        "resource_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("what", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("reference", sa.String(length=80), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("requested_at", UTC, nullable=False),
        sa.Column("requested_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("on_the_way_at", UTC, nullable=True),
        sa.Column("arrived_at", UTC, nullable=True),
        sa.Column("ended_at", UTC, nullable=True),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_resource_requests_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_resource_requests")),
    )
    op.create_index(op.f("ix_resource_requests_incident_id"), "resource_requests", ["incident_id"])


def downgrade() -> None:
    for table in ("resource_requests", "unit_assignments", "unit_log", "unit_members", "units"):
        op.drop_table(table)
    with op.batch_alter_table("incident_types") as batch:
        batch.drop_column("skills")
    for table in ("zones", "buildings", "sites"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("longitude")
            batch.drop_column("latitude")
