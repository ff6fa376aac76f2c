"""Competitive consultation (竞争性磋商, 财库〔2014〕214号): a procurement may be at a fixed
price, scoring no price (art. 24), and may ask finance to approve a price weight outside the
10–30 % services take (art. 24), carried by the approval of the method.

Revision ID: 0041
Revises: 0037
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0041"
down_revision: str | None = "0037"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

FLAGS = ("fixed_price", "price_weight_outside_range")


def upgrade() -> None:
    # Existing procurements are priced and within the weights their method allowed.
    for flag in FLAGS:
        op.add_column(
            "procurements",
            sa.Column(flag, sa.Boolean(), nullable=False, server_default=sa.false()),
        )


def downgrade() -> None:
    for flag in FLAGS:
        op.drop_column("procurements", flag)
