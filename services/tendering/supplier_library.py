"""The province's supplier library (供应商库): invited suppliers may be drawn from "the supplier
library of a finance department at provincial level or above" (财政部令第87号 art. 14; 74号令
art. 12 for a negotiation).

A province's finance bureau keeps it in the province's tenant: providers, the programme areas
they are admitted for, from when and until when, and whether they are active, suspended or
removed (with the reason). Every change is audited. Its cities never read its rows: a draw
reads the library through ``supplier_library_pool()`` (migration 0042), which answers only for
the province of the region the transaction is bound to, with only what a draw needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.errors import DomainError, InvalidField, NotFound
from services.planning.service import ProgrammeArea
from services.tenancy import service as tenancy
from services.tendering.errors import WrongState
from services.tendering.supplier_library_models import SupplierLibraryEntry
from services.tendering.supplier_library_schemas import (
    EntryIn,
    EntryOut,
    EntryStatus,
    EntryStatusIn,
)


def _province_only(tenant: str) -> None:
    # A city or county keeps no library: the resource is missing there, as elsewhere (404).
    if tenancy.division_level(tenant) is not tenancy.Level.province:
        raise NotFound(
            "The supplier library is kept by the province's finance bureau (财政部令第87号 "
            "art. 14); a city or county keeps none of its own."
        )


def _state(entry: SupplierLibraryEntry) -> dict[str, Any]:
    return {
        "categories": list(entry.categories),
        "admitted_on": entry.admitted_on.isoformat(),
        "valid_until": entry.valid_until.isoformat(),
        "status": entry.status,
        "reason": entry.status_reason,
    }


async def add(session: AsyncSession, actor: Actor, body: EntryIn) -> SupplierLibraryEntry:
    """Admit a provider (or admit again one removed earlier)."""
    _province_only(actor.tenant)
    try:
        await tenancy.get_provider(session, body.provider_id)
    except DomainError:
        raise InvalidField("is not a provider", field="provider_id") from None
    if body.valid_until < body.admitted_on:
        raise InvalidField("is before admitted_on", field="valid_until")
    if body.valid_until < workdays.local_date(datetime.now(UTC)):
        raise InvalidField("has passed: the entry would never be drawn", field="valid_until")
    categories = [c.value for c in dict.fromkeys(body.categories)]
    entry = await session.get(
        SupplierLibraryEntry, (actor.tenant, body.provider_id), with_for_update=True
    )
    before: dict[str, Any] | None = None
    if entry is None:
        entry = SupplierLibraryEntry(tenant_id=actor.tenant, provider_id=body.provider_id)
        session.add(entry)
    elif entry.status != EntryStatus.removed:
        raise WrongState(
            "The provider is in the library already; change its status instead.",
        )
    else:
        before = _state(entry)
    entry.categories = categories
    entry.admitted_on = body.admitted_on
    entry.valid_until = body.valid_until
    entry.status = EntryStatus.active.value
    entry.status_reason = None
    entry.updated_by = actor.user_id
    entry.updated_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "supplier_library.admitted",
        "provider",
        body.provider_id,
        before=before,
        after=_state(entry),
    )
    return entry


async def get(session: AsyncSession, tenant: str, provider_id: uuid.UUID) -> SupplierLibraryEntry:
    _province_only(tenant)
    entry = await session.get(SupplierLibraryEntry, (tenant, provider_id))
    if entry is None:
        raise NotFound("The provider is not in the library.")
    return entry


async def set_status(
    session: AsyncSession, actor: Actor, provider_id: uuid.UUID, body: EntryStatusIn
) -> SupplierLibraryEntry:
    """Suspend, remove or make active again; a suspension or removal gives its reason."""
    _province_only(actor.tenant)
    entry = await session.get(
        SupplierLibraryEntry, (actor.tenant, provider_id), with_for_update=True
    )
    if entry is None:
        raise NotFound("The provider is not in the library.")
    if entry.status == EntryStatus.removed:
        raise WrongState("The provider was removed; admit it again to bring it back.")
    if body.status is EntryStatus.active and body.reason is not None:
        raise InvalidField("an active entry carries no reason", field="reason")
    if body.status is not EntryStatus.active and body.reason is None:
        raise InvalidField(f"say why the provider is {body.status.value}", field="reason")
    if entry.status == body.status.value:
        raise WrongState(f"The provider is {entry.status} already.")
    before = _state(entry)
    entry.status = body.status.value
    entry.status_reason = body.reason
    entry.updated_by = actor.user_id
    entry.updated_at = datetime.now(UTC)
    await session.flush()
    await record(
        session,
        actor,
        "supplier_library.status_changed",
        "provider",
        provider_id,
        before=before,
        after=_state(entry),
    )
    return entry


async def list_entries(session: AsyncSession, tenant: str) -> Sequence[SupplierLibraryEntry]:
    _province_only(tenant)
    rows = await session.scalars(
        select(SupplierLibraryEntry)
        .where(SupplierLibraryEntry.tenant_id == tenant)
        .order_by(SupplierLibraryEntry.provider_id)
    )
    return rows.all()


async def entries_out(
    session: AsyncSession, entries: Sequence[SupplierLibraryEntry]
) -> list[EntryOut]:
    names = {
        provider_id: (await tenancy.get_provider(session, provider_id)).name
        for provider_id in {e.provider_id for e in entries}
    }
    return [
        EntryOut(
            provider_id=e.provider_id,
            provider_name=names[e.provider_id],
            categories=[ProgrammeArea(c) for c in e.categories],
            admitted_on=e.admitted_on,
            valid_until=e.valid_until,
            status=EntryStatus(e.status),
            reason=e.status_reason,
            updated_at=e.updated_at,
        )
        for e in entries
    ]


# --- what a city's draw reads -------------------------------------------------------------------


@dataclass(frozen=True)
class LibrarySupplier:
    """What a draw may know of a library entry: the provider and its programme areas."""

    provider_id: uuid.UUID
    categories: frozenset[str]


async def pool(session: AsyncSession) -> list[LibrarySupplier]:
    """The entries of the bound region's province's library active and valid today, by id."""
    rows = await session.execute(text("SELECT * FROM supplier_library_pool()"))
    return [
        LibrarySupplier(provider_id=row.provider_id, categories=frozenset(row.categories))
        for row in rows
    ]
