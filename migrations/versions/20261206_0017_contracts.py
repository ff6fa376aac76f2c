"""Contracts drafted from awards, and their payment schedules.

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 17:10:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)


def upgrade() -> None:
    op.create_table(
        "contracts",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("ocid", sa.String(length=100), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("budget_line_id", sa.Uuid(), nullable=False),
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("price", MONEY, nullable=False),
        sa.Column("award_notice_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sign_by", sa.DateTime(timezone=True), nullable=False),
        sa.Column("scope", sa.Text(), nullable=True),
        sa.Column("quality_requirements", sa.Text(), nullable=True),
        sa.Column("breach_liability", sa.Text(), nullable=True),
        sa.Column("period_start", sa.Date(), nullable=True),
        sa.Column("period_end", sa.Date(), nullable=True),
        sa.Column("continuing_service_reason", sa.Text(), nullable=True),
        sa.Column("performance_security", MONEY, nullable=True),
        sa.Column("subcontracting_allowed", sa.Boolean(), nullable=False),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column(
            "updated_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.CheckConstraint("price > 0", name=op.f("ck_contracts_price_positive")),
        sa.CheckConstraint(
            "period_end IS NULL OR period_start IS NULL OR period_end > period_start",
            name=op.f("ck_contracts_period_ordered"),
        ),
        sa.CheckConstraint(
            "performance_security IS NULL OR performance_security >= 0",
            name=op.f("ck_contracts_security_ok"),
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_contracts_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_contracts_updated_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_contracts_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_contracts")),
    )
    op.create_index(
        "uq_contracts_procurement", "contracts", ["tenant_id", "procurement_id"], unique=True
    )
    op.create_table(
        "contract_instalments",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("milestone", sa.Text(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_contract_instalments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_contract_instalments_contract",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_contract_instalments_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "contract_id", "seq", name=op.f("pk_contract_instalments")
        ),
    )
    for table in ("contracts", "contract_instalments"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
    # A provider reads its own contracts, and their schedules, in every region (/v1/me/contracts)
    # and nothing else across regions: the same narrow clause as its registrations (0001).
    op.execute("""
        CREATE POLICY provider_own_rows ON contracts FOR SELECT
        USING (provider_id::text = current_setting('app.provider_id', true))
    """)
    op.execute("""
        CREATE POLICY provider_own_rows ON contract_instalments FOR SELECT
        USING (EXISTS (
            SELECT 1 FROM contracts c
             WHERE c.tenant_id = contract_instalments.tenant_id
               AND c.id = contract_instalments.contract_id
               AND c.provider_id::text = current_setting('app.provider_id', true)
        ))
    """)
    # A contract is a record: the API never deletes one (a draft's schedule it may replace).
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    op.execute(f"REVOKE DELETE, TRUNCATE ON contracts FROM {app_user}")


def downgrade() -> None:
    op.drop_table("contract_instalments")
    op.drop_index("uq_contracts_procurement", table_name="contracts")
    op.drop_table("contracts")
