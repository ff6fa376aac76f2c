"""Amendments of a signed contract: supplementary purchases, changes and termination, each
kept in every version and signed by both sides; the contract's supplementary total.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 20:10:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)
# CHECK constraints are named by their short name: the naming convention makes it
# ck_<table>_<name>, as the models name them.
TS = sa.DateTime(timezone=True)
TABLES = ("contract_amendments", "contract_amendment_versions", "contract_amendment_signatures")


def _to_contract(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "contract_id"],
        ["contracts.tenant_id", "contracts.id"],
        name=f"fk_{name}_contract",
    )


def _to_amendment(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(
        ["tenant_id", "amendment_id"],
        ["contract_amendments.tenant_id", "contract_amendments.id"],
        name=f"fk_{name}_amendment",
    )


def _to_tenant(name: str) -> sa.ForeignKeyConstraint:
    return sa.ForeignKeyConstraint(["tenant_id"], ["tenants.code"], name=f"fk_{name}_tenant_id")


def upgrade() -> None:
    # The price stays the original price (政府采购法 art. 49 measures against it); what the
    # supplementary purchases added is kept beside it.
    op.add_column(
        "contracts",
        sa.Column("supplementary_total", MONEY, server_default=sa.text("0"), nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_contracts_supplementary_total_ok"), "contracts", "supplementary_total >= 0"
    )
    op.create_table(
        "contract_amendments",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("commitment_id", sa.Uuid(), nullable=True),
        sa.Column("notice_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("effective_at", TS, nullable=True),
        sa.Column("withdrawn_at", TS, nullable=True),
        sa.Column("withdrawn_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("withdraw_reason", sa.Text(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('supplementary_purchase', 'change', 'termination')",
            name="kind",
        ),
        sa.CheckConstraint(
            "status IN ('drafted', 'signing', 'effective', 'withdrawn')",
            name="status",
        ),
        # Only a supplementary purchase adds money, and always some.
        sa.CheckConstraint(
            "(kind = 'supplementary_purchase') = (amount IS NOT NULL) AND"
            " (amount IS NULL OR amount > 0)",
            name="amount",
        ),
        _to_contract("contract_amendments"),
        _to_tenant("contract_amendments"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_contract_amendments"),
    )
    op.create_index(
        "ix_contract_amendments_contract", "contract_amendments", ["tenant_id", "contract_id"]
    )
    op.create_table(
        "contract_amendment_versions",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("amendment_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("reason", sa.Text(), nullable=False),
        sa.Column("ground", sa.String(length=32), nullable=True),
        sa.Column("amount", MONEY, nullable=True),
        sa.Column("effective_on", sa.Date(), nullable=False),
        sa.Column("description", sa.Text(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=True),
        sa.Column("created_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("created_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint(
            "ground IS NULL OR ground IN ('public_interest', 'force_majeure', 'contract_clause')",
            name="ground",
        ),
        sa.CheckConstraint("amount IS NULL OR amount > 0", name="amount"),
        sa.CheckConstraint("version >= 1", name="version"),
        _to_amendment("contract_amendment_versions"),
        _to_contract("contract_amendment_versions"),
        _to_tenant("contract_amendment_versions"),
        sa.PrimaryKeyConstraint(
            "tenant_id", "amendment_id", "version", name="pk_contract_amendment_versions"
        ),
    )
    op.create_table(
        "contract_amendment_signatures",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("amendment_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("party", sa.String(length=8), nullable=False),
        sa.Column("user_id", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("amendment_version", sa.Integer(), nullable=False),
        sa.Column("document_id", sa.Uuid(), nullable=False),
        sa.Column("document_version", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("signed_at", TS, server_default=sa.func.now(), nullable=False),
        sa.CheckConstraint("party IN ('buyer', 'provider')", name="party"),
        _to_amendment("contract_amendment_signatures"),
        _to_contract("contract_amendment_signatures"),
        _to_tenant("contract_amendment_signatures"),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_contract_amendment_signatures"),
    )
    op.create_index(
        "ix_contract_amendment_signatures_amendment",
        "contract_amendment_signatures",
        ["tenant_id", "amendment_id"],
    )
    for table in TABLES:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
        # The contract's provider reads the amendments of its own contracts, nothing else.
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
    # Every version and every signature is a record: never changed, never deleted. An
    # amendment is withdrawn, never deleted.
    for table in ("contract_amendment_versions", "contract_amendment_signatures"):
        op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON {table} FROM {app_user}")
    op.execute(f"REVOKE DELETE, TRUNCATE ON contract_amendments FROM {app_user}")


def downgrade() -> None:
    op.drop_table("contract_amendment_signatures")
    op.drop_table("contract_amendment_versions")
    op.drop_table("contract_amendments")
    op.drop_constraint(op.f("ck_contracts_supplementary_total_ok"), "contracts", type_="check")
    op.drop_column("contracts", "supplementary_total")
