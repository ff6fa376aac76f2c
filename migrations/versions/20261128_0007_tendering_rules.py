"""Tendering: each region's legal rules, tightened beyond the national defaults.

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-28 12:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TENANT_OWNED = ["tendering_rules"]


def upgrade() -> None:
    op.create_table(
        "tendering_rules",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column(
            "overrides",
            postgresql.JSONB(astext_type=sa.Text()),
            server_default=sa.text("'{}'::jsonb"),
            nullable=False,
        ),
        sa.Column("updated_by", sa.Uuid(), nullable=True),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.CheckConstraint(
            "jsonb_typeof(overrides) = 'object'",
            name=op.f("ck_tendering_rules_overrides_is_object"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_tendering_rules_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["updated_by"], ["users.id"], name=op.f("fk_tendering_rules_updated_by_users")
        ),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_tendering_rules")),
    )
    secure()


def downgrade() -> None:
    op.drop_table("tendering_rules")


def secure() -> None:
    """Row-level security: a region reads and writes only its own rules.

    The API's role gets its table grants from the default privileges of migration 0001.
    """
    for table in TENANT_OWNED:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
