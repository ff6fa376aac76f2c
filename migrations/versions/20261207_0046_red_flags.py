"""Red flags kept per region, like the statistics: measured by a job when something they are
measured from changed, read by a plain SELECT.

- ``red_flags``: one row per flag. RLS forced; its rows are read in every region, like the
  open-data releases they are computed from (a public read policy): every input is public, but
  for the late payment's due date, and a flag shows only that it passed and by how many days.
- ``red_flags_dirty``: a region whose flags may be stale, with the time of its latest mark. A
  release written (``open_data_releases``) or a payment changed (``contract_payments``) marks
  its region in the changing transaction, by trigger.
- ``red_flags_measured``: when each region's flags were last measured, so the sweep knows
  which regions a passing due date has made stale.

The NOLOGIN role ``sws_red_flags`` (no BYPASSRLS, granted to nobody) owns the SECURITY DEFINER
functions: the triggers' mark, ``red_flags_dirty_marks(limit)`` (every region's marks, for the
chronograph's sweep) and ``red_flags_mark_overdue()`` (marks the regions holding an unpaid
payment whose last day to pay passed since they were measured, or before today); it reads
three columns of ``contract_payments`` and nothing else of any region.

Revision ID: 0046
Revises: 0045
Create Date: 2026-12-07 03:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0046"
down_revision: str | None = "0045"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "sws_red_flags"
MARK = "red_flags_mark(text)"
DIRTY_MARKS = "red_flags_dirty_marks(p_limit integer)"
DIRTY_MARKS_SIGNATURE = "red_flags_dirty_marks(integer)"
MARK_OVERDUE = "red_flags_mark_overdue()"
# (table, the columns whose change matters; None: inserts only)
TRIGGERS = (
    ("open_data_releases", None),
    ("contract_payments", "status, pay_by, paid_on"),
)


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


def _isolated(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"""
        CREATE POLICY tenant_isolation ON {table}
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)


def upgrade() -> None:
    op.create_table(
        "red_flags",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("ocid", sa.String(100), nullable=False),
        sa.Column("indicator", sa.String(32), nullable=False),
        # The flag's place among its procurement's flags of one indicator (a late contract
        # per contract, a late payment per payment), in the order they are measured.
        sa.Column("n", sa.Integer(), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("title", sa.Text(), nullable=False),
        # Unconstrained numeric: a count stays "1", a share "0.9914", as measured.
        sa.Column("value", sa.Numeric(), nullable=False),
        sa.Column("threshold", sa.Numeric(), nullable=False),
        sa.Column("unit", sa.String(16), nullable=False),
        sa.Column("supplier", sa.Text(), nullable=True),
        sa.Column("amount", sa.Numeric(20, 2), nullable=True),
        sa.Column("instalment", sa.Integer(), nullable=True),
        # When the flag was first measured; a later measure that finds it again keeps it.
        sa.Column("detected_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "ocid", "indicator", "n", name=op.f("pk_red_flags")),
    )
    op.create_index("ix_red_flags_tenant_year", "red_flags", ["tenant_id", "year", "indicator"])
    # The ministry's list by year reads every region's flags of that year.
    op.create_index("ix_red_flags_year", "red_flags", ["year", "indicator", "tenant_id"])
    op.create_table(
        "red_flags_dirty",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("marked_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_red_flags_dirty")),
    )
    op.create_table(
        "red_flags_measured",
        sa.Column("tenant_id", sa.String(6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("measured_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", name=op.f("pk_red_flags_measured")),
    )
    # Every region that has published something is measured by the first sweep. Written
    # before RLS is switched on (the migration binds no region).
    op.execute(
        "INSERT INTO red_flags_dirty (tenant_id, marked_at)"
        " SELECT DISTINCT tenant_id, clock_timestamp() FROM open_data_releases"
    )
    for table in ("red_flags", "red_flags_dirty", "red_flags_measured"):
        _isolated(table)
    # Computed from public data only, like the releases: anyone reads them, in every region.
    op.execute("CREATE POLICY public_red_flags ON red_flags FOR SELECT USING (true)")

    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT SELECT, INSERT, UPDATE ON red_flags_dirty TO {ROLE}")
    op.execute(f"CREATE POLICY red_flags_mark ON red_flags_dirty FOR ALL TO {ROLE} USING (true)")
    op.execute(f"GRANT SELECT ON red_flags_measured TO {ROLE}")
    op.execute(
        f"CREATE POLICY red_flags_read ON red_flags_measured FOR SELECT TO {ROLE} USING (true)"
    )
    op.execute(f"GRANT SELECT (tenant_id, status, pay_by) ON contract_payments TO {ROLE}")
    op.execute(
        f"CREATE POLICY red_flags_read ON contract_payments FOR SELECT TO {ROLE} USING (true)"
    )

    # A mark takes the clock's time, so one made after a sweep read the row is always later
    # than what that sweep saw (the statistics' reasoning, services.redflags.sweep).
    op.execute("""
        CREATE FUNCTION red_flags_mark(p_tenant text)
        RETURNS void LANGUAGE sql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
          INSERT INTO public.red_flags_dirty AS d (tenant_id, marked_at)
          VALUES (p_tenant, clock_timestamp())
          ON CONFLICT (tenant_id) DO UPDATE SET marked_at = EXCLUDED.marked_at
        $$
    """)
    _own(MARK, execute=False)

    op.execute(f"""
        CREATE FUNCTION {DIRTY_MARKS}
        RETURNS TABLE (tenant_id text, marked_at timestamptz)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
          SELECT d.tenant_id::text, d.marked_at FROM public.red_flags_dirty d
           ORDER BY d.marked_at, d.tenant_id
           LIMIT p_limit
        $$
    """)
    _own(DIRTY_MARKS_SIGNATURE)

    # An unpaid payment turns late when its last day to pay ends, and stays late by one day
    # more each day: its region is measured again once that moment passed, then once a day
    # (Asia/Shanghai) while the payment stays unpaid. Only such regions, never every region.
    op.execute("""
        CREATE FUNCTION red_flags_mark_overdue()
        RETURNS integer LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        DECLARE
          v_today timestamptz := date_trunc('day', now() AT TIME ZONE 'Asia/Shanghai')
                                 AT TIME ZONE 'Asia/Shanghai';
          v_marked integer;
        BEGIN
          INSERT INTO public.red_flags_dirty AS d (tenant_id, marked_at)
          SELECT o.tenant_id, clock_timestamp()
            FROM (SELECT p.tenant_id, max(p.pay_by) AS last_passed
                    FROM public.contract_payments p
                   WHERE p.status IN ('confirmed', 'approved') AND p.pay_by < now()
                   GROUP BY p.tenant_id) o
            LEFT JOIN public.red_flags_measured m ON m.tenant_id = o.tenant_id
           WHERE m.measured_at IS NULL OR m.measured_at < greatest(o.last_passed, v_today)
          ON CONFLICT (tenant_id) DO NOTHING;
          GET DIAGNOSTICS v_marked = ROW_COUNT;
          RETURN v_marked;
        END $$
    """)
    _own(MARK_OVERDUE)

    for table, columns in TRIGGERS:
        function = f"red_flags_touch_{table}"
        op.execute(f"""
            CREATE FUNCTION {function}() RETURNS trigger
            LANGUAGE plpgsql SECURITY DEFINER
            SET search_path = pg_catalog, pg_temp
            AS $$
            BEGIN
              IF TG_OP <> 'INSERT' THEN
                PERFORM public.red_flags_mark(OLD.tenant_id);
              END IF;
              IF TG_OP <> 'DELETE' THEN
                PERFORM public.red_flags_mark(NEW.tenant_id);
              END IF;
              RETURN NULL;
            END $$
        """)
        _own(f"{function}()", execute=False)
        events = "INSERT" if columns is None else f"INSERT OR DELETE OR UPDATE OF {columns}"
        op.execute(f"""
            CREATE TRIGGER red_flags_touch AFTER {events}
            ON {table} FOR EACH ROW EXECUTE FUNCTION {function}()
        """)


def downgrade() -> None:
    for table, _ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS red_flags_touch ON {table}")
        op.execute(f"DROP FUNCTION IF EXISTS red_flags_touch_{table}()")
    op.execute(f"DROP FUNCTION IF EXISTS {MARK_OVERDUE}")
    op.execute(f"DROP FUNCTION IF EXISTS {DIRTY_MARKS_SIGNATURE}")
    op.execute(f"DROP FUNCTION IF EXISTS {MARK}")
    op.execute("DROP POLICY IF EXISTS red_flags_read ON contract_payments")
    op.execute(f"REVOKE ALL ON contract_payments FROM {ROLE}")
    op.execute("DROP TABLE IF EXISTS red_flags_measured")
    op.execute("DROP TABLE IF EXISTS red_flags_dirty")
    op.execute("DROP TABLE IF EXISTS red_flags")
    op.execute(f"REVOKE ALL ON SCHEMA public FROM {ROLE}")
    op.execute(f"""
        DO $$ BEGIN
          DROP ROLE IF EXISTS {ROLE};
        EXCEPTION WHEN dependent_objects_still_exist THEN NULL;
        END $$;
    """)
