"""A narrow role that may delete only what has long been delivered.

The outbox keeps every sent row and every job its processed key; both grow without end. The
hourly purge deletes, across every region, outbox rows sent long ago and processed keys long
past any redelivery, as ``sws_janitor``: NOLOGIN, no BYPASSRLS, usable only through
``SET LOCAL ROLE``, and its policies admit only rows older than a floor (a day for sent rows,
a week for keys) — a mistaken or hostile call cannot delete a pending job or a fresh key.

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-28 09:40:00.000000
"""

import os
import re
from collections.abc import Sequence

from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _app_user() -> str:
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")
    return app_user


def upgrade() -> None:
    app_user = _app_user()
    op.execute("""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sws_janitor') THEN
            CREATE ROLE sws_janitor NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"""
        DO $$ BEGIN
          IF current_setting('server_version_num')::int >= 160000 THEN
            EXECUTE 'GRANT sws_janitor TO {app_user} WITH INHERIT FALSE';
          ELSE
            EXECUTE 'GRANT sws_janitor TO {app_user}';
          END IF;
        END $$;
    """)
    op.execute("GRANT USAGE ON SCHEMA public TO sws_janitor")
    op.execute("GRANT SELECT (tenant_id, id, sent_at), DELETE ON outbox TO sws_janitor")
    op.execute(
        "GRANT SELECT (tenant_id, message_key, processed_at), DELETE"
        " ON processed_messages TO sws_janitor"
    )
    op.execute("""
        CREATE POLICY janitor_sent ON outbox FOR ALL TO sws_janitor
        USING (sent_at < now() - interval '1 day')
    """)
    op.execute("""
        CREATE POLICY janitor_processed ON processed_messages FOR ALL TO sws_janitor
        USING (processed_at < now() - interval '7 days')
    """)


def downgrade() -> None:
    op.execute("DROP POLICY janitor_processed ON processed_messages")
    op.execute("DROP POLICY janitor_sent ON outbox")
    op.execute("REVOKE ALL ON processed_messages FROM sws_janitor")
    op.execute("REVOKE ALL ON outbox FROM sws_janitor")
    op.execute("REVOKE USAGE ON SCHEMA public FROM sws_janitor")
    op.execute(f"REVOKE sws_janitor FROM {_app_user()}")
    op.execute("DROP ROLE sws_janitor")
