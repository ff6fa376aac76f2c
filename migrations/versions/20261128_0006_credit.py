"""Credit: disqualification records (不良行为记录, 政府采购法 art. 77) and the narrow path through
which every region checks them.

The table is tenant-owned like every other: the region that recorded a disqualification owns
its row, and row-level security keeps other regions out. What crosses regions is only the
answer to "is this provider barred here, now?" (and a provider's own record, to itself). It
crosses through three SECURITY DEFINER functions owned by ``sws_credit_reader``, a NOLOGIN
role without BYPASSRLS that nobody is granted: its RLS policies let it read confirmed
disqualifications and the (tenant, provider, status) of registrations, nothing more, and the
API role may only EXECUTE the functions. A request never leaves its own RLS context and never
switches role; the functions are the whole of what it can learn.

The migration runs as a superuser (as 0001 and 0003 do, which create roles): giving a function
to a role one is not a member of needs it.

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 09:10:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

READER = "sws_credit_reader"


def upgrade() -> None:
    op.create_table(
        "disqualifications",
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("scope", sa.String(length=16), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("legal_basis", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), nullable=False),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decision_note", sa.Text(), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by", sa.Uuid(), nullable=True),
        sa.Column("revoked_reason", sa.Text(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column(
            "updated_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "scope IN ('tenant', 'province', 'national')",
            name=op.f("ck_disqualifications_scope_known"),
        ),
        sa.CheckConstraint(
            "status IN ('proposed', 'confirmed', 'rejected', 'revoked')",
            name=op.f("ck_disqualifications_status_known"),
        ),
        sa.CheckConstraint(
            "ends_on >= starts_on + interval '1 year'"
            " AND ends_on <= starts_on + interval '3 years'",
            name=op.f("ck_disqualifications_period_one_to_three_years"),
        ),
        sa.CheckConstraint(
            "scope <> 'national' OR tenant_id LIKE '__0000'",
            name=op.f("ck_disqualifications_national_from_a_province"),
        ),
        sa.CheckConstraint(
            "decided_by IS NULL OR decided_by <> recorded_by",
            name=op.f("ck_disqualifications_four_eyes"),
        ),
        sa.CheckConstraint(
            "(status = 'proposed') = (decided_by IS NULL OR decided_at IS NULL)",
            name=op.f("ck_disqualifications_decided_unless_proposed"),
        ),
        sa.CheckConstraint(
            "(status = 'revoked') = (revoked_at IS NOT NULL AND revoked_by IS NOT NULL"
            " AND revoked_reason IS NOT NULL)",
            name=op.f("ck_disqualifications_revocation_complete"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_disqualifications_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_disqualifications_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["recorded_by"], ["users.id"], name=op.f("fk_disqualifications_recorded_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by"], ["users.id"], name=op.f("fk_disqualifications_revoked_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_disqualifications_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_disqualifications")),
    )
    op.create_index(
        "ix_disqualifications_tenant_provider",
        "disqualifications",
        ["tenant_id", "provider_id"],
        unique=False,
    )
    op.create_index(
        "ix_disqualifications_tenant_status",
        "disqualifications",
        ["tenant_id", "status", "created_at"],
        unique=False,
    )

    secure()


def downgrade() -> None:
    for signature in (
        "credit_bars(uuid, text, date)",
        "credit_record(uuid)",
        "credit_provider_regions(uuid)",
    ):
        op.execute(f"DROP FUNCTION IF EXISTS {signature}")
    op.execute("DROP POLICY IF EXISTS credit_reader_read ON provider_registrations")
    op.execute(f"REVOKE ALL ON provider_registrations FROM {READER}")
    op.drop_index("ix_disqualifications_tenant_status", table_name="disqualifications")
    op.drop_index("ix_disqualifications_tenant_provider", table_name="disqualifications")
    op.drop_table("disqualifications")
    # The role is the cluster's, possibly used by other databases on it: it stays.


def secure() -> None:
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")

    op.execute("ALTER TABLE disqualifications ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE disqualifications FORCE ROW LEVEL SECURITY")
    op.execute("""
        CREATE POLICY tenant_isolation ON disqualifications
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)
    # A record is kept for good: a mistake is rejected or revoked, never deleted.
    op.execute(f"REVOKE DELETE, TRUNCATE ON disqualifications FROM {app_user}")

    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{READER}') THEN
            CREATE ROLE {READER} NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {READER}")
    # Confirmed records of every region, and only the columns a bar or a provider's own record
    # shows: not who recorded or decided, not the decision notes.
    op.execute(
        "GRANT SELECT (tenant_id, id, provider_id, scope, starts_on, ends_on, reason,"
        f" legal_basis, status, decided_at) ON disqualifications TO {READER}"
    )
    op.execute(
        f"CREATE POLICY credit_reader_read ON disqualifications FOR SELECT TO {READER}"
        " USING (status = 'confirmed')"
    )
    # Where a provider has applied or is registered, for the worker that tells those regions.
    op.execute(
        f"GRANT SELECT (tenant_id, provider_id, status) ON provider_registrations TO {READER}"
    )
    op.execute(
        f"CREATE POLICY credit_reader_read ON provider_registrations FOR SELECT TO {READER}"
        " USING (true)"
    )

    # Each function pins its search_path (a SECURITY DEFINER function must not resolve names
    # through the caller's) and names public's tables explicitly.
    #
    # The bars on a provider in the caller's own region on a day. The region must be the one
    # the transaction is bound to: a request learns what applies where it acts, not what other
    # regions' records say elsewhere. The status filter is repeated because the caller's own
    # region's rows of every status are visible through tenant_isolation.
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
    # A provider's own confirmed record in every region, reasons included: only for the
    # provider the transaction names (app.provider_id, set from the access token).
    op.execute("""
        CREATE FUNCTION credit_record(p_provider uuid)
        RETURNS TABLE (disqualification_id uuid, source_tenant text, scope text,
                       starts_on date, ends_on date, reason text, legal_basis text,
                       decided_at timestamptz)
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        #variable_conflict use_column
        BEGIN
          IF p_provider IS NULL
             OR p_provider::text IS DISTINCT FROM current_setting('app.provider_id', true) THEN
            RAISE EXCEPTION 'credit_record answers only for the provider the request acts for'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          RETURN QUERY
            SELECT d.id, d.tenant_id::text, d.scope::text, d.starts_on, d.ends_on, d.reason,
                   d.legal_basis::text, d.decided_at
              FROM public.disqualifications d
             WHERE d.provider_id = p_provider AND d.status = 'confirmed'
             ORDER BY d.ends_on DESC, d.id;
        END $$
    """)
    # The regions where a provider has applied or is registered (not those that refused it).
    op.execute("""
        CREATE FUNCTION credit_provider_regions(p_provider uuid)
        RETURNS TABLE (tenant_id text, status text)
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
          SELECT r.tenant_id::text, r.status::text
            FROM public.provider_registrations r
           WHERE r.provider_id = p_provider AND r.status IN ('pending', 'approved')
           ORDER BY r.tenant_id
        $$
    """)
    for signature in (
        "credit_bars(uuid, text, date)",
        "credit_record(uuid)",
        "credit_provider_regions(uuid)",
    ):
        op.execute(f"ALTER FUNCTION {signature} OWNER TO {READER}")
        op.execute(f"REVOKE ALL ON FUNCTION {signature} FROM PUBLIC")
        op.execute(f"GRANT EXECUTE ON FUNCTION {signature} TO {app_user}")
