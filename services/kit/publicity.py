"""Public changes: the hook list that open data listens to.

A context that makes something public (a notice published, a payment made) announces it here
inside its own transaction; listeners registered by higher layers (``services.opendata``)
record what they publish in the same transaction, so a public change and its open-data release
commit together or not at all. Listeners must be idempotent: a change may be announced again.
"""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession


@dataclass(frozen=True)
class PublicChange:
    tenant: str
    procurement_id: uuid.UUID
    # A notice kind (tendering's NoticeKind values) or "payment".
    kind: str
    # The notice's or the payment's id: with ``kind``, what makes the change unique.
    source_id: uuid.UUID
    at: datetime


Listener = Callable[[AsyncSession, PublicChange], Awaitable[None]]
_LISTENERS: list[Listener] = []


def register_public_listener(listener: Listener) -> Listener:
    """Call ``listener`` on every public change; usable as a decorator. Registered once."""
    if listener not in _LISTENERS:
        _LISTENERS.append(listener)
    return listener


async def announce(session: AsyncSession, change: PublicChange) -> None:
    for listener in list(_LISTENERS):
        await listener(session, change)
