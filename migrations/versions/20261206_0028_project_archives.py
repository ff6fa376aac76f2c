"""Project archives (项目档案): one row per build of a project's file, with its progress and
manifest; the archive's sweep role; an index of the audit chain by object.

Revision ID: 0028
Revises: 0027
Create Date: 2026-12-06 21:00:00.000000
"""

import os
import re
from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import JSONB

revision: str = "0028"
down_revision: str | None = "0027"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TS = sa.DateTime(timezone=True)
CLOCK = "sws_archive_clock"


def upgrade() -> None:
    op.create_table(
        "project_archives",
        sa.Column("tenant_id", sa.String(length=6), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("project_id", sa.Uuid(), nullable=False),
        sa.Column("state_key", sa.String(length=64), nullable=False),
        sa.Column("trigger", sa.String(length=24), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("requested_by", sa.Uuid(), sa.ForeignKey("users.id"), nullable=True),
        sa.Column("requested_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("started_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("updated_at", TS, server_default=sa.func.now(), nullable=False),
        sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("files_total", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("files_done", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("bytes_total", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("bytes_done", sa.BigInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("percent", sa.Integer(), server_default=sa.text("0"), nullable=False),
        sa.Column("storage_key", sa.String(length=300), nullable=False),
        sa.Column("upload_id", sa.String(length=1024), nullable=True),
        sa.Column("size", sa.BigInteger(), nullable=True),
        sa.Column("sha256", sa.String(length=64), nullable=True),
        sa.Column("audit_seq", sa.BigInteger(), nullable=True),
        sa.Column("audit_hash", sa.String(length=64), nullable=True),
        sa.Column("manifest", JSONB(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("status IN ('queued', 'building', 'ready', 'failed')", name="status"),
        sa.CheckConstraint("percent BETWEEN 0 AND 100", name="percent"),
        sa.ForeignKeyConstraint(
            ["tenant_id"], ["tenants.code"], name="fk_project_archives_tenant_id"
        ),
        sa.PrimaryKeyConstraint("tenant_id", "id", name="pk_project_archives"),
    )
    # One archive per project state: the same request again finds it (idempotent).
    op.create_index(
        "uq_project_archives_state",
        "project_archives",
        ["tenant_id", "project_id", "state_key"],
        unique=True,
    )
    op.create_index(
        "ix_project_archives_tenant_requested", "project_archives", ["tenant_id", "requested_at"]
    )
    op.execute("ALTER TABLE project_archives ENABLE ROW LEVEL SECURITY")
    op.execute("ALTER TABLE project_archives FORCE ROW LEVEL SECURITY")
    op.execute("""
        CREATE POLICY tenant_isolation ON project_archives
        USING (tenant_id = current_setting('app.tenant_id', true))
        WITH CHECK (tenant_id = current_setting('app.tenant_id', true))
    """)
    app_user = os.environ.get("APP_DB_USER", "sws_app")
    if not re.fullmatch(r"[a-z_][a-z0-9_]{0,62}", app_user):
        raise ValueError("APP_DB_USER must be a plain role name")
    # Archives are kept: no route deletes one, and the application role cannot either.
    op.execute(f"REVOKE DELETE, TRUNCATE ON project_archives FROM {app_user}")

    # The audit trail of a project's objects, read when its file is assembled.
    op.create_index("ix_audit_log_tenant_object", "audit_log", ["tenant_id", "object_id"])

    # The archive's sweep: which projects completed and which procurements ended, in every
    # region — ids, states and times only (the contracts clock's pattern, migration 0019).
    op.execute(f"""
        DO $$ BEGIN
          IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = '{CLOCK}') THEN
            CREATE ROLE {CLOCK} NOLOGIN NOBYPASSRLS;
          END IF;
        END $$;
    """)
    op.execute(f"""
        DO $$ BEGIN
          IF current_setting('server_version_num')::int >= 160000 THEN
            EXECUTE 'GRANT {CLOCK} TO {app_user} WITH INHERIT FALSE';
          ELSE
            EXECUTE 'GRANT {CLOCK} TO {app_user}';
          END IF;
        END $$;
    """)
    op.execute(f"GRANT USAGE ON SCHEMA public TO {CLOCK}")
    op.execute(f"GRANT SELECT (tenant_id, id, status, updated_at) ON projects TO {CLOCK}")
    op.execute(f"CREATE POLICY archive_clock_read ON projects FOR SELECT TO {CLOCK} USING (true)")
    op.execute(
        f"GRANT SELECT (tenant_id, project_id, status, updated_at) ON procurements TO {CLOCK}"
    )
    op.execute(
        f"CREATE POLICY archive_clock_read ON procurements FOR SELECT TO {CLOCK} USING (true)"
    )
    # The region of an archive, by its id alone: what `verify-archive <id>` needs to bind the
    # transaction to its tenant, and nothing more.
    op.execute(f"GRANT SELECT (tenant_id, id) ON project_archives TO {CLOCK}")
    op.execute(
        f"CREATE POLICY archive_clock_read ON project_archives FOR SELECT TO {CLOCK} USING (true)"
    )
    op.execute("""
        CREATE FUNCTION archive_tenant(p_archive uuid) RETURNS text
        LANGUAGE sql STABLE SECURITY DEFINER
        SET search_path = pg_catalog, pg_temp
        AS $$ SELECT a.tenant_id::text FROM public.project_archives a WHERE a.id = p_archive $$
    """)
    op.execute(f"ALTER FUNCTION archive_tenant(uuid) OWNER TO {CLOCK}")
    op.execute("REVOKE ALL ON FUNCTION archive_tenant(uuid) FROM PUBLIC")
    op.execute(f"GRANT EXECUTE ON FUNCTION archive_tenant(uuid) TO {app_user}")


def downgrade() -> None:
    op.execute("DROP FUNCTION IF EXISTS archive_tenant(uuid)")
    op.execute("DROP POLICY IF EXISTS archive_clock_read ON procurements")
    op.execute("DROP POLICY IF EXISTS archive_clock_read ON projects")
    op.execute(f"REVOKE ALL ON procurements FROM {CLOCK}")
    op.execute(f"REVOKE ALL ON projects FROM {CLOCK}")
    op.drop_index("ix_audit_log_tenant_object", table_name="audit_log")
    op.drop_table("project_archives")
