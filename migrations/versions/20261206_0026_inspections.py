"""Inspections (检查) and their findings; the documents of a rectification's answer; the
rectifications' clock.

Revision ID: 0026
Revises: 0025
Create Date: 2026-12-06 21:40:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0026"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "inspections",
        sa.Column("tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("bureau", sa.String(length=16), nullable=False),
        sa.Column("manner", sa.String(length=12), nullable=False),
        sa.Column("inspected_on", sa.Date(), nullable=False),
        sa.Column("place", sa.Text(), nullable=False),
        sa.Column("inspectors", JSONB(), nullable=False),
        sa.Column("scope", JSONB(), nullable=False),
        sa.Column("notes", sa.Text(), nullable=True),
        sa.Column("recorded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("recorded_at", TS, server_default=sa.func.now(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_inspections_contract",
        ),
        sa.CheckConstraint("bureau IN ('civil_affairs', 'finance')", name="bureau"),
        sa.CheckConstraint("manner IN ('announced', 'unannounced')", name="manner"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_inspections"),
    )
    op.create_index("ix_inspections_contract", "inspections", ["tenant_id", "contract_id"])
    op.create_table(
        "inspection_findings",
        sa.Column("tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False),
        sa.Column("inspection_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("severity", sa.String(length=8), nullable=False),
        sa.Column("rectification_id", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "inspection_id"],
            ["inspections.tenant_id", "inspections.id"],
            name="fk_inspection_findings_inspection",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "rectification_id"],
            ["rectifications.tenant_id", "rectifications.id"],
            name="fk_inspection_findings_rectification",
        ),
        sa.CheckConstraint("severity IN ('minor', 'major', 'serious')", name="severity"),
        sa.PrimaryKeyConstraint("tenant_id", "inspection_id", "seq", name="pk_inspection_findings"),
    )
    for table, provider_check in (
        ("inspections", "provider_id::text = current_setting('app.provider_id', true)"),
        (
            "inspection_findings",
            """EXISTS (SELECT 1 FROM inspections i
                        WHERE i.tenant_id = inspection_findings.tenant_id
                          AND i.id = inspection_findings.inspection_id
                          AND i.provider_id::text = current_setting('app.provider_id', true))""",
        ),
    ):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
        op.execute(
            f"CREATE POLICY provider_own_rows ON {table} FOR SELECT USING ({provider_check})"
        )
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    # An inspection is a record of what was seen: never changed, never deleted.
    op.execute(
        f"REVOKE UPDATE, DELETE, TRUNCATE ON inspections, inspection_findings FROM {app_user}"
    )

    # What the provider showed with an answer: each document's version and SHA-256 then.
    op.add_column(
        "rectification_entries",
        sa.Column("documents", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
    )

    # The rectifications' clock reads every region's open rectifications: ids, state and
    # deadlines, nothing else (the contracts clock's pattern, migration 0019).
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
        "GRANT SELECT (tenant_id, id, status, due_at, overdue_warned_for) ON rectifications"
        " TO sws_delivery_clock"
    )
    op.execute(
        "CREATE POLICY rectifications_clock_read ON rectifications FOR SELECT"
        " TO sws_delivery_clock USING (true)"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS rectifications_clock_read ON rectifications")
    op.execute("REVOKE ALL ON rectifications FROM sws_delivery_clock")
    op.drop_column("rectification_entries", "documents")
    op.drop_table("inspection_findings")
    op.drop_table("inspections")
