"""Red flags kept as the chronograph and the worker keep them (the sweep's tick, then the
measures it queued), and two scripted procurements that raise flags."""

from __future__ import annotations

import uuid

import dramatiq

from services.kit.db import PLATFORM_TENANT
from services.kit.jobs import run_once
from services.redflags import tasks
from services.redflags.sweep import SWEEP
from tests.support.client import json_of
from tests.support.database import Sessions
from tests.support.jobs import relay_and_run
from tests.support.tendering import Tenderer


async def sweep(sessionmaker: Sessions) -> None:
    """What the chronograph's tick does every minute: queue a measure per dirty region."""
    tick = f"tick:{SWEEP}:test-{uuid.uuid4()}"
    assert await run_once(
        tasks.red_flags_sweep, SWEEP, PLATFORM_TENANT, tick, {}, None, sessionmaker
    )


async def measured(sessionmaker: Sessions, broker: dramatiq.Broker) -> None:
    """Every queued job run (the releases' own among them), then the sweep and its measures."""
    await relay_and_run(sessionmaker, broker)
    await sweep(sessionmaker)
    await relay_and_run(sessionmaker, broker)


async def single_valid_bid(gz: Tenderer) -> str:
    """An open tender whose buyer finds two of its three bids unqualified: it fails (政府采购法
    art. 36) with one valid bid. The ocid."""
    procurement = await gz.published()
    pid = procurement["id"]
    for price in ("300000", "310000", "320000"):
        await gz.bid(pid, await gz.bidder(), price)
    await gz.open_now(pid, await gz.closed(pid))
    officer = await gz.as_("civil_affairs_officer")
    verdicts = (await gz.review_of(pid, officer))["verdicts"]
    invalid = {v["bid_id"]: "营业执照已过期" for v in verdicts[:2]}
    json_of(await gz.review(pid, "qualification", officer, invalid))
    return str(procurement["ocid"])


async def awarded_at_ceiling(gz: Tenderer) -> str:
    """An open tender whose bids all sit just under the ceiling of 350000.00: the winner's
    347000.00 is 99.14 % of it. The ocid."""
    procurement = await gz.published()
    pid = procurement["id"]
    for price in ("347000", "348000", "349000"):
        await gz.bid(pid, await gz.bidder(), price)
    await gz.open_now(pid, await gz.closed(pid))
    await gz.qualified(pid)
    await gz.scored_by_committee(pid)
    await gz.award_and_publish(pid)
    return str(procurement["ocid"])
