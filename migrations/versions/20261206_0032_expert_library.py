"""The province's expert library (评审专家库, 实施条例 art. 39, 财政部令第87号 art. 48), the
narrow path through which its cities draw from it, and the record of every draw.

``experts`` rows are kept by a province's tenant (its finance bureau) from now on: they gain
availability (unavailable from/to, Asia/Shanghai days, both included) and declared
affiliations by 统一社会信用代码. ``expert_avoidances`` holds the providers an expert must not
judge (回避). ``committee_draws`` records every draw of a city's committee — random, a
replacement for an expert who declined or did not come, or an external draw system's result —
with its seed, pool, consent and record number. ``expert_library_settings`` says whether a
province's draws happen in an external system.

A city never reads the province's rows. It calls ``expert_library_pool`` (SECURITY DEFINER,
owned by ``sws_expert_library``, a NOLOGIN role nobody is granted), which answers for the
province of the region the transaction is bound to only, and only with what a draw needs:
the expert's id, specialities, employer, affiliations (provider ids and USCCs), availability
and the providers to avoid — no contact details or identity numbers, no who-registered.
``expert_library_external`` answers the province's setting the same way.

Revision ID: 0032
Revises: 0031
Create Date: 2026-12-06 22:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0032"
down_revision: str | None = "0031"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER = "sws_expert_library"
TS = sa.DateTime(timezone=True)
NEW_TABLES = ("expert_avoidances", "committee_draws", "expert_library_settings")


def _tenant() -> sa.Column[str]:
    return sa.Column(
        "tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False
    )


def upgrade() -> None:
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")

    op.add_column("experts", sa.Column("unavailable_from", sa.Date(), nullable=True))
    op.add_column("experts", sa.Column("unavailable_to", sa.Date(), nullable=True))
    op.add_column(
        "experts",
        sa.Column(
            "affiliated_usccs",
            postgresql.ARRAY(sa.String(length=18)),
            server_default="{}",
            nullable=False,
        ),
    )
    op.execute(
        "ALTER TABLE experts ADD CONSTRAINT ck_experts_unavailable_ok CHECK"
        " ((unavailable_from IS NULL) = (unavailable_to IS NULL)"
        " AND (unavailable_from IS NULL OR unavailable_from <= unavailable_to))"
    )
    op.create_table(
        "expert_avoidances",
        _tenant(),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("recorded_at", TS, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "user_id"],
            ["experts.tenant_id", "experts.user_id"],
            name="fk_expert_avoidances_expert",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", "provider_id", name="pk_expert_avoidances"),
    )
    op.create_table(
        "committee_draws",
        _tenant(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("speciality", sa.String(length=64), nullable=True),
        sa.Column("seed", sa.String(length=64), nullable=True),
        sa.Column("pool", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("drawn", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("appointed", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("replaced_user_id", sa.Uuid(), nullable=True),
        sa.Column("replaced_reason", sa.String(length=16), nullable=True),
        sa.Column("consent_by", sa.String(length=200), nullable=True),
        sa.Column("consent_document", sa.String(length=100), nullable=True),
        sa.Column("external_system", sa.String(length=200), nullable=True),
        sa.Column("external_record_number", sa.String(length=100), nullable=True),
        sa.Column("external_drawn_at", TS, nullable=True),
        sa.Column("external_operator", sa.String(length=100), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("recorded_at", TS, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_committee_draws_procurement",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_committee_draws"),
    )
    op.create_index(
        "ix_committee_draws_procurement", "committee_draws", ["tenant_id", "procurement_id"]
    )
    op.create_table(
        "expert_library_settings",
        _tenant(),
        sa.Column("external_draws", sa.Boolean(), nullable=False),
        sa.Column("external_system", sa.String(length=200), nullable=True),
        sa.Column("updated_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_expert_library_settings"),
    )
    for table in NEW_TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
    # A draw's record is evidence: it is added to, never rewritten or removed.
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON committee_draws FROM {app_user}")

    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER}') THEN
            CREATE ROLE {READER} NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    # Only the columns a draw needs, of provincial libraries only.
    op.execute(
        "GRANT SELECT (tenant_id, user_id, specialities, employer, affiliated_provider_ids,"
        f" affiliated_usccs, active, unavailable_from, unavailable_to) ON experts TO {READER}"
    )
    op.execute(
        f"CREATE POLICY expert_library_read ON experts FOR SELECT TO {READER}"
        " USING (right(tenant_id, 4) = '0000')"
    )
    op.execute(f"GRANT SELECT (tenant_id, user_id, provider_id) ON expert_avoidances TO {READER}")
    op.execute(
        f"CREATE POLICY expert_library_read ON expert_avoidances FOR SELECT TO {READER}"
        " USING (right(tenant_id, 4) = '0000')"
    )
    op.execute(
        f"GRANT SELECT (tenant_id, external_draws, external_system)"
        f" ON expert_library_settings TO {READER}"
    )
    op.execute(
        f"CREATE POLICY expert_library_read ON expert_library_settings FOR SELECT TO {READER}"
        " USING (right(tenant_id, 4) = '0000')"
    )
    # The province is derived from the region the transaction is bound to (GB/T 2260: its
    # first two digits), never passed in: a city cannot ask for another province's library.
    op.execute("""
        CREATE FUNCTION expert_library_pool()
        RETURNS TABLE (user_id uuid, specialities text[], employer text,
                       affiliated_provider_ids uuid[], affiliated_usccs text[],
                       unavailable_from date, unavailable_to date, avoided uuid[])
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
          v_province text := left(current_setting('app.tenant_id', true), 2) || '0000';
        BEGIN
          IF current_setting('app.tenant_id', true) IS NULL
             OR current_setting('app.tenant_id', true) !~ '^[0-9]{6}$' THEN
            RAISE EXCEPTION 'expert_library_pool answers for a region''s transaction only'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          RETURN QUERY
            SELECT e.user_id, e.specialities::text[], e.employer::text,
                   e.affiliated_provider_ids, e.affiliated_usccs::text[],
                   e.unavailable_from, e.unavailable_to,
                   coalesce((SELECT array_agg(a.provider_id ORDER BY a.provider_id)
                               FROM public.expert_avoidances a
                              WHERE a.tenant_id = e.tenant_id AND a.user_id = e.user_id),
                            '{}'::uuid[])
              FROM public.experts e
             WHERE e.tenant_id = v_province AND e.active
             ORDER BY e.user_id;
        END $$
    """)
    op.execute("""
        CREATE FUNCTION expert_library_external()
        RETURNS TABLE (external_draws boolean, external_system text)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
          SELECT s.external_draws, s.external_system::text
            FROM public.expert_library_settings s
           WHERE s.tenant_id = left(current_setting('app.tenant_id', true), 2) || '0000'
        $$
    """)
    for signature in ("expert_library_pool()", "expert_library_external()"):
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {READER}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_user}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS expert_library_external()")
    op.execute("DROP FUNCTION IF EXISTS expert_library_pool()")
    op.execute("DROP POLICY IF EXISTS expert_library_read ON experts")
    op.execute(f"REVOKE ALL ON experts FROM {READER}")
    op.drop_table("expert_library_settings")
    op.drop_index("ix_committee_draws_procurement", table_name="committee_draws")
    op.drop_table("committee_draws")
    op.drop_table("expert_avoidances")
    op.execute("ALTER TABLE experts DROP CONSTRAINT ck_experts_unavailable_ok")
    op.drop_column("experts", "affiliated_usccs")
    op.drop_column("experts", "unavailable_to")
    op.drop_column("experts", "unavailable_from")
    op.execute(f"DROP ROLE IF EXISTS {READER}")
