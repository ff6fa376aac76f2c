"""Bids: sealed until the opening, replaceable and withdrawable until the deadline.

A bid's price is encrypted (AES-GCM) under the data key of the bid's own seal — the same
seal that keeps its documents — so nobody can read it before the opening: not the buyer,
not an administrator, not someone with the database. Nobody but the bidder learns that a
bid exists before then. The deadline is the database server's clock, to the second.
"""

from __future__ import annotations

import hashlib
import os
import uuid
from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal

from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents import service as documents
from services.kit.audit import Actor, record
from services.kit.errors import DomainError, InvalidField, NotFound
from services.kit.money import money, text
from services.kit.objects import ObjectType
from services.kit.settings import Settings
from services.tenancy import service as tenancy
from services.tenancy.service import check_uscc
from services.tendering import credit_criteria, procurements, repository
from services.tendering.errors import (
    BidDeadlinePassed,
    NotEligible,
    PriceAboveCeiling,
    WrongState,
)
from services.tendering.models import Bid, Procurement
from services.tendering.schemas import BidStatus, Method, Status

NONCE = 12


def _aad(tenant: str, bid_id: uuid.UUID) -> bytes:
    return f"sws-bid-price|{tenant}|{bid_id}".encode()


def seal_price(key: bytes, tenant: str, bid_id: uuid.UUID, price: Decimal) -> bytes:
    nonce = os.urandom(NONCE)
    return nonce + AESGCM(key).encrypt(nonce, text(price).encode(), _aad(tenant, bid_id))


def open_price(key: bytes, tenant: str, bid_id: uuid.UUID, sealed: bytes) -> Decimal:
    plain = AESGCM(key).decrypt(sealed[:NONCE], sealed[NONCE:], _aad(tenant, bid_id))
    return Decimal(plain.decode())


def receipt_of(procurement: Procurement, bid: Bid) -> str:
    """回执: the hash a bidder keeps to prove what it sealed and when."""
    parts = [
        procurement.ocid,
        str(bid.id),
        str(bid.provider_id),
        bid.price_sealed.hex(),
        bid.submitted_at.isoformat(),
    ]
    return hashlib.sha256("|".join(parts).encode()).hexdigest()


async def _server_now(session: AsyncSession) -> datetime:
    """The database's clock at this moment (not the transaction's start)."""
    now: datetime | None = await session.scalar(select(func.clock_timestamp()))
    assert now is not None
    return now


async def _open_for_bids(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> tuple[Procurement, datetime]:
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status != Status.tendering:
        raise WrongState(f"The procurement is {procurement.status}; it takes no bids.")
    now = await _server_now(session)
    if now >= procurement.bid_deadline:
        raise BidDeadlinePassed(
            f"Bids closed at {procurement.bid_deadline.isoformat()}; "
            f"this one arrived at {now.isoformat()}."
        )
    return procurement, now


async def _check_eligible(session: AsyncSession, actor: Actor, procurement: Procurement) -> None:
    provider_id = actor.provider_id
    assert provider_id is not None
    if not await tenancy.is_registered(session, actor.tenant, provider_id):
        raise NotEligible("Register with this region (and be approved) before bidding.")
    provider = await tenancy.get_provider(session, provider_id)
    try:
        check_uscc(provider.uscc)
    except DomainError:
        raise NotEligible("The provider's 统一社会信用代码 is not valid.") from None
    if Method(procurement.method) is not Method.open_tender:
        invited = await procurements.invited_of(session, procurement)
        if provider_id not in invited and not await procurements.open_by_notice(
            session, procurement
        ):
            raise NotEligible("This procurement is by invitation, and you were not invited.")
    # The bars the documents apply, in their window (credit_criteria).
    await credit_criteria.check_provider(session, procurement, provider_id)


def _price(procurement: Procurement, price_text: str) -> Decimal:
    price = money(price_text)
    if price <= 0:
        raise PriceAboveCeiling("must be more than 0", field="price")
    if price > procurement.ceiling_price:
        raise PriceAboveCeiling(
            f"is above the ceiling price {text(procurement.ceiling_price)}", field="price"
        )
    check_fixed_price(procurement, price)
    return price


def check_fixed_price(procurement: Procurement, price: Decimal) -> None:
    """At a fixed price (固定价格采购, 财库〔2014〕214号 art. 24) the price is not competed: every
    response and offer is at the price the buyer fixed, its ceiling price."""
    if procurement.fixed_price and price != procurement.ceiling_price:
        raise InvalidField(
            f"must be the fixed price {text(procurement.ceiling_price)}: the price is not "
            "competed in a fixed-price purchase",
            field="price",
        )


async def submit(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    procurement_id: uuid.UUID,
    price_text: str,
) -> tuple[Bid, Procurement]:
    assert actor.user_id is not None and actor.provider_id is not None
    procurement, now = await _open_for_bids(session, actor, procurement_id)
    await _check_eligible(session, actor, procurement)
    price = _price(procurement, price_text)
    if await own_live_bid(session, actor, procurement.id) is not None:
        raise WrongState("You have a bid in this procurement already: replace or withdraw it.")
    bid_id = uuid.uuid4()
    key = await documents.sealing_key(
        session, settings, actor, ObjectType.bid, bid_id, procurement.opening_at
    )
    bid = Bid(
        tenant_id=actor.tenant,
        id=bid_id,
        procurement_id=procurement.id,
        provider_id=actor.provider_id,
        status=BidStatus.submitted.value,
        price_sealed=seal_price(key, actor.tenant, bid_id, price),
        receipt="",
        submitted_by=actor.user_id,
        submitted_at=now,
    )
    bid.receipt = receipt_of(procurement, bid)
    session.add(bid)
    await session.flush()
    # The audit names the bid and its receipt, never its price.
    await record(session, actor, "bid.submitted", "bid", bid.id, after={"receipt": bid.receipt})
    return bid, procurement


async def replace(
    session: AsyncSession,
    settings: Settings,
    actor: Actor,
    procurement_id: uuid.UUID,
    bid_id: uuid.UUID,
    price_text: str,
) -> tuple[Bid, Procurement]:
    """修改投标文件: a new sealed price and a new receipt, before the deadline."""
    procurement, now = await _open_for_bids(session, actor, procurement_id)
    bid = await _own(session, actor, procurement.id, bid_id)
    if bid.status != BidStatus.submitted:
        raise WrongState(f"The bid is {bid.status}.")
    await _check_eligible(session, actor, procurement)
    price = _price(procurement, price_text)
    key = await documents.sealing_key(
        session, settings, actor, ObjectType.bid, bid.id, procurement.opening_at
    )
    before = bid.receipt
    bid.price_sealed = seal_price(key, actor.tenant, bid.id, price)
    bid.submitted_at = now
    bid.receipt = receipt_of(procurement, bid)
    await session.flush()
    await record(
        session,
        actor,
        "bid.replaced",
        "bid",
        bid.id,
        before={"receipt": before},
        after={"receipt": bid.receipt},
    )
    return bid, procurement


async def withdraw(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, bid_id: uuid.UUID
) -> Bid:
    procurement, now = await _open_for_bids(session, actor, procurement_id)
    bid = await _own(session, actor, procurement.id, bid_id)
    if bid.status != BidStatus.submitted:
        raise WrongState(f"The bid is {bid.status}.")
    bid.status = BidStatus.withdrawn.value
    bid.withdrawn_at = now
    await session.flush()
    await record(session, actor, "bid.withdrawn", "bid", bid.id, after={"receipt": bid.receipt})
    return bid


async def _own(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, bid_id: uuid.UUID
) -> Bid:
    bid = await session.scalar(
        select(Bid)
        .where(
            Bid.tenant_id == actor.tenant,
            Bid.procurement_id == procurement_id,
            Bid.id == bid_id,
            Bid.provider_id == actor.provider_id,
        )
        .with_for_update()
    )
    if bid is None:
        raise NotFound("No such bid of yours.")
    return bid


async def own_live_bid(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID
) -> Bid | None:
    return await session.scalar(
        select(Bid).where(
            Bid.tenant_id == actor.tenant,
            Bid.procurement_id == procurement_id,
            Bid.provider_id == actor.provider_id,
            Bid.status == BidStatus.submitted.value,
        )
    )


async def own_bids(session: AsyncSession, actor: Actor, procurement_id: uuid.UUID) -> Sequence[Bid]:
    rows = await session.scalars(
        select(Bid)
        .where(
            Bid.tenant_id == actor.tenant,
            Bid.procurement_id == procurement_id,
            Bid.provider_id == actor.provider_id,
        )
        .order_by(Bid.submitted_at)
    )
    return rows.all()


async def live_bids(session: AsyncSession, procurement: Procurement) -> Sequence[Bid]:
    rows = await session.scalars(
        select(Bid)
        .where(repository.belongs_to(Bid, procurement), Bid.status == BidStatus.submitted.value)
        .order_by(Bid.submitted_at, Bid.id)
    )
    return rows.all()


async def participants(session: AsyncSession, procurement: Procurement) -> list[uuid.UUID]:
    """The providers taking part: a single source's one provider, else those with a live bid."""
    if procurement.method == Method.single_source:
        return await procurements.invited_of(session, procurement)
    return list(dict.fromkeys(bid.provider_id for bid in await live_bids(session, procurement)))


async def opened_bids(session: AsyncSession, procurement: Procurement) -> Sequence[Bid]:
    """The bids opened at the opening, valid or found invalid by the review since."""
    rows = await session.scalars(
        select(Bid)
        .where(
            repository.belongs_to(Bid, procurement),
            Bid.status.in_((BidStatus.submitted.value, BidStatus.invalid.value)),
            Bid.price.is_not(None),
        )
        .order_by(Bid.submitted_at, Bid.id)
    )
    return rows.all()
