"""A contract's share of each fiscal year, each committed against that year's budget line; a
project may be a line of each later year's budget that funds its contract. A contract keeps
its parties as they were when it was drafted, and what its procurement documents carried from
the project: whom and how many it serves, and its
targets; and its performance security as received and returned.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-06 18:40:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    for column in (
        sa.Column("buyer_organisation_id", sa.Uuid(), nullable=True),
        sa.Column("buyer_name", sa.String(length=200), nullable=True),
        sa.Column("provider_name", sa.String(length=200), nullable=True),
        sa.Column("provider_uscc", sa.String(length=18), nullable=True),
        sa.Column("county_code", sa.String(length=6), nullable=True),
        sa.Column("target_groups", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("beneficiaries", sa.Integer(), nullable=True),
        sa.Column("targets", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.Column("security_return_terms", sa.Text(), nullable=True),
        sa.Column("security_form", sa.String(length=24), nullable=True),
        sa.Column("security_reference", sa.String(length=100), nullable=True),
        sa.Column("security_received_on", sa.Date(), nullable=True),
        sa.Column("security_returned_on", sa.Date(), nullable=True),
        sa.Column("security_return_note", sa.Text(), nullable=True),
    ):
        op.add_column("contracts", column)
    op.drop_index("uq_budget_lines_tenant_project", table_name="budget_lines")
    op.create_index(
        "uq_budget_lines_tenant_project_budget",
        "budget_lines",
        ["tenant_id", "project_id", "budget_id"],
        unique=True,
    )
    op.create_table(
        "contract_year_shares",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=True),
        sa.Column("commitment_id", sa.Uuid(), nullable=True),
        sa.CheckConstraint("amount > 0", name="amount_positive"),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_contract_year_shares_contract",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name="fk_contract_year_shares_tenant_id"
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "contract_id", "fiscal_year", name="pk_contract_year_shares"
        ),
    )
    op.execute("ALTER TABLE contract_year_shares ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE contract_year_shares FORCE ROW LEVEL SECURITY")
    op.execute("""
        CREATE POLICY tenant_isolation ON contract_year_shares
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)
    op.execute("""
        CREATE POLICY provider_own_rows ON contract_year_shares FOR SELECT
        USING (EXISTS (
            SELECT 1 FROM contracts c
             WHERE c.tenant_id = contract_year_shares.tenant_id
               AND c.id = contract_year_shares.contract_id
               AND c.provider_id::text = current_setting('app.provider_id', true)
        ))
    """)


def downgrade() -> None:
    for name in (
        "buyer_organisation_id",
        "buyer_name",
        "provider_name",
        "provider_uscc",
        "county_code",
        "target_groups",
        "beneficiaries",
        "targets",
        "security_return_terms",
        "security_form",
        "security_reference",
        "security_received_on",
        "security_returned_on",
        "security_return_note",
    ):
        op.drop_column("contracts", name)
    op.drop_table("contract_year_shares")
    op.drop_index("uq_budget_lines_tenant_project_budget", table_name="budget_lines")
    op.create_index(
        "uq_budget_lines_tenant_project", "budget_lines", ["tenant_id", "project_id"], unique=True
    )
