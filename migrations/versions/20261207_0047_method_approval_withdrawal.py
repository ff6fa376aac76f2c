"""A county's method request is withdrawn when its procurement stops waiting without a decision
(cancelled after upheld objections to a single-source notice, or by the county): the
approving region's list then says so instead of showing it pending for ever.

``withdraw_method_approval(procurement, reason)``, a SECURITY DEFINER function owned by
``sws_method_approvals`` like the three of migration 0038, called in the county's
transaction: it marks the county's own pending requests for that procurement withdrawn, and
only once the procurement no longer waits for approval. The county code is the transaction's
region, never passed in.

Revision ID: 0047
Revises: 0046
Create Date: 2026-12-07 00:00:00.000000
"""

import os
import re
from collections.abc import Sequence

from alembic import op

revision: str = "0047"
down_revision: str | None = "0046"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "sws_method_approvals"
TABLE = "method_approval_requests"
CHECK = "ck_method_approval_requests_status_known"
SIGNATURE = "withdraw_method_approval(uuid, text)"


def _app_user() -> str:
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")
    return app_user


def upgrade() -> None:
    op.drop_constraint(op.f(CHECK), TABLE, type_="check")
    op.create_check_constraint(
        op.f(CHECK), TABLE, "status IN ('pending', 'approved', 'refused', 'withdrawn')"
    )
    op.execute(f"GRANT UPDATE (status, note, decided_at) ON {TABLE} TO {ROLE}")
    op.execute(f"""
        CREATE FUNCTION {SIGNATURE.replace("uuid, text", "p_procurement uuid, p_reason text")}
        RETURNS integer
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        DECLARE
          v_region text := current_setting('app.tenant_id', true);
          v_count integer;
        BEGIN
          IF coalesce(v_region, '') !~ '^[0-9]{{6}}$' OR v_region = '000000' THEN
            RAISE EXCEPTION 'withdraw_method_approval answers a region''s transaction only'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF EXISTS (
            SELECT FROM public.procurements p
             WHERE p.tenant_id = v_region AND p.id = p_procurement
               AND p.status IN ('awaiting_approval', 'single_source_notice')
          ) THEN
            RAISE EXCEPTION 'procurement % still waits for approval', p_procurement
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          UPDATE public.method_approval_requests r
             SET status = 'withdrawn', note = left(p_reason, 2000), decided_at = now()
           WHERE r.county_code = v_region AND r.procurement_id = p_procurement
             AND r.status = 'pending';
          GET DIAGNOSTICS v_count = ROW_COUNT;
          RETURN v_count;
        END $$
    """)
    op.execute(f"ALTER FUNCTION {SIGNATURE} OWNER TO {ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {SIGNATURE} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {SIGNATURE} TO {_app_user()}")


def downgrade() -> None:
    op.execute(f"DROP FUNCTION IF EXISTS {SIGNATURE}")
    op.execute(f"REVOKE UPDATE (status, note, decided_at) ON {TABLE} FROM {ROLE}")
    op.execute(
        f"UPDATE {TABLE} SET status = 'refused', note = coalesce(note, '已撤回')"
        " WHERE status = 'withdrawn'"
    )
    op.drop_constraint(op.f(CHECK), TABLE, type_="check")
    op.create_check_constraint(op.f(CHECK), TABLE, "status IN ('pending', 'approved', 'refused')")
