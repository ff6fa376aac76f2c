"""Jobs: the outbox, processed-message keys, dead letters, the chronograph's schedule.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-28 05:48:01.070687
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "dead_letters",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("tenant_code", sa.String(length=6), nullable=False),
        sa.Column("message_key", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("queue_name", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column("error", sa.Text(), nullable=False),
        sa.Column("retries", sa.Integer(), nullable=False),
        sa.Column(
            "failed_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False
        ),
        sa.Column("replayed_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_dead_letters")),
    )
    op.create_index(
        op.f("ix_dead_letters_tenant_code"), "dead_letters", ["tenant_code"], unique=False
    )
    op.create_table(
        "outbox",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("message_key", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column("queue_name", sa.String(length=100), nullable=False),
        sa.Column("payload", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("request_id", sa.String(length=128), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.Column("available_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("tenant_id", "id", name=op.f("pk_outbox")),
    )
    op.create_index(
        "ix_outbox_tenant_unsent",
        "outbox",
        ["tenant_id", "available_at"],
        unique=False,
        postgresql_where=sa.text("sent_at IS NULL"),
    )
    op.create_table(
        "processed_messages",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("message_key", sa.String(length=200), nullable=False),
        sa.Column("actor_name", sa.String(length=100), nullable=False),
        sa.Column(
            "processed_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("now()"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("tenant_id", "message_key", name=op.f("pk_processed_messages")),
    )
    op.create_table(
        "schedule_runs",
        sa.Column("task", sa.String(length=100), nullable=False),
        sa.Column("last_tick_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("task", name=op.f("pk_schedule_runs")),
    )

    secure()


def downgrade() -> None:
    op.drop_table("schedule_runs")
    op.drop_table("processed_messages")
    op.drop_index(
        "ix_outbox_tenant_unsent", table_name="outbox", postgresql_where=sa.text("sent_at IS NULL")
    )
    op.drop_table("outbox")
    op.drop_index(op.f("ix_dead_letters_tenant_code"), table_name="dead_letters")
    op.drop_table("dead_letters")


def secure() -> None:
    """RLS on the tenant-owned tables; the relay reads every tenant's outbox as sws_relay."""
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain lower-case SQL identifier")
    for table in ("outbox", "processed_messages"):
        op.execute(f"ALTER TABLE {table} ENABLE ROW LEVEL SECURITY")
        op.execute(f"ALTER TABLE {table} FORCE ROW LEVEL SECURITY")
        op.execute(f"""
            CREATE POLICY tenant_isolation ON {table}
            USING (tenant_id = current_setting('app.tenant_id', true))
            WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
        """)
    op.execute("""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'sws_relay') THEN
            CREATE ROLE sws_relay NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    # Usable only through SET LOCAL ROLE, never inherited. PostgreSQL 16 keeps inheritance per
    # grant (the role's NOINHERIT only sets the default for new grants), so say it there.
    op.execute(f"""
        DO $$ BEGIN
          IF current_setting('server_version_num')::int >= 160000 THEN
            EXECUTE 'GRANT sws_relay TO {app_user} WITH INHERIT FALSE';
          ELSE
            EXECUTE 'GRANT sws_relay TO {app_user}';
          END IF;
        END $$;
    """)
    op.execute("GRANT USAGE ON SCHEMA public TO sws_relay")
    op.execute("GRANT SELECT, UPDATE ON outbox TO sws_relay")
    op.execute("CREATE POLICY relay_all ON outbox FOR ALL TO sws_relay USING (true)")
    # Processed keys and dead letters are records: the API role adds, never rewrites.
    op.execute(f"REVOKE UPDATE ON processed_messages FROM {app_user}")
