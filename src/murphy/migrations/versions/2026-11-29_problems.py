"""Problems: causes several incidents share, their incidents and links

Revision ID: 0015
Revises: 0014
Create Date: 2026-11-29 01:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import murphy.core.db

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

UTC = murphy.core.db.UTCDateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "problems",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("root_cause", sa.Text(), nullable=False),
        sa.Column("workaround", sa.Text(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.Integer(), nullable=True),
        sa.Column("site_id", sa.Integer(), nullable=True),
        sa.Column("building_id", sa.Integer(), nullable=True),
        sa.Column("zone_id", sa.Integer(), nullable=True),
        sa.Column("type_id", sa.Integer(), nullable=True),
        sa.Column("fixed_at", UTC, nullable=True),
        sa.Column("fix_note", sa.Text(), nullable=False),
        sa.Column("recurrences", sa.Integer(), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.Column("updated_at", UTC, nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"], ["users.id"], name=op.f("fk_problems_owner_id_users")
        ),
        sa.ForeignKeyConstraint(["site_id"], ["sites.id"], name=op.f("fk_problems_site_id_sites")),
        sa.ForeignKeyConstraint(
            ["building_id"], ["buildings.id"], name=op.f("fk_problems_building_id_buildings")
        ),
        sa.ForeignKeyConstraint(["zone_id"], ["zones.id"], name=op.f("fk_problems_zone_id_zones")),
        sa.ForeignKeyConstraint(
            ["type_id"], ["incident_types.id"], name=op.f("fk_problems_type_id_incident_types")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problems")),
    )
    op.create_index("ix_problems_status_site", "problems", ["status", "site_id"])
    op.create_table(
        "problem_incidents",
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("incident_id", sa.Integer(), nullable=False),
        sa.Column("linked_at", UTC, nullable=False),
        sa.Column("linked_by", sa.String(length=64), nullable=True),
        sa.Column("recurrence", sa.Boolean(), server_default=sa.false(), nullable=False),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_incidents_problem_id_problems")
        ),
        sa.ForeignKeyConstraint(
            ["incident_id"],
            ["incidents.id"],
            name=op.f("fk_problem_incidents_incident_id_incidents"),
        ),
        sa.PrimaryKeyConstraint("problem_id", "incident_id", name=op.f("pk_problem_incidents")),
    )
    op.create_index("ix_problem_incidents_incident", "problem_incidents", ["incident_id"])
    op.create_table(
        "problem_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("problem_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("ref", sa.String(length=120), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("url", sa.String(length=500), nullable=False),
        sa.Column("created_at", UTC, nullable=False),
        sa.Column("created_by", sa.String(length=64), nullable=True),
        sa.ForeignKeyConstraint(
            ["problem_id"], ["problems.id"], name=op.f("fk_problem_links_problem_id_problems")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_problem_links")),
    )
    op.create_index("ix_problem_links_problem", "problem_links", ["problem_id"])


def downgrade() -> None:
    op.drop_index("ix_problem_links_problem", table_name="problem_links")
    op.drop_table("problem_links")
    op.drop_index("ix_problem_incidents_incident", table_name="problem_incidents")
    op.drop_table("problem_incidents")
    op.drop_index("ix_problems_status_site", table_name="problems")
    op.drop_table("problems")
