"""The province's expert library (评审专家库, 实施条例 art. 39, 财政部令第87号 art. 48).

A province's finance bureau keeps it in the province's tenant: experts (accounts holding the
expert role there), their specialities, employer, declared affiliations, availability and
avoidance records. Its cities never read its rows: a draw reads the library through
``expert_library_pool()`` (migration 0032), which answers only for the province of the
region the transaction is bound to, with only what a draw needs.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from sqlalchemy import delete, select, text
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.kit.authz.roles import Role
from services.kit.errors import DomainError, InvalidField, NotFound
from services.tenancy import service as tenancy
from services.tendering.library_models import ExpertAvoidance, ExpertLibrarySetting
from services.tendering.library_schemas import LibrarySettingIn, LibrarySettingOut
from services.tendering.models import Expert
from services.tendering.schemas import AvoidanceOut, ExpertIn, ExpertOut


def _province_only(tenant: str) -> None:
    # A city or county has no library: the resource is missing there, as elsewhere (404).
    if tenancy.division_level(tenant) is not tenancy.Level.province:
        raise NotFound(
            "Evaluation experts come from the library of the province's finance bureau "
            "(实施条例 art. 39); a city or county keeps no experts of its own."
        )


async def register_expert(session: AsyncSession, actor: Actor, body: ExpertIn) -> Expert:
    """Add (or update) an expert of the province's library; the account holds the expert
    role in the province's tenant."""
    _province_only(actor.tenant)
    if Role.expert not in await tenancy.roles_in(session, actor.tenant, body.user_id):
        raise InvalidField("does not hold the expert role here", field="user_id")
    if (body.unavailable_from is None) != (body.unavailable_to is None):
        raise InvalidField("is needed with unavailable_from", field="unavailable_to")
    if (
        body.unavailable_from
        and body.unavailable_to
        and body.unavailable_to < body.unavailable_from
    ):
        raise InvalidField("is before unavailable_from", field="unavailable_to")
    avoided: dict[uuid.UUID, str] = {}
    for index, avoidance in enumerate(body.avoidances):
        if avoidance.provider_id in avoided:
            raise InvalidField("names a provider twice", field=f"avoidances[{index}].provider_id")
        try:
            await tenancy.get_provider(session, avoidance.provider_id)
        except DomainError:
            raise InvalidField(
                "is not a provider", field=f"avoidances[{index}].provider_id"
            ) from None
        avoided[avoidance.provider_id] = avoidance.reason
    expert = await session.get(Expert, (actor.tenant, body.user_id), with_for_update=True)
    fields = {
        "specialities": list(dict.fromkeys(body.specialities)),
        "employer": body.employer,
        "affiliated_provider_ids": list(dict.fromkeys(body.affiliated_provider_ids)),
        "affiliated_usccs": list(dict.fromkeys(body.affiliated_usccs)),
        "unavailable_from": body.unavailable_from,
        "unavailable_to": body.unavailable_to,
        "active": True,
    }
    if expert is None:
        expert = Expert(tenant_id=actor.tenant, user_id=body.user_id, **fields)
        session.add(expert)
    else:
        for name, value in fields.items():
            setattr(expert, name, value)
    await session.flush()
    await session.execute(
        delete(ExpertAvoidance).where(
            ExpertAvoidance.tenant_id == actor.tenant, ExpertAvoidance.user_id == body.user_id
        )
    )
    session.add_all(
        ExpertAvoidance(
            tenant_id=actor.tenant,
            user_id=body.user_id,
            provider_id=provider_id,
            reason=reason,
            recorded_by=actor.user_id,
        )
        for provider_id, reason in avoided.items()
    )
    await session.flush()
    await record(
        session,
        actor,
        "expert.registered",
        "expert",
        body.user_id,
        after={**fields, "avoidances": {str(p): r for p, r in avoided.items()}},
    )
    return expert


async def list_experts(session: AsyncSession, tenant: str) -> Sequence[Expert]:
    _province_only(tenant)
    rows = await session.scalars(
        select(Expert).where(Expert.tenant_id == tenant).order_by(Expert.user_id)
    )
    return rows.all()


async def expert_out(session: AsyncSession, expert: Expert) -> ExpertOut:
    avoidances = await session.scalars(
        select(ExpertAvoidance)
        .where(
            ExpertAvoidance.tenant_id == expert.tenant_id,
            ExpertAvoidance.user_id == expert.user_id,
        )
        .order_by(ExpertAvoidance.provider_id)
    )
    return ExpertOut(
        user_id=expert.user_id,
        specialities=list(expert.specialities),
        employer=expert.employer,
        affiliated_provider_ids=list(expert.affiliated_provider_ids),
        active=expert.active,
        affiliated_usccs=list(expert.affiliated_usccs or []),
        unavailable_from=expert.unavailable_from,
        unavailable_to=expert.unavailable_to,
        avoidances=[AvoidanceOut(provider_id=a.provider_id, reason=a.reason) for a in avoidances],
    )


# --- the province's draw setting ---------------------------------------------------------------


async def setting(session: AsyncSession, tenant: str) -> LibrarySettingOut:
    _province_only(tenant)
    row = await session.get(ExpertLibrarySetting, tenant)
    return LibrarySettingOut(
        tenant=tenant,
        external_draws=bool(row and row.external_draws),
        external_system=row.external_system if row else None,
    )


async def set_setting(
    session: AsyncSession, actor: Actor, body: LibrarySettingIn
) -> LibrarySettingOut:
    _province_only(actor.tenant)
    if body.external_draws and body.external_system is None:
        raise InvalidField("names the province's draw system", field="external_system")
    row = await session.get(ExpertLibrarySetting, actor.tenant, with_for_update=True)
    if row is None:
        row = ExpertLibrarySetting(tenant_id=actor.tenant, external_draws=False)
        session.add(row)
    before = {"external_draws": row.external_draws, "external_system": row.external_system}
    row.external_draws = body.external_draws
    row.external_system = body.external_system if body.external_draws else None
    row.updated_by = actor.user_id
    await session.flush()
    await record(
        session,
        actor,
        "expert_library.setting_changed",
        "tenant",
        actor.tenant,
        before=before,
        after={"external_draws": row.external_draws, "external_system": row.external_system},
    )
    return await setting(session, actor.tenant)


# --- what a city's draw reads -------------------------------------------------------------------


@dataclass(frozen=True)
class LibraryExpert:
    """What a draw may know of a library expert: no contact or identity details."""

    user_id: uuid.UUID
    specialities: tuple[str, ...]
    employer: str
    affiliated_provider_ids: frozenset[uuid.UUID]
    affiliated_usccs: frozenset[str]
    unavailable_from: date | None
    unavailable_to: date | None
    avoided: frozenset[uuid.UUID]

    def unavailable_on(self, day: date) -> bool:
        return (
            self.unavailable_from is not None
            and self.unavailable_to is not None
            and self.unavailable_from <= day <= self.unavailable_to
        )


async def pool(session: AsyncSession) -> list[LibraryExpert]:
    """The active experts of the library of the province of the bound region, by id."""
    rows = await session.execute(text("SELECT * FROM expert_library_pool()"))
    return [
        LibraryExpert(
            user_id=row.user_id,
            specialities=tuple(row.specialities),
            employer=row.employer,
            affiliated_provider_ids=frozenset(row.affiliated_provider_ids),
            affiliated_usccs=frozenset(row.affiliated_usccs),
            unavailable_from=row.unavailable_from,
            unavailable_to=row.unavailable_to,
            avoided=frozenset(row.avoided),
        )
        for row in rows
    ]


async def external_system(session: AsyncSession) -> str | None:
    """The external draw system of the bound region's province, if its draws are external."""
    row = (await session.execute(text("SELECT * FROM expert_library_external()"))).first()
    return row.external_system if row is not None and row.external_draws else None
