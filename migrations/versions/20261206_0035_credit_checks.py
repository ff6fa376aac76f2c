"""Credit checked where it matters: a disqualification's ground, the bars a procurement's
documents apply and the window they are checked in (财库〔2016〕125号).

Revision ID: 0035
Revises: 0032
Create Date: 2026-12-06 23:30:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

revision: str = "0035"
down_revision: str | None = "0032"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER = "sws_credit_reader"
GROUNDS = "('art77', 'regional_disqualification')"
BARS = "credit_bars(uuid, text, date)"
BARS_DURING = "credit_bars_during(uuid, text, date, date)"

# The same filter as migration 0006's credit_bars, on a span of days instead of one: a record
# counts when its period [starts_on, ends_on) meets [p_from, p_to] — and its ground.
_BARS_BODY = """
        #variable_conflict use_column
        BEGIN
          IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM current_setting('app.tenant_id', true)
          THEN
            RAISE EXCEPTION 'credit_bars answers for the region the transaction is bound to'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF p_provider IS NULL OR p_from IS NULL OR p_to IS NULL THEN
            RAISE EXCEPTION 'credit_bars needs a provider and days'
              USING ERRCODE = 'null_value_not_allowed';
          END IF;
          RETURN QUERY
            SELECT d.id, d.tenant_id::text, d.scope::text, d.starts_on, d.ends_on, d.ground::text
              FROM public.disqualifications d
             WHERE d.provider_id = p_provider
               AND d.status = 'confirmed'
               AND d.starts_on <= p_to AND p_from < d.ends_on
               AND (d.scope = 'national'
                    OR (d.scope = 'province' AND left(d.tenant_id, 2) = left(p_tenant, 2))
                    OR (d.scope = 'tenant' AND d.tenant_id = p_tenant))
             ORDER BY d.ends_on DESC, d.id;
        END
"""
_RETURNS = (
    "RETURNS TABLE (disqualification_id uuid, source_tenant text, scope text,"
    " starts_on date, ends_on date, ground text)"
)


def _app_user() -> str:
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")
    return app_user


def _own(signature: str) -> None:
    op.execute(f"ALTER FUNCTION {signature} OWNER TO {READER}")
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {_app_user()}")


def upgrade() -> None:
    # 政府采购法 art. 77 (finance's ban on all government procurement) or this policy's 三(五)
    # disqualification by civil affairs: the procurement's documents say which bars apply.
    op.add_column(
        "disqualifications",
        sa.Column("ground", sa.String(32), nullable=False, server_default="art77"),
    )
    op.execute(
        "UPDATE disqualifications SET ground = 'regional_disqualification'"
        " WHERE legal_basis LIKE '%196号%'"
    )
    op.create_check_constraint(
        op.f("ck_disqualifications_ground"), "disqualifications", f"ground IN {GROUNDS}"
    )
    op.execute(f"GRANT SELECT (ground) ON disqualifications TO {READER}")
    op.execute(f"DROP FUNCTION IF EXISTS {BARS}")
    op.execute(f"""
        CREATE FUNCTION credit_bars_during(p_provider uuid, p_tenant text, p_from date,
                                           p_to date)
        {_RETURNS}
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $${_BARS_BODY}$$
    """)
    op.execute(f"""
        CREATE FUNCTION credit_bars(p_provider uuid, p_tenant text, p_day date)
        {_RETURNS}
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$ SELECT * FROM public.credit_bars_during(p_provider, p_tenant, p_day, p_day) $$
    """)
    _own(BARS_DURING)
    _own(BARS)

    op.add_column(
        "procurements",
        sa.Column(
            "credit_bars",
            ARRAY(sa.String(32)),
            nullable=False,
            server_default=sa.text("'{art77,regional_disqualification}'"),
        ),
    )
    op.add_column(
        "procurements",
        sa.Column("credit_window", sa.String(32), nullable=False, server_default="at_check"),
    )
    op.create_check_constraint(
        op.f("ck_procurements_credit_bars"),
        "procurements",
        "'art77' = ANY (credit_bars) AND credit_bars <@"
        " ARRAY['art77', 'regional_disqualification']::varchar(32)[]",
    )
    op.create_check_constraint(
        op.f("ck_procurements_credit_window"),
        "procurements",
        "credit_window IN ('at_check', 'notice_to_deadline')",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_procurements_credit_window"), "procurements", type_="check")
    op.drop_constraint(op.f("ck_procurements_credit_bars"), "procurements", type_="check")
    op.drop_column("procurements", "credit_window")
    op.drop_column("procurements", "credit_bars")
    op.execute(f"DROP FUNCTION IF EXISTS {BARS}")
    op.execute(f"DROP FUNCTION IF EXISTS {BARS_DURING}")
    op.execute("""
        CREATE FUNCTION credit_bars(p_provider uuid, p_tenant text, p_day date)
        RETURNS TABLE (disqualification_id uuid, source_tenant text, scope text,
                       starts_on date, ends_on date)
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        #variable_conflict use_column
        BEGIN
          IF p_tenant IS NULL OR p_tenant IS DISTINCT FROM current_setting('app.tenant_id', true)
          THEN
            RAISE EXCEPTION 'credit_bars answers for the region the transaction is bound to'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF p_provider IS NULL OR p_day IS NULL THEN
            RAISE EXCEPTION 'credit_bars needs a provider and a day'
              USING ERRCODE = 'null_value_not_allowed';
          END IF;
          RETURN QUERY
            SELECT d.id, d.tenant_id::text, d.scope::text, d.starts_on, d.ends_on
              FROM public.disqualifications d
             WHERE d.provider_id = p_provider
               AND d.status = 'confirmed'
               AND d.starts_on <= p_day AND p_day < d.ends_on
               AND (d.scope = 'national'
                    OR (d.scope = 'province' AND left(d.tenant_id, 2) = left(p_tenant, 2))
                    OR (d.scope = 'tenant' AND d.tenant_id = p_tenant))
             ORDER BY d.ends_on DESC, d.id;
        END $$
    """)
    _own(BARS)
    op.execute(f"REVOKE SELECT (ground) ON disqualifications FROM {READER}")
    op.drop_constraint(op.f("ck_disqualifications_ground"), "disqualifications", type_="check")
    op.drop_column("disqualifications", "ground")
