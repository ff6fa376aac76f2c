"""Planning: needs declarations and their versions, the project library (assessment, cost
lines, targets), annual budgets with lines and funding sources, and budget commitments.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-28 07:51:54.711158
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "budgets",
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("submissions", sa.Integer(), nullable=False),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_budgets_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"], ["users.id"], name=op.f("fk_budgets_decided_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"], ["users.id"], name=op.f("fk_budgets_submitted_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_budgets_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_budgets")),
    )
    op.create_index("ix_budgets_tenant_year", "budgets", ["tenant_id", "fiscal_year"], unique=False)
    op.create_table(
        "needs_declarations",
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("first_submitted_at", sa.DateTime(timezone=True), nullable=True),
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
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_needs_declarations_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "organisation_id"],
            ["organisations.tenant_id", "organisations.id"],
            name="fk_needs_declarations_organisation",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_needs_declarations_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_needs_declarations")),
    )
    op.create_index(
        "ix_needs_declarations_tenant_organisation",
        "needs_declarations",
        ["tenant_id", "organisation_id"],
        unique=False,
    )
    op.create_index(
        "ix_needs_declarations_tenant_status",
        "needs_declarations",
        ["tenant_id", "status", "fiscal_year"],
        unique=False,
    )
    op.create_table(
        "projects",
        sa.Column("fiscal_year", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("programme_area", sa.String(length=32), nullable=False),
        sa.Column("target_groups", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("estimated_beneficiaries", sa.Integer(), nullable=False),
        sa.Column("rationale", sa.Text(), nullable=False),
        sa.Column("service_months", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("origin", sa.String(length=16), nullable=False),
        sa.Column("estimated_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("withdrawn_reason", sa.Text(), nullable=True),
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
        sa.CheckConstraint(
            "estimated_amount >= 0", name=op.f("ck_projects_estimated_amount_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_projects_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_projects_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_projects")),
    )
    op.create_index(
        "ix_projects_tenant_area", "projects", ["tenant_id", "programme_area"], unique=False
    )
    op.create_index(
        "ix_projects_tenant_year_status",
        "projects",
        ["tenant_id", "fiscal_year", "status"],
        unique=False,
    )
    op.create_table(
        "budget_lines",
        sa.Column("budget_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("requested_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("approved_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.Column("cut_reason", sa.Text(), nullable=True),
        sa.Column("committed_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "approved_amount IS NULL"
            " OR (approved_amount >= 0 AND approved_amount <= requested_amount)",
            name=op.f("ck_budget_lines_approved_within_requested"),
        ),
        sa.CheckConstraint(
            "committed_amount >= 0 AND committed_amount <= coalesce(approved_amount, 0)",
            name=op.f("ck_budget_lines_committed_within_approved"),
        ),
        sa.CheckConstraint("requested_amount > 0", name=op.f("ck_budget_lines_requested_positive")),
        sa.ForeignKeyConstraint(
            ["tenant_id", "budget_id"],
            ["budgets.tenant_id", "budgets.id"],
            name="fk_budget_lines_budget",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["projects.tenant_id", "projects.id"],
            name="fk_budget_lines_project",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_budget_lines_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_budget_lines")),
    )
    op.create_index(
        "ix_budget_lines_tenant_budget", "budget_lines", ["tenant_id", "budget_id"], unique=False
    )
    op.create_index(
        "uq_budget_lines_tenant_project", "budget_lines", ["tenant_id", "project_id"], unique=True
    )
    op.create_table(
        "needs_assessments",
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("survey_method", sa.Text(), nullable=False),
        sa.Column("survey_period", sa.String(length=100), nullable=False),
        sa.Column("sample_size", sa.Integer(), nullable=True),
        sa.Column("findings", sa.Text(), nullable=False),
        sa.Column("conclusion", sa.Text(), nullable=False),
        sa.Column("assessed_by", sa.Uuid(), nullable=False),
        sa.Column(
            "assessed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["assessed_by"], ["users.id"], name=op.f("fk_needs_assessments_assessed_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["projects.tenant_id", "projects.id"],
            name="fk_needs_assessments_project",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_needs_assessments_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_needs_assessments")),
    )
    op.create_index(
        "uq_needs_assessments_tenant_project",
        "needs_assessments",
        ["tenant_id", "project_id"],
        unique=True,
    )
    op.create_table(
        "needs_declaration_versions",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("programme_area", sa.String(length=32), nullable=False),
        sa.Column("target_groups", postgresql.ARRAY(sa.String(length=32)), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("street", sa.String(length=200), nullable=True),
        sa.Column("estimated_beneficiaries", sa.Integer(), nullable=False),
        sa.Column("requested_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("justification", sa.Text(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=False),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("submitted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("submitted_by", sa.Uuid(), nullable=True),
        sa.Column("decision", sa.String(length=16), nullable=True),
        sa.Column("decision_comment", sa.Text(), nullable=True),
        sa.Column("decided_by", sa.Uuid(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["users.id"],
            name=op.f("fk_needs_declaration_versions_created_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["decided_by"],
            ["users.id"],
            name=op.f("fk_needs_declaration_versions_decided_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["submitted_by"],
            ["users.id"],
            name=op.f("fk_needs_declaration_versions_submitted_by_users"),
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "declaration_id"],
            ["needs_declarations.tenant_id", "needs_declarations.id"],
            name="fk_needs_declaration_versions_declaration",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"],
            ["tenants.code"],
            name=op.f("fk_needs_declaration_versions_tenant_id_tenants"),
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "declaration_id", "version", name=op.f("pk_needs_declaration_versions")
        ),
    )
    op.create_table(
        "project_cost_lines",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("category", sa.String(length=32), nullable=False),
        sa.Column("description", sa.String(length=200), nullable=False),
        sa.Column("staff_level", sa.String(length=32), nullable=True),
        sa.Column("quantity", sa.Numeric(precision=12, scale=2), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("unit_cost", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.CheckConstraint("quantity > 0", name=op.f("ck_project_cost_lines_quantity_positive")),
        sa.CheckConstraint(
            "unit_cost >= 0", name=op.f("ck_project_cost_lines_unit_cost_not_negative")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["projects.tenant_id", "projects.id"],
            name="fk_project_cost_lines_project",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_project_cost_lines_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "project_id", "line_no", name=op.f("pk_project_cost_lines")
        ),
    )
    op.create_table(
        "project_declarations",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("declaration_id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("organisation_id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "declaration_id"],
            ["needs_declarations.tenant_id", "needs_declarations.id"],
            name="fk_project_declarations_declaration",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["projects.tenant_id", "projects.id"],
            name="fk_project_declarations_project",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_project_declarations_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "declaration_id", name=op.f("pk_project_declarations")
        ),
    )
    op.create_index(
        "ix_project_declarations_tenant_organisation",
        "project_declarations",
        ["tenant_id", "organisation_id"],
        unique=False,
    )
    op.create_index(
        "ix_project_declarations_tenant_project",
        "project_declarations",
        ["tenant_id", "project_id"],
        unique=False,
    )
    op.create_table(
        "project_targets",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("line_no", sa.Integer(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("unit", sa.String(length=20), nullable=False),
        sa.Column("target_value", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.ForeignKeyConstraint(
            ["tenant_id", "project_id"],
            ["projects.tenant_id", "projects.id"],
            name="fk_project_targets_project",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_project_targets_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "project_id", "line_no", name=op.f("pk_project_targets")
        ),
    )
    op.create_table(
        "budget_commitments",
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("purpose", sa.String(length=16), nullable=False),
        sa.Column("reference_type", sa.String(length=32), nullable=False),
        sa.Column("reference_id", sa.Uuid(), nullable=False),
        sa.Column("created_by", sa.Uuid(), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("released_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("amount > 0", name=op.f("ck_budget_commitments_amount_positive")),
        sa.ForeignKeyConstraint(
            ["created_by"], ["users.id"], name=op.f("fk_budget_commitments_created_by_users")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "line_id"],
            ["budget_lines.tenant_id", "budget_lines.id"],
            name="fk_budget_commitments_line",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_budget_commitments_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_budget_commitments")),
    )
    op.create_index(
        "ix_budget_commitments_tenant_line",
        "budget_commitments",
        ["tenant_id", "line_id"],
        unique=False,
    )
    op.create_index(
        "ix_budget_commitments_tenant_reference",
        "budget_commitments",
        ["tenant_id", "reference_type", "reference_id"],
        unique=False,
    )
    op.create_table(
        "budget_line_sources",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("line_id", sa.Uuid(), nullable=False),
        sa.Column("source", sa.String(length=32), nullable=False),
        sa.Column("requested_amount", sa.Numeric(precision=14, scale=2), nullable=False),
        sa.Column("approved_amount", sa.Numeric(precision=14, scale=2), nullable=True),
        sa.CheckConstraint(
            "approved_amount IS NULL OR approved_amount >= 0",
            name=op.f("ck_budget_line_sources_approved_ok"),
        ),
        sa.CheckConstraint(
            "requested_amount > 0", name=op.f("ck_budget_line_sources_requested_positive")
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id", "line_id"],
            ["budget_lines.tenant_id", "budget_lines.id"],
            name="fk_budget_line_sources_line",
        ),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name=op.f("fk_budget_line_sources_tenant_id_tenants")
        ),
        sa.PrimaryKeyConstraint(
            "tenant_id", "line_id", "source", name=op.f("pk_budget_line_sources")
        ),
    )

    secure()


def downgrade() -> None:
    op.drop_table("budget_line_sources")
    op.drop_index("ix_budget_commitments_tenant_reference", table_name="budget_commitments")
    op.drop_index("ix_budget_commitments_tenant_line", table_name="budget_commitments")
    op.drop_table("budget_commitments")
    op.drop_table("project_targets")
    op.drop_index("ix_project_declarations_tenant_project", table_name="project_declarations")
    op.drop_index("ix_project_declarations_tenant_organisation", table_name="project_declarations")
    op.drop_table("project_declarations")
    op.drop_table("project_cost_lines")
    op.drop_table("needs_declaration_versions")
    op.drop_index("uq_needs_assessments_tenant_project", table_name="needs_assessments")
    op.drop_table("needs_assessments")
    op.drop_index("uq_budget_lines_tenant_project", table_name="budget_lines")
    op.drop_index("ix_budget_lines_tenant_budget", table_name="budget_lines")
    op.drop_table("budget_lines")
    op.drop_index("ix_projects_tenant_year_status", table_name="projects")
    op.drop_index("ix_projects_tenant_area", table_name="projects")
    op.drop_table("projects")
    op.drop_index("ix_needs_declarations_tenant_status", table_name="needs_declarations")
    op.drop_index("ix_needs_declarations_tenant_organisation", table_name="needs_declarations")
    op.drop_table("needs_declarations")
    op.drop_index("ix_budgets_tenant_year", table_name="budgets")
    op.drop_table("budgets")


TENANT_OWNED = [
    "budgets",
    "needs_declarations",
    "projects",
    "budget_lines",
    "needs_assessments",
    "needs_declaration_versions",
    "project_cost_lines",
    "project_declarations",
    "project_targets",
    "budget_commitments",
    "budget_line_sources",
]


def secure() -> None:
    """Row-level security on every table: a region reads and writes only its own rows.

    The API's role gets its table grants from the default privileges of migration 0001.
    """
    for table in TENANT_OWNED:
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
