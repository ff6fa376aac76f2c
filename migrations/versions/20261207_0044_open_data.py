"""Open data (OCDS 1.1): the published releases, one per public change, readable by anyone in
every region like published notices; and ocids without a region code (``PREFIX-<uuid>``), since
division codes change when districts merge and an ocid must never change again.

Revision ID: 0044
Revises: 0037
Create Date: 2026-12-07 00:10:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0044"
down_revision: str | None = "0039"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# PREFIX-<6-digit code>-<uuid> → PREFIX-<uuid>
_OLD = r"^(.+)-[0-9]{6}-([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})$"


def upgrade() -> None:
    op.create_table(
        "open_data_releases",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.String(length=250), nullable=False),
        sa.Column("ocid", sa.String(length=100), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("tag", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("date", sa.DateTime(timezone=True), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("release", postgresql.JSONB(), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_open_data_releases_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_open_data_releases")),
    )
    op.create_index(
        "ix_open_data_releases_tenant_published",
        "open_data_releases",
        ["tenant_id", "published_at", "id"],
    )
    op.create_index(
        "ix_open_data_releases_tenant_ocid", "open_data_releases", ["tenant_id", "ocid"]
    )
    op.create_index("ix_open_data_releases_published", "open_data_releases", ["published_at", "id"])
    op.execute("ALTER TABLE open_data_releases ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE open_data_releases FORCE ROW LEVEL SECURITY")
    op.execute("""
        CREATE POLICY tenant_isolation ON open_data_releases
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)
    # Published, like notices: anyone reads them, in every region (the national feed).
    op.execute("CREATE POLICY public_releases ON open_data_releases FOR SELECT USING (true)")
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    # A release, once published, stays as it was.
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON open_data_releases FROM {app_user}")

    # The ocid loses its region code wherever it is kept. RLS is forced on these tables even for
    # their owner, who runs this without a tenant bound: lifted for the rewrite only, in this
    # migration's transaction, and forced again before it commits.
    for table in ("procurements", "contracts", "notices"):
        op.execute(f"ALTER TABLE {table} NO FORCE ROW LEVEL SECURITY")
    for table in ("procurements", "contracts"):
        op.execute(
            sa.text(f"UPDATE {table} SET ocid = regexp_replace(ocid, :old, '\\1-\\2')").bindparams(
                old=_OLD
            )
        )
    op.execute(
        sa.text(
            "UPDATE notices SET data = jsonb_set(data, '{ocid}',"
            " to_jsonb(regexp_replace(data->>'ocid', :old, '\\1-\\2')))"
            " WHERE data->>'ocid' IS NOT NULL"
        ).bindparams(old=_OLD)
    )
    for table in ("procurements", "contracts", "notices"):
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")


def downgrade() -> None:
    # The old ocids are not restored: nothing outside may have kept the region-coded form.
    op.drop_table("open_data_releases")
