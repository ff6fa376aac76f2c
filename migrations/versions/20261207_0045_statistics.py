"""Statistics for the ministry and the provinces: summary rows kept per region, rolled up.

``statistics_summaries`` holds a region's own figures (RLS: its own region only);
``statistics_providers`` the providers it contracted with in a year; the province rollups
(``statistics_province_rollups``) are no region's and are reached only through functions owned
by ``sws_statistics``, a NOLOGIN role without BYPASSRLS that nobody is granted:

- ``statistics_touch_<table>()``: the trigger on the base tables that matter; it marks
  (region, fiscal year) dirty in ``statistics_dirty`` in the changing transaction.
- ``statistics_dirty_marks(limit)``: every region's dirty marks, for the chronograph's sweep
  (which queues one ``statistics.refresh`` job per mark).
- ``statistics_roll_up(year)``: recomputes the bound region's province rollup.
- ``statistics_count_providers(year, providers)``: each provider's national count of regions.
- ``statistics_figures(year, quarter, area)``: aggregates for the bound region and the regions
  under it ('000000': the nation) — sums and counts, never a row of any region.

Revision ID: 0045
Revises: 0040
Create Date: 2026-12-07 01:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0045"
down_revision: str | None = "0044"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "sws_statistics"
TOUCH = "statistics_touch()"
ROLL_UP = "statistics_roll_up(integer)"
FIGURES = "statistics_figures(integer, integer, text)"
COUNT_PROVIDERS = "statistics_count_providers(integer, uuid[])"
DIRTY_MARKS = "statistics_dirty_marks(p_limit integer)"
DIRTY_MARKS_SIGNATURE = "statistics_dirty_marks(integer)"

# (table, how its fiscal year is found, the columns whose change matters). The year lookups run
# as sws_statistics, which reads only these columns.
_YEAR_BY = {
    "project": "SELECT p.fiscal_year FROM public.projects p"
    " WHERE p.tenant_id = r.tenant_id AND p.id = r.project_id",
    "procurement": "SELECT p.fiscal_year FROM public.procurements x JOIN public.projects p"
    " ON p.tenant_id = x.tenant_id AND p.id = x.project_id"
    " WHERE x.tenant_id = r.tenant_id AND x.id = r.procurement_id",
    "contract": "SELECT p.fiscal_year FROM public.contracts x JOIN public.projects p"
    " ON p.tenant_id = x.tenant_id AND p.id = x.project_id"
    " WHERE x.tenant_id = r.tenant_id AND x.id = r.contract_id",
    "line": "SELECT p.fiscal_year FROM public.budget_lines x JOIN public.projects p"
    " ON p.tenant_id = x.tenant_id AND p.id = x.project_id"
    " WHERE x.tenant_id = r.tenant_id AND x.id = r.line_id",
}
TRIGGERS = (
    ("projects", "own", "fiscal_year, programme_area"),
    ("budgets", "own", "status, fiscal_year, decided_at"),
    ("budget_lines", "project", "approved_amount, project_id"),
    ("budget_line_sources", "line", "approved_amount"),
    ("procurements", "project", "status, method, budget_amount, awarded_price, project_id"),
    ("bids", "procurement", "status, qualified, compliant"),
    ("contracts", "project", "signed_at, price, provider_id, project_id"),
    ("contract_payments", "contract", "status, amount, paid_on"),
    ("delivery_reports", "contract", "status, content, reviewed_at"),
    ("acceptances", "project", "status, result, concluded_at"),
    ("evaluations", "project", "status, grade, confirmed_at"),
    ("disqualifications", "span", "status, starts_on, ends_on, scope"),
)
READS = {
    "projects": "tenant_id, id, fiscal_year",
    "procurements": "tenant_id, id, project_id",
    "contracts": "tenant_id, id, project_id",
    "budget_lines": "tenant_id, id, project_id",
    "tenants": "code",
}


def _app_user() -> str:
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")
    return app_user


def _own(signature: str, *, execute: bool = True) -> None:
    op.execute(f"ALTER FUNCTION {signature} OWNER TO {ROLE}")
    op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
    if execute:
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {_app_user()}")


def _years(kind: str) -> str:
    """The PL/pgSQL that fills ``v_years`` from the row ``r`` (OLD or NEW)."""
    if kind == "own":
        return "v_years := ARRAY[r.fiscal_year];"
    if kind == "span":
        # A bar counts in every year its period meets (at most a few years, capped at ten).
        return (
            "v_years := ARRAY(SELECT generate_series(extract(year FROM r.starts_on)::int,"
            " least(extract(year FROM r.ends_on)::int,"
            " extract(year FROM r.starts_on)::int + 10)));"
        )
    return f"v_years := ARRAY({_YEAR_BY[kind]});"


def _summary_table(name: str, key: str, key_type: sa.types.TypeEngine[str]) -> None:
    op.create_table(
        name,
        sa.Column(key, key_type, nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("quarter", sa.SmallInteger(), nullable=False),
        sa.Column("programme_area", sa.String(32), nullable=False),
        sa.Column("metric", sa.String(40), nullable=False),
        sa.Column("dimension", sa.String(64), nullable=False),
        sa.Column("value", sa.Numeric(20, 2), nullable=False),
        # 0: a figure of the whole year (a bar in force, a provider), never split by quarter.
        sa.CheckConstraint("quarter BETWEEN 0 AND 4", name=op.f(f"ck_{name}_quarter")),
        sa.PrimaryKeyConstraint(
            key,
            "fiscal_year",
            "quarter",
            "programme_area",
            "metric",
            "dimension",
            name=op.f(f"pk_{name}"),
        ),
    )


def upgrade() -> None:
    app_user = _app_user()
    _summary_table("statistics_summaries", "tenant_id", sa.String(6))
    op.create_foreign_key(
        op.f("fk_statistics_summaries_tenant_id_tenants"),
        "statistics_summaries",
        "tenants",
        ["tenant_id"],
        ["code"],
    )
    _summary_table("statistics_province_rollups", "province", sa.String(6))
    op.create_table(
        "statistics_providers",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.PrimaryKeyConstraint(
            "tenant_id", "fiscal_year", "provider_id", name=op.f("pk_statistics_providers")
        ),
    )
    op.create_index(
        "ix_statistics_providers_year_provider",
        "statistics_providers",
        ["fiscal_year", "provider_id", "tenant_id", "kind"],
    )
    # Each provider's count of regions it worked in, nationally: no region's (like the rollups).
    op.create_table(
        "statistics_provider_regions",
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(24), nullable=False),
        sa.Column("regions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "fiscal_year", "provider_id", name=op.f("pk_statistics_provider_regions")
        ),
    )
    # A region-year changed since its rows were last refreshed: the latest mark's time.
    op.create_table(
        "statistics_dirty",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "fiscal_year", name=op.f("pk_statistics_dirty")),
    )
    for table in ("statistics_summaries", "statistics_providers", "statistics_dirty"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
    # The rollups are no region's: RLS on and no policy for the API role, so it sees nothing.
    for table in ("statistics_province_rollups", "statistics_provider_regions"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"REVOKE ALL ON {table} FROM {app_user}")

    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    for table, columns in READS.items():
        op.execute(f"GRANT SELECT ({columns}) ON {table} TO {ROLE}")
        if table != "tenants":
            op.execute(
                f"CREATE POLICY statistics_read ON {table} FOR SELECT TO {ROLE} USING (true)"
            )
    for table in ("statistics_summaries", "statistics_providers"):
        op.execute(f"GRANT SELECT ON {table} TO {ROLE}")
        op.execute(f"CREATE POLICY statistics_read ON {table} FOR SELECT TO {ROLE} USING (true)")
    for table in ("statistics_province_rollups", "statistics_provider_regions"):
        op.execute(f"GRANT SELECT, INSERT, UPDATE, DELETE ON {table} TO {ROLE}")
        op.execute(f"CREATE POLICY statistics_all ON {table} FOR ALL TO {ROLE} USING (true)")
    # The triggers mark, the sweep reads every region's marks; the refresh job deletes its
    # own region's mark as the app role (tenant_isolation).
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON statistics_dirty TO {ROLE}")
    op.execute(f"CREATE POLICY statistics_mark ON statistics_dirty FOR ALL TO {ROLE} USING (true)")

    # A change marks its region-year in its own transaction: committed with it, gone with its
    # rollback. Each mark takes the clock's time, so a mark made after a sweep read the row is
    # always later than what that sweep saw (see services.statistics.sweep).
    op.execute("""
        CREATE FUNCTION statistics_enqueue(p_tenant text, p_years integer[])
        RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        BEGIN
          INSERT INTO public.statistics_dirty AS d (tenant_id, fiscal_year, marked_at)
          SELECT p_tenant, u.y, clock_timestamp()
            FROM (SELECT DISTINCT y FROM unnest(coalesce(p_years, ARRAY[]::integer[])) y
                   WHERE y IS NOT NULL) u
          ON CONFLICT (tenant_id, fiscal_year) DO UPDATE SET marked_at = EXCLUDED.marked_at;
        END $$
    """)
    _own("statistics_enqueue(text, integer[])", execute=False)

    # Every region's marks, oldest first: a region, a year and a time, never a base row.
    op.execute(f"""
        CREATE FUNCTION {DIRTY_MARKS}
        RETURNS TABLE (tenant_id text, fiscal_year integer, marked_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
          SELECT d.tenant_id::text, d.fiscal_year, d.marked_at
            FROM public.statistics_dirty d
           ORDER BY d.marked_at, d.tenant_id, d.fiscal_year
           LIMIT p_limit
        $$
    """)
    _own(DIRTY_MARKS_SIGNATURE)

    for table, kind, columns in TRIGGERS:
        function = f"statistics_touch_{table}"
        op.execute(f"""
            CREATE FUNCTION {function}() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS $$
            DECLARE
              r record;
              v_years integer[];
            BEGIN
              IF TG_OP <> 'INSERT' THEN
                r := OLD;
                {_years(kind)}
                PERFORM public.statistics_enqueue(r.tenant_id, v_years);
              END IF;
              IF TG_OP <> 'DELETE' THEN
                r := NEW;
                {_years(kind)}
                PERFORM public.statistics_enqueue(r.tenant_id, v_years);
              END IF;
              RETURN NULL;
            END $$
        """)
        _own(f"{function}()", execute=False)
        op.execute(f"""
            CREATE TRIGGER statistics_touch AFTER INSERT OR DELETE OR UPDATE OF {columns}
            ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()
        """)

    # The province of the bound region, summed again from its regions' rows. Serialised per
    # province and year, so two regions' jobs never interleave their delete and insert.
    op.execute("""
        CREATE FUNCTION statistics_roll_up(p_year integer)
        RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        DECLARE
          v_region text := current_setting('app.tenant_id', true);
          v_province text;
        BEGIN
          IF coalesce(v_region, '') !~ '^[0-9]{6}$' OR v_region = '000000' THEN
            RAISE EXCEPTION 'statistics_roll_up answers a region''s transaction only'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          v_province := left(v_region, 2) || '0000';
          PERFORM pg_advisory_xact_lock(hashtext('statistics:' || v_province), p_year);
          DELETE FROM public.statistics_province_rollups
           WHERE province = v_province AND fiscal_year = p_year;
          INSERT INTO public.statistics_province_rollups
          SELECT v_province, p_year, s.quarter, s.programme_area, s.metric, s.dimension,
                 sum(s.value)
            FROM public.statistics_summaries s
           WHERE s.tenant_id LIKE left(v_region, 2) || '%' AND s.fiscal_year = p_year
           GROUP BY s.quarter, s.programme_area, s.metric, s.dimension;
          INSERT INTO public.statistics_province_rollups
          SELECT v_province, p_year, 0, '', m.metric, m.kind, count(*)
            FROM (SELECT sp.provider_id, min(sp.kind) AS kind,
                         count(DISTINCT sp.tenant_id) AS regions
                    FROM public.statistics_providers sp
                   WHERE sp.tenant_id LIKE left(v_region, 2) || '%' AND sp.fiscal_year = p_year
                   GROUP BY sp.provider_id) p
           CROSS JOIN LATERAL (VALUES ('providers', p.kind),
                                      ('providers_cross_region',
                                       CASE WHEN p.regions > 1 THEN p.kind END)) m(metric, kind)
           WHERE m.kind IS NOT NULL
           GROUP BY m.metric, m.kind;
        END $$
    """)
    _own(ROLL_UP)

    # The national count of regions of each provider the bound region's refresh touched,
    # counted again from the regions' rows (so a replay changes nothing). Each provider is
    # locked first, in order, so two regions' jobs never both count without the other.
    op.execute("""
        CREATE FUNCTION statistics_count_providers(p_year integer, p_providers uuid[])
        RETURNS void LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        DECLARE
          v_region text := current_setting('app.tenant_id', true);
          v_provider uuid;
          v_regions integer;
          v_kind text;
        BEGIN
          IF coalesce(v_region, '') !~ '^[0-9]{6}$' OR v_region = '000000' THEN
            RAISE EXCEPTION 'statistics_count_providers answers a region''s transaction only'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          FOR v_provider IN SELECT DISTINCT u FROM unnest(p_providers) u ORDER BY u LOOP
            PERFORM pg_advisory_xact_lock(hashtext('statistics:' || v_provider::text), p_year);
          END LOOP;
          FOR v_provider IN SELECT DISTINCT u FROM unnest(p_providers) u ORDER BY u LOOP
            SELECT count(*), min(sp.kind) INTO v_regions, v_kind
              FROM public.statistics_providers sp
             WHERE sp.fiscal_year = p_year AND sp.provider_id = v_provider;
            IF v_regions = 0 THEN
              DELETE FROM public.statistics_provider_regions r
               WHERE r.fiscal_year = p_year AND r.provider_id = v_provider;
            ELSE
              INSERT INTO public.statistics_provider_regions AS r
                (fiscal_year, provider_id, kind, regions)
              VALUES (p_year, v_provider, v_kind, v_regions)
              ON CONFLICT (fiscal_year, provider_id)
              DO UPDATE SET kind = EXCLUDED.kind, regions = EXCLUDED.regions;
            END IF;
          END LOOP;
        END $$
    """)
    _own(COUNT_PROVIDERS)

    # Aggregates for the bound region and every region under it (GB/T 2260 codes: a
    # province's regions share its first two digits, a city's its first four); the
    # platform's binding ('000000') answers for the nation.
    op.execute(f"""
        CREATE FUNCTION statistics_figures(p_year integer, p_quarter integer, p_area text)
        RETURNS TABLE (metric text, dimension text, value numeric)
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
          v_scope text := current_setting('app.tenant_id', true);
          v_prefix text;
        BEGIN
          IF coalesce(v_scope, '') !~ '^[0-9]{{6}}$' THEN
            RAISE EXCEPTION 'statistics_figures answers a bound transaction only'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF v_scope = '000000' OR v_scope LIKE '__0000' THEN
            RETURN QUERY
              SELECT r.metric::text, r.dimension::text, sum(r.value)
                FROM public.statistics_province_rollups r
               WHERE r.fiscal_year = p_year
                 AND (v_scope = '000000' OR r.province = v_scope)
                 AND (p_quarter IS NULL OR r.quarter IN (0, p_quarter))
                 AND (p_area IS NULL OR r.programme_area IN ('', p_area))
                 AND (v_scope <> '000000' OR r.metric NOT LIKE 'providers%')
               GROUP BY r.metric, r.dimension;
            IF v_scope = '000000' THEN
              RETURN QUERY
                SELECT m.metric, r.kind::text, count(*)::numeric
                  FROM public.statistics_provider_regions r
                 CROSS JOIN LATERAL (VALUES ('providers', true),
                                            ('providers_cross_region', r.regions > 1))
                       m(metric, counted)
                 WHERE r.fiscal_year = p_year AND m.counted
                 GROUP BY m.metric, r.kind;
            END IF;
            RETURN;
          END IF;
          v_prefix := CASE WHEN v_scope LIKE '____00' THEN left(v_scope, 4) ELSE v_scope END;
          RETURN QUERY
            SELECT s.metric::text, s.dimension::text, sum(s.value)
              FROM public.statistics_summaries s
             WHERE s.fiscal_year = p_year AND s.tenant_id LIKE v_prefix || '%'
               AND (p_quarter IS NULL OR s.quarter IN (0, p_quarter))
               AND (p_area IS NULL OR s.programme_area IN ('', p_area))
             GROUP BY s.metric, s.dimension;
          RETURN QUERY {_PROVIDERS.format(where="sp.tenant_id LIKE v_prefix || '%'")};
        END $$
    """)
    _own(FIGURES)


# Providers by kind and those that worked in more than one of the scope's regions: counted
# over distinct providers, so they are never summed from the regions' counts.
_PROVIDERS = """
    SELECT m.metric, m.kind::text, count(*)::numeric
      FROM (SELECT sp.provider_id, min(sp.kind) AS kind,
                   count(DISTINCT sp.tenant_id) AS regions
              FROM public.statistics_providers sp
             WHERE sp.fiscal_year = p_year AND {where}
             GROUP BY sp.provider_id) p
     CROSS JOIN LATERAL (VALUES ('providers', p.kind),
                                ('providers_cross_region',
                                 CASE WHEN p.regions > 1 THEN p.kind END)) m(metric, kind)
     WHERE m.kind IS NOT NULL
     GROUP BY m.metric, m.kind
"""


def downgrade() -> None:
    for table, _, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS statistics_touch ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS statistics_touch_{table}()")
        op.execute(f"DROP POLICY IF EXISTS statistics_read ON {table}")
        op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    op.execute(f"DROP FUNCTION IF EXISTS {FIGURES}")
    op.execute(f"DROP FUNCTION IF EXISTS {ROLL_UP}")
    op.execute(f"DROP FUNCTION IF EXISTS {COUNT_PROVIDERS}")
    op.execute(f"DROP FUNCTION IF EXISTS {DIRTY_MARKS_SIGNATURE}")
    op.execute("DROP FUNCTION IF EXISTS statistics_enqueue(text, integer[])")
    for table in READS:
        op.execute(f"DROP POLICY IF EXISTS statistics_read ON {table}")
        op.execute(f"REVOKE ALL ON {table} FROM {ROLE}")
    op.execute("DROP TABLE IF EXISTS statistics_dirty")
    op.execute("DROP TABLE IF EXISTS statistics_providers")
    op.execute("DROP TABLE IF EXISTS statistics_provider_regions")
    op.execute("DROP TABLE IF EXISTS statistics_province_rollups")
    op.execute("DROP TABLE IF EXISTS statistics_summaries")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {ROLE}")
    # The role is the cluster's: another database migrated here may still grant it something.
    op.execute(f"""
        DO $$ BEGIN
          DROP ROLE IF EXISTS {ROLE};
        EXCEPTION WHEN dependent_objects_still_exist THEN NULL;
        END $$;
    """)
