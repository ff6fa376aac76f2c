"""Payments (拨付) of signed contracts: the region's payment setting, the requests against the
instalments, their funding-source split, and the guard that keeps them within the price.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 19:30:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

MONEY = sa.Numeric(14, 2)
TS = sa.DateTime(timezone=True)
ZERO = sa.text("0")


def _isolate(table: str, *, provider_reads: bool) -> None:
    op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
    op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
    op.execute(f"""
        CREATE POLICY tenant_isolation ON {table}
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)
    if provider_reads:
        op.execute(f"""
            CREATE POLICY provider_own_rows ON {table} FOR SELECT
            USING (EXISTS (
                SELECT 1 FROM contracts c
                 WHERE c.tenant_id = {table}.tenant_id AND c.id = {table}.contract_id
                   AND c.provider_id::text = current_setting('app.provider_id', true)
            ))
        """)


def upgrade() -> None:
    # The guard: what is requested (and not returned) never passes the instalment, nor the
    # price, whatever races — raised only by a conditional UPDATE
    # (services.contracts.payment_guard).
    op.add_column(
        "contracts", sa.Column("requested_total", MONEY, server_default=ZERO, nullable=False)
    )
    op.create_check_constraint(
        op.f("ck_contracts_requested_within_price"),
        "contracts",
        "requested_total >= 0 AND requested_total <= price",
    )
    # The acceptance (结项验收) releases the final instalment; a later step sets it.
    op.add_column("contracts", sa.Column("accepted_at", TS, nullable=True))
    op.add_column(
        "contract_instalments",
        sa.Column("requested_total", MONEY, server_default=ZERO, nullable=False),
    )
    op.create_check_constraint(
        op.f("ck_contract_instalments_requested_within_amount"),
        "contract_instalments",
        "requested_total >= 0 AND requested_total <= amount",
    )

    op.create_table(
        "contract_payment_settings",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("payment_days", sa.Integer(), nullable=False),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("updated_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.CheckConstraint(
            "mode IN ('treasury', 'finance_approval')",
            name=op.f("ck_contract_payment_settings_mode"),
        ),
        # 保障中小企业款项支付条例 art. 8: within 30 days, at most 60 by agreement.
        sa.CheckConstraint(
            "payment_days BETWEEN 1 AND 60", name=op.f("ck_contract_payment_settings_days")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name="fk_contract_payment_settings_tenant_id"
        ),
        sa.PrimaryKeyConstraint("tenant_id", name="pk_contract_payment_settings"),
    )
    op.create_table(
        "contract_payments",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("instalment_seq", sa.Integer(), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("mode", sa.String(length=16), nullable=False),
        sa.Column("payee_provider_id", sa.Uuid(), nullable=False),
        sa.Column("evidence", JSONB(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("requested_at", TS, nullable=False),
        sa.Column("requested_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("confirmed_at", TS, nullable=True),
        sa.Column("confirmed_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("confirmation_note", sa.Text(), nullable=True),
        sa.Column("pay_by", TS, nullable=True),
        sa.Column("approved_at", TS, nullable=True),
        sa.Column("approved_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("approval_note", sa.Text(), nullable=True),
        sa.Column("returned_at", TS, nullable=True),
        sa.Column("returned_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("returned_party", sa.String(length=8), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("paid_on", sa.Date(), nullable=True),
        sa.Column("paid_at", TS, nullable=True),
        sa.Column("paid_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("voucher", sa.String(length=64), nullable=True),
        sa.Column("warnings_sent", JSONB(), server_default=sa.text("'[]'::jsonb"), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_contract_payments_amount_positive")),
        sa.CheckConstraint(
            "status IN ('requested', 'confirmed', 'approved', 'paid', 'returned')",
            name=op.f("ck_contract_payments_status"),
        ),
        sa.CheckConstraint(
            "mode IN ('treasury', 'finance_approval')", name=op.f("ck_contract_payments_mode")
        ),
        sa.CheckConstraint(
            "returned_party IS NULL OR returned_party IN ('buyer', 'finance')",
            name=op.f("ck_contract_payments_returned_party"),
        ),
        sa.CheckConstraint(
            "(status = 'paid') = (paid_on IS NOT NULL AND voucher IS NOT NULL)",
            name=op.f("ck_contract_payments_paid"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id", "instalment_seq"],
            [
                "contract_instalments.tenant_id",
                "contract_instalments.contract_id",
                "contract_instalments.seq",
            ],
            name="fk_contract_payments_instalment",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "contract_id"],
            ["contracts.tenant_id", "contracts.id"],
            name="fk_contract_payments_contract",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name="fk_contract_payments_tenant_id"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_contract_payments"),
    )
    op.create_index(
        "ix_contract_payments_contract", "contract_payments", ["tenant_id", "contract_id"]
    )
    op.create_table(
        "contract_payment_sources",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("payment_id", sa.Uuid(), nullable=False),
        sa.Column("contract_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("amount", MONEY, nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_contract_payment_sources_amount_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "payment_id"],
            ["contract_payments.tenant_id", "contract_payments.id"],
            name="fk_contract_payment_sources_payment",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name="fk_contract_payment_sources_tenant_id"
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "payment_id", "source", name="pk_contract_payment_sources"
        ),
    )
    _isolate("contract_payment_settings", provider_reads=False)
    _isolate("contract_payments", provider_reads=True)
    _isolate("contract_payment_sources", provider_reads=True)

    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    # A payment is a record: it changes state, never disappears; its split never changes.
    op.execute(f"REVOKE DELETE, TRUNCATE ON contract_payments FROM {app_user}")
    op.execute(f"REVOKE UPDATE, DELETE, TRUNCATE ON contract_payment_sources FROM {app_user}")
    op.execute(f"REVOKE DELETE, TRUNCATE ON contract_payment_settings FROM {app_user}")

    # The contracts' clock (role of migration 0019) reads, in every region, the payments owed
    # and the instalments not asked for: ids, states and days only, in their own queries.
    op.execute(
        "GRANT SELECT (tenant_id, id, contract_id, status, mode, pay_by, warnings_sent)"
        " ON contract_payments TO sws_contracts_clock"
    )
    op.execute(
        "CREATE POLICY contract_payments_clock_read ON contract_payments FOR SELECT"
        " TO sws_contracts_clock USING (true)"
    )
    op.execute(
        "GRANT SELECT (tenant_id, contract_id, seq, due_on, requested_total)"
        " ON contract_instalments TO sws_contracts_clock"
    )
    op.execute(
        "CREATE POLICY contract_instalments_clock_read ON contract_instalments FOR SELECT"
        " TO sws_contracts_clock USING (true)"
    )


def downgrade() -> None:
    op.execute("DROP POLICY IF EXISTS contract_instalments_clock_read ON contract_instalments")
    op.execute("REVOKE ALL ON contract_instalments FROM sws_contracts_clock")
    op.drop_table("contract_payment_sources")
    op.drop_index("ix_contract_payments_contract", table_name="contract_payments")
    op.drop_table("contract_payments")
    op.drop_table("contract_payment_settings")
    # Their CHECK constraints go with the columns.
    op.drop_column("contract_instalments", "requested_total")
    op.drop_column("contracts", "accepted_at")
    op.drop_column("contracts", "requested_total")
