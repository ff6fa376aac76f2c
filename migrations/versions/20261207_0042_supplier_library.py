"""The province's supplier library (供应商库, 财政部令第87号 art. 14, 74号令 art. 12): the
providers its finance bureau admits, by programme area, and the narrow path through which its
cities draw invited suppliers from it.

``supplier_library_entries`` is kept by a province's tenant: one row a provider, with its
programme areas, the day it was admitted, the last day it stays valid and its status
(active, suspended or removed, the latter two with their reason). Changes are audited by the
service.

A city never reads the province's rows. It calls ``supplier_library_pool`` (SECURITY
DEFINER, owned by ``sws_supplier_library``, a NOLOGIN role nobody is granted), which answers
for the province of the region the transaction is bound to only, and only with what a draw
needs: the provider's id and programme areas, of the entries active and valid today (Asia/
Shanghai) — no reasons, no who-admitted. ``supplier_selections`` gains the programme area a
library draw took its pool from.

Revision ID: 0042
Revises: 0037
Create Date: 2026-12-07 02:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0042"
down_revision: str | None = "0040"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER = "sws_supplier_library"
TABLE = "supplier_library_entries"
TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")

    op.create_table(
        TABLE,
        sa.Column("tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("provider_id", sa.Uuid(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("categories", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("admitted_on", sa.Date(), nullable=False),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("status_reason", sa.Text(), nullable=True),
        sa.Column("updated_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "status IN ('active', 'suspended', 'removed')", name="ck_supplier_library_status"
        ),
        # Suspended or removed, always with its reason.
        sa.CheckConstraint(
            "(status = 'active') = (status_reason IS NULL)", name="ck_supplier_library_reason"
        ),
        sa.CheckConstraint("admitted_on <= valid_until", name="ck_supplier_library_validity"),
        sa.CheckConstraint("cardinality(categories) > 0", name="ck_supplier_library_categories"),
        sa.PrimaryKeyConstraint("tenant_id", "provider_id", name="pk_supplier_library_entries"),
    )
    # A library draw records the programme area its pool was taken from.
    op.add_column("supplier_selections", sa.Column("category", sa.String(length=32), nullable=True))
    op.execute(f"ALTER TABLE {TABLE} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {TABLE} FORCE ROW LEVEL SECURITY")
    op.execute(f"""
        CREATE POLICY tenant_isolation ON {TABLE}
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)

    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER}') THEN
            CREATE ROLE {READER} NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    # Only the columns a draw needs, of provincial libraries only.
    op.execute(
        "GRANT SELECT (tenant_id, provider_id, categories, admitted_on, valid_until, status)"
        f" ON {TABLE} TO {READER}"
    )
    op.execute(
        f"CREATE POLICY supplier_library_read ON {TABLE} FOR SELECT TO {READER}"
        " USING (right(tenant_id, 4) = '0000')"
    )
    # The province is derived from the region the transaction is bound to (GB/T 2260: its
    # first two digits), never passed in: a city cannot ask for another province's library.
    op.execute("""
        CREATE FUNCTION supplier_library_pool()
        RETURNS TABLE (provider_id uuid, categories text[])
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
          v_province text := left(current_setting('app.tenant_id', true), 2) || '0000';
          v_today date := (now() AT TIME ZONE 'Asia/Shanghai')::date;
        BEGIN
          IF current_setting('app.tenant_id', true) IS NULL
             OR current_setting('app.tenant_id', true) !~ '^[0-9]{6}$' THEN
            RAISE EXCEPTION 'supplier_library_pool answers for a region''s transaction only'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          RETURN QUERY
            SELECT s.provider_id, s.categories::text[]
              FROM public.supplier_library_entries s
             WHERE s.tenant_id = v_province AND s.status = 'active'
               AND s.admitted_on <= v_today AND v_today <= s.valid_until
             ORDER BY s.provider_id::text;
        END $$
    """)
    op.execute(f"ALTER FUNCTION supplier_library_pool() OWNER TO {READER}")
    op.execute("REVOKE ALL ON FUNCTION supplier_library_pool() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION supplier_library_pool() TO {app_user}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS supplier_library_pool()")
    op.drop_table(TABLE)
    op.drop_column("supplier_selections", "category")
    op.execute(f"DROP ROLE IF EXISTS {READER}")
