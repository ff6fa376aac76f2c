"""Row-level security as PostgreSQL enforces it, below the API.

The repository's queries name their tenant; these tests check the second wall: the API's own
role, talking raw SQL, sees a tenant's rows only inside a transaction that named the tenant,
cannot rewrite the audit log, and cannot switch the checks off.
"""

from __future__ import annotations

import uuid

import asyncpg
import pytest
from sqlalchemy import text

from services.kit.db import bind_tenant, make_engine, make_sessionmaker, transaction
from services.kit.settings import Settings
from tests.support.demo import GZ

# Every table that holds a tenant's rows. The audit chain and its head are a tenant's too.
# The demo world: the rows RLS has to hide.
pytestmark = pytest.mark.usefixtures("demo")

TENANT_OWNED = [
    "organisations",
    "memberships",
    "provider_registrations",
    "audit_log",
    "audit_heads",
]


async def _tables_with_tenant_id(db: asyncpg.Connection) -> list[asyncpg.Record]:
    tables: list[asyncpg.Record] = await db.fetch(
        """
        SELECT c.relname AS name, c.relrowsecurity AS enabled, c.relforcerowsecurity AS forced,
               a.attnum AS tenant_attnum
          FROM pg_class c
          JOIN pg_namespace n ON n.oid = c.relnamespace
          JOIN pg_attribute a ON a.attrelid = c.oid AND a.attname = 'tenant_id'
                             AND NOT a.attisdropped
         WHERE n.nspname = 'public' AND c.relkind IN ('r', 'p')
         ORDER BY c.relname
        """
    )
    return tables


async def _no_tenant_set(db: asyncpg.Connection) -> None:
    assert await db.fetchval("SELECT current_setting('app.tenant_id', true)") in (None, "")


# --- (a) the schema: RLS on and forced, tenant_id first in every key ---------------------------


async def test_every_table_with_tenant_id_has_rls_enabled_and_forced(
    admin_db: asyncpg.Connection,
) -> None:
    tables = await _tables_with_tenant_id(admin_db)
    assert {t["name"] for t in tables} >= set(TENANT_OWNED)
    unprotected = [
        f"{t['name']}: enabled={t['enabled']} forced={t['forced']}"
        for t in tables
        if not (t["enabled"] and t["forced"])
    ]
    assert not unprotected, "\n".join(unprotected)


async def test_every_table_with_tenant_id_has_a_policy_on_app_tenant_id(
    admin_db: asyncpg.Connection,
) -> None:
    """Enabled RLS without a policy hides everything; the policy must read the tenant."""
    tables = {t["name"] for t in await _tables_with_tenant_id(admin_db)}
    covered = {
        row["tablename"]
        for row in await admin_db.fetch(
            "SELECT tablename FROM pg_policies WHERE schemaname = 'public' AND cmd = 'ALL'"
            " AND qual LIKE '%tenant_id%app.tenant_id%'"
            " AND with_check LIKE '%tenant_id%app.tenant_id%'"
        )
    }
    assert tables - covered == set()


# Indexes that serve a read across regions on purpose, each with its reason.
ACROSS_REGIONS = {
    # The national open-data feed pages every region's public releases by (published_at, id).
    "ix_open_data_releases_published",
    # Statistics: a provider's national count of regions (statistics_count_providers) reads
    # every region's rows of that provider and year.
    "ix_statistics_providers_year_provider",
    # Red flags: the ministry's list by year reads every region's (public) flags of that year.
    "ix_red_flags_year",
}


async def test_tenant_id_leads_the_primary_key_and_every_index(
    admin_db: asyncpg.Connection,
) -> None:
    """So every lookup and every uniqueness rule is per tenant (and partitions cleanly)."""
    wrong = []
    for table in await _tables_with_tenant_id(admin_db):
        indexes = await admin_db.fetch(
            """
            SELECT i.indexrelid::regclass::text AS name, i.indisprimary AS is_primary,
                   i.indkey[0] AS first_column
              FROM pg_index i
             WHERE i.indrelid = ('public.' || quote_ident($1))::regclass
            """,
            table["name"],
        )
        if not any(index["is_primary"] for index in indexes):
            wrong.append(f"{table['name']}: no primary key")
        wrong += [
            f"{table['name']}: {index['name']} does not start with tenant_id"
            for index in indexes
            if index["first_column"] != table["tenant_attnum"]
            and index["name"] not in ACROSS_REGIONS
        ]
    assert not wrong, "\n".join(wrong)


# --- (b), (c) what the API's role sees ---------------------------------------------------------


@pytest.mark.parametrize("table", TENANT_OWNED)
async def test_app_role_without_a_tenant_sees_no_rows(
    admin_db: asyncpg.Connection, app_db: asyncpg.Connection, table: str
) -> None:
    assert await admin_db.fetchval(f"SELECT count(*) FROM {table}") > 0  # there is data to hide
    async with app_db.transaction():
        await _no_tenant_set(app_db)
        assert await app_db.fetchval(f"SELECT count(*) FROM {table}") == 0


@pytest.mark.parametrize("table", TENANT_OWNED)
async def test_app_role_in_a_tenant_sees_exactly_that_tenants_rows(
    admin_db: asyncpg.Connection, app_db: asyncpg.Connection, table: str
) -> None:
    expected = await admin_db.fetchval(f"SELECT count(*) FROM {table} WHERE tenant_id = $1", GZ)
    assert expected > 0
    async with app_db.transaction():
        await app_db.execute(f"SET LOCAL app.tenant_id = '{GZ}'")
        seen = await app_db.fetch(f"SELECT tenant_id, count(*) AS n FROM {table} GROUP BY 1")
    assert {row["tenant_id"]: row["n"] for row in seen} == {GZ: expected}


async def test_app_role_cannot_write_a_row_into_another_tenant(app_db: asyncpg.Connection) -> None:
    """The WITH CHECK half: naming 广州 and inserting a 深圳 row is refused."""
    with pytest.raises(asyncpg.exceptions.InsufficientPrivilegeError):
        async with app_db.transaction():
            await app_db.execute(f"SET LOCAL app.tenant_id = '{GZ}'")
            await app_db.execute(
                "INSERT INTO organisations (tenant_id, id, kind, name, active)"
                " VALUES ('440300', $1, 'finance', 'RLS 越界', true)",
                uuid.uuid4(),
            )


async def test_app_role_does_not_inherit_the_authorizers_read_everything_role(
    app_db: asyncpg.Connection, settings: Settings
) -> None:
    """sws_authz may read every tenant's memberships. The API may become it for one
    transaction (SET LOCAL ROLE), but must not hold its rights all the time."""
    user = settings.app_db_user
    assert await app_db.fetchval("SELECT pg_has_role($1, 'sws_authz', 'MEMBER')", user)
    assert not await app_db.fetchval("SELECT pg_has_role($1, 'sws_authz', 'USAGE')", user)


# --- (d) the audit log only grows --------------------------------------------------------------

REWRITES = {
    "update": "UPDATE audit_log SET action = 'tampered'",
    "delete": "DELETE FROM audit_log",
    "truncate": "TRUNCATE audit_log",
    "delete head": "DELETE FROM audit_heads",
}


async def _attempt(db: asyncpg.Connection, *statements: str) -> Exception | None:
    """Run the statements in a transaction that is always rolled back: a rewrite that
    wrongly succeeds must not damage the chain other tests read."""
    transaction = db.transaction()
    await transaction.start()
    try:
        for statement in statements:
            await db.execute(statement)
    except asyncpg.PostgresError as exc:
        refusal: Exception = exc
        return refusal
    finally:
        await transaction.rollback()
    return None


@pytest.mark.parametrize("statement", REWRITES.values(), ids=REWRITES.keys())
async def test_app_role_cannot_rewrite_the_audit_log(
    app_db: asyncpg.Connection, statement: str
) -> None:
    # Name the tenant, so its rows are visible: the refusal must not be RLS hiding them.
    error = await _attempt(app_db, f"SET LOCAL app.tenant_id = '{GZ}'", statement)
    assert isinstance(error, asyncpg.exceptions.InsufficientPrivilegeError), error


@pytest.mark.parametrize("statement", list(REWRITES.values())[:3], ids=list(REWRITES)[:3])
async def test_even_the_owner_cannot_rewrite_the_audit_log(
    admin_db: asyncpg.Connection, statement: str
) -> None:
    """The trigger stops the schema owner too; only dropping it would not (and is DDL)."""
    assert await admin_db.fetchval("SELECT count(*) FROM audit_log") > 0  # the trigger has rows
    error = await _attempt(admin_db, statement)
    assert isinstance(error, asyncpg.exceptions.InsufficientPrivilegeError), error


# --- (e) the API's role has no way around RLS --------------------------------------------------


async def test_app_role_is_not_superuser_and_cannot_bypass_rls(
    admin_db: asyncpg.Connection, app_db: asyncpg.Connection, settings: Settings
) -> None:
    assert await app_db.fetchval("SELECT current_user") == settings.app_db_user
    for role in (settings.app_db_user, "sws_authz"):
        row = await admin_db.fetchrow(
            "SELECT rolsuper, rolbypassrls, rolcreaterole FROM pg_roles WHERE rolname = $1", role
        )
        assert row is not None, role
        assert dict(row) == {"rolsuper": False, "rolbypassrls": False, "rolcreaterole": False}


async def test_app_role_owns_nothing(admin_db: asyncpg.Connection, settings: Settings) -> None:
    """A table's owner is exempt from RLS unless forced, and may drop the policies."""
    user = settings.app_db_user
    tables = await admin_db.fetch("SELECT tablename FROM pg_tables WHERE tableowner = $1", user)
    assert [t["tablename"] for t in tables] == []
    owned = await admin_db.fetch(
        "SELECT c.relname FROM pg_class c JOIN pg_roles r ON r.oid = c.relowner"
        " JOIN pg_namespace n ON n.oid = c.relnamespace"
        " WHERE r.rolname = $1 AND n.nspname = 'public'",
        user,
    )
    assert [o["relname"] for o in owned] == []


# --- (f) the tenant setting dies with its transaction ------------------------------------------

SETTINGS_SQL = (
    "SELECT current_setting('app.tenant_id', true) AS tenant,"
    " current_setting('app.provider_id', true) AS provider"
)


@pytest.mark.parametrize("ending", ["commit", "rollback"])
async def test_tenant_setting_does_not_outlive_its_transaction(
    app_db: asyncpg.Connection, ending: str
) -> None:
    provider = str(uuid.uuid4())
    transaction = app_db.transaction()
    await transaction.start()
    await app_db.execute(
        "SELECT set_config('app.tenant_id', $1, true), set_config('app.provider_id', $2, true)",
        GZ,
        provider,
    )
    inside = await app_db.fetchrow(SETTINGS_SQL)
    await (transaction.commit() if ending == "commit" else transaction.rollback())
    after = await app_db.fetchrow(SETTINGS_SQL)
    assert dict(inside) == {"tenant": GZ, "provider": provider}
    assert after["tenant"] in (None, "")
    assert after["provider"] in (None, "")
    assert await app_db.fetchval("SELECT count(*) FROM organisations") == 0


async def test_a_session_wide_setting_would_leak(settings: Settings) -> None:
    """The control for the test above: is_local => false does outlive the transaction, so
    the check there can see a leak when there is one."""
    connection = await asyncpg.connect(settings.app_database_url.replace("+asyncpg", ""))
    try:
        async with connection.transaction():
            await connection.execute("SELECT set_config('app.tenant_id', $1, false)", GZ)
        assert await connection.fetchval("SELECT current_setting('app.tenant_id', true)") == GZ
    finally:
        await connection.close()


async def test_pooled_connection_comes_back_without_the_last_tenant(settings: Settings) -> None:
    """The API's own path: bind_tenant in one unit of work, then the next checkout of the
    very same pooled connection has no tenant."""
    engine = make_engine(settings.app_database_url, settings)
    sessionmaker = make_sessionmaker(engine)
    try:
        async with transaction(sessionmaker, GZ) as session:
            await bind_tenant(session, GZ, uuid.uuid4())
            first_pid = await session.scalar(text("SELECT pg_backend_pid()"))
            assert await session.scalar(text("SELECT count(*) FROM organisations")) > 0
        async with sessionmaker() as session:
            assert await session.scalar(text("SELECT pg_backend_pid()")) == first_pid
            row = (await session.execute(text(SETTINGS_SQL))).one()
            assert row.tenant in (None, "") and row.provider in (None, "")
            assert await session.scalar(text("SELECT count(*) FROM organisations")) == 0
    finally:
        await engine.dispose()
