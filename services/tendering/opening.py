"""开标: at the opening time the bids are opened — or, too few for the law, the tender fails.

Run by the chronograph's job at the opening time; safe to run twice and refuses to run early
(the database's clock decides, as it does for the seals).
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import service as documents
from services.kit.audit import Actor, record
from services.kit.money import text
from services.kit.objects import ObjectType
from services.kit.settings import Settings
from services.tenancy import service as tenancy
from services.tendering import bids, consultation, events, notices, procurements, rules
from services.tendering.models import Bid, Procurement
from services.tendering.schemas import Method, NoticeKind, Status

# Tenders are evaluated by a committee; a negotiation's responses go to its rounds.
TENDERS = frozenset({Method.open_tender, Method.invited_tender})


async def open_bids(
    session: AsyncSession, settings: Settings, actor: Actor, procurement_id: uuid.UUID
) -> bool:
    """Open the procurement's bids if its time has come; True if this call acted."""
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status != Status.tendering:
        return False
    now = await session.scalar(select(func.now()))
    assert now is not None
    if now < procurement.opening_at:
        return False
    live = list(await bids.live_bids(session, procurement))
    legal = await rules.rules_for(session, actor.tenant)
    method = Method(procurement.method)
    needed = (
        legal.open_tender_min_bids
        if method in TENDERS
        else consultation.min_suppliers(legal, procurement)
    )
    if len(live) < needed:
        await fail(
            session,
            actor,
            procurement,
            live,
            f"截止时提交响应文件的供应商不足{needed}家（{len(live)}家）",
        )
        return True
    for bid in live:
        await documents.open_seal(session, actor, ObjectType.bid.value, bid.id)
        key = await documents.opened_key(
            session, settings, actor.tenant, ObjectType.bid.value, bid.id
        )
        bid.price = bids.open_price(key, actor.tenant, bid.id, bid.price_sealed)
    await session.flush()
    names = {
        p: (await tenancy.get_provider(session, p)).name for p in {b.provider_id for b in live}
    }
    record_lines = [f"{names[b.provider_id]}：{text(b.price or Decimal(0))}元" for b in live]
    await procurements.move(
        session,
        actor,
        procurement,
        # A tender's bids go to the buyer's qualification review first (review.py).
        Status.qualification_review if method in TENDERS else Status.negotiating,
        "开标",
        bidders=[{"provider": names[b.provider_id], "price": b.price} for b in live],
    )
    await _tell_bidders(
        session,
        actor,
        procurement,
        live,
        events.OPENING_RECORD.name,
        {"opened_at": now, "record": "\n".join(record_lines)},
    )
    return True


async def fail(
    session: AsyncSession, actor: Actor, procurement: Procurement, live: list[Bid], reason: str
) -> None:
    """废标: the failure notice is published and the money goes back (at the opening the
    bids stay sealed; after a review they were opened already)."""
    await procurements.move(session, actor, procurement, Status.failed, reason)
    await notices.publish(session, actor, procurement, NoticeKind.failure, {"reason": reason})
    await procurements.close_out(session, actor, procurement)
    await _tell_bidders(
        session, actor, procurement, live, events.TENDER_FAILED.name, {"reason": reason}
    )
    await record(
        session,
        actor,
        "procurement.tender_failed",
        "procurement",
        procurement.id,
        after={"bids": len(live)},
    )


async def _tell_bidders(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    live: list[Bid],
    event: str,
    extra: dict[str, object],
) -> None:
    bidders = dict.fromkeys(b.provider_id for b in live)
    await procurements.tell_providers(session, actor, procurement, bidders, event, extra)
