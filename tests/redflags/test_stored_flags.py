"""Red flags kept like the statistics: a release written or a payment changed marks its region
dirty in the same transaction, the sweep queues one measure per dirty region, the measure
stores what the indicators say of the region's published records (and its payments' last days
to pay), a duplicated or replayed measure changes nothing, and the rebuild finds nothing to
correct. A payment unpaid past its last day to pay, or paid after it, is a late payment."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

import asyncpg
import dramatiq
import pytest

from services.contracts import service as contracts
from services.kit import workdays
from services.kit.db import transaction
from services.kit.jobs import run_once
from services.kit.settings import get_settings
from services.opendata import service as opendata
from services.redflags import reading, tasks
from services.redflags.indicators import Due, Flag, Process, flags
from services.redflags.measure import JOB
from services.redflags.rebuild import rebuild
from services.redflags.sweep import measure_key
from services.tendering import service as tendering
from tests.support.client import Client, Login, json_of
from tests.support.contracts import single_source_deal
from tests.support.database import Sessions
from tests.support.demo import GZ, ROLE_LOGINS, SZ
from tests.support.jobs import relay_and_run
from tests.support.redflags import awarded_at_ceiling, measured, single_valid_bid, sweep
from tests.support.tendering import Tenderer

pytestmark = pytest.mark.usefixtures("demo")

MINISTRY = ROLE_LOGINS["ministry_viewer"]


def seen(found: list[Flag]) -> list[tuple[Any, ...]]:
    """What a flag shows, comparable whatever its numbers' scale."""
    return sorted(
        (
            f.tenant,
            f.ocid,
            f.indicator.value,
            f.year,
            f.title,
            f.value.normalize(),
            f.threshold.normalize(),
            f.unit.value,
            f.supplier,
            f.amount.normalize() if f.amount is not None else None,
            f.instalment,
        )
        for f in found
    )


async def indicators_say(sessionmaker: Sessions, region: str) -> list[Flag]:
    """The indicators over the region's published records and payments, measured here."""
    async with transaction(sessionmaker, region) as session:
        records = [
            r for r in await opendata.published_records(session, region) if r.tenant == region
        ]
        ceilings = await tendering.published_ceilings(session, [r.procurement_id for r in records])
        ocids = {r.procurement_id: r.ocid for r in records}
        dues: dict[str, list[Due]] = defaultdict(list)
        for d in await contracts.payment_dues(session, region):
            if d.procurement_id in ocids:
                dues[ocids[d.procurement_id]].append(Due(d.instalment_seq, d.due, d.paid_on))
    settings = get_settings()
    processes = [
        Process(r.tenant, r.ocid, r.compiled, ceilings.get(r.procurement_id)) for r in records
    ]
    today = workdays.local_date(datetime.now(UTC))
    share = Decimal(settings.red_flag_winner_share_percent) / 100
    return flags(processes, share, settings.red_flag_winner_min_awards, dues, today)


async def stored(sessionmaker: Sessions, region: str) -> list[Flag]:
    async with transaction(sessionmaker, region) as session:
        return await reading.red_flags(session, region, reading.Filters(region=region))


async def rows_of(admin_db: asyncpg.Connection, region: str) -> list[dict[str, Any]]:
    rows = await admin_db.fetch(
        "SELECT * FROM red_flags WHERE tenant_id = $1 ORDER BY ocid, indicator, n", region
    )
    return [dict(row) for row in rows]


async def test_stored_flags_are_what_the_indicators_say(
    gz: Tenderer, sessionmaker: Sessions, broker: dramatiq.Broker
) -> None:
    single, ceiling = await single_valid_bid(gz), await awarded_at_ceiling(gz)
    await measured(sessionmaker, broker)
    kept = await stored(sessionmaker, GZ)
    assert {(f.ocid, f.indicator.value) for f in kept} >= {
        (single, "R018"),
        (ceiling, "price_at_ceiling"),
    }
    for region in (GZ, SZ):
        assert seen(await stored(sessionmaker, region)) == seen(
            await indicators_say(sessionmaker, region)
        )
    said: list[str] = []
    assert await rebuild(sessionmaker, [GZ, SZ], said.append) == 0, said


async def test_a_release_marks_its_region_and_the_sweep_measures_it(
    gz: Tenderer, sessionmaker: Sessions, broker: dramatiq.Broker, admin_db: asyncpg.Connection
) -> None:
    await measured(sessionmaker, broker)
    mark = await admin_db.fetchval("SELECT clock_timestamp()")
    ceiling = await awarded_at_ceiling(gz)  # its notices write releases, each marking 广州
    marked = await admin_db.fetchval(
        "SELECT marked_at FROM red_flags_dirty WHERE tenant_id = $1", GZ
    )
    assert marked is not None and marked > mark
    await relay_and_run(sessionmaker, broker)
    # Nothing measures 广州 before the sweep: no job queued, no flag stored.
    assert await queued_measures(admin_db, mark) == []
    assert ceiling not in {r["ocid"] for r in await rows_of(admin_db, GZ)}

    await sweep(sessionmaker)
    queued = await queued_measures(admin_db, mark)
    assert len(queued) == 1, queued
    payload = json.loads(queued[0]["payload"])
    assert queued[0]["message_key"] == measure_key(GZ, payload["marked_at"])

    await relay_and_run(sessionmaker, broker)
    flag = next(r for r in await rows_of(admin_db, GZ) if r["ocid"] == ceiling)
    assert (flag["indicator"], flag["value"]) == ("price_at_ceiling", Decimal("0.9914"))
    left = await admin_db.fetchval("SELECT count(*) FROM red_flags_dirty WHERE tenant_id = $1", GZ)
    assert left == 0


async def queued_measures(admin_db: asyncpg.Connection, since: Any) -> list[asyncpg.Record]:
    rows: list[asyncpg.Record] = await admin_db.fetch(
        "SELECT message_key, payload FROM outbox WHERE actor_name = $1 AND tenant_id = $2"
        " AND created_at > $3",
        JOB,
        GZ,
        since,
    )
    return rows


async def test_a_duplicated_or_replayed_measure_changes_nothing(
    gz: Tenderer, sessionmaker: Sessions, broker: dramatiq.Broker, admin_db: asyncpg.Connection
) -> None:
    await awarded_at_ceiling(gz)
    await measured(sessionmaker, broker)
    before = await rows_of(admin_db, GZ)
    assert before
    key = await admin_db.fetchval(
        "SELECT message_key FROM processed_messages WHERE tenant_id = $1 AND actor_name = $2"
        " ORDER BY processed_at DESC LIMIT 1",
        GZ,
        JOB,
    )
    assert key is not None
    # The same message delivered again, and a duplicate under a key of its own.
    assert not await run_once(tasks.red_flags_measure, JOB, GZ, key, {}, None, sessionmaker)
    for message_key in (key, f"{JOB}:{GZ}:duplicate-{uuid.uuid4()}"):
        await admin_db.execute(
            "INSERT INTO outbox (tenant_id, id, message_key, actor_name, queue_name, payload,"
            " available_at, attempts, batchable, retries)"
            " VALUES ($1, $2, $3, $4, 'default', $5::jsonb, now(), 0, true, 0)",
            GZ,
            uuid.uuid4(),
            message_key,
            JOB,
            json.dumps({}),
        )
    await measured(sessionmaker, broker)
    assert await rows_of(admin_db, GZ) == before  # not one row more, not one detected_at moved


async def late_payments(client: Client, login: Login, ocid: str) -> list[dict[str, Any]]:
    body = json_of(
        await client.get(
            "/v1/red-flags",
            headers=await login(MINISTRY),
            params={"region": GZ, "indicator": "late_payment"},
        )
    )
    return [f for f in body["flags"] if f["ocid"] == ocid]


async def test_late_payment_unpaid_past_its_day_or_paid_after_it(
    client: Client,
    login: Login,
    gz: Tenderer,
    sessionmaker: Sessions,
    broker: dramatiq.Broker,
    admin_db: asyncpg.Connection,
) -> None:
    deal = await single_source_deal(gz)
    await deal.signed()
    first = await deal.paid_first_instalment()  # paid today, within its 30 days
    second = await deal.confirmed_instalment(1, "中期服务报告.pdf")
    ocid = str((await deal.read())["ocid"])
    await measured(sessionmaker, broker)
    assert await late_payments(client, login, ocid) == []  # on time, and not yet due

    # As if a month had passed: the second instalment's last day to pay ended three days ago
    # and 广州 was last measured before it. No transaction marked 广州: the sweep does.
    await admin_db.execute(
        "UPDATE contract_payments SET pay_by = now() - interval '3 days' WHERE id = $1",
        uuid.UUID(second),
    )
    await admin_db.execute("DELETE FROM red_flags_dirty WHERE tenant_id = $1", GZ)
    await admin_db.execute(
        "UPDATE red_flags_measured SET measured_at = now() - interval '4 days'"
        " WHERE tenant_id = $1",
        GZ,
    )
    await sweep(sessionmaker)
    assert (
        await admin_db.fetchval("SELECT count(*) FROM red_flags_dirty WHERE tenant_id = $1", GZ)
        == 1
    )
    await measured(sessionmaker, broker)
    [late] = await late_payments(client, login, ocid)
    due = workdays.local_date(datetime.now(UTC) - timedelta(days=3))
    assert (late["name"], late["instalment"], late["unit"]) == ("逾期支付", 2, "days")
    assert (late["value"], late["threshold"], late["year"]) == ("3", "0", due.year)
    assert late["supplier"] and late["amount"] is None
    assert late["record_url"].endswith(f"/v1/open-data/{GZ}/records?ocid={ocid}")
    # Measured today after the day passed: the next sweep does not mark 广州 for it again.
    await sweep(sessionmaker)
    assert (
        await admin_db.fetchval("SELECT count(*) FROM red_flags_dirty WHERE tenant_id = $1", GZ)
        == 0
    )

    # The first instalment, paid today, had until five days ago: paid late, by five days.
    await admin_db.execute(
        "UPDATE contract_payments SET pay_by = now() - interval '5 days' WHERE id = $1",
        uuid.UUID(first["id"]),
    )
    await measured(sessionmaker, broker)  # the change marked 广州 itself
    by_instalment = {f["instalment"]: f["value"] for f in await late_payments(client, login, ocid)}
    assert by_instalment == {1: "5", 2: "3"}
    said: list[str] = []
    assert await rebuild(sessionmaker, [GZ], said.append) == 0, said
