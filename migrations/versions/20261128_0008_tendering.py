"""Tendering: procurements and their transitions, invitations, public notices, enquiries,
bids, the expert pool, evaluation committees, scores and challenges.

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-28 08:11:36.117742
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "experts",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("specialities", postgresql.ARRAY(sa.String(length=64)), nullable=False),
        sa.Column("employer", sa.String(length=200), nullable=False),
        sa.Column("affiliated_provider_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_experts_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name=op.f("fk_experts_user_id_users")),
        sa.PrimaryKeyConstraint("tenant_id", "user_id", name=op.f("pk_experts")),
    )
    op.create_table(
        "procurements",
        sa.Column("ocid", sa.String(length=100), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("budget_line_id", sa.Uuid(), nullable=False),
        sa.Column("commitment_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("requirements", sa.Text(), nullable=False),
        sa.Column("method", sa.String(length=32), nullable=False),
        sa.Column("method_reason", sa.String(length=48), nullable=True),
        sa.Column("method_justification", sa.Text(), nullable=True),
        sa.Column("status", sa.String(length=32), nullable=False),
        sa.Column("budget_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("ceiling_price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("bid_security", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("qualification_criteria", postgresql.ARRAY(sa.Text()), nullable=False),
        sa.Column("criteria", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("enquiry_deadline", sa.DateTime(timezone=True), nullable=True),
        sa.Column("bid_deadline", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opening_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("documents_issued_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approved_by", sa.Uuid(), nullable=True),
        sa.Column("approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("approval_note", sa.Text(), nullable=True),
        sa.Column("committee_seed", sa.String(length=64), nullable=True),
        sa.Column("report_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("recommended_bid_id", sa.Uuid(), nullable=True),
        sa.Column("recommended_provider_id", sa.Uuid(), nullable=True),
        sa.Column("recommended_price", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("awarded_bid_id", sa.Uuid(), nullable=True),
        sa.Column("awarded_provider_id", sa.Uuid(), nullable=True),
        sa.Column("awarded_price", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("result_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("challenge_answer_due", sa.DateTime(timezone=True), nullable=True),
        sa.Column("warnings_sent", postgresql.ARRAY(sa.String(length=80)), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
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
        sa.CheckConstraint("bid_security >= 0", name=op.f("ck_procurements_security_ok")),
        sa.CheckConstraint(
            "ceiling_price > 0 AND ceiling_price <= budget_amount",
            name=op.f("ck_procurements_ceiling_ok"),
        ),
        sa.ForeignKeyConstraint(
            ["approved_by"], ["users.id"], name=op.f("fk_procurements_approved_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_procurements_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_procurements_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_procurements")),
    )
    op.create_index(
        "ix_procurements_tenant_project", "procurements", ["tenant_id", "project_id"], unique=False
    )
    op.create_index(
        "uq_procurements_tenant_ocid", "procurements", ["tenant_id", "ocid"], unique=True
    )
    op.create_index(
        "ix_procurements_tenant_status", "procurements", ["tenant_id", "status"], unique=False
    )
    op.create_table(
        "bids",
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("price_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("price", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("receipt", sa.String(length=64), nullable=False),
        sa.Column("submitted_by", sa.Uuid(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("withdrawn_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("total_score", sa.Numeric(precision=8, scale=2), nullable=True),
        sa.Column("rank", sa.Integer(), nullable=True),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_bids_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_bids_submitted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_bids_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_bids_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_bids")),
    )
    op.create_index(
        "ix_bids_tenant_procurement", "bids", ["tenant_id", "procurement_id"], unique=False
    )
    op.create_index(
        "uq_bids_live",
        "bids",
        ["tenant_id", "procurement_id", "provider_id"],
        unique=True,
        postgresql_where=sa.text("status = 'submitted'"),
    )
    op.create_table(
        "challenges",
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("grounds", sa.Text(), nullable=False),
        sa.Column("filed_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answer_due", sa.DateTime(timezone=True), nullable=False),
        sa.Column("outcome", sa.String(length=16), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_challenges_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_challenges_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_challenges_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_challenges_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_challenges")),
    )
    op.create_index(
        "ix_challenges_tenant_procurement",
        "challenges",
        ["tenant_id", "procurement_id"],
        unique=False,
    )
    op.create_table(
        "committee_members",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=24), nullable=False),
        sa.Column("scores_submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_committee_members_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_committee_members_tenant_id_tenants")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_committee_members_user_id_users")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "procurement_id", "user_id", name=op.f("pk_committee_members")
        ),
    )
    op.create_table(
        "enquiries",
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("question", sa.Text(), nullable=False),
        sa.Column(
            "asked_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("affects_bids", sa.Boolean(), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("answered_by", sa.Uuid(), nullable=True),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["answered_by"], ["users.id"], name=op.f("fk_enquiries_answered_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_enquiries_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_enquiries_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_enquiries_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_enquiries")),
    )
    op.create_index(
        "ix_enquiries_tenant_procurement",
        "enquiries",
        ["tenant_id", "procurement_id"],
        unique=False,
    )
    op.create_table(
        "notices",
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("title", sa.String(length=300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("data", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_notices_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_notices_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_notices")),
    )
    op.create_index(
        "ix_notices_tenant_published", "notices", ["tenant_id", "published_at"], unique=False
    )
    op.create_table(
        "procurement_invitations",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["provider_id"],
            ["providers.id"],
            name=op.f("fk_procurement_invitations_provider_id_providers"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_procurement_invitations_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.code"],
            name=op.f("fk_procurement_invitations_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "procurement_id", "provider_id", name=op.f("pk_procurement_invitations")
        ),
    )
    op.create_table(
        "procurement_transitions",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("from_status", sa.String(length=32), nullable=True),
        sa.Column("to_status", sa.String(length=32), nullable=False),
        sa.Column(
            "at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("by_user", sa.Uuid(), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["by_user"], ["users.id"], name=op.f("fk_procurement_transitions_by_user_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_procurement_transitions_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.code"],
            name=op.f("fk_procurement_transitions_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "procurement_id", "seq", name=op.f("pk_procurement_transitions")
        ),
    )
    op.create_table(
        "scores",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("user_id", sa.Uuid(), nullable=False),
        sa.Column("bid_id", sa.Uuid(), nullable=False),
        sa.Column("criterion", sa.String(length=100), nullable=False),
        sa.Column("score", sa.Numeric(precision=6, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_scores_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_scores_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "procurement_id", "user_id", "bid_id", "criterion", name=op.f("pk_scores")
        ),
    )

    op.create_table(
        "negotiation_rounds",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("final", sa.Boolean(), nullable=False),
        sa.Column("note", sa.Text(), nullable=True),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_by", sa.Uuid(), nullable=True),
        sa.ForeignKeyConstraint(
            ["opened_by"], ["users.id"], name=op.f("fk_negotiation_rounds_opened_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_negotiation_rounds_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_negotiation_rounds_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "procurement_id", "round", name=op.f("pk_negotiation_rounds")
        ),
    )
    op.create_table(
        "offers",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("procurement_id", sa.Uuid(), nullable=False),
        sa.Column("round", sa.Integer(), nullable=False),
        sa.Column("provider_id", sa.Uuid(), nullable=False),
        sa.Column("price", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("terms", sa.Text(), nullable=True),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("submitted_by", sa.Uuid(), nullable=False),
        sa.CheckConstraint("price > 0", name=op.f("ck_offers_price_positive")),
        sa.ForeignKeyConstraint(
            ["provider_id"], ["providers.id"], name=op.f("fk_offers_provider_id_providers")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_offers_submitted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "procurement_id"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_offers_procurement",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_offers_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "procurement_id", "round", "provider_id", name=op.f("pk_offers")
        ),
    )

    secure()


def downgrade() -> None:
    op.drop_table("offers")
    op.drop_table("negotiation_rounds")
    op.execute("DROP POLICY IF EXISTS tendering_clock_read ON procurements")
    op.drop_table("scores")
    op.drop_table("procurement_transitions")
    op.drop_table("procurement_invitations")
    op.drop_index("ix_notices_tenant_published", table_name="notices")
    op.drop_table("notices")
    op.drop_index("ix_enquiries_tenant_procurement", table_name="enquiries")
    op.drop_table("enquiries")
    op.drop_table("committee_members")
    op.drop_index("ix_challenges_tenant_procurement", table_name="challenges")
    op.drop_table("challenges")
    op.drop_index(
        "uq_bids_live", table_name="bids", postgresql_where=sa.text("status = 'submitted'")
    )
    op.drop_index("ix_bids_tenant_procurement", table_name="bids")
    op.drop_table("bids")
    op.drop_index("ix_procurements_tenant_status", table_name="procurements")
    op.drop_index("uq_procurements_tenant_ocid", table_name="procurements")
    op.drop_index("ix_procurements_tenant_project", table_name="procurements")
    op.drop_table("procurements")
    op.drop_table("experts")


TENANT_OWNED = [
    "negotiation_rounds",
    "offers",
    "experts",
    "procurements",
    "bids",
    "challenges",
    "committee_members",
    "enquiries",
    "notices",
    "procurement_invitations",
    "procurement_transitions",
    "scores",
]


def secure() -> None:
    """Row-level security on every table; published notices are public in every region; the
    chronograph's sweep reads due procurements of every region through a narrow role.

    The API's role gets its table grants from the default privileges of migration 0001;
    records (transitions, notices, bids, challenges) it may not delete.
    """
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")
    for table in ("procurement_transitions", "notices", "bids", "challenges"):
        op.execute(f"REVOKE DELETE, TRUNCATE ON {table} FROM {app_user}")
    for table in TENANT_OWNED:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
    # 公告 are for everyone: a provider searches every region's from one account, the public
    # reads them without signing in. Reading only; writing stays with the region.
    op.execute("CREATE POLICY public_notices ON notices FOR SELECT USING (true)")

    op.execute("""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sws_tendering_clock') THEN
            CREATE ROLE sws_tendering_clock NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"""
        DO $$ BEGIN
          IF current_setting('server_version_num')::int >= 160000 THEN
            EXECUTE 'GRANT sws_tendering_clock TO {app_user} WITH INHERIT FALSE';
          ELSE
            EXECUTE 'GRANT sws_tendering_clock TO {app_user}';
          END IF;
        END $$;
    """)
    op.execute("GRANT USAGE ON SCHEMA public TO sws_tendering_clock")
    # Which procurements wait for a moment that has come: ids, states and times, nothing else.
    op.execute(
        "GRANT SELECT (tenant_id, id, status, opening_at, report_at, confirmed_at,"
        " result_published_at, challenge_answer_due, warnings_sent)"
        " ON procurements TO sws_tendering_clock"
    )
    op.execute(
        "CREATE POLICY tendering_clock_read ON procurements FOR SELECT TO sws_tendering_clock"
        " USING (true)"
    )
