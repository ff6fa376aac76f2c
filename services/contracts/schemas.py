"""Bodies of the contracts API. Money is a string of 元 with at most two decimals."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated

import msgspec

from services.kit.money import Money
from services.kit.types import Line, Text

Prose = Annotated[Text, msgspec.Meta(min_length=1, max_length=20000)]
Milestone = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]


class ContractStatus(StrEnum):
    drafting = "drafting"  # 起草中: drafted from the award, terms being set
    signing = "signing"  # 签署中: one side has signed the contract document
    signed = "signed"  # 已签订: both sides signed the same document version
    refused = "refused"  # 中标人拒签: the winner refused or failed to sign (实施条例 art. 49)
    void = "void"  # 不得签订: finance decided the award may not be signed (94号令 art. 32)
    terminated = "terminated"  # 已解除: ended on the grounds of 政府采购法 art. 50


# A contract in these states is over: nothing more is signed, paid or changed.
ENDED = frozenset({ContractStatus.refused, ContractStatus.void, ContractStatus.terminated})


class NextStep(StrEnum):
    next_ranked = "next_ranked"  # 依次确定下一候选人
    procure_again = "procure_again"  # 重新开展采购活动


class Party(StrEnum):
    buyer = "buyer"  # 采购人
    provider = "provider"  # 供应商
    finance = "finance"  # 财政部门 (orders, never signs)


Sha256 = Annotated[str, msgspec.Meta(pattern="^[0-9a-f]{64}$", description="lower-case hex")]
Reason = Annotated[Text, msgspec.Meta(min_length=1, max_length=2000)]


class InstalmentIn(msgspec.Struct, forbid_unknown_fields=True):
    milestone: Milestone
    amount: Money
    due_on: date
    # The last payment, released by the acceptance (结项验收); at most one, the latest.
    final: bool = False


FiscalYear = Annotated[int, msgspec.Meta(ge=2000, le=2100)]


class YearShareIn(msgspec.Struct, forbid_unknown_fields=True):
    fiscal_year: FiscalYear
    amount: Money


class SecurityForm(StrEnum):
    """A performance security is never cash (实施条例 art. 48): a cheque, a draft, a
    promissory note, or a guarantee of a financial or guarantee institution."""

    cheque = "cheque"  # 支票
    bank_draft = "bank_draft"  # 汇票
    promissory_note = "promissory_note"  # 本票
    bank_guarantee = "bank_guarantee"  # 金融机构出具的保函
    guarantee_letter = "guarantee_letter"  # 担保机构出具的保函
    guarantee_insurance = "guarantee_insurance"  # 履约保证保险


class ContractTerms(msgspec.Struct, forbid_unknown_fields=True):
    """The terms the buyer drafts, as the procurement documents and the winning bid set them
    (政府采购法 art. 46: no substantive change)."""

    scope: Prose
    quality_requirements: Prose
    breach_liability: Prose
    period_start: date
    period_end: date
    instalments: Annotated[list[InstalmentIn], msgspec.Meta(min_length=1, max_length=60)]
    # Generally one year; up to three for a continuing service whose budget is assured.
    continuing_service_reason: Prose | None = None
    performance_security: Money | None = None
    # No subcontracting without the buyer's consent (政府采购法 art. 48).
    subcontracting_allowed: bool = False
    # When and how the performance security comes back, as the parties agree it.
    security_return_terms: Prose | None = None
    # A period running into later fiscal years says each year's share, summing to the price:
    # each is committed against that year's approved budget line at signing.
    year_shares: Annotated[list[YearShareIn], msgspec.Meta(max_length=4)] = []


class InstalmentOut(msgspec.Struct):
    seq: int
    milestone: str
    amount: Money
    due_on: date
    final: bool


class TargetOut(msgspec.Struct):
    dimension: str  # quantity | scale | quality | effect, as planning sets them
    name: str
    unit: str
    target_value: str


class YearShareOut(msgspec.Struct):
    fiscal_year: int
    amount: Money
    # Set at signing: the year's budget line and the commitment held on it.
    line_id: uuid.UUID | None
    commitment_id: uuid.UUID | None


class ContractOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    procurement_id: uuid.UUID
    ocid: str
    title: str
    status: ContractStatus
    provider_id: uuid.UUID
    project_id: uuid.UUID
    budget_line_id: uuid.UUID
    price: Money
    award_notice_at: datetime
    # The last moment to sign: 30 days from the day after the award notice (政府采购法 art. 46).
    sign_by: datetime
    # True when the holidays of that year are not known yet: counted Monday–Friday, it may
    # move once the year is entered (README "Holiday calendar").
    sign_by_provisional: bool
    # The parties: the buyer (the region's civil affairs bureau) and the provider.
    buyer_organisation_id: uuid.UUID | None
    buyer_name: str | None
    provider_name: str | None
    provider_uscc: str | None
    # As the procurement documents carried them from the project; the buyer cannot change them.
    county_code: str | None
    target_groups: list[str]
    beneficiaries: int | None
    targets: list[TargetOut]
    scope: str | None
    quality_requirements: str | None
    breach_liability: str | None
    period_start: date | None
    period_end: date | None
    continuing_service_reason: str | None
    performance_security: Money | None
    subcontracting_allowed: bool
    security_return_terms: str | None
    # The performance security as received (its non-cash form) and returned.
    security_form: SecurityForm | None
    security_reference: str | None
    security_received_on: date | None
    security_returned_on: date | None
    instalments: list[InstalmentOut]
    year_shares: list[YearShareOut]
    signatures: list[SignatureOut]
    suspensions: list[SuspensionOut]
    # Signing, then publishing within 2 working days and filing within 7 (实施条例 art. 50,
    # 政府采购法 art. 47).
    signed_at: datetime | None
    signed_document_id: uuid.UUID | None
    signed_sha256: str | None
    publish_by: datetime | None
    published_at: datetime | None
    file_by: datetime | None
    filed_at: datetime | None
    # True when publish_by / file_by falls in a year whose holidays are not known yet.
    publish_by_provisional: bool
    file_by_provisional: bool
    ended_at: datetime | None
    end_reason: str | None
    created_at: datetime
    updated_at: datetime
    # What supplementary purchases that took effect added (政府采购法 art. 49), and the
    # contract's value now: the original price plus that.
    supplementary_total: Money
    value: Money


class SignatureIn(msgspec.Struct, forbid_unknown_fields=True):
    """What the signer read and accepts: the contract document and the SHA-256 of its
    current version, as the signer's own copy gives it."""

    document_id: uuid.UUID
    sha256: Sha256


class SignatureOut(msgspec.Struct):
    party: Party
    user_id: uuid.UUID
    document_id: uuid.UUID
    version: int
    sha256: str
    signed_at: datetime


class BuyerSuspensionIn(msgspec.Struct, forbid_unknown_fields=True):
    """The buyer's decision that a challenge may change the result (实施条例 art. 54)."""

    reason: Reason
    challenge_id: uuid.UUID | None = None


class FinanceSuspensionIn(msgspec.Struct, forbid_unknown_fields=True):
    """Finance's order during a complaint: at most 30 days (94号令 art. 28)."""

    reason: Reason
    days: Annotated[int, msgspec.Meta(ge=1, le=30)]


class LiftIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class SuspensionOut(msgspec.Struct):
    id: uuid.UUID
    ordered_by: Party
    reason: str
    challenge_id: uuid.UUID | None
    starts_at: datetime
    # Finance's order ends by itself at 24:00 of its last day; the buyer's when lifted.
    ends_at: datetime | None
    lifted_at: datetime | None
    lift_reason: str | None
    in_force: bool


class BarOut(msgspec.Struct):
    disqualification_id: uuid.UUID
    source_tenant: str
    source_name: str
    scope: str
    starts_on: date
    last_day: date


class ChallengeOut(msgspec.Struct):
    id: uuid.UUID
    filed_at: datetime
    answer_due: datetime
    # True when the holidays of that year are not known yet: counted Monday–Friday, it may
    # move once the year is entered (README "Holiday calendar").
    answer_due_provisional: bool


class SigningOut(msgspec.Struct):
    """What the buyer sees before signing: the provider, its credit here today, what is
    open against the result, and whether the platform would take a signature now."""

    contract_id: uuid.UUID
    provider_id: uuid.UUID
    provider_name: str
    provider_uscc: str
    # Bars in force in this region: a qualification condition of every procurement here
    # (政府采购法 art. 22, 实施条例 art. 19), so a bar refuses the signature.
    bars: list[BarOut]
    open_challenges: list[ChallengeOut]
    suspensions_in_force: list[SuspensionOut]
    signatures: list[SignatureOut]
    may_sign: bool
    # Why not, in words, when it may not.
    obstacles: list[str]


class AwardEndIn(msgspec.Struct, forbid_unknown_fields=True):
    """The award ends without a contract: the winner refused or failed to sign (recorded by
    the buyer, reported to finance as a possible art. 77 case, 实施条例 art. 72), or finance
    decided it may not be signed (财政部令第94号 art. 32). Then the next-ranked candidate is
    awarded (实施条例 art. 49) or the purchase is procured again."""

    reason: Reason
    next_step: NextStep


class WithholdGround(StrEnum):
    state_secret = "state_secret"  # 国家秘密
    trade_secret = "trade_secret"  # 双方约定的商业秘密
    personal_information = "personal_information"  # 个人信息（《个人信息保护法》）


class Withheld(msgspec.Struct, forbid_unknown_fields=True):
    """A part of the contract left out of the public notice, and on which ground."""

    part: Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]
    ground: WithholdGround


class PublicationIn(msgspec.Struct, forbid_unknown_fields=True):
    """The public notice of a signed contract (实施条例 art. 50). The subject, the provider,
    the amount and the period are always in it — never secret (财库〔2017〕86号); the parts
    left out are named with their ground. ``public_document_id`` is the contract's text as
    published (a document of this contract, with what is withheld taken out)."""

    withheld: Annotated[list[Withheld], msgspec.Meta(max_length=50)] = []
    public_document_id: uuid.UUID | None = None


class FilingIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Annotated[Text, msgspec.Meta(max_length=2000)] | None = None


# --- payments (拨付) -------------------------------------------------------------------------


class PaymentMode(StrEnum):
    """How a region pays its contracts' instalments, as its finance bureau sets it."""

    treasury = "treasury"  # 国库集中支付: the buyer pays through the treasury, finance sees
    finance_approval = "finance_approval"  # 财政审核拨付: finance approves each instalment


class PaymentStatus(StrEnum):
    requested = "requested"  # 已申请: the provider asked, with its evidence
    confirmed = "confirmed"  # 已确认: civil affairs confirmed the deliverables; pay_by runs
    approved = "approved"  # 已审核: finance approved (finance_approval mode only)
    paid = "paid"  # 已支付: paid, with the treasury voucher
    returned = "returned"  # 已退回: returned with reasons; its amount may be requested again


# 保障中小企业款项支付条例 art. 8: paid within 30 days of delivery; a contract may agree on
# longer, never over 60.
PaymentDays = Annotated[
    int,
    msgspec.Meta(
        ge=1,
        le=60,
        description="days from the confirmation to pay (保障中小企业款项支付条例 art. 8: "
        "30, at most 60)",
    ),
]
Note = Annotated[Text, msgspec.Meta(max_length=2000)]


class PaymentSettingIn(msgspec.Struct, forbid_unknown_fields=True):
    mode: PaymentMode
    payment_days: PaymentDays


class PaymentSettingOut(msgspec.Struct):
    tenant_id: str
    mode: PaymentMode
    payment_days: int
    # Never set: the national defaults (treasury, 30 days).
    updated_at: datetime | None
    updated_by: uuid.UUID | None


class PaymentRequestIn(msgspec.Struct, forbid_unknown_fields=True):
    """The provider asks for (part of) an instalment, with the evidence of what it delivered:
    documents it attached to this contract."""

    instalment_seq: Annotated[int, msgspec.Meta(ge=1, le=60)]
    amount: Money
    evidence_document_ids: Annotated[list[uuid.UUID], msgspec.Meta(min_length=1, max_length=20)]
    note: Note | None = None


class PaymentNoteIn(msgspec.Struct, forbid_unknown_fields=True):
    note: Note | None = None


class PaymentReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class PaidIn(msgspec.Struct, forbid_unknown_fields=True):
    """The treasury paid: the day and its payment voucher number."""

    paid_on: date
    voucher: Annotated[Line, msgspec.Meta(min_length=1, max_length=64)]


class EvidenceOut(msgspec.Struct):
    document_id: uuid.UUID
    version: int
    sha256: str


class SourceShareOut(msgspec.Struct):
    """The part of a paid amount one funding source of the budget line bore."""

    source: str
    amount: Money


class PartyRef(msgspec.Struct):
    """An OCDS organisation reference: the region (the buyer, payer) or the provider (payee)."""

    id: str
    name: str


class PaymentOut(msgspec.Struct):
    id: uuid.UUID
    contract_id: uuid.UUID
    instalment_seq: int
    amount: Money
    status: PaymentStatus
    mode: PaymentMode
    payer: PartyRef
    payee: PartyRef
    evidence: list[EvidenceOut]
    note: str | None
    requested_at: datetime
    requested_by: uuid.UUID
    confirmed_at: datetime | None
    confirmed_by: uuid.UUID | None
    confirmation_note: str | None
    # The end (24:00 Asia/Shanghai) of the last day to pay.
    pay_by: datetime | None
    approved_at: datetime | None
    approved_by: uuid.UUID | None
    approval_note: str | None
    returned_at: datetime | None
    returned_by: uuid.UUID | None
    returned_party: Party | None
    return_reason: str | None
    paid_on: date | None
    paid_at: datetime | None
    paid_by: uuid.UUID | None
    voucher: str | None
    sources: list[SourceShareOut]


class InstalmentPaymentsOut(msgspec.Struct):
    seq: int
    milestone: str
    amount: Money
    due_on: date
    final: bool
    # Requested and not returned (paid included); what may still be requested; paid.
    requested: Money
    requestable: Money
    paid: Money


class PaymentsOut(msgspec.Struct):
    """A contract's money: the price, what is requested, confirmed (deliverables accepted),
    paid, due (confirmed and not paid yet) and remaining (the price less what is paid)."""

    contract_id: uuid.UUID
    price: Money
    requested: Money
    confirmed: Money
    paid: Money
    due: Money
    remaining: Money
    # The acceptance that releases the final instalment; null until it is done.
    accepted_at: datetime | None
    instalments: list[InstalmentPaymentsOut]
    payments: list[PaymentOut]


# --- amendments (补充合同、合同变更、合同解除) ---------------------------------------------------


class AmendmentKind(StrEnum):
    # 补充合同: more of the same services on unchanged terms, within 10 % (政府采购法 art. 49)
    supplementary_purchase = "supplementary_purchase"
    change = "change"  # 合同变更 (政府采购法 art. 50)
    termination = "termination"  # 合同解除 (政府采购法 art. 50)


class AmendmentGround(StrEnum):
    """Why a change or a termination is lawful: the contract may not be changed or ended at
    will (政府采购法 art. 50)."""

    public_interest = "public_interest"  # 继续履行将损害国家利益和社会公共利益 (art. 50)
    force_majeure = "force_majeure"  # 不可抗力致使不能实现合同目的 (民法典 art. 563)
    contract_clause = "contract_clause"  # 合同约定的解除（变更）事由，如违约条款 (民法典 art. 562)


class AmendmentStatus(StrEnum):
    drafted = "drafted"  # 起草中: written by the buyer, no side has signed this version
    signing = "signing"  # 签署中: one side signed the current version
    effective = "effective"  # 已生效: both sides signed the same version
    withdrawn = "withdrawn"  # 已撤回: withdrawn by the buyer before it took effect


class AmendmentIn(msgspec.Struct, forbid_unknown_fields=True):
    """An amendment as the buyer writes it; each revision is a new version.

    ``amount`` (a supplementary purchase only) is what is added for the same services on
    unchanged terms; ``ground`` (a change or a termination only) is the lawful ground.
    ``document_id`` is the amendment's document, uploaded to the contract: both sides sign
    its current version. The reason and the description are published when the amendment
    takes effect."""

    kind: AmendmentKind
    reason: Prose
    effective_on: date
    description: Prose
    ground: AmendmentGround | None = None
    amount: Money | None = None
    document_id: uuid.UUID | None = None


class AmendmentWithdrawalIn(msgspec.Struct, forbid_unknown_fields=True):
    reason: Reason


class AmendmentVersionOut(msgspec.Struct):
    version: int
    reason: str
    ground: AmendmentGround | None
    amount: Money | None
    effective_on: date
    description: str
    document_id: uuid.UUID | None
    created_by: uuid.UUID | None
    created_at: datetime


class AmendmentSignatureOut(msgspec.Struct):
    party: Party
    user_id: uuid.UUID
    amendment_version: int
    document_id: uuid.UUID
    document_version: int
    sha256: str
    signed_at: datetime


class AmendmentOut(msgspec.Struct):
    """An amendment with its current version's terms, every version and every signature."""

    id: uuid.UUID
    contract_id: uuid.UUID
    kind: AmendmentKind
    status: AmendmentStatus
    version: int
    reason: str
    ground: AmendmentGround | None
    amount: Money | None
    effective_on: date
    description: str
    document_id: uuid.UUID | None
    versions: list[AmendmentVersionOut]
    signatures: list[AmendmentSignatureOut]
    created_at: datetime
    updated_at: datetime
    effective_at: datetime | None
    notice_id: uuid.UUID | None
    withdrawn_at: datetime | None
    withdraw_reason: str | None


class SecurityReceivedIn(msgspec.Struct, forbid_unknown_fields=True):
    """The buyer received the performance security the contract names, in a non-cash form."""

    form: SecurityForm
    reference: Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]
    received_on: date


class SecurityReturnedIn(msgspec.Struct, forbid_unknown_fields=True):
    returned_on: date
    note: Annotated[Text, msgspec.Meta(max_length=2000)] | None = None
