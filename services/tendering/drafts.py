"""A draft procurement changed before it goes anywhere: its title, requirements, deadlines and
its marks as technically complex or of wide social impact (财政部令第87号 art. 47). The
deadlines are checked again as at creation; the method, budget line and amounts never change
(the budget commitment and the method's approval rest on them). Once a prequalification
notice has published the title and requirements, they stay as published. A flag decides the
committee's size, so once a committee has been drawn it stays as drawn."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.audit import Actor, record
from services.tendering import draws, evaluation, prequalification, procurements, rules
from services.tendering.errors import WrongState
from services.tendering.models import Procurement
from services.tendering.schemas import DraftUpdate, Method, Status

FLAGS = ("technically_complex", "wide_social_impact")
TEXTS = ("title", "requirements")
DATES = ("bid_deadline", "opening_at", "enquiry_deadline")


async def update(
    session: AsyncSession, actor: Actor, procurement_id: uuid.UUID, body: DraftUpdate
) -> Procurement:
    procurement = await procurements.get(session, actor, procurement_id, lock=True)
    if procurement.status != Status.draft:
        raise WrongState(
            f"Only a draft is changed this way; the procurement is {procurement.status}."
        )
    changes: dict[str, Any] = {}
    for name in (*TEXTS, *FLAGS):
        value = getattr(body, name)
        if value is not None and value != getattr(procurement, name):
            changes[name] = value
    if any(name in changes for name in TEXTS) and await prequalification.find(session, procurement):
        # What a public notice said is changed only by a public notice (87号令 art. 27).
        raise WrongState(
            "The prequalification notice has published the title and requirements; "
            "they are no longer changed in the draft."
        )
    if any(name in changes for name in FLAGS) and await _committee_drawn(session, procurement):
        raise WrongState("The committee has been drawn at the size these marks called for.")
    changes.update(await _dates(session, actor, procurement, body))
    if not changes:
        return procurement
    before = {name: getattr(procurement, name) for name in changes}
    for name, value in changes.items():
        setattr(procurement, name, value)
    await session.flush()
    await record(
        session,
        actor,
        "procurement.draft_updated",
        "procurement",
        procurement.id,
        before=before,
        after=changes,
    )
    return procurement


async def _committee_drawn(session: AsyncSession, procurement: Procurement) -> bool:
    return bool(
        await evaluation.members(session, procurement) or await draws.draws_of(session, procurement)
    )


async def _dates(
    session: AsyncSession, actor: Actor, procurement: Procurement, body: DraftUpdate
) -> dict[str, datetime]:
    """The deadlines as changed, checked together as at creation; none if none is given."""
    if all(getattr(body, name) is None for name in DATES):
        return {}
    bid_deadline = procurements.aware(body.bid_deadline, "bid_deadline")
    bid_deadline = bid_deadline or procurement.bid_deadline
    opening_at = procurements.aware(body.opening_at, "opening_at")
    if opening_at is None:
        # An opening left at the deadline (creation's default) follows the deadline.
        following = procurement.opening_at == procurement.bid_deadline
        opening_at = bid_deadline if following else procurement.opening_at
    enquiry_deadline = procurements.aware(body.enquiry_deadline, "enquiry_deadline")
    enquiry_deadline = enquiry_deadline or procurement.enquiry_deadline
    legal = await rules.rules_for(session, actor.tenant)
    procurements.check_dates(
        legal, Method(procurement.method), bid_deadline, opening_at, enquiry_deadline
    )
    found = {
        "bid_deadline": bid_deadline,
        "opening_at": opening_at,
        "enquiry_deadline": enquiry_deadline,
    }
    return {
        name: value
        for name, value in found.items()
        if value is not None and value != getattr(procurement, name)
    }
