"""Who else reacts when a provider's bars change in a region: the hook list.

The worker (``services.credit.tasks``) calls every listener once per region the change
concerns, inside its own transaction, with the session bound to that region — so a listener
reads and writes that region's rows under its RLS and its work commits (or not) with the
notifications. The tendering context registers one to flag the provider's open bids there.
Listeners must be idempotent like the job itself: a failed job runs them all again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from sqlalchemy.ext.asyncio import AsyncSession

from services.credit.schemas import Ground, Scope


class Change(StrEnum):
    barred = "barred"  # a disqualification applying here was confirmed
    lifted = "lifted"  # one was revoked


@dataclass(frozen=True)
class BarChange:
    provider_id: uuid.UUID
    tenant: str
    change: Change
    disqualification_id: uuid.UUID
    source_tenant: str
    scope: Scope
    starts_on: date
    ends_on: date
    # Whether any bar applies in ``tenant`` today, after the change.
    barred_now: bool
    ground: Ground = Ground.art77


BarListener = Callable[[AsyncSession, BarChange], Awaitable[None]]
_LISTENERS: list[BarListener] = []


def register_bar_listener(listener: BarListener) -> BarListener:
    """Call ``listener`` on every bar change; usable as a decorator. Registered once."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


def unregister_bar_listener(listener: BarListener) -> None:
    if listener in _LISTENERS:
        _LISTENERS.remove(listener)


async def announce(session: AsyncSession, change: BarChange) -> None:
    for listener in list(_LISTENERS):
        await listener(session, change)
