"""Qualification and compliance review after a tender's opening: each bid's verdicts.

Revision ID: 0031
Revises: 0030
Create Date: 2026-12-06 22:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0031"
down_revision: str | None = "0030"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # 资格审查 (the buyer) and 符合性审查 (the committee); an invalid bid keeps its reason.
    op.add_column("bids", sa.Column("qualified", sa.Boolean(), nullable=True))
    op.add_column("bids", sa.Column("qualification_reason", sa.Text(), nullable=True))
    op.add_column("bids", sa.Column("compliant", sa.Boolean(), nullable=True))
    op.add_column("bids", sa.Column("compliance_reason", sa.Text(), nullable=True))
    op.create_check_constraint(
        op.f("ck_bids_review_reasons"),
        "bids",
        "(qualified IS DISTINCT FROM false OR qualification_reason IS NOT NULL)"
        " AND (compliant IS DISTINCT FROM false OR compliance_reason IS NOT NULL)",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_bids_review_reasons"), "bids", type_="check")
    for column in ("compliance_reason", "compliant", "qualification_reason", "qualified"):
        op.drop_column("bids", column)
