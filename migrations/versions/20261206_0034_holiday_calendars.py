"""The holiday calendar as platform data: years a platform administrator entered.

Revision ID: 0034
Revises: 0036
Create Date: 2026-12-06 23:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0034"
down_revision: str | None = "0036"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Platform data, like tenants: no region owns a year, so no tenant_id and no RLS. Every
    # transaction reads its stamp (services.kit.db.bind_tenant), narrow roles included.
    op.create_table(
        "holiday_calendars",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("holidays", postgresql.ARRAY(sa.Date()), nullable=False),
        sa.Column("workdays", postgresql.ARRAY(sa.Date()), nullable=False),
        sa.Column("notice_no", sa.String(length=100), nullable=False),
        sa.Column("entered_by", sa.Uuid(), nullable=False),
        sa.Column("entered_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["entered_by"], ["users.id"], name=op.f("fk_holiday_calendars_entered_by_users")
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_holiday_calendars")),
        sa.CheckConstraint("year BETWEEN 2000 AND 2100", name=op.f("ck_holiday_calendars_year")),
    )
    op.execute("GRANT SELECT ON holiday_calendars TO PUBLIC")
    # A year some deadline fell in while nobody had entered it: the platform administrators
    # are told once per year, whichever process or region met it first.
    op.create_table(
        "holiday_calendar_gaps",
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("region", sa.String(length=6), nullable=False),
        sa.Column(
            "noted_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.PrimaryKeyConstraint("year", name=op.f("pk_holiday_calendar_gaps")),
    )


def downgrade() -> None:
    op.drop_table("holiday_calendar_gaps")
    op.drop_table("holiday_calendars")
