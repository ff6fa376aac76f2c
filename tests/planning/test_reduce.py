"""The budget guard reduces a commitment to what must stay (a contract ended early keeps what
was paid): the rest goes back to the line, and the history stays."""

from __future__ import annotations

import uuid
from decimal import Decimal

import asyncpg
import pytest
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.audit import Actor
from services.kit.db import transaction
from services.kit.errors import InvalidField
from services.planning import service as planning
from tests.support.client import Client, Login
from tests.support.demo import GZ
from tests.support.planning import Planner

pytestmark = pytest.mark.usefixtures("demo")
ACTOR = Actor(user_id=None, tenant=GZ, request_id="reduce-test")


async def _committed(admin_db: asyncpg.Connection, line_id: uuid.UUID) -> Decimal:
    value = await admin_db.fetchval(
        "SELECT committed_amount FROM budget_lines WHERE id = $1", line_id
    )
    assert isinstance(value, Decimal)
    return value


async def test_a_commitment_is_reduced_then_released(
    client: Client,
    login: Login,
    sessionmaker: async_sessionmaker[AsyncSession],
    admin_db: asyncpg.Connection,
) -> None:
    budget = await Planner(client, login, GZ).approved_budget()
    line_id = uuid.UUID(budget["lines"][0]["id"])
    reference = uuid.uuid4()
    async with transaction(sessionmaker, GZ) as session:
        held = await planning.commit(
            session,
            ACTOR,
            line_id,
            Decimal("100000.00"),
            planning.CommitmentPurpose.contract,
            "contract",
            reference,
        )
    before = await _committed(admin_db, line_id)

    async with transaction(sessionmaker, GZ) as session:
        same = await planning.reduce(session, ACTOR, held.id, Decimal("100000.00"))
        assert same.id == held.id  # all of it stays: nothing changes
        kept = await planning.reduce(session, ACTOR, held.id, Decimal("40000.00"))
    assert kept.id != held.id and kept.amount == Decimal("40000.00")
    assert await _committed(admin_db, line_id) == before - Decimal("60000.00")
    rows = await admin_db.fetch(
        "SELECT amount, purpose, released_at IS NOT NULL AS released FROM budget_commitments"
        " WHERE reference_type = 'contract' AND reference_id = $1 ORDER BY created_at, amount",
        reference,
    )
    assert sorted((r["amount"], r["purpose"], r["released"]) for r in rows) == [
        (Decimal("40000.00"), "contract", False),
        (Decimal("100000.00"), "contract", True),
    ]

    with pytest.raises(InvalidField):
        async with transaction(sessionmaker, GZ) as session:
            await planning.reduce(session, ACTOR, kept.id, Decimal("40000.01"))
    async with transaction(sessionmaker, GZ) as session:
        released = await planning.reduce(session, ACTOR, kept.id, Decimal(0))
    assert released.id == kept.id and released.released_at is not None
    assert await _committed(admin_db, line_id) == before - Decimal("100000.00")
