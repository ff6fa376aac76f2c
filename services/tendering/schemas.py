"""Request and response bodies of the tendering API, and the words of its domain."""

from __future__ import annotations

import uuid
from datetime import date, datetime
from enum import StrEnum
from typing import Annotated, Literal

import msgspec

from services.credit.service import Ground
from services.kit.money import Money
from services.kit.types import Line, Text

Title = Annotated[Line, msgspec.Meta(min_length=1, max_length=200)]
Prose = Annotated[Text, msgspec.Meta(min_length=1, max_length=20000)]
Comment = Annotated[Text, msgspec.Meta(min_length=1, max_length=2000)]
Speciality = Annotated[Line, msgspec.Meta(min_length=1, max_length=64)]
CriterionName = Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]


class Method(StrEnum):
    open_tender = "open_tender"  # 公开招标
    invited_tender = "invited_tender"  # 邀请招标
    competitive_negotiation = "competitive_negotiation"  # 竞争性谈判
    single_source = "single_source"  # 单一来源
    competitive_consultation = "competitive_consultation"  # 竞争性磋商 (财库〔2014〕214号)


class MethodReason(StrEnum):
    """The law's grounds for a method other than open tender (政府采购法 arts. 29–31;
    财库〔2014〕214号 art. 3 for competitive consultation)."""

    # 邀请招标 (art. 29)
    limited_suppliers = "limited_suppliers"  # 具有特殊性，只能从有限范围的供应商处采购
    tender_cost_disproportionate = "tender_cost_disproportionate"  # 公开招标费用占比过大
    # 竞争性谈判 (art. 30)
    tender_failed = "tender_failed"  # 招标后没有供应商投标或者没有合格标的
    technically_complex = "technically_complex"  # 技术复杂或者性质特殊，不能确定详细规格
    urgent = "urgent"  # 采用招标所需时间不能满足用户紧急需要
    price_not_calculable = "price_not_calculable"  # 不能事先计算出价格总额
    # 单一来源 (art. 31)
    only_one_supplier = "only_one_supplier"  # 只能从唯一供应商处采购
    unforeseeable_emergency = "unforeseeable_emergency"  # 不可预见的紧急情况
    continuity_addition = "continuity_addition"  # 保证一致性或服务配套，添购不超过原合同10%
    # 竞争性磋商 (214号 art. 3; (二) and (三) are technically_complex and price_not_calculable)
    purchase_of_services = "purchase_of_services"  # (一) 政府购买服务项目
    research_insufficient_competition = "research_insufficient_competition"  # (四) 科研项目等
    construction_outside_tendering = "construction_outside_tendering"  # (五) 不必招标的工程


REASONS_OF: dict[Method, frozenset[MethodReason]] = {
    Method.open_tender: frozenset(),
    Method.invited_tender: frozenset(
        {MethodReason.limited_suppliers, MethodReason.tender_cost_disproportionate}
    ),
    Method.competitive_negotiation: frozenset(
        {
            MethodReason.tender_failed,
            MethodReason.technically_complex,
            MethodReason.urgent,
            MethodReason.price_not_calculable,
        }
    ),
    Method.single_source: frozenset(
        {
            MethodReason.only_one_supplier,
            MethodReason.unforeseeable_emergency,
            MethodReason.continuity_addition,
        }
    ),
    Method.competitive_consultation: frozenset(
        {
            MethodReason.purchase_of_services,
            MethodReason.technically_complex,
            MethodReason.price_not_calculable,
            MethodReason.research_insufficient_competition,
            MethodReason.construction_outside_tendering,
        }
    ),
}


class Status(StrEnum):
    draft = "draft"  # 编制中
    single_source_notice = "single_source_notice"  # 单一来源公示期
    awaiting_approval = "awaiting_approval"  # 待财政部门审批
    approved = "approved"  # 已批准采购方式
    tendering = "tendering"  # 已发布，接受投标（响应）
    # --- qualification and compliance review (政府采购法 art. 36; 87号令 arts. 44, 50) ---
    qualification_review = "qualification_review"  # 已开标，采购人资格审查中
    compliance_review = "compliance_review"  # 评标委员会符合性审查中
    negotiating = "negotiating"  # 谈判中
    evaluation = "evaluation"  # 已开标，评审中
    awaiting_confirmation = "awaiting_confirmation"  # 评审报告已出，待采购人确认
    awarded = "awarded"  # 已确认中标人，待发布结果公告
    result_published = "result_published"  # 结果已公告，质疑期
    challenged = "challenged"  # 质疑处理中
    concluded = "concluded"  # 结果确定，转合同
    failed = "failed"  # 废标
    cancelled = "cancelled"  # 终止


class NoticeKind(StrEnum):
    tender = "tender"  # 采购公告
    correction = "correction"  # 更正公告
    result = "result"  # 结果公告
    failure = "failure"  # 废标公告
    single_source = "single_source"  # 单一来源公示
    contract = "contract"  # 合同公告 (实施条例 art. 50)
    amendment = "amendment"  # 补充合同、合同变更、合同解除公告 (政府采购法 arts. 49, 50)
    # --- delivery ---
    acceptance = "acceptance"  # 验收结果公告 (实施条例 art. 45)
    # --- tendering: the supplier selection ---
    prequalification = "prequalification"  # 资格预审公告 (87号令 art. 14)
    # --- tendering: a single source ended by an objection upheld (74号令 art. 40) ---
    termination = "termination"  # 终止公告


class BidStatus(StrEnum):
    submitted = "submitted"
    replaced = "replaced"
    withdrawn = "withdrawn"
    invalid = "invalid"  # 无效投标: failed the qualification or the compliance review


# --- credit in the documents' qualification criteria (财库〔2016〕125号) ---
class CreditWindow(StrEnum):
    """When the documents say a bar counts (the 查询截止时点 they must name)."""

    # A bar in force on the day of each check (filing, offer, approval, confirmation).
    at_check = "at_check"
    # A bar in force on any day from the notice's publication (a single source's drafting)
    # to the response deadline, both inclusive; a bar that begins later does not count.
    notice_to_deadline = "notice_to_deadline"


# An art. 77 ban always disqualifies; 196号 三(五)'s regional disqualification too unless the
# documents leave it out: the platform exists for these purchases, so the policy's own bar is
# on by default and a buyer takes it out in writing.
DEFAULT_CREDIT_BARS = (Ground.art77, Ground.regional_disqualification)


class Criterion(msgspec.Struct, forbid_unknown_fields=True):
    name: CriterionName
    weight: Annotated[int, msgspec.Meta(ge=1, le=100)]
    # The price criterion is scored by formula, not by the committee.
    price: bool = False


class ProcurementCreate(msgspec.Struct, forbid_unknown_fields=True):
    budget_line_id: uuid.UUID
    title: Title
    requirements: Prose
    budget_amount: Money
    ceiling_price: Money
    criteria: Annotated[list[Criterion], msgspec.Meta(min_length=1, max_length=30)]
    bid_deadline: datetime
    method: Method = Method.open_tender
    method_reason: MethodReason | None = None
    method_justification: Comment | None = None
    qualification_criteria: Annotated[list[Comment], msgspec.Meta(max_length=50)] = []
    bid_security: Money = "0"
    opening_at: datetime | None = None
    enquiry_deadline: datetime | None = None
    invited_provider_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=100)] = []
    proposed_provider_id: uuid.UUID | None = None
    # Which bars disqualify (art77 must be among them) and in which window.
    credit_bars: Annotated[list[Ground], msgspec.Meta(min_length=1, max_length=2)] = msgspec.field(
        default_factory=lambda: list(DEFAULT_CREDIT_BARS)
    )
    credit_window: CreditWindow = CreditWindow.at_check
    # 87号令 art. 47: 技术复杂、专业性强 / 社会影响较大 — the larger committee applies.
    technically_complex: bool = False
    wide_social_impact: bool = False
    # --- competitive consultation (财库〔2014〕214号 art. 24) ---
    # 固定价格采购: the price is set, so no criterion scores it.
    fixed_price: bool = False
    # A price weight outside 10–30 % goes to finance with the method, whose approval carries it.
    price_weight_approved_by_finance: bool = False


class ContinuationIn(msgspec.Struct, forbid_unknown_fields=True):
    """A failed open tender's two valid bidders, negotiated with (74号令 art. 27)."""

    # One of continuation.CONTINUATION_METHODS.
    method: Method
    # The buyer declares the documents and the procedure were sound (87号令 art. 43(2)); if
    # not, it corrects them and tenders again (art. 43(1)).
    documents_sound: bool
    # Why the buyer asks finance for the negotiation instead of a new tender.
    justification: Comment
    # The negotiation's response deadline and opening, as for a negotiation's create.
    bid_deadline: datetime
    opening_at: datetime | None = None


class DraftUpdate(msgspec.Struct, forbid_unknown_fields=True):
    """What a draft may still change; a field left out stays as it is. The method, budget line
    and amounts are fixed at creation (the commitment and the method's approval rest on them).
    """

    title: Title | None = None
    requirements: Prose | None = None
    bid_deadline: datetime | None = None
    opening_at: datetime | None = None
    enquiry_deadline: datetime | None = None
    # 87号令 art. 47: 技术复杂、专业性强 / 社会影响较大 — the larger committee applies.
    technically_complex: bool | None = None
    wide_social_impact: bool | None = None


class ApprovalDecision(msgspec.Struct, forbid_unknown_fields=True):
    approve: bool
    note: Comment | None = None


class WithdrawReason(msgspec.Struct, forbid_unknown_fields=True):
    reason: Comment


class PublishIn(msgspec.Struct, forbid_unknown_fields=True):
    # When the tender documents are issued; now if left out.
    issued_at: datetime | None = None


class TransitionOut(msgspec.Struct):
    seq: int
    from_status: Status | None
    to_status: Status
    at: datetime
    by_user: uuid.UUID | None
    reason: str | None


class DeadlineOut(msgspec.Struct):
    """A deadline the procurement shows; ``provisional`` when its year's holidays are known
    to nobody yet (counted Monday–Friday; it may move once the year is entered)."""

    name: str
    at: datetime
    provisional: bool


class RegionOut(msgspec.Struct):
    code: str
    name: str


class ProcurementOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    ocid: str
    project_id: uuid.UUID
    budget_line_id: uuid.UUID
    title: str
    requirements: str
    method: Method
    method_reason: MethodReason | None
    method_justification: str | None
    status: Status
    budget_amount: str
    ceiling_price: str
    bid_security: str
    qualification_criteria: list[str]
    criteria: list[Criterion]
    credit_bars: list[Ground]
    credit_window: CreditWindow
    enquiry_deadline: datetime | None
    bid_deadline: datetime
    opening_at: datetime
    documents_issued_at: datetime | None
    approved_by: uuid.UUID | None
    approved_at: datetime | None
    approval_note: str | None
    invited_provider_ids: list[uuid.UUID]
    created_at: datetime
    updated_at: datetime
    awarded_bid_id: uuid.UUID | None = None
    awarded_provider_id: uuid.UUID | None = None
    awarded_price: str | None = None
    transitions: list[TransitionOut] | None = None
    # --- holiday calendar: the deadlines shown, each with its provisional flag ---
    deadlines: list[DeadlineOut] = msgspec.field(default_factory=list)
    # --- committee size (87号令 art. 47) ---
    technically_complex: bool = False
    wide_social_impact: bool = False
    # --- competitive consultation: the price weight outside 10–30 % waits for finance's
    # approval of the method (approved once ``approved_at`` is set) ---
    fixed_price: bool = False
    price_weight_outside_range: bool = False
    # --- whose finance approves the method (approval_authority), once submitted ---
    approving_region: RegionOut | None = None
    # --- continuation (74号令 art. 27): the failed tender this one goes on from, and the
    # negotiation that goes on from this failed tender ---
    continues_from: uuid.UUID | None = None
    continued_by: uuid.UUID | None = None
    # --- single source: when the supplementary justification of the notice's objections is
    # due (74号令 art. 40), while it is awaited ---
    justification_due: datetime | None = None
    justification_due_provisional: bool = False


class NoticeOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    procurement_id: uuid.UUID
    ocid: str
    kind: NoticeKind
    title: str
    body: str
    data: dict[str, object]
    published_at: datetime


class EnquiryIn(msgspec.Struct, forbid_unknown_fields=True):
    question: Prose


class AnswerIn(msgspec.Struct, forbid_unknown_fields=True):
    answer: Prose
    # A clarification that may change how bids are prepared (实施条例 art. 31).
    affects_bids: bool = False


class EnquiryOut(msgspec.Struct):
    id: uuid.UUID
    procurement_id: uuid.UUID
    question: str
    asked_at: datetime
    answer: str | None
    answered_at: datetime | None
    affects_bids: bool
    # Only in the asker's own view.
    mine: bool = False


class EnquiryKind(StrEnum):
    enquiry = "enquiry"  # 澄清问题, during the bid period
    objection = "objection"  # 单一来源异议, during a single-source notice


class Objector(msgspec.Struct):
    provider_id: uuid.UUID
    name: str


class ReceivedEnquiryOut(msgspec.Struct):
    """An enquiry or objection as the buyer sees it, answered or not. Who asked an enquiry
    stays hidden from the buyer too (the answer is for every bidder alike); an objector to a
    single source is a party to the procedure and is named."""

    id: uuid.UUID
    procurement_id: uuid.UUID
    kind: EnquiryKind
    question: str
    asked_at: datetime
    # When the law wants it answered (see rules.enquiry_answer_deadline and
    # rules.objection_answer_deadline).
    answer_due: datetime
    # True when the holidays of its year are not known yet: counted Monday–Friday, it may move
    # once the year is entered (README "Holiday calendar").
    answer_due_provisional: bool
    answer: str | None
    answered_at: datetime | None
    affects_bids: bool
    objector: Objector | None


ExpertName = Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]


class JustificationIn(msgspec.Struct, forbid_unknown_fields=True):
    """补充论证 (74号令 art. 40): whether the objections to a single-source notice hold."""

    objections_upheld: bool
    opinion: Prose
    experts: Annotated[list[ExpertName], msgspec.Meta(max_length=30)] = []
    # The justification's papers, uploaded to the procurement's documents (object "tender").
    document_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=20)] = []


class JustificationOut(msgspec.Struct):
    objections_upheld: bool
    opinion: str
    experts: list[str]
    document_ids: list[uuid.UUID]
    recorded_at: datetime
    recorded_by: uuid.UUID
    # Due within objection_answer_working_days after the notice; late when recorded after.
    due: datetime
    late: bool


class JustificationPackage(msgspec.Struct):
    """What finance decides on (74号令 art. 40): the notice, the objections, the opinion."""

    procurement_id: uuid.UUID
    notice: NoticeOut
    objections: list[ReceivedEnquiryOut]
    # While the justification is awaited.
    justification_due: datetime | None
    justification_due_provisional: bool
    justification: JustificationOut | None


class BidIn(msgspec.Struct, forbid_unknown_fields=True):
    price: Money


class BidOut(msgspec.Struct):
    id: uuid.UUID
    procurement_id: uuid.UUID
    provider_id: uuid.UUID
    status: BidStatus
    receipt: str
    submitted_at: datetime
    withdrawn_at: datetime | None
    # Known only after the opening.
    price: str | None = None
    total_score: str | None = None
    rank: int | None = None
    provider_name: str | None = None


class AvoidanceIn(msgspec.Struct, forbid_unknown_fields=True):
    """回避: a provider the expert must not judge."""

    provider_id: uuid.UUID
    reason: Comment


class ExpertIn(msgspec.Struct, forbid_unknown_fields=True):
    user_id: uuid.UUID
    specialities: Annotated[
        list[Speciality],
        msgspec.Meta(min_length=1, max_length=20),
    ]
    employer: Title
    affiliated_provider_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=50)] = []
    # Organisations the expert is tied to, by 统一社会信用代码 (GB 32100-2015).
    affiliated_usccs: Annotated[
        list[Annotated[str, msgspec.Meta(pattern=r"^[0-9A-HJ-NP-RT-UW-Y]{18}$")]],
        msgspec.Meta(max_length=50),
    ] = []
    # Days (Asia/Shanghai, both included) the expert cannot be drawn; both or neither.
    unavailable_from: date | None = None
    unavailable_to: date | None = None
    avoidances: Annotated[list[AvoidanceIn], msgspec.Meta(max_length=50)] = []


class AvoidanceOut(msgspec.Struct):
    provider_id: uuid.UUID
    reason: str


class ExpertOut(msgspec.Struct):
    user_id: uuid.UUID
    specialities: list[str]
    employer: str
    affiliated_provider_ids: list[uuid.UUID]
    active: bool
    affiliated_usccs: list[str] = []
    unavailable_from: date | None = None
    unavailable_to: date | None = None
    avoidances: list[AvoidanceOut] = []


class ConsentIn(msgspec.Struct, forbid_unknown_fields=True):
    """The 主管预算单位's consent to experts the buyer chooses itself (87号令 art. 48)."""

    by: Title
    document_number: Annotated[Line, msgspec.Meta(min_length=1, max_length=100)]


class CommitteeIn(msgspec.Struct, forbid_unknown_fields=True):
    experts: Annotated[int, msgspec.Meta(ge=1, le=50)]
    speciality: Speciality
    buyer_representative_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=10)] = []
    # Experts the buyer names itself: only for a technically complex project (the procurement's
    # flag) whose speciality the library cannot supply, with the consent recorded; the rest
    # are drawn.
    appointed_expert_ids: Annotated[list[uuid.UUID], msgspec.Meta(max_length=10)] = []
    consent: ConsentIn | None = None


class MemberOut(msgspec.Struct):
    user_id: uuid.UUID
    kind: str
    scores_submitted: bool


class CommitteeOut(msgspec.Struct):
    procurement_id: uuid.UUID
    seed: str | None
    members: list[MemberOut]


class ScoreIn(msgspec.Struct, forbid_unknown_fields=True):
    bid_id: uuid.UUID
    criterion: CriterionName
    score: Annotated[str, msgspec.Meta(pattern=r"^(0|[1-9][0-9]{0,2})(\.[0-9]{1,2})?$")]


class ScoresIn(msgspec.Struct, forbid_unknown_fields=True):
    scores: Annotated[list[ScoreIn], msgspec.Meta(min_length=1, max_length=2000)]


class RankedBid(msgspec.Struct):
    bid_id: uuid.UUID
    provider_id: uuid.UUID
    provider_name: str
    price: str
    price_score: str
    other_scores: dict[str, str]
    total_score: str
    rank: int


class ReportOut(msgspec.Struct):
    procurement_id: uuid.UUID
    complete: bool
    members_submitted: int
    members: int
    ranking: list[RankedBid]
    recommended_bid_id: uuid.UUID | None


class RoundIn(msgspec.Struct, forbid_unknown_fields=True):
    # The final round asks for final offers (最后报价).
    final: bool = False
    note: Comment | None = None


class RoundOut(msgspec.Struct):
    round: int
    final: bool
    note: str | None
    opened_at: datetime


class OfferIn(msgspec.Struct, forbid_unknown_fields=True):
    price: Money
    terms: Comment | None = None


class OfferOut(msgspec.Struct):
    round: int
    provider_id: uuid.UUID
    price: str
    terms: str | None
    submitted_at: datetime


class ExclusionIn(msgspec.Struct, forbid_unknown_fields=True):
    provider_id: uuid.UUID
    reason: Comment


class ExclusionOut(msgspec.Struct):
    provider_id: uuid.UUID
    reason: str
    excluded_at: datetime


class NegotiationOut(msgspec.Struct):
    procurement_id: uuid.UUID
    rounds: list[RoundOut]
    offers: list[OfferOut]
    exclusions: list[ExclusionOut] = []


class ConcludeIn(msgspec.Struct, forbid_unknown_fields=True):
    # 谈判记录: what was negotiated and agreed.
    minutes: Prose


class ChallengeIn(msgspec.Struct, forbid_unknown_fields=True):
    grounds: Prose


class ChallengeOutcome(StrEnum):
    dismissed = "dismissed"  # 质疑不成立
    reevaluate = "reevaluate"  # 成立，重新评审
    cancel = "cancel"  # 成立，终止采购


class ChallengeAnswer(msgspec.Struct, forbid_unknown_fields=True):
    outcome: ChallengeOutcome
    answer: Prose


class ChallengeOut(msgspec.Struct):
    id: uuid.UUID
    procurement_id: uuid.UUID
    provider_id: uuid.UUID
    grounds: str
    filed_at: datetime
    answer_due: datetime
    # True when the holidays of its year are not known yet: counted Monday–Friday, it may move
    # once the year is entered (README "Holiday calendar").
    answer_due_provisional: bool
    outcome: ChallengeOutcome | None
    answer: str | None
    answered_at: datetime | None


class BidSecurityOut(msgspec.Struct):
    """A bid security owed back (财政部令第87号 art. 38): a losing bidder's is due within 5
    working days of the award notice; the winner's within 5 working days of signing the
    contract, so ``due_at`` is empty until then."""

    bid_id: uuid.UUID
    provider_id: uuid.UUID
    amount: Money
    winner: bool
    due_at: datetime | None
    # True when ``due_at`` is set and the holidays of its year are not known yet: counted
    # Monday–Friday, it may move once the year is entered (README "Holiday calendar").
    due_at_provisional: bool
    returned_at: datetime | None
    returned_by: uuid.UUID | None
    note: str | None


class SecurityReturnIn(msgspec.Struct, forbid_unknown_fields=True):
    # How it went back (bank transfer reference, say), for the bidder and the file.
    note: Comment | None = None


# --- a region's legal rules ----------------------------------------------------------------
# Each rule with the national default, the region's value and its legal source. Whole numbers
# travel as JSON numbers; amounts, percentages and shares as strings ("10000000", "1.5", "2/3"),
# never as binary floats. Percentages and amounts take at most two decimals; a whole-number
# percentage (the price weights) may also be a number (30).

RuleValueJson = bool | int | str
# PUT body: the region's overrides, rule name → value; the whole set is replaced. Each name
# and value is checked by rules.validate_overrides (a known rule, the exact form its type takes,
# so no stray character is ever stored), which names the rule when one is wrong.
Overrides = Annotated[
    dict[str, RuleValueJson],
    msgspec.Meta(
        description="rule name → the region's value; rules left out return to the national default",
        examples=[{"open_tender_min_days": 25, "price_weight_max": 30}],
    ),
]


class RuleOut(msgspec.Struct):
    rule: str
    # "min": a region may only raise it; "max": only lower it; "own": the region's own figure.
    # Read for the region asking: a province stands to the law, a region to its province.
    kind: str
    unit: str
    national: RuleValueJson
    value: RuleValueJson
    tightened: bool
    source: str
    description: str
    # Where the value in force comes from: "law", "province" (``province`` names it) or
    # "region"; ``province_value``: what the province's rules hold (what binds a region).
    origin: Literal["law", "province", "region"]
    province: str | None = None
    province_value: RuleValueJson | None = None
    # How a period is counted (民法典 arts. 201–203), named after its function in
    # services.kit.workdays; None for a rule that is not a period.
    reading: str | None = None


class RulesOut(msgspec.Struct):
    tenant: str
    rules: list[RuleOut]
    overrides: dict[str, RuleValueJson]
    updated_at: datetime | None
    updated_by: uuid.UUID | None
    # The province whose rules bind this region (None for a province itself).
    province: str | None = None


# --- qualification and compliance review ---------------------------------------------------------


class VerdictIn(msgspec.Struct, forbid_unknown_fields=True):
    """One opened bid's verdict: valid, or invalid with its reason."""

    bid_id: uuid.UUID
    valid: bool
    reason: Comment | None = None


class ReviewIn(msgspec.Struct, forbid_unknown_fields=True):
    verdicts: Annotated[list[VerdictIn], msgspec.Meta(min_length=1, max_length=500)]


class BidVerdictOut(msgspec.Struct):
    bid_id: uuid.UUID
    provider_id: uuid.UUID
    # None: not reviewed (yet, or not reached after failing the qualification review).
    qualified: bool | None
    qualification_reason: str | None
    compliant: bool | None
    compliance_reason: str | None


class ReviewOut(msgspec.Struct):
    procurement_id: uuid.UUID
    status: Status
    verdicts: list[BidVerdictOut]
