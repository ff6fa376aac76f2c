"""Two procurements racing for the money of one budget line, on a real server (granian):
the loser's 409 quotes what is left after the winner, and names the field it sent."""

from __future__ import annotations

import asyncio
import time
from decimal import Decimal

import asyncpg
import httpx

from bench.server import Granian
from services.kit.settings import Settings
from tests.support.client import Client, Login
from tests.support.database import Sessions
from tests.support.demo import GZ
from tests.support.planning import COSTED_TOTAL
from tests.support.tendering import Tenderer, procurement_body

AMOUNT = Decimal("200000.00")  # two of them do not fit on one line of COSTED_TOTAL


async def _waiting_on_the_line(admin_db: asyncpg.Connection, count: int) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        waiting = await admin_db.fetchval(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query LIKE 'UPDATE budget_lines%'"
        )
        if waiting >= count:
            return
        await asyncio.sleep(0.05)
    raise AssertionError(f"{count} requests never queued for the budget line")


async def test_the_loser_of_a_race_is_told_what_is_left_after_the_winner(
    api_server: Granian,
    client: Client,
    login: Login,
    admin_db: asyncpg.Connection,
    sessionmaker: Sessions,
    settings: Settings,
) -> None:
    gz = Tenderer(client, login, admin_db, sessionmaker, settings, GZ)
    line = await gz.line()
    body = {"budget_amount": str(AMOUNT), "ceiling_price": "190000.00", "bid_security": "3800.00"}
    headers = await gz.as_("civil_affairs_officer")
    # Hold the line's row so that both requests read it, then queue behind one another.
    holder = await asyncpg.connect(settings.admin_database_url.replace("+asyncpg", ""))
    async with httpx.AsyncClient(base_url=api_server.base_url, trust_env=False, timeout=60) as http:
        try:
            transaction = holder.transaction()
            await transaction.start()
            await holder.execute(
                "SELECT 1 FROM budget_lines WHERE tenant_id = $1 AND id = $2::uuid FOR UPDATE",
                GZ,
                line,
            )
            racing = [
                asyncio.create_task(
                    http.post(gz.base, headers=headers, json=procurement_body(line, **body))
                )
                for _ in range(2)
            ]
            await _waiting_on_the_line(admin_db, 2)
            await transaction.rollback()
            responses = await asyncio.gather(*racing)
        finally:
            await holder.close()
    by_status = {response.status_code: response for response in responses}
    assert sorted(by_status) == [201, 409], [r.text for r in responses]
    refused = by_status[409].json()
    left = f"{Decimal(COSTED_TOTAL) - AMOUNT:.2f}"
    assert refused["code"] == "budget_exceeded"
    assert refused["available"] == left
    assert left in refused["detail"]
    assert refused["errors"] == [{"field": "budget_amount", "message": refused["detail"]}]
