"""Acceptances (结项验收): the plan, the panel, the members' opinions, the report's signatures.

Revision ID: 0029
Revises: 0028
Create Date: 2026-12-06 21:40:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0029"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)


def _tenant() -> sa.Column[str]:
    return sa.Column(
        "tenant_id", sa.String(length=6), sa.ForeignKey("tenants.code"), nullable=False
    )


def _of_acceptance(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "acceptance_id"],
        ["acceptances.tenant_id", "acceptances.id"],
        name=f"fk_{name}_acceptance",
    )


def upgrade() -> None:
    op.create_table(
        "acceptances",
        _tenant(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), sa.ForeignKey("providers.id"), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=10), nullable=False),
        sa.Column("method", sa.Text(), nullable=False),
        sa.Column("planned_on", sa.Date(), nullable=False),
        sa.Column("standards", JSONB(), nullable=False),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("result", sa.String(length=4), nullable=True),
        sa.Column("findings", JSONB(), nullable=True),
        sa.Column("summary", sa.Text(), nullable=True),
        sa.Column("rectify_within_days", sa.Integer(), nullable=True),
        sa.Column("concluded_at", TS, nullable=True),
        sa.Column("concluded_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("signed_document_id", sa.Uuid(), nullable=True),
        sa.Column("signed_version", sa.Integer(), nullable=True),
        sa.Column("signed_sha256", sa.String(length=64), nullable=True),
        sa.Column("signed_at", TS, nullable=True),
        sa.Column("notice_id", sa.Uuid(), nullable=True),
        sa.Column("breach_liability", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_acceptances_contract",
        ),
        sa.CheckConstraint("status IN ('open', 'concluded', 'published')", name="status"),
        sa.CheckConstraint("result IS NULL OR result IN ('pass', 'fail')", name="result"),
        sa.CheckConstraint("round >= 1", name="round"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_acceptances"),
    )
    # One round number per contract; a re-acceptance is the next round.
    op.create_index(
        "uq_acceptances_round", "acceptances", ["tenant_id", "contract_id", "round"], unique=True
    )
    op.create_table(
        "acceptance_members",
        _tenant(),
        sa.Column("acceptance_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("kind", sa.String(length=12), nullable=False),
        sa.Column("display_name", sa.String(length=100), nullable=False),
        sa.Column("added_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("added_at", TS, server_default=sa.func.now(), nullable=False),
        _of_acceptance("acceptance_members"),
        sa.CheckConstraint("kind IN ('buyer', 'recipient', 'third_party')", name="kind"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "acceptance_id", "user_id", name="pk_acceptance_members"
        ),
    )
    op.create_table(
        "acceptance_opinions",
        _tenant(),
        sa.Column("acceptance_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("opinion", sa.Text(), nullable=False),
        sa.Column("scores", JSONB(), nullable=False),
        sa.Column("recorded_at", TS, server_default=sa.func.now(), nullable=False),
        # Only a member of the panel has an opinion.
        sa.ForeignKeyConstraint(
            ["tenant_id", "acceptance_id", "user_id"],
            [
                "acceptance_members.tenant_id",
                "acceptance_members.acceptance_id",
                "acceptance_members.user_id",
            ],
            name="fk_acceptance_opinions_member",
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "acceptance_id", "user_id", name="pk_acceptance_opinions"
        ),
    )
    op.create_table(
        "acceptance_signatures",
        _tenant(),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("acceptance_id", sa.Uuid(), nullable=False),
        sa.Column("party", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_at", TS, server_default=sa.func.now(), nullable=False),
        _of_acceptance("acceptance_signatures"),
        sa.CheckConstraint("party IN ('buyer', 'provider')", name="party"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_acceptance_signatures"),
    )
    op.create_index(
        "ix_acceptance_signatures_acceptance",
        "acceptance_signatures",
        ["tenant_id", "acceptance_id"],
    )
    own_acceptance = """EXISTS (SELECT 1 FROM acceptances a
                        WHERE a.tenant_id = {table}.tenant_id AND a.id = {table}.acceptance_id
                          AND a.provider_id::text = current_setting('app.provider_id', true))"""
    # The panel and its opinions are the buyer's: no provider policy on them.
    for table, provider_check in (
        ("acceptances", "provider_id::text = current_setting('app.provider_id', true)"),
        ("acceptance_signatures", own_acceptance.format(table="acceptance_signatures")),
        ("acceptance_members", None),
        ("acceptance_opinions", None),
    ):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
        if provider_check is not None:
            op.execute(
                f"CREATE POLICY provider_own_rows ON {table} FOR SELECT USING ({provider_check})"
            )
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    # Signatures are a record: never changed, never deleted.
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON acceptance_signatures FROM {app_user}")


def downgrade() -> None:
    op.drop_table("acceptance_signatures")
    op.drop_table("acceptance_opinions")
    op.drop_table("acceptance_members")
    op.drop_table("acceptances")
