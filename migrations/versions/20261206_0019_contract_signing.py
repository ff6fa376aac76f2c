"""Signing a contract, suspending it, publishing and filing it; the contracts' clock.

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 18:40:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _tenant_table(name: str, *columns: sa.Column[object], **keys: list[str]) -> None:
    op.create_table(
        name,
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        *columns,
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name=f"fk_{name}_contract",
        ),
        sa.ForeignKeyConstraint(["tenant_id"], ["tenants.code"], name=f"fk_{name}_tenant_id"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=f"pk_{name}"),
    )
    op.create_index(f"ix_{name}_contract", name, ["tenant_id", "contract_id"])


def upgrade() -> None:
    for column in (
        sa.Column("signed_at", TS, nullable=True),
        sa.Column("signed_document_id", sa.Uuid(), nullable=True),
        sa.Column("signed_version", sa.Integer(), nullable=True),
        sa.Column("signed_sha256", sa.String(length=64), nullable=True),
        sa.Column("contract_commitment_id", sa.Uuid(), nullable=True),
        sa.Column("publish_by", TS, nullable=True),
        sa.Column("published_at", TS, nullable=True),
        sa.Column("notice_id", sa.Uuid(), nullable=True),
        sa.Column("file_by", TS, nullable=True),
        sa.Column("filed_at", TS, nullable=True),
        sa.Column("filed_by", sa.Uuid(), nullable=True),
        sa.Column("filing_note", sa.Text(), nullable=True),
        sa.Column("ended_at", TS, nullable=True),
        sa.Column("end_reason", sa.Text(), nullable=True),
        sa.Column("warnings_sent", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
    ):
        op.add_column("contracts", column)
    # One live contract per procurement: a refused or void one stays on record beside the
    # contract of the next-ranked candidate (实施条例 art. 49).
    op.drop_index("uq_contracts_procurement", table_name="contracts")
    op.create_index(
        "uq_contracts_procurement",
        "contracts",
        ["tenant_id", "procurement_id"],
        unique=True,
        postgresql_where=sa.text("status NOT IN ('refused', 'void')"),
    )
    _tenant_table(
        "contract_signatures",
        sa.Column("party", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("party IN ('buyer', 'provider')", name="party"),
    )
    _tenant_table(
        "contract_suspensions",
        sa.Column("ordered_by", sa.String(length=8), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("challenge_id", sa.Uuid(), nullable=True),
        sa.Column("starts_at", TS, nullable=False),
        sa.Column("ends_at", TS, nullable=True),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("lifted_at", TS, nullable=True),
        sa.Column("lifted_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("lift_reason", sa.Text(), nullable=True),
        sa.CheckConstraint("ordered_by IN ('buyer', 'finance')", name="ordered_by"),
        # Finance's order lasts at most 30 days (94号令 art. 28); the buyer's until it lifts it.
        sa.CheckConstraint(
            "(ordered_by = 'finance') = (ends_at IS NOT NULL)",
            name="end",
        ),
    )
    for table in ("contract_signatures", "contract_suspensions"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
        op.execute(f"""
            CREATE POLICY provider_own_rows ON {table} FOR SELECT
            USING (EXISTS (
                SELECT 1 FROM contracts c
                 WHERE c.tenant_id = {table}.tenant_id AND c.id = {table}.contract_id
                   AND c.provider_id::text = current_setting('app.provider_id', true)
            ))
        """)

    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    # Signatures are a record: never changed, never deleted.
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON contract_signatures FROM {app_user}")
    # The contracts' clock reads every region's contracts waiting on a deadline: ids, states
    # and times, nothing else (the tendering clock's pattern, migration 0008).
    op.execute("""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sws_contracts_clock') THEN
            CREATE ROLE sws_contracts_clock NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"""
        DO $$ BEGIN
          IF current_setting('server_version_num')::int >= 160000 THEN
            EXECUTE 'GRANT sws_contracts_clock TO {app_user} WITH INHERIT FALSE';
          ELSE
            EXECUTE 'GRANT sws_contracts_clock TO {app_user}';
          END IF;
        END $$;
    """)
    op.execute("GRANT USAGE ON SCHEMA public TO sws_contracts_clock")
    op.execute(
        "GRANT SELECT (tenant_id, id, status, sign_by, signed_at, publish_by, published_at,"
        " file_by, filed_at, warnings_sent) ON contracts TO sws_contracts_clock"
    )
    op.execute(
        "CREATE POLICY contracts_clock_read ON contracts FOR SELECT TO sws_contracts_clock"
        " USING (true)"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS contracts_clock_read ON contracts")
    op.execute("REVOKE ALL ON contracts FROM sws_contracts_clock")
    op.drop_table("contract_suspensions")
    op.drop_table("contract_signatures")
    op.drop_index("uq_contracts_procurement", table_name="contracts")
    op.create_index(
        "uq_contracts_procurement", "contracts", ["tenant_id", "procurement_id"], unique=True
    )
    for column in (
        "signed_at",
        "signed_document_id",
        "signed_version",
        "signed_sha256",
        "contract_commitment_id",
        "publish_by",
        "published_at",
        "notice_id",
        "file_by",
        "filed_at",
        "filed_by",
        "filing_note",
        "ended_at",
        "end_reason",
        "warnings_sent",
    ):
        op.drop_column("contracts", column)
