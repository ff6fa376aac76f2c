"""The buyer marks a procurement technically complex (技术复杂、专业性强) or of wide social
impact (社会影响较大): either calls for the larger evaluation committee (财政部令第87号 art. 47)
whatever the budget, and the first lets the buyer choose experts (art. 48).

Revision ID: 0037
Revises: 0034
Create Date: 2026-12-07 00:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0037"
down_revision: str | None = "0034"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGS = ("technically_complex", "wide_social_impact")


def upgrade() -> None:
    # Existing procurements are unmarked: their committee size stays as it was drawn.
    for flag in FLAGS:
        op.add_column(
            "procurements",
            sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()),
        )


def downgrade() -> None:
    for flag in FLAGS:
        op.drop_column("procurements", flag)
