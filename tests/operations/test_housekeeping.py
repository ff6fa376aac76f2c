"""The hourly purge: delivered outbox rows and old processed keys go, nothing else does."""

from __future__ import annotations

import uuid

import asyncpg
import pytest

from services.kit.db import transaction
from services.kit.jobs import JobContext
from services.operations import tasks
from tests.support.database import Sessions
from tests.support.demo import GZ, SZ

pytestmark = pytest.mark.usefixtures("demo")


async def _outbox_row(admin_db: asyncpg.Connection, tenant: str, sent: str | None) -> uuid.UUID:
    row_id = uuid.uuid4()
    await admin_db.execute(
        "INSERT INTO outbox (tenant_id, id, message_key, actor_name, queue_name, payload,"
        " available_at, sent_at, attempts)"
        " VALUES ($1, $2, $3, 'test.noop', 'default', '{}', now() - interval '40 days',"
        f" {sent or 'NULL'}, 0)",
        tenant,
        row_id,
        f"purge-test:{row_id}",
    )
    return row_id


async def _key(admin_db: asyncpg.Connection, tenant: str, age: str) -> str:
    key = f"purge-test:{uuid.uuid4()}"
    await admin_db.execute(
        "INSERT INTO processed_messages (tenant_id, message_key, actor_name, processed_at)"
        f" VALUES ($1, $2, 'test.noop', now() - interval '{age}')",
        tenant,
        key,
    )
    return key


async def test_the_purge_removes_only_what_was_delivered_long_ago(
    admin_db: asyncpg.Connection, sessionmaker: Sessions
) -> None:
    old_sent = [await _outbox_row(admin_db, t, "now() - interval '8 days'") for t in (GZ, SZ)]
    fresh_sent = await _outbox_row(admin_db, GZ, "now() - interval '1 hour'")
    pending = await _outbox_row(admin_db, GZ, None)
    old_keys = [await _key(admin_db, t, "31 days") for t in (GZ, SZ)]
    fresh_key = await _key(admin_db, GZ, "2 days")

    async with transaction(sessionmaker, "000000") as session:
        await tasks.purge_delivered(JobContext(session, "000000", "purge-test", None), {})

    left = {
        row["id"]
        for row in await admin_db.fetch(
            "SELECT id FROM outbox WHERE id = ANY($1::uuid[])",
            [*old_sent, fresh_sent, pending],
        )
    }
    assert left == {fresh_sent, pending}
    keys = {
        row["message_key"]
        for row in await admin_db.fetch(
            "SELECT message_key FROM processed_messages WHERE message_key = ANY($1::text[])",
            [*old_keys, fresh_key],
        )
    }
    assert keys == {fresh_key}


async def test_the_janitor_role_cannot_delete_a_pending_job_or_a_fresh_key(
    admin_db: asyncpg.Connection, app_db: asyncpg.Connection
) -> None:
    pending = await _outbox_row(admin_db, GZ, None)
    fresh_key = await _key(admin_db, GZ, "1 day")
    async with app_db.transaction():
        await app_db.execute("SET LOCAL ROLE sws_janitor")
        assert await app_db.execute("DELETE FROM outbox WHERE id = $1", pending) == "DELETE 0"
        deleted = await app_db.execute(
            "DELETE FROM processed_messages WHERE message_key = $1", fresh_key
        )
        assert deleted == "DELETE 0"
    assert await admin_db.fetchval("SELECT count(*) FROM outbox WHERE id = $1", pending) == 1
