"""A signed contract in each demo city, published and filed, its first instalment paid.

A single-source purchase (政府采购法 art. 31(1): only one supplier can serve) on the city's
second largest approved budget line — the largest is the open tender of
``services.demo.tendering`` — from one of the demo providers: its public notice, finance's
approval, one final offer at 95 % of the budget, the award and its result notice. Then the
contract drafted from the award, its terms set, its document (a PDF) uploaded to the document
store, signed by both sides on that document's SHA-256, published and filed with finance; the
provider asks for the first instalment with its report, civil affairs confirms and pays it.

Everything goes through the services the API calls, acting as the demo users, in one
transaction per city. Runs once per city: a city that has any contract is left alone.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.contracts import attachments as _attachments  # noqa: F401  (registers document checks)
from services.contracts import drafting, payment_steps, payments, publication, repository, signing
from services.contracts.models import Contract
from services.contracts.schemas import (
    ContractTerms,
    FilingIn,
    InstalmentIn,
    PaidIn,
    Party,
    PaymentNoteIn,
    PaymentRequestIn,
    PublicationIn,
    SignatureIn,
)
from services.demo.contract_pdf import contract_pdf
from services.demo.tendering import SLUGS
from services.documents import access, streaming, upload
from services.identity import service as identity
from services.kit import workdays
from services.kit.audit import Actor
from services.kit.db import bind_tenant, transaction
from services.kit.money import text
from services.kit.objects import ObjectType
from services.kit.settings import Settings
from services.kit.storage import Storage, storage_for
from services.planning import service as planning
from services.planning.models import Budget, BudgetLine
from services.tenancy import service as tenancy
from services.tendering import evaluation, negotiation, notices, procurements, rules, single_source
from services.tendering.schemas import (
    Criterion,
    Method,
    MethodReason,
    NoticeKind,
    ProcurementCreate,
    Status,
)

# The demo provider each city buys from (both are registered in both cities).
SUPPLIERS = {"440100": "admin@sunshine.demo.org.cn", "440300": "admin@pengcheng.demo.org.cn"}
CENT = Decimal("0.01")


async def seed_contracts(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, city: str, name: str
) -> Contract | None:
    """The city's demo contract, signed, published, filed and its first instalment paid; None
    when the city had a contract already (or no second approved budget line)."""
    storage = storage_for(settings)
    stored: list[upload.UploadPlan] = []
    try:
        async with transaction(sessionmaker, city) as session:
            if await session.scalar(select(Contract.id).where(Contract.tenant_id == city).limit(1)):
                return None
            line_id = await nth_line(session, city, 1)
            if line_id is None:
                return None
            return await signed_contract(session, settings, storage, stored, city, name, line_id)
    except BaseException:
        # The document reached the store but its rows were not committed: nothing keeps it.
        for plan in stored:
            await streaming.discard(storage, plan)
        raise


async def nth_line(session: AsyncSession, city: str, index: int) -> uuid.UUID | None:
    """The line at ``index`` (from 0), largest first, of the demo's own budget — the city's
    first, approved: the open tender takes the first, this contract the second, the project
    taken to its end (``delivery``) the third. Budgets made later (by people trying the demo,
    or by tests) never shift them, so seeding again finds the same lines."""
    demo_budget = (
        select(Budget.id)
        .where(Budget.tenant_id == city)
        .order_by(Budget.created_at, Budget.id)
        .limit(1)
        .scalar_subquery()
    )
    line_id: uuid.UUID | None = await session.scalar(
        select(BudgetLine.id)
        .join(
            Budget,
            (Budget.tenant_id == BudgetLine.tenant_id) & (Budget.id == BudgetLine.budget_id),
        )
        .where(
            BudgetLine.tenant_id == city,
            Budget.id == demo_budget,
            Budget.status == "approved",
        )
        .order_by(BudgetLine.requested_amount.desc(), BudgetLine.id)
        .offset(index)
        .limit(1)
    )
    return line_id


async def signed_contract(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    stored: list[upload.UploadPlan],
    city: str,
    name: str,
    line_id: uuid.UUID,
) -> Contract:
    """A single-source purchase on the budget line taken to a contract signed by both sides,
    published, filed and its first instalment paid."""
    slug = SLUGS[city]
    officer = await demo_actor(session, city, f"civil-affairs-officer@{slug}.demo.gov.cn")
    approver = await demo_actor(session, city, f"civil-affairs-approver@{slug}.demo.gov.cn")
    finance = await demo_actor(session, city, f"finance-officer@{slug}.demo.gov.cn")
    supplier = await demo_actor(session, city, SUPPLIERS[city])
    line = await planning.get_line(session, city, line_id)

    procurement_id = await _single_source(
        session, settings, city, line, officer, approver, supplier
    )
    # What the award-notified job does; it finds this contract when it runs.
    contract = await drafting.draft_from_award(
        session, Actor(None, city, "demo-seed"), procurement_id
    )
    assert contract is not None
    terms = _terms(contract, line)
    await drafting.set_terms(session, officer, contract.id, terms)

    provider = await tenancy.get_provider(session, contract.provider_id)
    paragraphs = _contract_text(contract, terms, f"{name}民政局", provider.name, provider.uscc)
    document = contract_pdf("政府采购合同", paragraphs)
    signature = await upload_document(
        session,
        settings,
        storage,
        stored,
        officer,
        (ObjectType.contract, contract.id),
        document,
        "政府采购合同",
    )
    await bind_tenant(session, city, supplier.provider_id)  # as in the provider's own request
    await signing.sign(session, supplier, contract.id, Party.provider, signature)
    await bind_tenant(session, city)
    await signing.sign(session, approver, contract.id, Party.buyer, signature)
    await publication.publish(session, officer, contract.id, PublicationIn())
    await publication.file(
        session, finance, contract.id, FilingIn(note="演示数据：合同已于签订后报财政部门备案。")
    )
    await first_instalment_paid(session, settings, storage, stored, contract, supplier, officer)
    return contract


async def first_instalment_paid(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    stored: list[upload.UploadPlan],
    contract: Contract,
    supplier: Actor,
    officer: Actor,
) -> None:
    """Under the treasury (the regions' default): the provider asks for the first instalment
    with its report of the start of service, civil affairs confirms it and records it paid."""
    await instalment_paid(
        session,
        settings,
        storage,
        stored,
        contract,
        (supplier, officer),
        seq=1,
        evidence=("服务启动报告", "服务团队已组建到位，首批服务对象已完成需求评估。"),
        notes=("合同签订后首期款", "服务已启动，材料齐全。"),
    )


async def instalment_paid(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    stored: list[upload.UploadPlan],
    contract: Contract,
    by: tuple[Actor, Actor],
    *,
    seq: int,
    evidence: tuple[str, str],
    notes: tuple[str, str],
) -> None:
    """One instalment, whole, under the treasury: the provider (``by[0]``) asks for it with
    a report (``evidence``: title, text) attached to the contract, civil affairs (``by[1]``)
    confirms it and records it paid today."""
    supplier, officer = by
    city = contract.tenant_id
    title, body = evidence
    await bind_tenant(session, city, supplier.provider_id)  # as in the provider's own request
    shown = await upload_document(
        session,
        settings,
        storage,
        stored,
        supplier,
        (ObjectType.contract, contract.id),
        contract_pdf(title, [body]),
        title,
    )
    [instalment] = [i for i in await repository.instalments(session, contract) if i.seq == seq]
    _, payment = await payments.request(
        session,
        supplier,
        contract.id,
        PaymentRequestIn(
            instalment_seq=seq,
            amount=text(instalment.amount),
            evidence_document_ids=[shown.document_id],
            note=notes[0],
        ),
    )
    await bind_tenant(session, city)
    await payment_steps.confirm(
        session, officer, contract.id, payment.id, PaymentNoteIn(note=notes[1])
    )
    today = workdays.local_date(datetime.now(UTC))
    await payment_steps.paid(
        session,
        officer,
        contract.id,
        payment.id,
        PaidIn(paid_on=today, voucher=f"GK{today:%Y%m%d}-DEMO{seq}"),
    )


async def _single_source(
    session: AsyncSession,
    settings: Settings,
    city: str,
    line: planning.LineRow,
    officer: Actor,
    approver: Actor,
    supplier: Actor,
) -> uuid.UUID:
    """A single-source purchase taken to its result and award notice: its id."""
    assert supplier.provider_id is not None
    provider = await tenancy.get_provider(session, supplier.provider_id)
    budget = line.line.approved_amount or line.line.requested_amount
    procurement = await procurements.create(
        session,
        settings,
        officer,
        ProcurementCreate(
            budget_line_id=line.line.id,
            title=line.project_title,
            requirements="服务期12个月；配备持证社会工作者；按季度提交服务报告并接受第三方评估。",
            budget_amount=text(budget),
            ceiling_price=text(budget),
            criteria=[
                Criterion(name="服务方案", weight=70),
                Criterion(name="价格", weight=30, price=True),
            ],
            bid_deadline=datetime.now(UTC) + timedelta(days=30),
            method=Method.single_source,
            method_reason=MethodReason.only_one_supplier,
            method_justification=(
                f"经市场调查和专家论证，{provider.name}是本市唯一在项目服务区域设有驻点、"
                "持有相关专业资质并已建立服务对象档案的社会工作服务机构，只能从其处采购。"
            ),
            proposed_provider_id=provider.id,
            qualification_criteria=["依法登记的社会服务机构", "近三年无重大违法记录"],
        ),
    )
    legal = await rules.rules_for(session, city)
    note = "同意采用单一来源方式。"
    if single_source.needs_notice(legal, procurement):
        await procurements.publish_single_source_notice(session, officer, procurement.id)
        # The demo stands for a purchase noticed two weeks ago: finance approves only after
        # the notice ran 5 working days (财政部令第74号 art. 38), so the notice is dated back
        # two weeks (further when public holidays fall in them).
        notice = await notices.latest(session, procurement, NoticeKind.single_source)
        assert notice is not None
        notice.published_at = _two_weeks_before(datetime.now(UTC))
        await session.flush()
        note = "公示期满无异议，同意采用单一来源方式。"
    else:
        # Below the threshold no notice is due: the method goes to finance directly.
        await procurements.submit_for_approval(session, officer, procurement.id)
    if procurement.status in (Status.awaiting_approval, Status.single_source_notice):
        finance = await demo_actor(session, city, f"finance-approver@{SLUGS[city]}.demo.gov.cn")
        await procurements.decide_approval(session, finance, procurement.id, True, note)
    await negotiation.open_round(session, officer, procurement.id, True, "请报最终价格")
    price = (budget * Decimal("0.95")).quantize(Decimal("1"), ROUND_HALF_UP)
    await bind_tenant(session, city, provider.id)  # as in the provider's own request
    await negotiation.submit_offer(
        session, supplier, procurement.id, text(price), "按采购需求提供全部服务"
    )
    await bind_tenant(session, city)
    await negotiation.conclude(
        session,
        officer,
        procurement.id,
        f"经单一来源协商，供应商最终报价{text(price)}元，服务内容与采购需求一致，同意按此价格成交。",
    )
    await evaluation.confirm(session, approver, procurement.id)
    await evaluation.publish_result(session, officer, procurement.id)
    return procurement.id


def _two_weeks_before(now: datetime) -> datetime:
    """Two weeks back, or further when public holidays fall in between: ten working days
    before today, counted from the day after (workdays.working_days_between)."""
    moment = now - timedelta(days=14)
    while workdays.working_days_between(workdays.local_date(moment), workdays.local_date(now)) < 10:
        moment -= timedelta(days=1)
    return moment


def _terms(contract: Contract, line: planning.LineRow) -> ContractTerms:
    """Lawful terms in the budget's year: three instalments of 30 %, 50 % and the rest (the
    final one, after the acceptance) summing to the price; a performance security of 5 %
    (实施条例 art. 48 allows up to 10 %)."""
    year = line.budget.fiscal_year
    price = contract.price
    first = (price * Decimal("0.3")).quantize(CENT, ROUND_HALF_UP)
    second = (price * Decimal("0.5")).quantize(CENT, ROUND_HALF_UP)
    return ContractTerms(
        scope=f"按照采购需求实施{contract.title}：个案管理、小组工作与社区活动，"
        "建立服务对象档案，按季度提交服务报告。",
        quality_requirements="服务对象满意度不低于90%；配备持证社会工作者；接受第三方中期和末期评估。",
        breach_liability="未按合同约定提供服务的，按未履行部分金额的10%支付违约金；"
        "采购人逾期付款的，按逾期金额每日万分之三支付违约金。",
        period_start=date(year, 1, 1),
        period_end=date(year, 12, 31),
        instalments=[
            InstalmentIn("合同签订后首期", text(first), date(year, 1, 31)),
            InstalmentIn("中期评估通过", text(second), date(year, 7, 31)),
            InstalmentIn("结项验收合格", text(price - first - second), date(year + 1, 1, 31), True),
        ],
        performance_security=text((price * Decimal("0.05")).quantize(CENT, ROUND_HALF_UP)),
    )


def _contract_text(
    contract: Contract, terms: ContractTerms, buyer: str, provider: str, uscc: str
) -> list[str]:
    """The contract document's paragraphs: the parties, the award and the terms."""
    return [
        f"合同编号：{contract.ocid}",
        f"采购人（甲方）：{buyer}",
        f"供应商（乙方）：{provider}（统一社会信用代码 {uscc}）",
        f"项目名称：{contract.title}",
        "采购方式：单一来源采购",
        f"合同金额：人民币{text(contract.price)}元",
        f"服务期限：{terms.period_start}至{terms.period_end}",
        f"一、服务内容：{terms.scope}",
        f"二、质量要求：{terms.quality_requirements}",
        "三、付款安排：",
        *(
            f"\u3000\u3000{i}. {instalment.milestone}：{instalment.amount}元，"
            f"{instalment.due_on}前支付"
            for i, instalment in enumerate(terms.instalments, start=1)
        ),
        f"四、履约保证金：{terms.performance_security}元，以银行保函等非现金形式提交。",
        f"五、违约责任：{terms.breach_liability}",
        "六、未经甲方书面同意，乙方不得将合同项目分包。",
        "七、本合同自双方签署之日起生效，一式四份，甲乙双方各执两份。",
        "",
        "甲方（盖章）：\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000乙方（盖章）：",
    ]


async def upload_document(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    stored: list[upload.UploadPlan],
    uploader: Actor,
    attached_to: tuple[ObjectType, uuid.UUID],
    document: bytes,
    title: str,
) -> SignatureIn:
    """A document uploaded to an object as the documents API does (a new document on it,
    streamed to the store, then recorded with its verification job): a text both sides sign,
    or a report. Unlike the API, the transaction stays open while a few kilobytes go up, so
    that the city's demo is all there or not at all."""
    object_type, object_id = attached_to
    plan = await upload.prepare_new_document(
        session,
        settings,
        await access.viewer_for(session, uploader, False),
        object_type=object_type,
        object_id=object_id,
        filename=f"{title}.pdf",
        title=title,
        confidential=False,
        sealed_until=None,
    )
    received = await streaming.receive(storage, plan, _once(document), settings.document_max_bytes)
    stored.append(plan)
    await upload.record_upload(session, plan, received)
    return SignatureIn(document_id=plan.document_id, sha256=received.sha256)


async def _once(body: bytes) -> AsyncIterator[bytes]:
    yield body


async def demo_actor(session: AsyncSession, city: str, login: str) -> Actor:
    """A demo user acting in the city: a provider's user with its provider."""
    user = await identity.find_user(session, login)
    assert user is not None, login
    return Actor(user.id, city, "demo-seed", user.provider_id)
