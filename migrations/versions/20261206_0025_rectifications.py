"""Rectifications (整改) ordered by inspections and failed acceptances, and their history.

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-06 21:10:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "rectifications",
        sa.Column("tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("source_kind", sa.String(length=16), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("finding", sa.Text(), nullable=False),
        sa.Column("required_action", sa.Text(), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("ordered_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("ordered_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("closed_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("close_note", sa.Text(), nullable=True),
        sa.Column("reopened", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("overdue_warned_for", TS, nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_rectifications_contract",
        ),
        sa.CheckConstraint("source_kind IN ('inspection', 'acceptance')", name="source_kind"),
        sa.CheckConstraint("status IN ('open', 'answered', 'closed')", name="status"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_rectifications"),
    )
    op.create_index("ix_rectifications_contract", "rectifications", ["tenant_id", "contract_id"])
    op.create_index(
        "ix_rectifications_source", "rectifications", ["tenant_id", "source_kind", "source_id"]
    )
    op.create_table(
        "rectification_entries",
        sa.Column("tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("rectification_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=8), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("at", TS, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "rectification_id"],
            ["rectifications.tenant_id", "rectifications.id"],
            name="fk_rectification_entries_rectification",
        ),
        sa.CheckConstraint("kind IN ('answer', 'reopen', 'close')", name="kind"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "rectification_id", "seq", name="pk_rectification_entries"
        ),
    )
    for table, provider_check in (
        ("rectifications", "provider_id::text = current_setting('app.provider_id', true)"),
        (
            "rectification_entries",
            """EXISTS (SELECT 1 FROM rectifications r
                        WHERE r.tenant_id = rectification_entries.tenant_id
                          AND r.id = rectification_entries.rectification_id
                          AND r.provider_id::text = current_setting('app.provider_id', true))""",
        ),
    ):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
        op.execute(
            f"CREATE POLICY provider_own_rows ON {table} FOR SELECT USING ({provider_check})"
        )
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    # The history is a record: never changed, never deleted.
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON rectification_entries FROM {app_user}")


def downgrade() -> None:
    op.drop_table("rectification_entries")
    op.drop_table("rectifications")
