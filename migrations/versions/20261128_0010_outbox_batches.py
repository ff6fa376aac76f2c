"""Outbox rows that must travel alone, and retries already spent by a row's job.

The relay packs due rows of one queue into batch messages; ``batchable`` false keeps a row
out of them (jobs that talk to the outside world), and ``retries`` > 0 marks a job that
failed inside a batch and comes back alone, its first retry already counted.

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-28 09:10:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "outbox",
        sa.Column("batchable", sa.Boolean(), server_default=sa.true(), nullable=False),
    )
    op.add_column(
        "outbox",
        sa.Column("retries", sa.Integer(), server_default=sa.text("0"), nullable=False),
    )


def downgrade() -> None:
    op.drop_column("outbox", "retries")
    op.drop_column("outbox", "batchable")
