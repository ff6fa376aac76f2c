"""Which objects documents attach to, as their owners registered them, and the owner check.

Imports stay one way: a context that owns objects registers each kind of them here (through
``service.register_object_type``) when it is imported, and the documents context never imports
the later ones. A kind says who owns an object of it and how its documents are sealed.
Provider registrations are registered here, by documents itself: tenancy sits below
documents and cannot call it.

A kind nobody registered is a government object: providers may not attach to it, government
users may, and its documents are not sealed. Every kind of ``ObjectType`` is registered today
(delivery registers ``report``, ``inspection``, ``rectification``, ``acceptance`` and
``evaluation``); the rule stands for a kind added before its owner registers it.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select
from sqlalchemy.ext.asyncio import AsyncSession

from services.documents.repository import Shared, Viewer
from services.documents.seals import SealPolicy
from services.kit.audit import Actor
from services.kit.errors import InvalidField, NotFound
from services.kit.objects import ObjectType
from services.tenancy import service as tenancy

OwnerCheck = Callable[[AsyncSession, Actor, uuid.UUID], Awaitable[uuid.UUID | None]]
SharedIds = Callable[[Actor], Select[Any]]
"""The ids of the objects of a kind whose open documents (neither confidential nor sealed)
a provider's user may read, as SQL (the owner's own query, run inside the documents query);
or, for ``withheld``, the ids of documents among them that stay the owner's all the same."""
"""Looks an object up in the actor's tenant, as the actor may see it: returns the provider
that owns it (None for a government object); raises NotFound when there is none."""


@dataclass(frozen=True)
class ObjectKind:
    """What documents know of a kind of object, as the context that owns it registered it."""

    owner: OwnerCheck
    # Every document is sealed by the server, until the time the policy reads.
    seal: SealPolicy | None
    # Documents may be sealed until a time the uploader names (always so with a policy).
    sealable: bool
    # Objects whose open documents providers read (a published tender's documents), and
    # documents of theirs that stay the owner's (a written recommendation).
    shared_with_providers: SharedIds | None = None
    withheld: SharedIds | None = None


_KINDS: dict[str, ObjectKind] = {}


def register_object_type(
    object_type: ObjectType,
    *,
    owner: OwnerCheck,
    seal: SealPolicy | None = None,
    sealable: bool = False,
    shared_with_providers: SharedIds | None = None,
    withheld: SharedIds | None = None,
) -> None:
    """What documents need to know of a kind of object, from the context that owns it: how
    to find one and its owner (``owner``); that its documents are always sealed, until the
    time ``seal`` reads, whatever the client sends; or that they may be sealed on request
    (``sealable``: until a time the uploader names); and which of its objects' open
    documents every provider's user may read (``shared_with_providers``), but for the
    documents ``withheld`` names."""
    _KINDS[object_type.value] = ObjectKind(
        owner, seal, sealable or seal is not None, shared_with_providers, withheld
    )


def shared_with(actor: Actor) -> tuple[Shared, ...]:
    """Per kind, the objects whose open documents this provider's user may read."""
    return tuple(
        Shared(
            name,
            kind.shared_with_providers(actor),
            kind.withheld(actor) if kind.withheld else None,
        )
        for name, kind in sorted(_KINDS.items())
        if kind.shared_with_providers is not None
    )


def seal_policy(object_type: str) -> SealPolicy | None:
    kind = _KINDS.get(object_type)
    return kind.seal if kind else None


def sealable(object_type: str) -> bool:
    kind = _KINDS.get(object_type)
    return kind is not None and kind.sealable


def sealable_kinds() -> list[str]:
    return sorted(name for name, kind in _KINDS.items() if kind.sealable)


async def check_object(
    session: AsyncSession, viewer: Viewer, object_type: ObjectType, object_id: uuid.UUID
) -> None:
    """A provider may attach documents only to objects of its own (known by a registered
    check); government users to any object of the tenant — checked where a check exists."""
    kind = _KINDS.get(object_type.value)
    missing = InvalidField(f"no {object_type.value} {object_id} of yours here", field="object_id")
    if kind is None:
        if viewer.is_provider:
            raise missing
        return
    try:
        owner = await kind.owner(session, viewer.actor, object_id)
    except NotFound:
        raise missing from None
    if viewer.is_provider and owner != viewer.actor.provider_id:
        raise missing


async def _registration_owner(
    session: AsyncSession, actor: Actor, object_id: uuid.UUID
) -> uuid.UUID | None:
    registration, _ = await tenancy.get_registration(session, actor, object_id)
    return registration.provider_id


register_object_type(ObjectType.registration, owner=_registration_owner)
