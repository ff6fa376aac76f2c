"""Suppliers a negotiation group finds not to meet the requirements, with the reason.

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-28 09:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "negotiation_exclusions",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("excluded_by", sa.Uuid(), nullable=True),
        sa.Column("excluded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["excluded_by"], ["users.id"], name=op.f("fk_negotiation_exclusions_excluded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_negotiation_exclusions_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_negotiation_exclusions_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.code"],
            name=op.f("fk_negotiation_exclusions_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "procurement_id", "provider_id", name=op.f("pk_negotiation_exclusions")
        ),
    )
    op.execute("ALTER TABLE negotiation_exclusions ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE negotiation_exclusions FORCE ROW LEVEL SECURITY")
    op.execute("""
        CREATE POLICY tenant_isolation ON negotiation_exclusions
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)


def downgrade() -> None:
    op.drop_table("negotiation_exclusions")
