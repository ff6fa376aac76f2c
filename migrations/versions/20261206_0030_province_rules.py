"""A province's tendering rules bind its cities and counties: the narrow path they read it by.

A region's session sees only its own ``tendering_rules`` row (``tenant_isolation``). Its
province's overrides cross through one SECURITY DEFINER function, ``province_tendering_rules``,
owned by ``sws_rules_reader``: a NOLOGIN role without BYPASSRLS that nobody is granted, whose
only policy lets it read province-level rows (``__0000``) and only their overrides and time.
The function answers the province of the transaction's own region (``app.tenant_id``) and
nothing else; the API role may only EXECUTE it.

The migration runs as a superuser (as 0006 does): giving a function to a role one is not a
member of needs it.

Revision ID: 0030
Revises: 0029
Create Date: 2026-12-06 23:00:00.000000
"""

import os
import re
from collections.abc import Sequence

from alembic import op

revision: str = "0030"
down_revision: str | None = "0029"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER = "sws_rules_reader"


def _app_user() -> str:
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError(f"APP_DB_USER {app_user!r} is not a plain role name")
    return app_user


def upgrade() -> None:
    app_user = _app_user()
    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER}') THEN
            CREATE ROLE {READER} NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {READER}")
    op.execute(f"GRANT SELECT (tenant_id, overrides, updated_at) ON tendering_rules TO {READER}")
    op.execute(f"""
        CREATE POLICY rules_reader_provinces ON tendering_rules FOR SELECT TO {READER}
        USING (tenant_id LIKE '__0000')
    """)
    op.execute("""
        CREATE FUNCTION province_tendering_rules()
        RETURNS TABLE (province text, overrides jsonb, updated_at timestamptz)
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
          region text := current_setting('app.tenant_id', true);
        BEGIN
          IF coalesce(region, '') !~ '^[0-9]{6}$' OR region = '000000' THEN
            RAISE EXCEPTION 'province_tendering_rules answers a region''s transaction only'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          RETURN QUERY
            SELECT r.tenant_id::text, r.overrides, r.updated_at
              FROM public.tendering_rules r
             WHERE r.tenant_id = left(region, 2) || '0000';
        END $$
    """)
    op.execute(f"ALTER FUNCTION province_tendering_rules() OWNER TO {READER}")
    op.execute("REVOKE ALL ON FUNCTION province_tendering_rules() FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION province_tendering_rules() TO {app_user}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS province_tendering_rules()")
    op.execute("DROP POLICY IF EXISTS rules_reader_provinces ON tendering_rules")
    op.execute(f"REVOKE ALL ON tendering_rules FROM {READER}")
    # The role is the cluster's, possibly used by other databases on it: it stays.
