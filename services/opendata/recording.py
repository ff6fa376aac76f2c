"""Record the releases of a public change, in the transaction that made it public.

Registered with ``services.kit.publicity`` when this module is imported (the entry's registry
imports it in every process). Idempotent: a release's id names its change, and a second
announcement of the same change inserts nothing.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.dialects.postgresql import insert
from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.kit.publicity import PublicChange, register_public_listener
from services.kit.settings import get_settings
from services.opendata import building
from services.opendata.models import Release
from services.planning import service as planning
from services.tenancy import service as tenancy
from services.tendering import service as tendering

LOCAL = ZoneInfo("Asia/Shanghai")


async def _region(session: AsyncSession, code: str) -> building.Region:
    tenant = await tenancy.get_tenant(session, code)
    organisation = await tenancy.buying_organisation(session, code)
    return building.Region(
        code=code,
        buyer_name=organisation.name if organisation else f"{tenant.name}民政局",
        finance_name=f"{tenant.name}财政局",
    )


async def _line(session: AsyncSession, facts: tendering.OpenFacts) -> building.Line:
    row = await planning.get_line(session, facts.tenant, facts.budget_line_id)
    return building.Line(
        id=str(row.line.id),
        project_id=str(facts.project_id),
        project_title=row.project_title,
        amount=row.line.approved_amount or row.line.requested_amount,
        approved_at=row.budget.decided_at,
        sources=[
            (s.source, s.approved_amount if s.approved_amount is not None else s.requested_amount)
            for s in row.sources
        ],
    )


def notice_url(notice_id: uuid.UUID) -> str | None:
    """Where anyone reads a published notice (``/v1/notices/<id>``), as an absolute URL; None
    when the platform was not told its public address."""
    base = get_settings().public_base_url.rstrip("/")
    return f"{base}/v1/notices/{notice_id}" if base else None


async def releases_of(session: AsyncSession, change: PublicChange) -> list[dict[str, Any]]:
    """The releases a change publishes: the planning release (once per ocid) and its own."""
    facts = await tendering.open_facts(session, change.tenant, change.procurement_id)
    region = await _region(session, change.tenant)
    made = [building.planning(facts, region, await _line(session, facts), change.at)]
    if change.kind == "payment":
        payment = await contracts.open_payment(session, change.tenant, change.source_id)
        made.append(building.from_payment(facts, region, payment, change.at))
    else:
        notice = next((n for n in facts.notices if n.id == change.source_id), None)
        release = (
            None
            if notice is None
            else building.from_notice(facts, region, notice, notice_url(notice.id))
        )
        if release is not None:
            made.append(release)
    return made


async def write(
    session: AsyncSession, tenant: str, procurement_id: Any, release: dict[str, Any]
) -> None:
    date = datetime.fromisoformat(release["date"])
    await session.execute(
        insert(Release)
        .values(
            tenant_id=tenant,
            id=release["id"],
            ocid=release["ocid"],
            procurement_id=procurement_id,
            tag=release["tag"],
            date=date,
            year=date.astimezone(LOCAL).year,
            release=release,
            published_at=datetime.now(UTC),
        )
        .on_conflict_do_nothing(index_elements=["tenant_id", "id"])
    )


@register_public_listener
async def record_change(session: AsyncSession, change: PublicChange) -> None:
    await session.flush()  # the notice or payment the change names, readable below
    for release in await releases_of(session, change):
        await write(session, change.tenant, change.procurement_id, release)
