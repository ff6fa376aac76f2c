"""Seals that their procedure opens itself, and seals withheld for good.

A tender's bids open at the opening only if the tender stands: the tendering context opens
their seals (no timed job of the documents context, no sweep), and when the tender fails
(废标) it withholds them — the bids are never opened, and the database refuses it to anyone.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-28 09:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# The guard of migration 0003, with the two new rules first.
GUARD = """
    CREATE OR REPLACE FUNCTION guard_document_seal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.released_at IS NOT NULL OR NEW.withheld_at IS NOT NULL THEN
          RAISE EXCEPTION 'a document seal is made closed' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF OLD.released_at IS NOT NULL THEN
        RAISE EXCEPTION 'document seal %/% is opened and cannot change',
          OLD.object_type, OLD.object_id USING ERRCODE = 'check_violation';
      END IF;
      IF OLD.withheld_at IS NOT NULL THEN
        RAISE EXCEPTION 'document seal %/% is withheld and never opens',
          OLD.object_type, OLD.object_id USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.opened_by_owner IS DISTINCT FROM OLD.opened_by_owner THEN
        RAISE EXCEPTION 'who opens a document seal is fixed when it is made'
          USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.withheld_at IS NOT NULL AND NEW.released_at IS NOT NULL THEN
        RAISE EXCEPTION 'a document seal is either opened or withheld'
          USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.wrapped_key IS DISTINCT FROM OLD.wrapped_key
         OR NEW.master_key_id IS DISTINCT FROM OLD.master_key_id
         OR (NEW.tenant_id, NEW.object_type, NEW.object_id)
            IS DISTINCT FROM (OLD.tenant_id, OLD.object_type, OLD.object_id) THEN
        RAISE EXCEPTION 'a document seal keeps its key and procedure'
          USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.released_at IS NOT NULL AND NEW.released_at < NEW.sealed_until THEN
        RAISE EXCEPTION 'document seal %/% cannot open before %',
          OLD.object_type, OLD.object_id, NEW.sealed_until USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.released_at IS NOT NULL AND NEW.released_at > now() THEN
        RAISE EXCEPTION 'document seal opening time is in the future'
          USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.sealed_until IS DISTINCT FROM OLD.sealed_until AND NEW.sealed_until <= now() THEN
        RAISE EXCEPTION 'document seal time cannot move into the past'
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
"""


# Migration 0003's guard, for the way back.
PREVIOUS_GUARD = """
    CREATE OR REPLACE FUNCTION guard_document_seal() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
      IF TG_OP = 'INSERT' THEN
        IF NEW.released_at IS NOT NULL THEN
          RAISE EXCEPTION 'a document seal is made closed' USING ERRCODE = 'check_violation';
        END IF;
        RETURN NEW;
      END IF;
      IF OLD.released_at IS NOT NULL THEN
        RAISE EXCEPTION 'document seal %/% is opened and cannot change',
          OLD.object_type, OLD.object_id USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.wrapped_key IS DISTINCT FROM OLD.wrapped_key
         OR NEW.master_key_id IS DISTINCT FROM OLD.master_key_id
         OR (NEW.tenant_id, NEW.object_type, NEW.object_id)
            IS DISTINCT FROM (OLD.tenant_id, OLD.object_type, OLD.object_id) THEN
        RAISE EXCEPTION 'a document seal keeps its key and procedure'
          USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.released_at IS NOT NULL AND NEW.released_at < NEW.sealed_until THEN
        RAISE EXCEPTION 'document seal %/% cannot open before %',
          OLD.object_type, OLD.object_id, NEW.sealed_until USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.released_at IS NOT NULL AND NEW.released_at > now() THEN
        RAISE EXCEPTION 'document seal opening time is in the future'
          USING ERRCODE = 'check_violation';
      END IF;
      IF NEW.sealed_until IS DISTINCT FROM OLD.sealed_until AND NEW.sealed_until <= now() THEN
        RAISE EXCEPTION 'document seal time cannot move into the past'
          USING ERRCODE = 'check_violation';
      END IF;
      RETURN NEW;
    END $$;
"""


def upgrade() -> None:
    op.add_column(
        "document_seals",
        sa.Column("opened_by_owner", sa.Boolean(), server_default=sa.false(), nullable=False),
    )
    op.add_column(
        "document_seals", sa.Column("withheld_at", sa.DateTime(timezone=True), nullable=True)
    )
    op.execute(GUARD)
    # The sweep skips what its owner opens, and what is withheld.
    op.execute("GRANT SELECT (opened_by_owner, withheld_at) ON document_seals TO sws_seal_opener")


def downgrade() -> None:
    op.execute(
        "REVOKE SELECT (opened_by_owner, withheld_at) ON document_seals FROM sws_seal_opener"
    )
    op.execute(PREVIOUS_GUARD)
    op.drop_column("document_seals", "withheld_at")
    op.drop_column("document_seals", "opened_by_owner")
