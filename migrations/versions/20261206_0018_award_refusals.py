"""Winners that refused to sign the contract, and when the contract was signed.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 18:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "procurements", sa.Column("contract_signed_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.create_table(
        "award_refusals",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("refused_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("by_user", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_user"], ["users.id"], name=op.f("fk_award_refusals_by_user_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_award_refusals_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_award_refusals_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_award_refusals_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "procurement_id", "provider_id", name=op.f("pk_award_refusals")
        ),
    )
    op.execute("ALTER TABLE award_refusals ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE award_refusals FORCE ROW LEVEL SECURITY")
    op.execute("""
        CREATE POLICY tenant_isolation ON award_refusals
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)
    # A refusal is a record, and keeps the refuser from winning again: the API never deletes it.
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    op.execute(f"REVOKE DELETE, TRUNCATE ON award_refusals FROM {app_user}")


def downgrade() -> None:
    op.drop_table("award_refusals")
    op.drop_column("procurements", "contract_signed_at")
