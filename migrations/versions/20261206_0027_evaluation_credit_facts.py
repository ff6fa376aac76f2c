"""Third-party evaluation (第三方评估) and the credit facts it and the other delivery steps feed.

- ``providers`` gain the evaluation-organisation flag a platform administrator sets; each
  provider declares its affiliations (other USCCs) and principal persons, these identified by a
  keyed hash of their ID number (the number itself is never stored) and a masked form. These
  are the provider's own, not a region's: like ``providers``, they have no tenant.
- ``evaluations``: one engagement of an evaluator for a signed contract (or its follow-up),
  the scores, the grade and its confirmation. Read across regions only by the evaluation
  clock (``sws_evaluation_clock``: ids, states and the follow-up's moment) and by the
  evaluator itself (``evaluator_own_rows``).
- ``projects`` keep the latest confirmed grade of an evaluation of their contracts.
- ``credit_facts``: acceptance results, grades, breaches and overdue rectifications of a
  provider, owned by the region that recorded them. Another region reads a provider's facts
  only through ``credit_facts_of`` (SECURITY DEFINER, owned by ``sws_credit_reader``,
  migration 0006) and a provider its own through ``provider_own_rows``.

Revision ID: 0027
Revises: 0026
Create Date: 2026-12-06 22:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0027"
down_revision: str | None = "0026"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
READER = "sws_credit_reader"
CLOCK = "sws_evaluation_clock"
GRADES = "('excellent', 'good', 'pass', 'fail')"
FACT_KINDS = (
    "('acceptance_passed', 'acceptance_failed', 'evaluation_graded', 'breach',"
    " 'rectification_overdue')"
)


def _app_user() -> str:
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")
    return app_user


def _isolate(table: str) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"""
        CREATE POLICY tenant_isolation ON {table}
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)


def _provider_ties() -> None:
    op.add_column(
        "providers",
        sa.Column("is_evaluator", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column("providers", sa.Column("evaluator_since", TS, nullable=True))
    op.create_table(
        "provider_affiliations",
        sa.Column("provider_id", sa.Uuid(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("related_uscc", sa.String(length=18), nullable=False),
        sa.Column("related_name", sa.String(length=200), nullable=True),
        sa.Column("relation", sa.String(length=16), nullable=False),
        sa.Column("declared_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "relation IN ('parent', 'subsidiary', 'shared_sponsor', 'other')",
            name="ck_provider_affiliations_relation_known",
        ),
        sa.PrimaryKeyConstraint("provider_id", "id", name="pk_provider_affiliations"),
        sa.UniqueConstraint(
            "provider_id", "related_uscc", "relation", name="uq_provider_affiliations_declared"
        ),
    )
    # "Either side declared the other": the reverse lookup.
    op.create_index("ix_provider_affiliations_related", "provider_affiliations", ["related_uscc"])
    op.create_table(
        "provider_persons",
        sa.Column("provider_id", sa.Uuid(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("role", sa.String(length=24), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("id_hash", sa.String(length=64), nullable=False),
        sa.Column("id_masked", sa.String(length=32), nullable=False),
        sa.Column("declared_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "role IN ('legal_representative', 'director', 'key_staff')",
            name="ck_provider_persons_role_known",
        ),
        sa.CheckConstraint("id_hash ~ '^[0-9a-f]{64}$'", name="ck_provider_persons_hash_only"),
        sa.PrimaryKeyConstraint("provider_id", "id", name="pk_provider_persons"),
        sa.UniqueConstraint("provider_id", "id_hash", "role", name="uq_provider_persons_declared"),
    )
    op.create_index("ix_provider_persons_hash", "provider_persons", ["id_hash"])


def _evaluations(app_user: str) -> None:
    op.add_column("projects", sa.Column("evaluation_grade", sa.String(length=16), nullable=True))
    op.add_column("projects", sa.Column("evaluation_graded_on", sa.Date(), nullable=True))
    op.add_column("projects", sa.Column("evaluation_id", sa.Uuid(), nullable=True))
    op.create_check_constraint(
        "ck_projects_evaluation_grade_known",
        "projects",
        f"evaluation_grade IS NULL OR evaluation_grade IN {GRADES}",
    )
    op.create_table(
        "evaluations",
        sa.Column("tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        # As signed: what the evaluator reads about the contract, which it cannot open.
        sa.Column("contract_title", sa.String(length=200), nullable=False),
        sa.Column("provider_id", sa.Uuid(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("evaluator_id", sa.Uuid(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("parent_id", sa.Uuid(), nullable=True),
        sa.Column("follow_up_months", sa.Integer(), nullable=True),
        sa.Column("follow_up_due_at", TS, nullable=True),
        sa.Column("follow_up_opened_at", TS, nullable=True),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("scores", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("total", sa.Numeric(5, 2), nullable=True),
        sa.Column("grade", sa.String(length=16), nullable=True),
        sa.Column("comments", sa.Text(), nullable=True),
        sa.Column("report_document_id", sa.Uuid(), nullable=True),
        sa.Column("return_note", sa.Text(), nullable=True),
        sa.Column("engaged_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("submitted_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("confirmed_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_evaluations_contract",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "parent_id"],
            ["evaluations.tenant_id", "evaluations.id"],
            name="fk_evaluations_parent",
        ),
        sa.CheckConstraint("kind IN ('final', 'follow_up')", name="ck_evaluations_kind_known"),
        sa.CheckConstraint(
            "status IN ('engaged', 'submitted', 'confirmed')", name="ck_evaluations_status_known"
        ),
        sa.CheckConstraint(
            f"grade IS NULL OR grade IN {GRADES}", name="ck_evaluations_grade_known"
        ),
        sa.CheckConstraint("evaluator_id <> provider_id", name="ck_evaluations_not_self"),
        sa.CheckConstraint(
            "(kind = 'follow_up') = (parent_id IS NOT NULL)", name="ck_evaluations_follow_up_parent"
        ),
        sa.CheckConstraint(
            "follow_up_months IS NULL OR follow_up_months BETWEEN 1 AND 60",
            name="ck_evaluations_follow_up_months",
        ),
        sa.CheckConstraint(
            "(status = 'engaged') = (grade IS NULL AND total IS NULL)",
            name="ck_evaluations_graded_once_submitted",
        ),
        sa.CheckConstraint(
            "(status = 'confirmed') = (confirmed_at IS NOT NULL)",
            name="ck_evaluations_confirmed",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_evaluations"),
    )
    op.create_index("ix_evaluations_contract", "evaluations", ["tenant_id", "contract_id"])
    op.create_index("ix_evaluations_evaluator", "evaluations", ["tenant_id", "evaluator_id"])
    # One follow-up per evaluation, whatever the sweep's retries do.
    op.create_index(
        "uq_evaluations_follow_up",
        "evaluations",
        ["tenant_id", "parent_id"],
        unique=True,
        postgresql_where=sa.text("kind = 'follow_up'"),
    )
    _isolate("evaluations")
    # The evaluator's users read their engagements in every region (``/v1/me/evaluations``).
    op.execute("""
        CREATE POLICY evaluator_own_rows ON evaluations FOR SELECT
        USING (evaluator_id::text = current_setting('app.provider_id', true))
    """)
    # The evaluation clock reads every region's evaluations waiting on a follow-up: ids,
    # states and the moment only (the contracts clock's pattern, migration 0019).
    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{CLOCK}') THEN
            CREATE ROLE {CLOCK} NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"""
        DO $$ BEGIN
          IF current_setting('server_version_num')::int >= 160000 THEN
            EXECUTE 'GRANT {CLOCK} TO {app_user} WITH INHERIT FALSE';
          ELSE
            EXECUTE 'GRANT {CLOCK} TO {app_user}';
          END IF;
        END $$;
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {CLOCK}")
    op.execute(
        "GRANT SELECT (tenant_id, id, kind, status, follow_up_due_at, follow_up_opened_at)"
        f" ON evaluations TO {CLOCK}"
    )
    op.execute(
        f"CREATE POLICY evaluation_clock_read ON evaluations FOR SELECT TO {CLOCK} USING (true)"
    )


def _credit_facts(app_user: str) -> None:
    op.create_table(
        "credit_facts",
        sa.Column("tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("occurred_on", sa.Date(), nullable=False),
        sa.Column("source_kind", sa.String(length=32), nullable=False),
        sa.Column("source_id", sa.Uuid(), nullable=False),
        sa.Column("summary", sa.String(length=500), nullable=False),
        sa.Column("details", JSONB(), server_default=sa.text("'{}'::jsonb"), nullable=False),
        sa.Column("recorded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(f"kind IN {FACT_KINDS}", name="ck_credit_facts_kind_known"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_credit_facts"),
        # One fact of a kind per source object: a retried job records it once.
        sa.UniqueConstraint(
            "tenant_id", "kind", "source_kind", "source_id", name="uq_credit_facts_source"
        ),
    )
    op.create_index(
        "ix_credit_facts_provider", "credit_facts", ["tenant_id", "provider_id", "occurred_on"]
    )
    _isolate("credit_facts")
    op.execute("""
        CREATE POLICY provider_own_rows ON credit_facts FOR SELECT
        USING (provider_id::text = current_setting('app.provider_id', true))
    """)
    # A fact is a record: never changed, never deleted.
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON credit_facts FROM {app_user}")

    # The narrow path: the role of the bars reads the facts' public columns (not who recorded
    # them, not the source object's id), through one function.
    op.execute(
        "GRANT SELECT (tenant_id, id, provider_id, kind, occurred_on, source_kind, summary,"
        f" details) ON credit_facts TO {READER}"
    )
    op.execute(
        f"CREATE POLICY credit_reader_read ON credit_facts FOR SELECT TO {READER} USING (true)"
    )
    # A provider's facts in every region, for a transaction bound to a region and acting for
    # no provider: a region's government user consulting the record. A provider's own
    # transaction (app.provider_id set) is refused: it reads its own rows directly.
    op.execute("""
        CREATE FUNCTION credit_facts_of(p_provider uuid)
        RETURNS TABLE (fact_id uuid, source_tenant text, kind text, occurred_on date,
                       source_kind text, summary text, details jsonb)
        LANGUAGE plpgsql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$
        #variable_conflict use_column
        BEGIN
          IF coalesce(current_setting('app.tenant_id', true), '') !~ '^[0-9]{6}$'
             OR current_setting('app.tenant_id', true) = '000000'
             OR coalesce(current_setting('app.provider_id', true), '') <> '' THEN
            RAISE EXCEPTION 'credit_facts_of answers a region''s government users only'
              USING ERRCODE = 'insufficient_privilege';
          END IF;
          IF p_provider IS NULL THEN
            RAISE EXCEPTION 'credit_facts_of needs a provider'
              USING ERRCODE = 'null_value_not_allowed';
          END IF;
          RETURN QUERY
            SELECT f.id, f.tenant_id::text, f.kind::text, f.occurred_on, f.source_kind::text,
                   f.summary::text, f.details
              FROM public.credit_facts f
             WHERE f.provider_id = p_provider
             ORDER BY f.occurred_on DESC, f.id;
        END $$
    """)
    op.execute(f"ALTER FUNCTION credit_facts_of(uuid) OWNER TO {READER}")
    op.execute("REVOKE ALL ON FUNCTION credit_facts_of(uuid) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION credit_facts_of(uuid) TO {app_user}")


def upgrade() -> None:
    app_user = _app_user()
    _provider_ties()
    _evaluations(app_user)
    _credit_facts(app_user)


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS credit_facts_of(uuid)")
    op.drop_table("credit_facts")
    op.execute("DROP POLICY IF EXISTS evaluation_clock_read ON evaluations")
    op.execute(f"REVOKE ALL ON evaluations FROM {CLOCK}")
    op.drop_table("evaluations")
    op.drop_constraint("ck_projects_evaluation_grade_known", "projects")
    for column in ("evaluation_grade", "evaluation_graded_on", "evaluation_id"):
        op.drop_column("projects", column)
    op.drop_table("provider_persons")
    op.drop_table("provider_affiliations")
    op.drop_column("providers", "evaluator_since")
    op.drop_column("providers", "is_evaluator")
