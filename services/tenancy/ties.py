"""Evaluation organisations (第三方评估机构) and what ties one provider to another.

A platform administrator marks a provider as an evaluation organisation, with a note saying on
what evidence (its registered scope, a qualification); every change is audited in the platform
chain. Each provider's administrator declares its affiliations — other organisations by USCC:
parent, subsidiary, an organisation with the same sponsor — and its principal persons. A
person is known by a keyed hash (HMAC-SHA-256) of the ID number and a masked form of it: the
number itself is never stored, so a leaked table names nobody, yet the same person declared by
two providers is found.

``ties_between`` is what an engagement asks: the same organisation, either side declaring the
other, both declaring the same third organisation, or a shared person.
"""

from __future__ import annotations

import hashlib
import hmac
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from services.kit.audit import Actor, record
from services.kit.db import PLATFORM_TENANT
from services.kit.errors import InvalidField, NotFound
from services.kit.settings import Settings
from services.kit.unique import add_unique
from services.tenancy.codes import check_uscc
from services.tenancy.errors import TieDeclared
from services.tenancy.models import Provider, ProviderAffiliation, ProviderPerson
from services.tenancy.providers import get_provider
from services.tenancy.schemas import AffiliationIn, IdKind, PersonIn


@dataclass(frozen=True)
class Tie:
    """Why two providers are not independent of each other. ``kind``: same_organisation,
    affiliation (one declared the other), common_affiliation (both declared a third) or
    shared_person; ``detail`` names organisations by USCC, never a person."""

    kind: str
    detail: str


def own_provider(actor: Actor) -> uuid.UUID:
    if actor.provider_id is None:
        raise NotFound("You do not act for a provider.")
    return actor.provider_id


# --- the evaluation organisation flag ---------------------------------------------------------


async def set_evaluator(
    session: AsyncSession, actor: Actor, provider_id: uuid.UUID, is_evaluator: bool, note: str
) -> Provider:
    """A platform administrator's decision; audited in the platform's chain with the note."""
    provider = await get_provider(session, provider_id)
    before = {"is_evaluator": provider.is_evaluator, "evaluator_since": provider.evaluator_since}
    if provider.is_evaluator != is_evaluator:
        provider.is_evaluator = is_evaluator
        provider.evaluator_since = datetime.now(UTC) if is_evaluator else None
        await session.flush()
    await record(
        session,
        Actor(actor.user_id, PLATFORM_TENANT, actor.request_id),
        "provider.evaluator_set",
        "provider",
        provider.id,
        before=before,
        after={
            "is_evaluator": provider.is_evaluator,
            "evaluator_since": provider.evaluator_since,
            "note": note,
        },
    )
    return provider


# --- affiliations -----------------------------------------------------------------------------


async def declare_affiliation(
    session: AsyncSession, actor: Actor, body: AffiliationIn
) -> ProviderAffiliation:
    provider = await get_provider(session, own_provider(actor))
    related = check_uscc(body.related_uscc, field="related_uscc")
    if related == provider.uscc:
        raise InvalidField("is the provider's own code", field="related_uscc")
    affiliation = ProviderAffiliation(
        provider_id=provider.id,
        id=uuid.uuid4(),
        related_uscc=related,
        related_name=body.related_name,
        relation=body.relation.value,
        declared_by=actor.user_id,
    )
    await add_unique(
        session,
        affiliation,
        TieDeclared("This affiliation is declared already.", field="related_uscc"),
    )
    await record(
        session,
        actor,
        "provider.affiliation_declared",
        "provider",
        provider.id,
        after={
            "affiliation_id": affiliation.id,
            "related_uscc": related,
            "relation": body.relation,
        },
    )
    return affiliation


async def withdraw_affiliation(
    session: AsyncSession, actor: Actor, affiliation_id: uuid.UUID
) -> None:
    provider_id = own_provider(actor)
    gone = await session.execute(
        delete(ProviderAffiliation)
        .where(
            ProviderAffiliation.provider_id == provider_id,
            ProviderAffiliation.id == affiliation_id,
        )
        .returning(ProviderAffiliation.related_uscc, ProviderAffiliation.relation)
    )
    row = gone.first()
    if row is None:
        raise NotFound("No such affiliation of yours.")
    await record(
        session,
        actor,
        "provider.affiliation_withdrawn",
        "provider",
        provider_id,
        before={"affiliation_id": affiliation_id, "related_uscc": row[0], "relation": row[1]},
    )


# --- principal persons ------------------------------------------------------------------------


def _normalised(id_number: str, kind: IdKind) -> str:
    if kind is IdKind.resident_id:
        try:
            return str(ric.validate(id_number))
        except ValidationError:
            raise InvalidField(
                "is not a valid 居民身份证号码 (18 characters, check digit)", field="id_number"
            ) from None
    compact = "".join(ch for ch in id_number.upper() if ch.isalnum())
    if len(compact) < 4:
        raise InvalidField("needs at least 4 letters or digits", field="id_number")
    return compact


def person_hash(settings: Settings, id_number: str, kind: IdKind) -> str:
    """The keyed hash that identifies a person across providers."""
    message = f"{kind.value}:{_normalised(id_number, kind)}".encode()
    return hmac.new(settings.person_id_hash_key_bytes, message, hashlib.sha256).hexdigest()


def masked(id_number: str, kind: IdKind) -> str:
    """440***********123X: enough for the provider to recognise its own entry."""
    value = _normalised(id_number, kind)
    head, tail = (3, 4) if kind is IdKind.resident_id else (1, 2)
    return value[:head] + "*" * (len(value) - head - tail) + value[-tail:]


async def declare_person(
    session: AsyncSession, settings: Settings, actor: Actor, body: PersonIn
) -> ProviderPerson:
    provider_id = own_provider(actor)
    person = ProviderPerson(
        provider_id=provider_id,
        id=uuid.uuid4(),
        role=body.role.value,
        name=body.name,
        id_hash=person_hash(settings, body.id_number, body.id_kind),
        id_masked=masked(body.id_number, body.id_kind),
        declared_by=actor.user_id,
    )
    await add_unique(
        session,
        person,
        TieDeclared("This person is declared in this role already.", field="id_number"),
    )
    await record(
        session,
        actor,
        "provider.person_declared",
        "provider",
        provider_id,
        after={"person_id": person.id, "role": person.role, "id_masked": person.id_masked},
    )
    return person


async def withdraw_person(session: AsyncSession, actor: Actor, person_id: uuid.UUID) -> None:
    provider_id = own_provider(actor)
    gone = await session.execute(
        delete(ProviderPerson)
        .where(ProviderPerson.provider_id == provider_id, ProviderPerson.id == person_id)
        .returning(ProviderPerson.role, ProviderPerson.id_masked)
    )
    row = gone.first()
    if row is None:
        raise NotFound("No such person of yours.")
    await record(
        session,
        actor,
        "provider.person_withdrawn",
        "provider",
        provider_id,
        before={"person_id": person_id, "role": row[0], "id_masked": row[1]},
    )


# --- reading ----------------------------------------------------------------------------------


async def affiliations(
    session: AsyncSession, provider_id: uuid.UUID
) -> Sequence[ProviderAffiliation]:
    rows = await session.scalars(
        select(ProviderAffiliation)
        .where(ProviderAffiliation.provider_id == provider_id)
        .order_by(ProviderAffiliation.created_at, ProviderAffiliation.id)
    )
    return rows.all()


async def persons(session: AsyncSession, provider_id: uuid.UUID) -> Sequence[ProviderPerson]:
    rows = await session.scalars(
        select(ProviderPerson)
        .where(ProviderPerson.provider_id == provider_id)
        .order_by(ProviderPerson.created_at, ProviderPerson.id)
    )
    return rows.all()


async def ties_between(session: AsyncSession, one: uuid.UUID, other: uuid.UUID) -> list[Tie]:
    """Every tie between two providers, from what either declared; empty when independent."""
    first = await get_provider(session, one)
    second = await get_provider(session, other)
    if first.id == second.id or first.uscc == second.uscc:
        return [Tie("same_organisation", f"{first.uscc} is the evaluated provider itself")]
    found: list[Tie] = []
    declared = await session.execute(
        select(ProviderAffiliation.provider_id, ProviderAffiliation.related_uscc).where(
            or_(
                (ProviderAffiliation.provider_id == first.id)
                & (ProviderAffiliation.related_uscc == second.uscc),
                (ProviderAffiliation.provider_id == second.id)
                & (ProviderAffiliation.related_uscc == first.uscc),
            )
        )
    )
    for declarer, related in declared.all():
        who = first if declarer == first.id else second
        found.append(Tie("affiliation", f"{who.uscc} declared {related} as affiliated"))
    mine = {a.related_uscc for a in await affiliations(session, first.id)}
    theirs = {a.related_uscc for a in await affiliations(session, second.id)}
    for common in sorted(mine & theirs):
        found.append(Tie("common_affiliation", f"both declared {common} as affiliated"))
    shared = await session.scalar(
        select(ProviderPerson.id_hash)
        .where(
            ProviderPerson.provider_id == first.id,
            ProviderPerson.id_hash.in_(
                select(ProviderPerson.id_hash).where(ProviderPerson.provider_id == second.id)
            ),
        )
        .limit(1)
    )
    if shared is not None:
        found.append(Tie("shared_person", "a principal person of one is one of the other"))
    return found


async def evaluators(session: AsyncSession) -> Sequence[Provider]:
    """Every evaluation organisation on the platform, by name: engaging one is a purchase of
    its own, so none needs to be registered in the engaging region."""
    rows = await session.scalars(
        select(Provider).where(Provider.is_evaluator.is_(True)).order_by(Provider.name, Provider.id)
    )
    return rows.all()
