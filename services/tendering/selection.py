"""Who is invited to an invited tender or a negotiation: never the buyer's free choice.

Invited tender (政府采购法 art. 34, 87号令 art. 14): the invitees are drawn at random from a
qualified pool — the providers found qualified after a prequalification notice
(prequalification.py), the province's supplier library (supplier_library.py: its entries
active and valid today in the programme area the buyer names, of those registered and approved
here, not barred today) or the buyer's written recommendations. A library entry not registered
here is left out rather than invited: bids.py takes bids only from providers registered and
approved here, and an invitation waiting on a registration the city may refuse would invite
fewer than the draw says. A library's or recommendations' pool holds at least twice the number
drawn; at least two of the buyer's staff witness the draw, and the draw is reproducible: the
pool in a fixed order (provider ids as text, ascending) and a seed the server picks and records
give the invitees as ``random.Random(seed).sample(pool, n)``, the way draw_committee draws.

Competitive negotiation (74号令 art. 12): the same draw, or written recommendations of the
buyer and the experts, all of them invited, the buyer's share at most half.

One selection per procurement, made before its publication and kept as the draw's record.
"""

from __future__ import annotations

import random
import secrets
import uuid
from datetime import UTC, datetime
from fractions import Fraction

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.credit import service as credit
from services.documents import service as documents
from services.identity import service as identity
from services.kit.audit import Actor, record
from services.kit.errors import InvalidField, NotFound
from services.kit.objects import ObjectType
from services.planning.service import ProgrammeArea
from services.tenancy import service as tenancy
from services.tendering import prequalification, procurements, rules, supplier_library
from services.tendering.errors import WrongState
from services.tendering.models import Invitation, Procurement
from services.tendering.schemas import Method, Status
from services.tendering.selection_models import SupplierSelection
from services.tendering.selection_schemas import (
    PoolSource,
    RecommendationIn,
    RecommendationOut,
    Recommender,
    SelectionIn,
    SelectionOut,
    SelectionSource,
    WitnessOut,
)

# A pool from a library or from recommendations holds at least twice those drawn (87号令 art. 14).
POOL_RATIO = 2
MIN_WITNESSES = 2
# The buyer's recommendations are at most half of a negotiation's (74号令 art. 12).
BUYER_SHARE = Fraction(1, 2)
# A consultation chooses as a negotiation does (财库〔2014〕214号 art. 6: a notice, a draw from a
# library, or written recommendations with the buyer's at most half).
SELECTING = (Method.invited_tender, Method.competitive_negotiation, Method.competitive_consultation)
NEGOTIATING = (Method.competitive_negotiation, Method.competitive_consultation)
# Before the publication: the invitations go out with it.
OPEN_STATES = (Status.draft, Status.awaiting_approval, Status.approved)


class PoolTooSmall(InvalidField):
    code = "pool_too_small"
    title = "The pool holds fewer than twice the suppliers to draw"


class BuyerShareTooLarge(InvalidField):
    code = "buyer_share_too_large"
    title = "The buyer recommends more than half of the suppliers"


async def find(session: AsyncSession, procurement: Procurement) -> SupplierSelection | None:
    return await session.scalar(
        select(SupplierSelection).where(
            SupplierSelection.tenant_id == procurement.tenant_id,
            SupplierSelection.procurement_id == procurement.id,
        )
    )


async def _witnesses(
    session: AsyncSession, actor: Actor, witness_ids: list[uuid.UUID]
) -> list[uuid.UUID]:
    """Two distinct civil-affairs users of the region; two distinct people are never both the
    one drawing, so at least one of them is someone else."""
    witnesses = list(dict.fromkeys(witness_ids))
    if len(witnesses) < MIN_WITNESSES:
        raise InvalidField(
            f"at least {MIN_WITNESSES} distinct members of the buyer's staff witness the draw "
            "(87号令 art. 14)",
            field="witness_ids",
        )
    staff = set(await tenancy.holders(session, actor.tenant, procurements.CIVIL_AFFAIRS))
    for index, user_id in enumerate(witnesses):
        if user_id not in staff:
            raise InvalidField("is not a civil-affairs user here", field=f"witness_ids[{index}]")
    return witnesses


async def _recommended(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    method: Method,
    recommendations: list[RecommendationIn],
) -> list[uuid.UUID]:
    """The recommended providers, each once, registered here, each with its written papers."""
    if not recommendations:
        raise InvalidField("a recommendations pool needs recommendations", field="recommendations")
    seen: set[uuid.UUID] = set()
    for index, item in enumerate(recommendations):
        field = f"recommendations[{index}]"
        if item.by is Recommender.expert and method is Method.invited_tender:
            raise InvalidField(
                "an invited tender's pool takes the buyer's recommendations only (87号令 art. 14)",
                field=f"{field}.by",
            )
        if item.provider_id in seen:
            raise InvalidField("this provider is recommended twice", field=f"{field}.provider_id")
        seen.add(item.provider_id)
        if not await tenancy.is_registered(session, actor.tenant, item.provider_id):
            raise InvalidField("is not registered here", field=f"{field}.provider_id")
        if not item.document_ids:
            raise InvalidField(
                "a written recommendation comes with its document (upload it to the tender)",
                field=f"{field}.document_ids",
            )
        for at, document_id in enumerate(item.document_ids):
            found = await documents.current_version(
                session, actor.tenant, ObjectType.tender, procurement.id, document_id
            )
            if found is None:
                raise InvalidField(
                    "is not a document of this procurement",
                    field=f"{field}.document_ids[{at}]",
                )
        if await credit.bars(session, item.provider_id, actor.tenant):
            raise InvalidField(
                "is barred from government procurement here", field=f"{field}.provider_id"
            )
    return sorted(seen, key=str)


async def _library(session: AsyncSession, tenant: str, category: str) -> list[uuid.UUID]:
    """The province's library entries active and valid today for ``category``, of those
    registered and approved here, not barred today; by id as text."""
    registered = set(await tenancy.registered_providers(session, tenant))
    pool = [
        entry.provider_id
        for entry in await supplier_library.pool(session)
        if category in entry.categories and entry.provider_id in registered
    ]
    return sorted(
        [provider for provider in pool if not await credit.bars(session, provider, tenant)],
        key=str,
    )


def _check_buyer_share(recommendations: list[RecommendationIn]) -> None:
    buyers = sum(1 for item in recommendations if item.by is Recommender.buyer)
    if Fraction(buyers, len(recommendations)) > BUYER_SHARE:
        raise BuyerShareTooLarge(
            f"{buyers} of {len(recommendations)} recommendations are the buyer's; at most half "
            "may be (74号令 art. 12)",
            field="recommendations",
        )


def _check_suppliers(legal: rules.LegalRules, method: Method, count: int, field: str) -> None:
    if method is Method.competitive_consultation:
        rules.check_consultation_suppliers(legal, count, field=field)
    else:
        rules.check_negotiation_suppliers(legal, count, field=field)


async def select_suppliers(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, body: SelectionIn
) -> SupplierSelection:
    """Build the pool, check it, draw (or take every recommendation), invite, record."""
    assert actor.user_id is not None
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    method = Method(procurement.method)
    if method not in SELECTING:
        raise WrongState(f"A {method.value} invites no suppliers.")
    if procurement.status not in OPEN_STATES:
        raise WrongState(
            f"The suppliers are chosen before publication; it is {procurement.status}."
        )
    if await find(session, procurement) is not None:
        raise WrongState("The suppliers have been chosen already; the draw stands.")
    legal = await rules.rules_for(session, actor.tenant)
    if body.category is not None and body.source is not PoolSource.library:
        raise InvalidField(
            f"a {body.source.value} pool is not drawn by programme area", field="category"
        )
    if body.source is PoolSource.notice:
        return await _by_notice(session, actor, procurement, method, body)
    if body.source is PoolSource.recommendations:
        pool = await _recommended(session, actor, procurement, method, body.recommendations)
    else:
        if body.recommendations:
            raise InvalidField(
                f"a {body.source.value} pool takes no recommendations", field="recommendations"
            )
        if body.source is PoolSource.prequalification:
            if method is not Method.invited_tender:
                raise InvalidField("only an invited tender is prequalified", field="source")
            pool = await prequalification.qualified_pool(session, procurement)
        else:
            if body.category is None:
                raise InvalidField(
                    "name the programme area the library draw takes its pool from",
                    field="category",
                )
            pool = await _library(session, actor.tenant, body.category.value)

    to_draw: int | None = body.draw
    seed: str | None = None
    witnesses: list[uuid.UUID] = []
    if method in NEGOTIATING and body.source is PoolSource.recommendations:
        # 74号令 art. 12: every recommended supplier is invited; no draw.
        if to_draw is not None:
            raise InvalidField(
                "a negotiation invites every recommended supplier; draw none", field="draw"
            )
        if body.witness_ids:
            raise InvalidField("no draw, no witnesses", field="witness_ids")
        _check_buyer_share(body.recommendations)
        _check_suppliers(legal, method, len(pool), field="recommendations")
        invited = pool
    else:
        if to_draw is None:
            raise InvalidField("say how many suppliers the draw invites", field="draw")
        if method is Method.invited_tender:
            rules.check_invited(legal, to_draw, field="draw")
        else:
            _check_suppliers(legal, method, to_draw, field="draw")
        # The prequalified are all qualified answers to a public notice: no ratio, enough.
        needed = to_draw if body.source is PoolSource.prequalification else POOL_RATIO * to_draw
        if len(pool) < needed:
            raise PoolTooSmall(
                f"the pool holds {len(pool)} qualified suppliers; drawing {to_draw} needs at "
                f"least {needed} (87号令 art. 14)",
                field="draw",
            )
        witnesses = await _witnesses(session, actor, body.witness_ids)
        # The server picks the seed: nobody chooses the outcome by choosing it.
        seed = secrets.token_hex(16)
        # Reproducible from the recorded seed on purpose; the seed itself comes from `secrets`.
        invited = random.Random(seed).sample(pool, to_draw)  # noqa: S311

    now = datetime.now(UTC)
    selection = SupplierSelection(
        tenant_id=actor.tenant,
        procurement_id=procurement.id,
        source=body.source.value,
        to_draw=to_draw,
        category=body.category.value if body.category else None,
        seed=seed,
        pool=pool,
        invited=invited,
        witness_ids=witnesses,
        recommendations=[
            {
                "provider_id": str(item.provider_id),
                "by": item.by.value,
                "recommender": item.recommender,
                "reason": item.reason,
                "document_ids": [str(d) for d in item.document_ids],
            }
            for item in body.recommendations
        ],
        made_by=actor.user_id,
        made_at=now,
    )
    session.add(selection)
    session.add_all(
        Invitation(tenant_id=actor.tenant, procurement_id=procurement.id, provider_id=provider)
        for provider in invited
    )
    await session.flush()
    await record(
        session,
        actor,
        "procurement.suppliers_selected",
        "procurement",
        procurement.id,
        after={
            "source": body.source.value,
            "draw": to_draw,
            "category": body.category.value if body.category else None,
            "seed": seed,
            "pool": [str(p) for p in pool],
            "invited": [str(p) for p in invited],
            "witnesses": [str(u) for u in witnesses],
        },
    )
    return selection


async def _by_notice(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    method: Method,
    body: SelectionIn,
) -> SupplierSelection:
    """A negotiation open to every provider registered here through its public notice."""
    assert actor.user_id is not None
    if method not in NEGOTIATING:
        raise InvalidField(
            "only a negotiation or a consultation invites by its public notice; an invited "
            "tender draws",
            field="source",
        )
    for field, given in (
        ("draw", body.draw is not None),
        ("witness_ids", bool(body.witness_ids)),
        ("recommendations", bool(body.recommendations)),
    ):
        if given:
            raise InvalidField("a public notice invites everyone: no draw, no pool", field=field)
    selection = SupplierSelection(
        tenant_id=actor.tenant,
        procurement_id=procurement.id,
        source=body.source.value,
        to_draw=None,
        seed=None,
        pool=[],
        invited=[],
        witness_ids=[],
        recommendations=[],
        made_by=actor.user_id,
        made_at=datetime.now(UTC),
    )
    session.add(selection)
    await session.flush()
    await record(
        session,
        actor,
        "procurement.suppliers_selected",
        "procurement",
        procurement.id,
        after={"source": body.source.value},
    )
    return selection


async def read(session: AsyncSession, actor: Actor, procurement_id: uuid.UUID) -> SelectionOut:
    procurement = await procurements.get(session, actor, procurement_id)
    selection = await find(session, procurement)
    if selection is None:
        raise NotFound("No suppliers have been chosen for this procurement.")
    return await out(session, selection)


async def out(session: AsyncSession, selection: SupplierSelection) -> SelectionOut:
    users = {
        user.id: user.display_name
        for user in await identity.users_by_ids(session, list(selection.witness_ids))
    }
    return SelectionOut(
        procurement_id=selection.procurement_id,
        source=SelectionSource(selection.source),
        draw=selection.to_draw,
        category=ProgrammeArea(selection.category) if selection.category else None,
        seed=selection.seed,
        pool=list(selection.pool),
        invited=list(selection.invited),
        witnesses=[WitnessOut(u, users.get(u, "")) for u in selection.witness_ids],
        recommendations=[
            RecommendationOut(
                provider_id=uuid.UUID(item["provider_id"]),
                by=Recommender(item["by"]),
                recommender=item["recommender"],
                reason=item["reason"],
                document_ids=[uuid.UUID(d) for d in item["document_ids"]],
            )
            for item in selection.recommendations
        ],
        made_by=selection.made_by,
        made_at=selection.made_at,
    )
