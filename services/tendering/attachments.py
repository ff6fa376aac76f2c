"""Documents on tendering's objects: a bid's documents are its provider's, sealed by the
server until the procurement's opening; a tender's documents are the buyer's, and its open
ones are offered to providers once the procurement is published."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import Select, Uuid, column, func, or_, select, true
from sqlalchemy.dialects.postgresql import JSONB
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents.service import SealPolicy, register_object_type
from services.kit.audit import Actor
from services.kit.errors import NotFound
from services.kit.objects import ObjectType
from services.tendering.errors import BidDeadlinePassed, WrongState
from services.tendering.models import Bid, Procurement
from services.tendering.schemas import BidStatus, Status
from services.tendering.selection_models import SupplierSelection


async def _bid_owner(session: AsyncSession, actor: Actor, object_id: uuid.UUID) -> uuid.UUID | None:
    """Only the bidder attaches to its bid (投标文件 are the bidder's own)."""
    if actor.provider_id is None:
        raise NotFound()
    owner = await session.scalar(
        select(Bid.provider_id).where(Bid.tenant_id == actor.tenant, Bid.id == object_id)
    )
    if owner is None:
        raise NotFound()
    return owner


async def _bid_sealed_until(session: AsyncSession, actor: Actor, bid_id: uuid.UUID) -> datetime:
    """A live bid takes documents until the bid deadline (the database's clock, as for the bid
    itself); they stay sealed until the procurement's opening, read here, not from the client."""
    row = (
        await session.execute(
            select(
                Bid.status,
                Procurement.status.label("procurement_status"),
                Procurement.bid_deadline,
                Procurement.opening_at,
                func.clock_timestamp().label("now"),
            )
            .join(
                Procurement,
                (Procurement.tenant_id == Bid.tenant_id) & (Procurement.id == Bid.procurement_id),
            )
            .where(Bid.tenant_id == actor.tenant, Bid.id == bid_id)
        )
    ).first()
    if row is None:
        raise NotFound("No such bid.")
    if row.status != BidStatus.submitted:
        raise WrongState(f"The bid is {row.status}; it takes no documents.")
    if row.procurement_status != Status.tendering:
        raise WrongState(f"The procurement is {row.procurement_status}; bids take no documents.")
    if row.now >= row.bid_deadline:
        raise BidDeadlinePassed(
            f"Bids closed at {row.bid_deadline.isoformat()}; "
            f"this document arrived at {row.now.isoformat()}."
        )
    opening_at: datetime = row.opening_at
    return opening_at


async def _tender(session: AsyncSession, actor: Actor, object_id: uuid.UUID) -> uuid.UUID | None:
    found = await session.scalar(
        select(Procurement.id).where(
            Procurement.tenant_id == actor.tenant, Procurement.id == object_id
        )
    )
    if found is None:
        raise NotFound()
    return None


# The bid's seal is the one its price is sealed under: the opening (opening.open_bids) opens it.
register_object_type(
    ObjectType.bid, owner=_bid_owner, seal=SealPolicy(_bid_sealed_until, opened_by_owner=True)
)
# Before publication the tender's documents are the buyer's drafts; cancelled, they are no
# longer offered.
_UNPUBLISHED = (
    Status.draft,
    Status.single_source_notice,
    Status.awaiting_approval,
    Status.approved,
    Status.cancelled,
)


def _offered_tenders(actor: Actor) -> Select[Any]:
    """The procurements whose open tender documents (招标文件, 谈判/磋商文件) a provider obtains
    once published (实施条例 art. 31, 87号令 art. 24): to anyone where the procurement is open
    to all, and only to the invitees where its suppliers were drawn or recommended."""
    invited = select(SupplierSelection.procurement_id).where(
        SupplierSelection.tenant_id == Procurement.tenant_id,
        SupplierSelection.procurement_id == Procurement.id,
        func.cardinality(SupplierSelection.invited) > 0,
    )
    invitee = select(SupplierSelection.procurement_id).where(
        SupplierSelection.tenant_id == Procurement.tenant_id,
        SupplierSelection.procurement_id == Procurement.id,
        SupplierSelection.invited.contains([actor.provider_id]),
    )
    return select(Procurement.id).where(
        Procurement.tenant_id == actor.tenant,
        Procurement.status.not_in([s.value for s in _UNPUBLISHED]),
        or_(~invited.exists(), invitee.exists()),
    )


def _recommendations(actor: Actor) -> Select[Any]:
    """Written recommendations (书面推荐, 74号令 art. 12) stay the buyer's: they are published
    with the result, not offered with the documents."""
    named = func.jsonb_array_elements(SupplierSelection.recommendations).table_valued(
        column("value", JSONB)
    )
    ids = func.jsonb_array_elements_text(named.c.value["document_ids"]).table_valued("value")
    return (
        select(func.cast(ids.c.value, Uuid))
        .select_from(SupplierSelection)
        .join(named, true())
        .join(ids, true())
        .where(SupplierSelection.tenant_id == actor.tenant)
    )


# A tender's confidential parts, such as its reserve price (标底), are sealed on request; its
# open documents are offered to providers once it is published.
register_object_type(
    ObjectType.tender,
    owner=_tender,
    sealable=True,
    shared_with_providers=_offered_tenders,
    withheld=_recommendations,
)
