"""Who approves a non-open method: a county's request at or above the open-tender threshold
goes to the finance bureau of its city (政府采购法 art. 27, 实施条例 art. 23, 74号令 art. 4),
through a narrow path.

``method_approval_requests`` rows belong to the approving region's tenant: what the decision
needs of the county's procurement, and the decision. ``procurements.approving_region`` records
whose finance decides (or decided) the method.

Three SECURITY DEFINER functions owned by ``sws_method_approvals`` (a NOLOGIN role without
BYPASSRLS that nobody is granted) are the only crossing:

- ``file_method_approval(...)``, called in the county's transaction: writes the request in the
  tenant of the county's nearest city- or province-level ancestor, derived from ``tenants``,
  never passed in, and only for a procurement of the county that waits for approval, with the
  job that tells that region's finance (bound to that region);
- ``method_approval_state(request)``, called in the approving region's transaction: the
  county procurement's status and its unanswered objections, for the request's one
  procurement only;
- ``dispatch_method_decision(request)``, called in the approving region's transaction: writes
  the job that applies a decided request, bound to the county's tenant, into the outbox.

Revision ID: 0038
Revises: 0037
Create Date: 2026-12-07 00:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0038"
down_revision: str | None = "0041"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ROLE = "sws_method_approvals"
TS = sa.DateTime(timezone=True)
MONEY = sa.Numeric(14, 2)
# The job that applies a decision in the county (services.tendering.method_approvals).
APPLY_JOB = "tendering.apply_method_decision"
# The job that tells the approving region's finance of a request filed with it.
FILED_JOB = "tendering.method_approval_filed"
FUNCTIONS = (
    "file_method_approval(uuid, text, text, text, text, numeric, numeric, jsonb,"
    " timestamptz, timestamptz)",
    "method_approval_state(uuid)",
    "dispatch_method_decision(uuid)",
)


_REGION_ONLY = """
          IF coalesce(v_region, '') !~ '^[0-9]{{6}}$' OR v_region = '000000' THEN
            RAISE EXCEPTION '{name} answers a region''s transaction only'
              USING ERRCODE = 'insufficient_privilege';
          END IF;"""


def _app_user() -> str:
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")
    return app_user


def upgrade() -> None:
    app_user = _app_user()
    op.add_column(
        "procurements",
        sa.Column(
            "approving_region",
            sa.String(length=6),
            sa.ForeignKey("tenants.code", name="fk_procurements_approving_region_tenants"),
            nullable=True,
        ),
    )
    op.create_table(
        "method_approval_requests",
        sa.Column("tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column(
            "county_code", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False
        ),
        sa.Column("county_name", sa.String(length=100), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("method_reason", sa.String(length=48), nullable=True),
        sa.Column("method_justification", sa.Text(), nullable=True),
        sa.Column("budget_amount", MONEY, nullable=False),
        sa.Column("ceiling_price", MONEY, nullable=False),
        sa.Column("proposed_providers", postgresql.JSONB(), nullable=False),
        sa.Column("notice_published_at", TS, nullable=True),
        sa.Column("approvable_from", TS, nullable=True),
        sa.Column("requested_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("decided_at", TS, nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'approved', 'refused')",
            name=op.f("ck_method_approval_requests_status_known"),
        ),
        sa.CheckConstraint(
            "status <> 'refused' OR note IS NOT NULL",
            name=op.f("ck_method_approval_requests_refusal_note"),
        ),
        sa.CheckConstraint(
            "(status = 'pending') = (decided_at IS NULL)",
            name=op.f("ck_method_approval_requests_decided_at"),
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_method_approval_requests")),
    )
    # One request waits per procurement; a refused one may be asked again.
    op.create_index(
        "uq_method_approval_requests_pending",
        "method_approval_requests",
        ["tenant_id", "county_code", "procurement_id"],
        unique=True,
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_method_approval_requests_tenant_status",
        "method_approval_requests",
        ["tenant_id", "status", "requested_at"],
    )
    table = "method_approval_requests"
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"""
        CREATE POLICY tenant_isolation ON {table}
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)
    # A request is the county's word and the decision's record: never deleted.
    op.execute(f"REVOKE DELETE, TRUNCATE ON {table} FROM {app_user}")

    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{ROLE}') THEN
            CREATE ROLE {ROLE} NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {ROLE}")
    op.execute(f"GRANT SELECT (code, name, level, parent_code) ON tenants TO {ROLE}")
    # Only the columns the checks need; the functions below say which rows.
    op.execute(f"GRANT SELECT (tenant_id, id, status) ON procurements TO {ROLE}")
    op.execute(f"GRANT SELECT (tenant_id, procurement_id, answered_at) ON enquiries TO {ROLE}")
    for read in ("procurements", "enquiries"):
        op.execute(
            f"CREATE POLICY method_approvals_read ON {read} FOR SELECT TO {ROLE} USING (true)"
        )
    op.execute(f"GRANT SELECT, INSERT ON {table} TO {ROLE}")
    op.execute(f"CREATE POLICY method_approvals_all ON {table} FOR ALL TO {ROLE} USING (true)")
    op.execute(
        "GRANT INSERT (tenant_id, id, message_key, actor_name, queue_name, payload, request_id,"
        f" available_at, attempts, batchable, retries) ON outbox TO {ROLE}"
    )
    op.execute(
        f"CREATE POLICY method_approvals_dispatch ON outbox FOR INSERT TO {ROLE}"
        f" WITH CHECK (actor_name IN ('{APPLY_JOB}', '{FILED_JOB}'))"
    )

    # The county is the transaction's region; the approver its nearest ancestor of city or
    # province level (GB/T 2260, the tenants' parent chain). Neither is passed in.
    op.execute(f"""
        CREATE FUNCTION file_method_approval(
          p_procurement uuid, p_title text, p_method text, p_reason text,
          p_justification text, p_budget numeric, p_ceiling numeric, p_providers jsonb,
          p_notice_published_at timestamptz, p_approvable_from timestamptz)
        RETURNS TABLE (request_id uuid, approving_region text)
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
          v_region text := current_setting('app.tenant_id', true);
          v_name text;
          v_at text;
          v_level text;
          v_id uuid := gen_random_uuid();
        BEGIN
          {_REGION_ONLY.format(name="file_method_approval")}
          IF NOT EXISTS (
            SELECT FROM public.procurements p
             WHERE p.tenant_id = v_region AND p.id = p_procurement
               AND p.status IN ('awaiting_approval', 'single_source_notice')
          ) THEN
            RAISE EXCEPTION 'no procurement of % waits for approval', v_region
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          SELECT t.name, t.parent_code INTO v_name, v_at
            FROM public.tenants t WHERE t.code = v_region;
          LOOP
            IF v_at IS NULL THEN
              RAISE EXCEPTION 'region % has no city or province above it', v_region
                USING ERRCODE = 'insufficient_privilege';
            END IF;
            SELECT t.level INTO v_level FROM public.tenants t WHERE t.code = v_at;
            EXIT WHEN v_level IN ('city', 'province');
            SELECT t.parent_code INTO v_at FROM public.tenants t WHERE t.code = v_at;
          END LOOP;
          INSERT INTO public.method_approval_requests (
            tenant_id, id, county_code, county_name, procurement_id, title, method,
            method_reason, method_justification, budget_amount, ceiling_price,
            proposed_providers, notice_published_at, approvable_from, requested_at, status)
          VALUES (
            v_at, v_id, v_region, v_name, p_procurement, p_title, p_method, p_reason,
            p_justification, p_budget, p_ceiling, coalesce(p_providers, '[]'::jsonb),
            p_notice_published_at, p_approvable_from, now(), 'pending');
          -- The approving region's finance is told, by a job bound to that region.
          INSERT INTO public.outbox (
            tenant_id, id, message_key, actor_name, queue_name, payload, request_id,
            available_at, attempts, batchable, retries)
          VALUES (
            v_at, gen_random_uuid(), 'method-request:' || v_id::text, '{FILED_JOB}',
            'default', jsonb_build_object('request_id', v_id), NULL, now(), 0, true, 0);
          PERFORM pg_notify('outbox_new', '');
          RETURN QUERY SELECT v_id, v_at;
        END $$
    """)
    # The approving region asks about its own requests only, and learns two facts.
    op.execute(f"""
        CREATE FUNCTION method_approval_state(p_request uuid)
        RETURNS TABLE (procurement_status text, open_objections integer)
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        #variable_conflict use_column
        DECLARE
          v_region text := current_setting('app.tenant_id', true);
          v_county text;
          v_procurement uuid;
        BEGIN
          {_REGION_ONLY.format(name="method_approval_state")}
          SELECT r.county_code, r.procurement_id INTO v_county, v_procurement
            FROM public.method_approval_requests r
           WHERE r.tenant_id = v_region AND r.id = p_request;
          IF NOT FOUND THEN
            RETURN;
          END IF;
          RETURN QUERY
            SELECT p.status::text,
                   (SELECT count(*)::integer FROM public.enquiries e
                     WHERE e.tenant_id = v_county AND e.procurement_id = v_procurement
                       AND e.answered_at IS NULL)
              FROM public.procurements p
             WHERE p.tenant_id = v_county AND p.id = v_procurement;
        END $$
    """)
    # The decision goes to the county as a job bound to the county's tenant, written from
    # the approving region's own decided row: the county's code comes from that row.
    op.execute(f"""
        CREATE FUNCTION dispatch_method_decision(p_request uuid)
        RETURNS void
        LANGUAGE plpgsql VOLATILE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        DECLARE
          v_region text := current_setting('app.tenant_id', true);
          r public.method_approval_requests%ROWTYPE;
        BEGIN
          {_REGION_ONLY.format(name="dispatch_method_decision")}
          SELECT * INTO r FROM public.method_approval_requests m
           WHERE m.tenant_id = v_region AND m.id = p_request AND m.status <> 'pending';
          IF NOT FOUND THEN
            RAISE EXCEPTION 'no decided request % in %', p_request, v_region
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          INSERT INTO public.outbox (
            tenant_id, id, message_key, actor_name, queue_name, payload, request_id,
            available_at, attempts, batchable, retries)
          VALUES (
            r.county_code, gen_random_uuid(), 'method-decision:' || r.id::text,
            '{APPLY_JOB}', 'default',
            jsonb_build_object(
              'request_id', r.id, 'procurement_id', r.procurement_id,
              'approve', r.status = 'approved', 'note', r.note,
              'decided_by', r.decided_by, 'approving_region', r.tenant_id),
            NULL, now(), 0, true, 0);
          PERFORM pg_notify('outbox_new', '');
        END $$
    """)
    for signature in FUNCTIONS:
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {ROLE}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_user}")


def downgrade() -> None:
    for signature in FUNCTIONS:
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("DROP POLICY IF EXISTS method_approvals_dispatch ON outbox")
    op.execute(f"REVOKE ALL ON outbox FROM {ROLE}")
    op.execute("DROP POLICY IF EXISTS method_approvals_read ON enquiries")
    op.execute(f"REVOKE ALL ON enquiries FROM {ROLE}")
    op.execute("DROP POLICY IF EXISTS method_approvals_read ON procurements")
    op.execute(f"REVOKE ALL ON procurements FROM {ROLE}")
    op.execute(f"REVOKE ALL ON tenants FROM {ROLE}")
    op.drop_table("method_approval_requests")
    op.drop_column("procurements", "approving_region")
    # The role is the cluster's, possibly used by other databases on it: it stays.
