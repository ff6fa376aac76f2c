"""The award notice's time, and the bid securities owed back after it.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-06 17:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "procurements", sa.Column("award_notice_at", sa.DateTime(timezone=True), nullable=True)
    )
    # The earliest return still owed, kept beside the other times for the sweep.
    op.add_column(
        "procurements", sa.Column("bid_security_due", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute("GRANT SELECT (bid_security_due) ON procurements TO sws_tendering_clock")
    op.create_table(
        "bid_securities",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(14, 2), nullable=False),
        sa.Column("winner", sa.Boolean(), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("returned_by", sa.Uuid(), nullable=True),
        sa.Column("note", sa.Text(), nullable=True),
        sa.CheckConstraint("amount > 0", name=op.f("ck_bid_securities_amount_positive")),
        sa.ForeignKeyConstraint(
            ["returned_by"], ["users.id"], name=op.f("fk_bid_securities_returned_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_bid_securities_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_bid_securities_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_bid_securities_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "procurement_id", "bid_id", name=op.f("pk_bid_securities")
        ),
    )
    op.execute("ALTER TABLE bid_securities ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE bid_securities FORCE ROW LEVEL SECURITY")
    op.execute("""
        CREATE POLICY tenant_isolation ON bid_securities
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)
    # What was owed and returned is a record: the API never deletes it.
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    op.execute(f"REVOKE DELETE, TRUNCATE ON bid_securities FROM {app_user}")


def downgrade() -> None:
    op.drop_table("bid_securities")
    op.execute("REVOKE SELECT (bid_security_due) ON procurements FROM sws_tendering_clock")
    op.drop_column("procurements", "bid_security_due")
    op.drop_column("procurements", "award_notice_at")
