"""Progress reports (服务进度报告): reporting schedules, periods, reports, comments; the delivery
clock's narrow role.

Revision ID: 0024
Revises: 0023
Create Date: 2026-12-06 22:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0024"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
TABLES = (
    "delivery_report_schedules",
    "delivery_report_periods",
    "delivery_reports",
    "delivery_report_comments",
)


def _tenant() -> sa.Column[str]:
    return sa.Column(
        "tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False
    )


def upgrade() -> None:
    op.create_table(
        "delivery_report_schedules",
        _tenant(),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("due_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_delivery_report_schedules_contract",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "contract_id", name="pk_delivery_report_schedules"),
        sa.CheckConstraint("kind IN ('monthly', 'quarterly', 'milestones')", name="kind"),
        sa.CheckConstraint("due_days BETWEEN 0 AND 60", name="due_days"),
    )
    op.create_table(
        "delivery_report_periods",
        _tenant(),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("label", sa.String(length=200), nullable=False),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("ends_on", sa.Date(), nullable=False),
        sa.Column("due_at", TS, nullable=False),
        sa.Column("warnings_sent", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["delivery_report_schedules.tenant_id", "delivery_report_schedules.contract_id"],
            name="fk_delivery_report_periods_schedule",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "contract_id", "seq", name="pk_delivery_report_periods"
        ),
        sa.CheckConstraint("starts_on <= ends_on", name="span"),
    )
    op.create_index(
        "ix_delivery_report_periods_due", "delivery_report_periods", ["tenant_id", "due_at"]
    )
    op.create_table(
        "delivery_reports",
        _tenant(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("period_seq", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("content", JSONB(), nullable=False),
        sa.Column("late", sa.Boolean(), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("updated_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("submitted_at", TS, nullable=True),
        sa.Column("submitted_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("reviewed_at", TS, nullable=True),
        sa.Column("reviewed_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_delivery_reports_contract",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_delivery_reports"),
        sa.CheckConstraint(
            "status IN ('draft', 'submitted', 'accepted', 'returned')", name="status"
        ),
        # A report is submitted at least once before it is reviewed.
        sa.CheckConstraint("status = 'draft' OR submissions > 0", name="submitted"),
    )
    op.create_index(
        "uq_delivery_reports_period",
        "delivery_reports",
        ["tenant_id", "contract_id", "period_seq"],
        unique=True,
    )
    op.create_table(
        "delivery_report_comments",
        _tenant(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("report_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("author_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "report_id"],
            ["delivery_reports.tenant_id", "delivery_reports.id"],
            name="fk_delivery_report_comments_report",
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_delivery_report_comments"),
        sa.CheckConstraint("kind IN ('accepted', 'returned', 'remark')", name="kind"),
    )
    op.create_index(
        "ix_delivery_report_comments_report", "delivery_report_comments", ["tenant_id", "report_id"]
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
    # A provider's users read their own contracts' reporting in any region (as for payments).
    for table in ("delivery_report_schedules", "delivery_report_periods", "delivery_reports"):
        op.execute(f"""
            CREATE POLICY provider_own_rows ON {table} FOR SELECT
            USING (EXISTS (
                SELECT 1 FROM contracts c
                 WHERE c.tenant_id = {table}.tenant_id AND c.id = {table}.contract_id
                   AND c.provider_id::text = current_setting('app.provider_id', true)
            ))
        """)
    op.execute("""
        CREATE POLICY provider_own_rows ON delivery_report_comments FOR SELECT
        USING (EXISTS (
            SELECT 1 FROM delivery_reports r
             WHERE r.tenant_id = delivery_report_comments.tenant_id
               AND r.id = delivery_report_comments.report_id
               AND r.provider_id::text = current_setting('app.provider_id', true)
        ))
    """)

    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    # Comments are a record: never changed, never deleted.
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON delivery_report_comments FROM {app_user}")
    op.execute(f"REVOKE DELETE, TRUNCATE ON delivery_reports FROM {app_user}")
    # The delivery clock reads every region's periods waiting on a report: ids, due moments,
    # markers and whether a report was submitted — never a report's body.
    op.execute("""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sws_delivery_clock') THEN
            CREATE ROLE sws_delivery_clock NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"""
        DO $$ BEGIN
          IF current_setting('server_version_num')::int >= 160000 THEN
            EXECUTE 'GRANT sws_delivery_clock TO {app_user} WITH INHERIT FALSE';
          ELSE
            EXECUTE 'GRANT sws_delivery_clock TO {app_user}';
          END IF;
        END $$;
    """)
    op.execute("GRANT USAGE ON SCHEMA public TO sws_delivery_clock")
    op.execute(
        "GRANT SELECT (tenant_id, contract_id, seq, due_at, warnings_sent)"
        " ON delivery_report_periods TO sws_delivery_clock"
    )
    op.execute(
        "GRANT SELECT (tenant_id, contract_id, period_seq, submissions)"
        " ON delivery_reports TO sws_delivery_clock"
    )
    op.execute("GRANT SELECT (tenant_id, id, status) ON contracts TO sws_delivery_clock")
    for table in ("delivery_report_periods", "delivery_reports", "contracts"):
        op.execute(
            f"CREATE POLICY delivery_clock_read ON {table} FOR SELECT TO sws_delivery_clock"
            " USING (true)"
        )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS delivery_clock_read ON contracts")
    op.execute("REVOKE ALL ON contracts FROM sws_delivery_clock")
    for table in reversed(TABLES):
        op.drop_table(table)
