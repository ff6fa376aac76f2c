"""Credit in a procurement's qualification criteria: which bars disqualify and when they count.

The documents name the bars (``credit_bars``: ``art77`` always — 政府采购法 art. 77 bans a
listed supplier from all government procurement — and ``regional_disqualification``, 民发
〔2012〕196号 三(五), unless the documents leave it out) and the window in which the credit record
is consulted (财库〔2016〕125号 asks the documents to fix the 查询截止时点):

- ``at_check`` (the default): the bar in force on the day of each check, in Asia/Shanghai;
- ``notice_to_deadline``: a bar in force on any day from the day the notice was published (a
  single source has none: the day it was drafted) to the day of the response deadline, both
  inclusive — a record whose period begins after the deadline does not disqualify.

The checks run when a bid is filed, before each negotiation offer, at a single source's
approval and at the award's confirmation; the bar listener (``credit_listener``) applies the
same test to a bar announced while the procurement runs.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from datetime import date
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.credit import service as credit
from services.kit.errors import Conflict, InvalidField
from services.kit.workdays import local_date
from services.tendering.models import Procurement
from services.tendering.schemas import CreditWindow

GROUND_NAMES = {
    credit.Ground.art77: "《政府采购法》第七十七条禁止参加政府采购活动",
    credit.Ground.regional_disqualification: "民发〔2012〕196号三（五）不良行为记录",
}


class WinnerBarred(Conflict):
    """The recommended winner is barred by a record the documents apply."""

    code = "winner_barred"
    title = "The recommended winner is barred from this procurement"


class ProposedProviderBarred(Conflict):
    """A single source's one provider is barred: finance cannot approve the method."""

    code = "proposed_provider_barred"
    title = "The single source's provider is barred from this procurement"


def bars_of(chosen: Iterable[credit.Ground]) -> list[str]:
    """The documents' bars as stored: art77 must be among them, each once."""
    grounds = list(dict.fromkeys(chosen))
    if credit.Ground.art77 not in grounds:
        raise InvalidField(
            "must include art77: an art. 77 ban disqualifies in every procurement",
            field="credit_bars",
        )
    return [ground.value for ground in grounds]


def window(procurement: Procurement, today: date) -> tuple[date, date]:
    """The days on which a bar counts for this procurement, checked ``today``."""
    if CreditWindow(procurement.credit_window) is CreditWindow.at_check:
        return today, today
    opened = procurement.documents_issued_at or procurement.created_at
    return local_date(opened), local_date(procurement.bid_deadline)


def applies(procurement: Procurement, ground: credit.Ground) -> bool:
    return ground.value in procurement.credit_bars


def counts(procurement: Procurement, ground: credit.Ground, starts_on: date, ends_on: date) -> str:
    """Why a bar does or does not disqualify here: ``applied``, ``not_applied`` (the
    documents leave its ground out) or ``outside_window``."""
    if not applies(procurement, ground):
        return "not_applied"
    first, last = window(procurement, credit.today())
    if not (starts_on <= last and first < ends_on):
        return "outside_window"
    return "applied"


async def bars_against(
    session: AsyncSession, procurement: Procurement, provider_id: uuid.UUID
) -> list[credit.Bar]:
    """The bars on the provider that disqualify it from this procurement now."""
    first, last = window(procurement, credit.today())
    found = await credit.bars(session, provider_id, procurement.tenant_id, first, last)
    return [bar for bar in found if applies(procurement, bar.ground)]


def describe(bar: credit.Bar) -> str:
    return describe_parts(bar.source_name, bar.source_tenant, bar.ground, bar.last_day)


def describe_parts(source_name: str, source: str, ground: credit.Ground, last_day: date) -> str:
    return f"{source_name}（{source}）的{GROUND_NAMES[ground]}，期限至{last_day.isoformat()}（含）"


def _extension(found: list[credit.Bar]) -> list[dict[str, Any]]:
    return [
        {
            "disqualification_id": str(bar.disqualification_id),
            "source_tenant": bar.source_tenant,
            "source_name": bar.source_name,
            "scope": bar.scope.value,
            "ground": bar.ground.value,
            "starts_on": bar.starts_on.isoformat(),
            "last_day": bar.last_day.isoformat(),
        }
        for bar in found
    ]


async def check_provider(
    session: AsyncSession, procurement: Procurement, provider_id: uuid.UUID
) -> None:
    """Refuse a barred provider's bid or offer: 403 ``provider_disqualified``."""
    found = await bars_against(session, procurement, provider_id)
    if found:
        raise credit.ProviderDisqualified(
            f"The provider is barred from this procurement by {describe(found[0])}, a bar "
            "the procurement documents apply.",
            bars=_extension(found),
        )


async def check_winner(session: AsyncSession, procurement: Procurement) -> None:
    """The award's confirmation: the recommended winner must not be barred (409)."""
    assert procurement.recommended_provider_id is not None
    found = await bars_against(session, procurement, procurement.recommended_provider_id)
    if found:
        raise WinnerBarred(
            f"The recommended winner is barred by {describe(found[0])}, a bar the procurement "
            "documents apply, and cannot be confirmed. Set its bid or offer aside with POST "
            "…/credit-recheck: the next valid bid is recommended, or the procurement fails "
            "when too few remain; or cancel the procurement.",
            bars=_extension(found),
        )


async def check_proposed(
    session: AsyncSession, procurement: Procurement, provider_id: uuid.UUID
) -> None:
    """A single source's approval: finance cannot approve a barred provider (409)."""
    found = await bars_against(session, procurement, provider_id)
    if found:
        raise ProposedProviderBarred(
            f"The proposed provider is barred by {describe(found[0])}, a bar the procurement "
            "documents apply: the method cannot be approved. Refuse it with a note (it goes "
            "back to the draft) so the buyer may cancel or choose another method.",
            bars=_extension(found),
        )
