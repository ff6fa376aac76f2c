"""Tables of the procurement stage: procedures and their transitions, invitations, public
notices, enquiries, bids, the expert pool, evaluation committees and their scores.

All tenant-owned (``tenant_id`` leads every key; RLS forced, migration 0008). Published
notices are public: one extra policy lets anyone read them, in every region.
"""

from __future__ import annotations

import uuid
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    DateTime,
    ForeignKey,
    ForeignKeyConstraint,
    Index,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Text,
    Uuid,
    func,
    text,
)
from sqlalchemy.dialects.postgresql import ARRAY, JSONB
from sqlalchemy.orm import Mapped, mapped_column

from services.kit.db import MONEY, Base, TenantOwned


def _procurement_fk(table: str) -> ForeignKeyConstraint:
    return ForeignKeyConstraint(
        ["tenant_id", "procurement_id"],
        ["procurements.tenant_id", "procurements.id"],
        name=f"fk_{table}_procurement",
    )


class Procurement(TenantOwned, Base):
    """One purchase (采购项目) by one method, from one approved budget line."""

    __tablename__ = "procurements"
    __table_args__ = (
        Index("ix_procurements_tenant_status", "tenant_id", "status"),
        Index("ix_procurements_tenant_project", "tenant_id", "project_id"),
        Index("uq_procurements_tenant_ocid", "tenant_id", "ocid", unique=True),
        CheckConstraint("ceiling_price > 0 AND ceiling_price <= budget_amount", name="ceiling_ok"),
        CheckConstraint("bid_security >= 0", name="security_ok"),
        # One continuation per failed tender (migration 0040).
        Index(
            "uq_procurements_continues_from",
            "tenant_id",
            "continues_from",
            unique=True,
            postgresql_where=text("continues_from IS NOT NULL"),
        ),
        ForeignKeyConstraint(
            ["tenant_id", "continues_from"],
            ["procurements.tenant_id", "procurements.id"],
            name="fk_procurements_continues_from",
        ),
    )

    ocid: Mapped[str] = mapped_column(String(100))
    project_id: Mapped[uuid.UUID] = mapped_column()
    budget_line_id: Mapped[uuid.UUID] = mapped_column()
    commitment_id: Mapped[uuid.UUID] = mapped_column()
    title: Mapped[str] = mapped_column(String(200))
    requirements: Mapped[str] = mapped_column(Text)
    method: Mapped[str] = mapped_column(String(32))
    method_reason: Mapped[str | None] = mapped_column(String(48))
    method_justification: Mapped[str | None] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(32))
    budget_amount: Mapped[Decimal] = mapped_column(MONEY)
    ceiling_price: Mapped[Decimal] = mapped_column(MONEY)
    bid_security: Mapped[Decimal] = mapped_column(MONEY)
    qualification_criteria: Mapped[list[str]] = mapped_column(ARRAY(Text))
    # The bars that disqualify (credit.Ground values) and when they count (migration 0035).
    credit_bars: Mapped[list[str]] = mapped_column(
        ARRAY(String(32)), default=lambda: ["art77", "regional_disqualification"]
    )
    credit_window: Mapped[str] = mapped_column(String(32), default="at_check")
    # 87号令 art. 47: either flag calls for the larger committee whatever the budget; the
    # first also lets the buyer choose experts (art. 48). Set by the buyer on the draft (0037).
    technically_complex: Mapped[bool] = mapped_column(Boolean, default=False)
    wide_social_impact: Mapped[bool] = mapped_column(Boolean, default=False)
    # Competitive consultation (migration 0041): a fixed-price purchase scores no price; a
    # price weight outside 10–30 % waits for finance's approval of the method.
    fixed_price: Mapped[bool] = mapped_column(Boolean, default=False)
    price_weight_outside_range: Mapped[bool] = mapped_column(Boolean, default=False)
    # The failed open tender this negotiation goes on from with its two valid bidders
    # (财政部令第74号 art. 27; continuation.py).
    continues_from: Mapped[uuid.UUID | None] = mapped_column()
    # [{"name": ..., "weight": int, "price": bool}], weights summing to 100.
    criteria: Mapped[list[dict[str, Any]]] = mapped_column(JSONB)
    enquiry_deadline: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    bid_deadline: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opening_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    documents_issued_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approved_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    approved_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    approval_note: Mapped[str | None] = mapped_column(Text)
    # Whose finance approves (approved) the method: set on submission (0038); a county's at or
    # above the threshold is its city's (approval_authority).
    approving_region: Mapped[str | None] = mapped_column(ForeignKey("tenants.code"))
    committee_seed: Mapped[str | None] = mapped_column(String(64))
    report_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    recommended_bid_id: Mapped[uuid.UUID | None] = mapped_column()
    # Who the committee (or the negotiation) recommends, at what price; then who is awarded.
    recommended_provider_id: Mapped[uuid.UUID | None] = mapped_column()
    recommended_price: Mapped[Decimal | None] = mapped_column(MONEY)
    awarded_bid_id: Mapped[uuid.UUID | None] = mapped_column()
    awarded_provider_id: Mapped[uuid.UUID | None] = mapped_column()
    awarded_price: Mapped[Decimal | None] = mapped_column(MONEY)
    confirmed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    result_published_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The award notice (中标/成交通知书), sent with the result: the contract's 30 days start here.
    award_notice_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # The earliest bid security still owed back (kept for the sweep, migration 0016).
    bid_security_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the winner signed the contract (contracts tells it): the award stands from then on,
    # and the winner's bid security is owed back 5 working days later (migration 0018).
    contract_signed_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the oldest unanswered challenge must be answered (the sweep warns after it).
    challenge_answer_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # When the oldest unanswered enquiry or objection is due (the sweep warns after it).
    enquiry_answer_due: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    # Late steps the chronograph has warned about ("confirm:<due>"), so it warns once.
    warnings_sent: Mapped[list[str]] = mapped_column(ARRAY(String(80)), default=list)
    created_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class Transition(Base):
    """Every status change of a procurement, in order: who, when, from what, why."""

    __tablename__ = "procurement_transitions"
    __table_args__ = (_procurement_fk("procurement_transitions"),)

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    from_status: Mapped[str | None] = mapped_column(String(32))
    to_status: Mapped[str] = mapped_column(String(32))
    at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    by_user: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    reason: Mapped[str | None] = mapped_column(Text)


class Invitation(Base):
    """A provider invited to an invited tender or a negotiation."""

    __tablename__ = "procurement_invitations"
    __table_args__ = (_procurement_fk("procurement_invitations"),)

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"), primary_key=True)


class Notice(TenantOwned, Base):
    """A public notice (公告): readable by anyone once published, in every region."""

    __tablename__ = "notices"
    __table_args__ = (
        _procurement_fk("notices"),
        Index("ix_notices_tenant_published", "tenant_id", "published_at"),
    )

    procurement_id: Mapped[uuid.UUID] = mapped_column()
    kind: Mapped[str] = mapped_column(String(32))
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    data: Mapped[dict[str, Any]] = mapped_column(JSONB)
    published_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Enquiry(TenantOwned, Base):
    """A provider's question; the answer is public and never names who asked."""

    __tablename__ = "enquiries"
    __table_args__ = (
        _procurement_fk("enquiries"),
        Index("ix_enquiries_tenant_procurement", "tenant_id", "procurement_id"),
    )

    procurement_id: Mapped[uuid.UUID] = mapped_column()
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    question: Mapped[str] = mapped_column(Text)
    asked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())
    answer: Mapped[str | None] = mapped_column(Text)
    affects_bids: Mapped[bool] = mapped_column(Boolean, default=False)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Bid(TenantOwned, Base):
    """A provider's bid. Its price is sealed (AES-GCM under the bid's seal key) until the
    opening; ``price`` is filled in only when the bids are opened."""

    __tablename__ = "bids"
    __table_args__ = (
        _procurement_fk("bids"),
        Index("ix_bids_tenant_procurement", "tenant_id", "procurement_id"),
        # One live bid per provider and procurement; replaced and withdrawn ones stay.
        Index(
            "uq_bids_live",
            "tenant_id",
            "procurement_id",
            "provider_id",
            unique=True,
            postgresql_where=text("status = 'submitted'"),
        ),
    )

    procurement_id: Mapped[uuid.UUID] = mapped_column()
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    status: Mapped[str] = mapped_column(String(16))
    price_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    price: Mapped[Decimal | None] = mapped_column(MONEY)
    receipt: Mapped[str] = mapped_column(String(64))
    submitted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    withdrawn_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    total_score: Mapped[Decimal | None] = mapped_column(Numeric(8, 2))
    rank: Mapped[int | None] = mapped_column(Integer)
    # 资格审查 by the buyer, then 符合性审查 by the committee; an invalid bid keeps its reason.
    qualified: Mapped[bool | None] = mapped_column(Boolean)
    qualification_reason: Mapped[str | None] = mapped_column(Text)
    compliant: Mapped[bool | None] = mapped_column(Boolean)
    compliance_reason: Mapped[str | None] = mapped_column(Text)


class BidSecurity(Base):
    """A bidder's security (投标保证金), owed back after the award notice (财政部令第87号
    art. 38): a losing bidder's within 5 working days of it, the winner's within 5 working days
    of signing the contract (``due_at`` stays empty until then)."""

    __tablename__ = "bid_securities"
    __table_args__ = (
        _procurement_fk("bid_securities"),
        CheckConstraint("amount > 0", name="amount_positive"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    bid_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    amount: Mapped[Decimal] = mapped_column(MONEY)
    winner: Mapped[bool] = mapped_column(Boolean)
    due_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    returned_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    returned_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    note: Mapped[str | None] = mapped_column(Text)


class AwardRefusal(Base):
    """A winner that refused, or failed, to sign the contract (实施条例 art. 49): it is never
    this procurement's winner again. ``bid_id`` is empty for a single source (no bid)."""

    __tablename__ = "award_refusals"
    __table_args__ = (_procurement_fk("award_refusals"),)

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    bid_id: Mapped[uuid.UUID | None] = mapped_column()
    reason: Mapped[str] = mapped_column(Text)
    refused_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    by_user: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class NegotiationRound(Base):
    """A round of a negotiation (谈判轮次); the final one asks for final offers (最后报价)."""

    __tablename__ = "negotiation_rounds"
    __table_args__ = (_procurement_fk("negotiation_rounds"),)

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    final: Mapped[bool] = mapped_column(Boolean)
    note: Mapped[str | None] = mapped_column(Text)
    opened_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    opened_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


class Offer(Base):
    """A supplier's offer in one round: its price and terms (the latest one counts)."""

    __tablename__ = "offers"
    __table_args__ = (
        _procurement_fk("offers"),
        CheckConstraint("price > 0", name="price_positive"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    round: Mapped[int] = mapped_column(Integer, primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    price: Mapped[Decimal] = mapped_column(MONEY)
    terms: Mapped[str | None] = mapped_column(Text)
    submitted_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    submitted_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))


class Exclusion(Base):
    """A supplier the negotiation group found not to meet the requirements, and why."""

    __tablename__ = "negotiation_exclusions"
    __table_args__ = (_procurement_fk("negotiation_exclusions"),)

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"), primary_key=True)
    reason: Mapped[str] = mapped_column(Text)
    excluded_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    excluded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Expert(Base):
    """An expert of a province's library (评审专家库), kept in the province's tenant:
    specialities, declared ties and availability (migration 0032)."""

    __tablename__ = "experts"
    __table_args__ = (
        CheckConstraint(
            "(unavailable_from IS NULL) = (unavailable_to IS NULL)"
            " AND (unavailable_from IS NULL OR unavailable_from <= unavailable_to)",
            name="unavailable_ok",
        ),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    specialities: Mapped[list[str]] = mapped_column(ARRAY(String(64)))
    employer: Mapped[str] = mapped_column(String(200))
    # Providers the expert works for, advises or is otherwise tied to (declared).
    affiliated_provider_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()))
    # Organisations tied to the expert by 统一社会信用代码 (declared).
    affiliated_usccs: Mapped[list[str]] = mapped_column(
        ARRAY(String(18)), server_default="{}", default=list
    )
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    # Days (Asia/Shanghai, both included) the expert cannot be drawn.
    unavailable_from: Mapped[date | None] = mapped_column(Date)
    unavailable_to: Mapped[date | None] = mapped_column(Date)


class CommitteeMember(Base):
    """A member of a procurement's evaluation committee (评标委员会)."""

    __tablename__ = "committee_members"
    __table_args__ = (_procurement_fk("committee_members"),)

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"), primary_key=True)
    # expert (drawn from the pool) or buyer_representative (采购人代表)
    kind: Mapped[str] = mapped_column(String(24))
    scores_submitted_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))


class Score(Base):
    """One member's score of one bid on one criterion."""

    __tablename__ = "scores"
    __table_args__ = (_procurement_fk("scores"),)

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    procurement_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    user_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    bid_id: Mapped[uuid.UUID] = mapped_column(primary_key=True)
    criterion: Mapped[str] = mapped_column(String(100), primary_key=True)
    score: Mapped[Decimal] = mapped_column(Numeric(6, 2))


class Challenge(TenantOwned, Base):
    """质疑: a bidder challenges the result; the buyer answers within the legal time."""

    __tablename__ = "challenges"
    __table_args__ = (
        _procurement_fk("challenges"),
        Index("ix_challenges_tenant_procurement", "tenant_id", "procurement_id"),
    )

    procurement_id: Mapped[uuid.UUID] = mapped_column()
    provider_id: Mapped[uuid.UUID] = mapped_column(ForeignKey("providers.id"))
    grounds: Mapped[str] = mapped_column(Text)
    filed_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    answer_due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    outcome: Mapped[str | None] = mapped_column(String(16))
    answer: Mapped[str | None] = mapped_column(Text)
    answered_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    answered_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))


# A region's own legal rules: what it tightened beyond the national defaults (migration
# 0007). The overrides are JSON in the form the API takes: integers as numbers, amounts,
# percentages and shares as strings ("4000000", "1.5", "3/4").
class TenderingRules(Base):
    """One row per region that has tightened any rule; no row means the national defaults."""

    __tablename__ = "tendering_rules"
    __table_args__ = (
        CheckConstraint("jsonb_typeof(overrides) = 'object'", name="overrides_is_object"),
    )

    tenant_id: Mapped[str] = mapped_column(String(6), ForeignKey("tenants.code"), primary_key=True)
    overrides: Mapped[dict[str, Any]] = mapped_column(JSONB, server_default=text("'{}'::jsonb"))
    updated_by: Mapped[uuid.UUID | None] = mapped_column(ForeignKey("users.id"))
    updated_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), server_default=func.now())


class SingleSourceJustification(TenantOwned, Base):
    """补充论证 of a single-source notice's objections (74号令 art. 40, migration 0039): one
    per notice, never changed. Upheld ends the single source; not upheld sends it, with the
    objections and this opinion, to finance."""

    __tablename__ = "single_source_justifications"
    __table_args__ = (
        _procurement_fk("single_source_justifications"),
        Index("ix_single_source_justifications_procurement", "tenant_id", "procurement_id"),
        Index("uq_single_source_justifications_notice", "tenant_id", "notice_id", unique=True),
    )

    procurement_id: Mapped[uuid.UUID] = mapped_column()
    notice_id: Mapped[uuid.UUID] = mapped_column()
    objections_upheld: Mapped[bool] = mapped_column(Boolean)
    opinion: Mapped[str] = mapped_column(Text)
    experts: Mapped[list[str]] = mapped_column(ARRAY(Text), default=list)
    document_ids: Mapped[list[uuid.UUID]] = mapped_column(ARRAY(Uuid()), default=list)
    due: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    recorded_by: Mapped[uuid.UUID] = mapped_column(ForeignKey("users.id"))
    recorded_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
