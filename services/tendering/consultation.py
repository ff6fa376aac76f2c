"""竞争性磋商 (财库〔2014〕214号): what sets a competitive consultation apart from the
negotiation whose rounds and offers it shares.

- Criteria (art. 24): comprehensive scoring with the price at 10–30 % for services; another
  weight only with finance's approval, asked for at creation (``price_weight_outside_range``)
  and carried by finance's approval of the method; a fixed-price purchase scores no price.
- After the final offers (最后报价, art. 21) the group scores the final responses: the
  scored suppliers are those still in with a final offer, and the price score's benchmark is
  the lowest of those offers (art. 24: 价格分 = 基准价/最后报价 × 价格权值 × 100).
- Services may go on with two compliant suppliers (财库〔2015〕124号); fewer fail it.

Only reads and checks here: the steps live in ``procurements``, ``negotiation`` and
``evaluation``, which call this module.
"""

from __future__ import annotations

import uuid
from decimal import Decimal

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import InvalidField
from services.tendering import repository, rules
from services.tendering.models import Exclusion, NegotiationRound, Offer, Procurement
from services.tendering.schemas import Method, ProcurementCreate

CONSULTATION = Method.competitive_consultation
# Methods whose group (小组) runs rounds with the suppliers that responded.
GROUPED = frozenset({Method.competitive_negotiation, CONSULTATION})


def is_consultation(procurement: Procurement) -> bool:
    return procurement.method == CONSULTATION


def min_suppliers(legal: rules.LegalRules, procurement: Procurement) -> int:
    """How many suppliers a negotiation or consultation needs to open and to go on during its
    rounds: two for a consultation of services (财库〔2015〕124号) and for a failed tender's
    continuation with its two (74号令 art. 27), three for any other negotiation."""
    if procurement.method == CONSULTATION:
        return legal.consultation_services_min_suppliers
    return rules.negotiation_minimum(legal, procurement.continues_from is not None)


def check_criteria(body: ProcurementCreate, legal: rules.LegalRules) -> bool:
    """A consultation's price criterion, once the common checks have passed: within the
    services' range, outside it only when finance is asked to approve it, none at a fixed
    price. True when the weight waits for finance's approval."""
    if body.method is not CONSULTATION:
        for flag in ("fixed_price", "price_weight_approved_by_finance"):
            if getattr(body, flag):
                raise InvalidField("only a competitive consultation takes it", field=flag)
        return False
    prices = [(i, c) for i, c in enumerate(body.criteria) if c.price]
    if body.fixed_price:
        if prices:
            raise InvalidField(
                "a fixed-price purchase scores no price (财库〔2014〕214号 art. 24)",
                field=f"criteria[{prices[0][0]}].price",
            )
        if body.price_weight_approved_by_finance:
            raise InvalidField(
                "a fixed-price purchase has no price weight to approve",
                field="price_weight_approved_by_finance",
            )
        return False
    index, price = prices[0]
    field = f"criteria[{index}].weight"
    low, high = legal.consultation_price_weight_min, legal.consultation_price_weight_max
    outside = not low <= price.weight <= high
    if not body.price_weight_approved_by_finance:
        rules.check_consultation_price_weight(legal, price.weight, field=field)
    elif not outside:
        raise InvalidField(
            f"the price weight is within {low}–{high} %: finance need not approve it",
            field="price_weight_approved_by_finance",
        )
    return outside


async def final_prices(session: AsyncSession, procurement: Procurement) -> dict[uuid.UUID, Decimal]:
    """The final offers (最后报价) of the suppliers still in: provider → price. Empty before
    the final round."""
    held = await repository.parts(session, NegotiationRound, procurement, NegotiationRound.round)
    if not held or not held[-1].final:
        return {}
    excluded = {e.provider_id for e in await repository.parts(session, Exclusion, procurement)}
    return {
        offer.provider_id: offer.price
        for offer in await repository.parts(session, Offer, procurement)
        if offer.round == held[-1].round and offer.provider_id not in excluded
    }
