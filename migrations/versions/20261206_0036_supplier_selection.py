"""Invited suppliers chosen by a recorded random draw (政府采购法 art. 34, 87号令 art. 14) or,
for a negotiation, from written recommendations (74号令 art. 12): the selection's record, and
an invited tender's prequalification notice with its applications and verdicts.

Revision ID: 0036
Revises: 0035
Create Date: 2026-12-06 22:30:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0036"
down_revision: str | None = "0035"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "supplier_selections",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=24), nullable=False),
        sa.Column("to_draw", sa.Integer(), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("pool", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("invited", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("witness_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("recommendations", postgresql.JSONB(), nullable=False),
        sa.Column("made_by", sa.Uuid(), nullable=False),
        sa.Column("made_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint(
            "source IN ('prequalification', 'library', 'recommendations', 'notice')",
            name=op.f("ck_supplier_selections_source_known"),
        ),
        sa.CheckConstraint(
            "(to_draw IS NULL) = (seed IS NULL)",
            name=op.f("ck_supplier_selections_drawn_with_seed"),
        ),
        # 87号令 art. 14: a library's or recommendations' pool holds twice the number drawn.
        sa.CheckConstraint(
            "to_draw IS NULL OR source = 'prequalification' OR cardinality(pool) >= 2 * to_draw",
            name=op.f("ck_supplier_selections_pool_twice_drawn"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_supplier_selections_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_supplier_selections_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["made_by"], ["users.id"], name=op.f("fk_supplier_selections_made_by_users")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "procurement_id", name=op.f("pk_supplier_selections")),
    )
    op.create_table(
        "prequalifications",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("applications_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_prequalifications_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_prequalifications_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "procurement_id", name=op.f("pk_prequalifications")),
    )
    op.create_table(
        "prequalification_applications",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("applied_by", sa.Uuid(), nullable=False),
        sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("qualified", sa.Boolean(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("reviewed_by", sa.Uuid(), nullable=True),
        sa.Column("reviewed_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "qualified IS DISTINCT FROM false OR reason IS NOT NULL",
            name=op.f("ck_prequalification_applications_refusal_reason"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["prequalifications.tenant_id", "prequalifications.procurement_id"],
            name="fk_prequalification_applications_prequalification",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.code"],
            name=op.f("fk_prequalification_applications_tenant_id_tenants"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_prequalification_applications_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["applied_by"],
            ["users.id"],
            name=op.f("fk_prequalification_applications_applied_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["reviewed_by"],
            ["users.id"],
            name=op.f("fk_prequalification_applications_reviewed_by_users"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id",
            "procurement_id",
            "provider_id",
            name=op.f("pk_prequalification_applications"),
        ),
    )
    for table in ("supplier_selections", "prequalifications", "prequalification_applications"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
    # A provider reads its own applications (and so its verdict) in every region.
    op.execute("""
        CREATE POLICY provider_own_rows ON prequalification_applications FOR SELECT
        USING (provider_id::text = current_setting('app.provider_id', true))
    """)
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    # The draw's record: never changed, never deleted.
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON supplier_selections FROM {app_user}")


def downgrade() -> None:
    op.drop_table("prequalification_applications")
    op.drop_table("prequalifications")
    op.drop_table("supplier_selections")
