"""Whose finance approves a method other than open tender.

At or above the open-tender threshold the law asks the approval of the finance department of
a people's government at the level of a city with districts or above (政府采购法 art. 27,
政府采购法实施条例 art. 23, 财政部令第74号 art. 4): a county's request goes to the nearest
region above it of city or province level. Below the threshold the approval is 民发〔2012〕196号's
(``rules.approval_below_threshold``) and stays with the region's own finance; a city's or a
province's own finance is of the required level either way.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import Conflict
from services.tenancy import service as tenancy
from services.tendering import rules
from services.tendering.models import Procurement

# The levels whose finance may approve at or above the threshold.
APPROVING_LEVELS = frozenset({tenancy.Level.city, tenancy.Level.province})


@dataclass(frozen=True)
class Authority:
    code: str
    name: str


class ApprovalBelongsTo(Conflict):
    """This region's finance is not the one that approves the procurement's method."""

    code = "approval_belongs_to"
    title = "Another region's finance approves this method"


async def region(session: AsyncSession, code: str) -> Authority:
    return Authority(code, (await tenancy.get_tenant(session, code)).name)


async def approving_region(
    session: AsyncSession, legal: rules.LegalRules, procurement: Procurement
) -> Authority:
    """The region whose finance approves ``procurement``'s method, under ``legal`` (the rules
    in force in the procurement's region)."""
    own = await tenancy.get_tenant(session, procurement.tenant_id)
    if own.level in APPROVING_LEVELS or procurement.budget_amount < (
        legal.open_tender_threshold_yuan
    ):
        return Authority(own.code, own.name)
    above = own
    while above.level not in APPROVING_LEVELS:
        if above.parent_code is None:
            # Every county is created under its city or province (tenancy.create_tenant).
            raise AssertionError(f"{own.code} has no city or province above it")
        above = await tenancy.get_tenant(session, above.parent_code)
    return Authority(above.code, above.name)


async def check_decider(session: AsyncSession, procurement: Procurement, decider: str) -> None:
    """Refuse a decision by a region that is not the procurement's approving region (the one
    recorded when it was submitted; the region itself when none was)."""
    expected = procurement.approving_region or procurement.tenant_id
    if expected == decider:
        return
    authority = await region(session, expected)
    raise ApprovalBelongsTo(
        f"The method of this procurement is approved by the finance of {authority.name} "
        f"({authority.code}): its budget reaches the open-tender threshold, and the approval "
        "belongs to a finance department of a city with districts or above (政府采购法 "
        "art. 27, 实施条例 art. 23, 74号令 art. 4).",
        approval_belongs_to={"code": authority.code, "name": authority.name},
    )
