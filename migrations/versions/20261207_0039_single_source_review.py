"""The supplementary justification (补充论证) of the objections to a single-source notice
(财政部令第74号 art. 40): one per notice, never changed.

Revision ID: 0039
Revises: 0037
Create Date: 2026-12-07 01:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0039"
down_revision: str | None = "0042"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLE = "single_source_justifications"


def upgrade() -> None:
    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("notice_id", sa.Uuid(), nullable=False),
        sa.Column("objections_upheld", sa.Boolean(), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("experts", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("document_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_single_source_justifications_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f(f"fk_{TABLE}_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f(f"fk_{TABLE}_recorded_by_users")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f(f"pk_{TABLE}")),
    )
    op.create_index(
        "ix_single_source_justifications_procurement",
        TABLE,
        ["tenant_id", "procurement_id"],
        unique=False,
    )
    op.create_index(
        "uq_single_source_justifications_notice", TABLE, ["tenant_id", "notice_id"], unique=True
    )
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"""
        CREATE POLICY tenant_isolation ON {TABLE}
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    # The justification is the record finance decides on: never changed, never deleted.
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {TABLE} FROM {app_user}")


def downgrade() -> None:
    op.drop_table(TABLE)
