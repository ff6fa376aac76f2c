"""When a procurement's oldest unanswered enquiry or objection is due, for the sweep.

Revision ID: 0015
Revises: 0012
Create Date: 2026-11-28 10:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "procurements", sa.Column("enquiry_answer_due", sa.DateTime(timezone=True), nullable=True)
    )
    # The sweep's narrow role reads it beside the other times (migration 0008).
    op.execute("GRANT SELECT (enquiry_answer_due) ON procurements TO sws_tendering_clock")


def downgrade() -> None:
    op.execute("REVOKE SELECT (enquiry_answer_due) ON procurements FROM sws_tendering_clock")
    op.drop_column("procurements", "enquiry_answer_due")
