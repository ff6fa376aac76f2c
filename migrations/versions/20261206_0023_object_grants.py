"""Roles held on one object: an acceptance panel member's account reaches that acceptance only.

Revision ID: 0023
Revises: 0022
Create Date: 2026-12-06 21:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0023"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "object_grants",
        sa.Column("tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("role", sa.String(length=32), nullable=False),
        sa.Column("object_kind", sa.String(length=32), nullable=False),
        sa.Column("object_id", sa.Uuid(), nullable=False),
        sa.Column("granted_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column(
            "created_at", sa.DateTime(timezone=True), server_default=sa.func.now(), nullable=False
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_object_grants"),
        sa.UniqueConstraint(
            "tenant_id", "object_kind", "object_id", "user_id", "role", name="uq_object_grants"
        ),
    )
    op.create_index("ix_object_grants_user", "object_grants", ["tenant_id", "user_id"])
    op.execute("ALTER TABLE object_grants ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE object_grants FORCE ROW LEVEL SECURITY")
    op.execute("""
        CREATE POLICY tenant_isolation ON object_grants
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)
    # The authorizer reads them with the memberships, through its narrow role only.
    op.execute("CREATE POLICY authz_read ON object_grants FOR SELECT TO sws_authz USING (true)")
    op.execute("GRANT SELECT ON object_grants TO sws_authz")
    op.execute("""
        CREATE TRIGGER object_grants_authz_changed
        AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON object_grants
        FOR EACH STATEMENT EXECUTE FUNCTION notify_authz_changed()
    """)


def downgrade() -> None:
    op.drop_table("object_grants")
