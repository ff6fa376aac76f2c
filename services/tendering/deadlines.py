"""Deadlines in years nobody has entered, and their recomputation once someone does.

A deadline whose day falls in a year neither the chinesecalendar package nor the platform
knows was counted Monday–Friday (``services.kit.workdays``): it is shown with
``provisional: true``. The deadlines shown on a procurement are those a user acts on: the
enquiry deadline, the bid deadline and the opening (set by the buyer under working-day
rules), when the buyer's answers to questions and challenges are due, and the end of the
challenge period (实施条例 art. 53). The first time one of them is provisional in a year, the
platform administrators are told (``tenancy.note_provisional``, once per year).

When a year is entered, the region's recount job (``tenancy.holidays``) counts again, by
the same rules, the deadlines tendering computed:

- the answer times of open enquiries and challenges, and the end of the challenge period;
- a bid deadline moved out by a clarification (顺延, ``enquiries.move_deadline``): when it
  still equals what ``rules.check_clarification`` gave for the last clarification that may
  affect the bids, it is counted again (only later: a bidder is never cut short), the opening
  keeps its distance and a correction notice is published, as when it first moved. Only a
  negotiation's rule counts working days; a tender's counts calendar days and never moves;
- the bid securities still owed (``bid_security_due``): N working days after the award
  notice (the losers') or the signing (the winner's).

Never recounted, because the buyer typed them in: the enquiry deadline, the bid deadline and
the opening as set on the procurement (the rules only check them). A deadline is moved only
when its stored value is still the one its rule gave before the entry, so a recount that ran
moves nothing again. A moved deadline is audited and told to the buyer; a moved challenge
deadline was told to the bidders with the result, so they are told again and a correction
notice (更正公告) is published on the procurement.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import workdays
from services.kit.audit import Actor, record
from services.tenancy import service as tenancy
from services.tendering import (
    award_notice,
    bids,
    challenges,
    enquiries,
    events,
    notices,
    procurements,
    rules,
)
from services.tendering.models import BidSecurity, Challenge, Enquiry, Procurement
from services.tendering.repository import belongs_to
from services.tendering.schemas import DeadlineOut, NoticeKind, Status

# Procurements past these have no deadline left to move.
FINISHED = (Status.concluded.value, Status.failed.value, Status.cancelled.value)


def challenge_by(legal: rules.LegalRules, procurement: Procurement) -> datetime | None:
    if procurement.result_published_at is None:
        return None
    return rules.challenge_deadline(legal, procurement.result_published_at)


def shown(legal: rules.LegalRules, procurement: Procurement) -> list[DeadlineOut]:
    """The procurement's deadlines as shown, each with its provisional flag."""
    moments: list[tuple[str, datetime | None]] = [
        ("enquiry_deadline", procurement.enquiry_deadline),
        ("bid_deadline", procurement.bid_deadline),
        ("opening_at", procurement.opening_at),
        ("enquiry_answer_due", procurement.enquiry_answer_due),
        ("challenge_by", challenge_by(legal, procurement)),
        ("challenge_answer_due", procurement.challenge_answer_due),
    ]
    return [
        DeadlineOut(name=name, at=at, provisional=workdays.is_provisional_moment(at))
        for name, at in moments
        if at is not None
    ]


async def show(session: AsyncSession, actor: Actor, procurement: Procurement) -> list[DeadlineOut]:
    """:func:`shown`, telling the platform administrators of a year nobody entered."""
    legal = await rules.rules_for(session, procurement.tenant_id)
    out = shown(legal, procurement)
    unknown = {workdays.local_date(d.at).year for d in out if d.provisional}
    if unknown:
        region = await tenancy.get_tenant(session, procurement.tenant_id)
        await tenancy.note_provisional(session, actor, unknown, region.name)
    return out


def _computed(legal: rules.LegalRules, procurement: Procurement) -> dict[str, Any]:
    return {
        "enquiry_answer_due": procurement.enquiry_answer_due,
        "challenge_by": challenge_by(legal, procurement),
        "challenge_answer_due": procurement.challenge_answer_due,
    }


def _stored(procurement: Procurement) -> dict[str, Any]:
    return {
        "bid_deadline": procurement.bid_deadline,
        "bid_security_due": procurement.bid_security_due,
    }


async def recompute_year(
    session: AsyncSession, actor: Actor, year: int, previous: workdays.YearArrangement | None
) -> None:
    """Count again the deadlines of the region's waiting procurements (the session is bound
    to the region; ``year`` was just entered, ``previous`` is how it was counted before)."""
    # Waiting, or owing a bid security back (a concluded procurement may still owe one).
    waiting = await session.scalars(
        select(Procurement)
        .where(
            Procurement.tenant_id == actor.tenant,
            Procurement.status.not_in(FINISHED) | Procurement.bid_security_due.is_not(None),
        )
        .order_by(Procurement.created_at, Procurement.id)
        .with_for_update()
    )
    legal = await rules.rules_for(session, actor.tenant)
    for procurement in list(waiting):
        await _recompute(session, actor, legal, procurement, year, previous)


async def _recompute(
    session: AsyncSession,
    actor: Actor,
    legal: rules.LegalRules,
    procurement: Procurement,
    year: int,
    previous: workdays.YearArrangement | None,
) -> None:
    waiting = procurement.status not in FINISHED
    # The stored deadlines hold their old values; the computed one is counted as it was.
    with workdays.counting_as(year, previous):
        before = _computed(legal, procurement) if waiting else {}
    before |= _stored(procurement)
    await _recount_securities(session, legal, procurement, year, previous)
    if waiting:
        await _recount_answer_dues(session, legal, procurement)
        await _recount_clarified_deadline(session, actor, legal, procurement, year, previous)
    after = (_computed(legal, procurement) if waiting else {}) | _stored(procurement)
    moved = {name: at for name, at in after.items() if at != before[name]}
    if not moved:
        return
    await _tell_moved(session, actor, procurement, year, before, moved)


async def _recount_answer_dues(
    session: AsyncSession, legal: rules.LegalRules, procurement: Procurement
) -> None:
    open_challenges = await session.scalars(
        select(Challenge).where(belongs_to(Challenge, procurement), Challenge.answered_at.is_(None))
    )
    for challenge in open_challenges:
        challenge.answer_due = rules.answer_deadline(legal, challenge.filed_at)
    await challenges.track_answer_due(session, procurement)
    await enquiries.track_answer_due(session, procurement)


async def _recount_securities(
    session: AsyncSession,
    legal: rules.LegalRules,
    procurement: Procurement,
    year: int,
    previous: workdays.YearArrangement | None,
) -> None:
    """The securities still owed, each due N working days after the award notice (a loser's)
    or the signing (the winner's); one whose date was set otherwise is left as it is."""
    if procurement.bid_security_due is None:
        return
    owed = await session.scalars(
        select(BidSecurity)
        .where(
            belongs_to(BidSecurity, procurement),
            BidSecurity.returned_at.is_(None),
            BidSecurity.due_at.is_not(None),
        )
        .with_for_update()
    )
    for security in owed:
        since = procurement.contract_signed_at if security.winner else procurement.award_notice_at
        if since is None:
            continue
        with workdays.counting_as(year, previous):
            was = rules.bid_security_return_deadline(legal, since)
        if security.due_at == was:
            security.due_at = rules.bid_security_return_deadline(legal, since)
    await session.flush()
    await award_notice.track_due(session, procurement)


async def _recount_clarified_deadline(
    session: AsyncSession,
    actor: Actor,
    legal: rules.LegalRules,
    procurement: Procurement,
    year: int,
    previous: workdays.YearArrangement | None,
) -> None:
    """A bid deadline a clarification moved out (顺延), counted again from that clarification;
    one the buyer set (not equal to what the rule gave) stays."""
    if procurement.status != Status.tendering or procurement.bid_deadline is None:
        return
    clarified_at = await session.scalar(
        select(Enquiry.answered_at)
        .where(belongs_to(Enquiry, procurement), Enquiry.affects_bids.is_(True))
        .order_by(Enquiry.answered_at.desc())
        .limit(1)
    )
    if clarified_at is None:
        return
    with workdays.counting_as(year, previous):
        was = _moved_to(legal, procurement, clarified_at)
    now = _moved_to(legal, procurement, clarified_at)
    if was is None or now is None or procurement.bid_deadline != was or now <= was:
        return
    await enquiries.move_deadline(
        session,
        actor,
        procurement,
        now,
        f"{year}年节假日安排公布后，澄清后顺延的投标截止时间更正为{notices.local_time(now)}",
    )


def _moved_to(
    legal: rules.LegalRules, procurement: Procurement, clarified_at: datetime
) -> datetime | None:
    """Where a clarification at ``clarified_at`` moved the deadline to: the first day the rule
    allows, at the deadline's own clock time (``rules.check_clarification``)."""
    earliest = rules.earliest_deadline_after_clarification(legal, procurement.method, clarified_at)
    if earliest is None:
        return None
    clock = procurement.bid_deadline.astimezone(workdays.SHANGHAI).timetz()
    return datetime.combine(workdays.local_date(earliest), clock).astimezone(UTC)


async def _tell_moved(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    year: int,
    before: dict[str, Any],
    moved: dict[str, Any],
) -> None:
    await record(
        session,
        actor,
        "procurement.deadlines_recomputed",
        "procurement",
        procurement.id,
        before={"year": year, **{name: before[name] for name in moved}},
        after={"year": year, **moved},
    )
    changes = "；".join(
        f"{name}：{notices.local_time(before[name])} → {notices.local_time(at)}"
        for name, at in moved.items()
    )
    await procurements.tell_roles(
        session,
        actor,
        procurement,
        procurements.CIVIL_AFFAIRS,
        events.DEADLINES_RECOMPUTED.name,
        {"year": year, "changes": changes},
    )
    if "challenge_by" in moved and before["challenge_by"] is not None:
        # The bidders were told the challenge deadline with the result: a published date.
        await notices.publish(
            session,
            actor,
            procurement,
            NoticeKind.correction,
            {
                "change": f"{year}年节假日安排公布后，质疑期截止时间更正为"
                f"{notices.local_time(moved['challenge_by'])}",
                **notices.tender_data(procurement),
            },
        )
        await procurements.tell_providers(
            session,
            actor,
            procurement,
            await bids.participants(session, procurement),
            events.DEADLINES_RECOMPUTED.name,
            {"year": year, "changes": changes},
        )


tenancy.register_calendar_listener(recompute_year)
