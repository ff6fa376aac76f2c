"""A failed open tender with exactly two valid bids goes on as a competitive negotiation with
those two (财政部令第74号 art. 27, 87号令 art. 43(2)): the new procurement names the failed one
it continues (once per failed tender), and its supplier selection is the continuation's — the
two valid bidders, no pool, no draw.

Revision ID: 0040
Revises: 0037
Create Date: 2026-12-07 09:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0040"
down_revision: str | None = "0038"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SOURCES = ("prequalification", "library", "recommendations", "notice")


def _sources(*more: str) -> str:
    names = ", ".join(f"'{name}'" for name in (*SOURCES, *more))
    return f"source IN ({names})"


def upgrade() -> None:
    op.add_column("procurements", sa.Column("continues_from", sa.Uuid(), nullable=True))
    # In the same region: RLS already keeps both rows to the tenant.
    op.create_foreign_key(
        "fk_procurements_continues_from",
        "procurements",
        "procurements",
        ["tenant_id", "continues_from"],
        ["tenant_id", "id"],
    )
    # One continuation per failed tender, whatever two requests race.
    op.create_index(
        "uq_procurements_continues_from",
        "procurements",
        ["tenant_id", "continues_from"],
        unique=True,
        postgresql_where=sa.text("continues_from IS NOT NULL"),
    )
    op.drop_constraint(
        op.f("ck_supplier_selections_source_known"), "supplier_selections", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_supplier_selections_source_known"),
        "supplier_selections",
        _sources("continuation"),
    )


def downgrade() -> None:
    op.execute("DELETE FROM supplier_selections WHERE source = 'continuation'")
    op.drop_constraint(
        op.f("ck_supplier_selections_source_known"), "supplier_selections", type_="check"
    )
    op.create_check_constraint(
        op.f("ck_supplier_selections_source_known"), "supplier_selections", _sources()
    )
    op.drop_index("uq_procurements_continues_from", table_name="procurements")
    op.drop_constraint("fk_procurements_continues_from", "procurements", type_="foreignkey")
    op.drop_column("procurements", "continues_from")
