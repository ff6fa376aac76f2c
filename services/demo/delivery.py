"""A project that went all the way, in 广州 (``CITY``): from the purchase to the archive.

On the city's third approved budget line, a single-source contract signed, published, filed
and its first instalment paid (as ``services.demo.contracts``); then its delivery:

- a reporting schedule of two half-years; the first report accepted, the second returned with
  a comment, revised, submitted again and accepted — counts by target group and county, hours
  by staff level, progress on each target, money spent by cost line, never a name;
- an inspection whose finding orders rectification; the provider's answer; closed;
- the second instalment paid once the first report is accepted;
- a third-party evaluation by the demo evaluation organisation (a third demo provider, marked
  as one by the platform, registered in no region), graded 良好 and confirmed;
- the acceptance: a panel of a civil-affairs officer, a recipients' representative and a
  third-party member (accounts scoped to this acceptance, with the demo password so they can
  be tried), every opinion, a pass, the report (验收书) as a PDF signed by both sides and
  published; the project is then completed and the final instalment paid;
- the project's archive, asked for in the same transaction and built right after it commits,
  as the worker would run its job (which then finds it done).

Dates: signing needs an approved budget of every year of the service period (财政部令第102号),
and the demo's only budget year is 2027, so the contract runs 2027-01-01 to 2027-12-31 like
the other demo contracts. The services accept reports, the inspection (dated today, the day of
signing), the evaluation and the acceptance before the period ends, so the demo stands for a
year of service compressed into the day it was seeded; the reports' activities carry their
dates within their half-year.

Everything goes through the services the API calls, acting as the demo users, in one
transaction. Runs once: a city whose project on that line is completed is left alone (its
archive is built then if it is not ready yet).
"""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.archive import tasks as archive_tasks
from services.archive.models import ProjectArchive
from services.archive.service import BUILD_JOB, ArchiveStatus, Trigger, request_archive
from services.contracts import service as contracts
from services.contracts.models import Contract
from services.delivery import acceptance_attachments as _acceptance_docs  # noqa: F401  (registers the kind)
from services.delivery import (
    acceptance_conclusion,
    acceptance_panel,
    acceptance_signing,
    acceptances,
    evaluations,
    inspections,
    rectifications,
    report_schedule,
    reports,
)
from services.delivery import evaluation_attachments as _evaluation_docs  # noqa: F401  (registers the kind)
from services.delivery.acceptance_schemas import (
    ConclusionIn,
    FindingIn,
    MemberIn,
    MemberKind,
    OpinionIn,
    Party,
    PlanIn,
    ScoreIn,
)
from services.delivery.acceptance_schemas import SignatureIn as AcceptanceSignatureIn
from services.delivery.evaluation_schemas import EngageIn, ScoreSheet, ScoresIn
from services.delivery.inspection_schemas import (
    Bureau,
    InspectionIn,
    Manner,
    OrderIn,
    Scope,
    Severity,
)
from services.delivery.inspection_schemas import (
    FindingIn as InspectionFindingIn,
)
from services.delivery.report_schemas import (
    AcceptIn,
    ActivityIn,
    FundsIn,
    HoursIn,
    MilestoneIn,
    ProgressIn,
    ReportContent,
    ReportIn,
    ReportStatus,
    ReviewIn,
    ScheduleIn,
    ScheduleKind,
    ServedIn,
    StaffLevel,
)
from services.demo.contract_pdf import contract_pdf
from services.demo.contracts import (
    SUPPLIERS,
    demo_actor,
    instalment_paid,
    nth_line,
    signed_contract,
    upload_document,
)
from services.demo.planning import COUNTIES
from services.demo.tendering import SLUGS
from services.documents import streaming, upload
from services.identity import service as identity
from services.kit import workdays
from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, bind_tenant, transaction
from services.kit.jobs import run_once, use_settings
from services.kit.money import text
from services.kit.objects import ObjectType
from services.kit.outbox import OutboxEvent
from services.kit.settings import Settings
from services.kit.storage import Storage, storage_for
from services.planning import service as planning
from services.planning.models import BudgetLine
from services.tenancy import service as tenancy
from services.tenancy import ties

CITY = "440100"
# The demo evaluation organisation: a provider of its own, marked by the platform.
EVALUATOR = ("52440000MJL000030J", "广东省启明社会服务评估中心", "qiming")
EVALUATOR_LOGIN = f"admin@{EVALUATOR[2]}.demo.org.cn"
# The acceptance panel's members from outside the government; the buyer's representative is
# the city's civil-affairs officer.
RECIPIENT_LOGIN = "recipient-panel@gz.demo.org.cn"
THIRD_PARTY_LOGIN = "expert-panel@gz.demo.org.cn"
PANEL = (
    (MemberKind.recipient, RECIPIENT_LOGIN, "服务对象代表（社区居民议事会推选）"),
    (MemberKind.third_party, THIRD_PARTY_LOGIN, "第三方成员（高校社会工作专业教师）"),
)
CENT = Decimal("0.01")


async def seed_delivery(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    password: str,
    city: str,
    name: str,
) -> None:
    """The city's project taken from purchase to archive, once; ``password`` is the demo's,
    given to the evaluation organisation's and the panel's accounts."""
    evaluator_id = await _evaluator(sessionmaker, settings, password)
    storage = storage_for(settings)
    stored: list[upload.UploadPlan] = []
    try:
        async with transaction(sessionmaker, city) as session:
            line_id = await nth_line(session, city, 2)
            if line_id is None:
                return
            project_id = await _project_of(session, city, line_id)
            if await planning.project_status(session, city, project_id) == "budgeted":
                contract = await signed_contract(
                    session, settings, storage, stored, city, name, line_id
                )
                await _delivered(
                    session, settings, storage, stored, contract, evaluator_id, password
                )
            archive_id = await _archive_asked(session, city, project_id)
    except BaseException:
        # The documents reached the store but their rows were not committed: nothing keeps
        # them.
        for plan in stored:
            await streaming.discard(storage, plan)
        raise
    if archive_id is not None:
        await _build(sessionmaker, settings, city, archive_id)


async def _project_of(session: AsyncSession, city: str, line_id: uuid.UUID) -> uuid.UUID:
    project_id: uuid.UUID | None = await session.scalar(
        select(BudgetLine.project_id).where(BudgetLine.tenant_id == city, BudgetLine.id == line_id)
    )
    assert project_id is not None
    return project_id


async def _evaluator(
    sessionmaker: async_sessionmaker[AsyncSession], settings: Settings, password: str
) -> uuid.UUID:
    """The demo evaluation organisation, signed up on the platform and marked as one by the
    platform administrator (once): its provider id."""
    uscc, name, _ = EVALUATOR
    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        admin = await identity.find_user(session, EVALUATOR_LOGIN)
        if admin is not None:
            assert admin.provider_id is not None
            return admin.provider_id
        system = Actor(None, PLATFORM_TENANT, "demo-seed")
        provider, _ = await tenancy.sign_up_provider(
            session,
            settings,
            system,
            uscc=uscc,
            name=name,
            admin_login=EVALUATOR_LOGIN,
            admin_name=f"{name}管理员",
            admin_password=password,
        )
        platform = await identity.find_user(session, "platform@demo.gov.cn")
        assert platform is not None
        await ties.set_evaluator(
            session,
            Actor(platform.id, PLATFORM_TENANT, "demo-seed"),
            provider.id,
            True,
            "演示数据：登记的业务范围含社会服务项目评估，具备第三方评估资质。",
        )
        return provider.id


async def _delivered(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    stored: list[upload.UploadPlan],
    contract: Contract,
    evaluator_id: uuid.UUID,
    password: str,
) -> None:
    city = contract.tenant_id
    slug = SLUGS[city]
    officer = await demo_actor(session, city, f"civil-affairs-officer@{slug}.demo.gov.cn")
    approver = await demo_actor(session, city, f"civil-affairs-approver@{slug}.demo.gov.cn")
    supplier = await demo_actor(session, city, SUPPLIERS[city])
    evaluator = await demo_actor(session, city, EVALUATOR_LOGIN)
    assert evaluator.provider_id == evaluator_id

    await _reports(session, contract, officer, supplier)
    await instalment_paid(
        session,
        settings,
        storage,
        stored,
        contract,
        (supplier, officer),
        seq=2,
        evidence=("上半年服务报告", "上半年服务进度报告已经民政部门审核通过，各项指标按计划推进。"),
        notes=("上半年服务报告通过后第二期款", "上半年报告已通过，同意拨付。"),
    )
    await _inspected(session, contract, officer, supplier)
    await _evaluated(session, settings, storage, stored, contract, officer, approver, evaluator)
    await _accepted(
        session, settings, storage, stored, contract, officer, approver, supplier, password
    )
    await instalment_paid(
        session,
        settings,
        storage,
        stored,
        contract,
        (supplier, officer),
        seq=3,
        evidence=("结项报告", "项目已通过结项验收，验收书已由双方签署并公告。"),
        notes=("结项验收合格后尾款", "验收合格，验收书已公告，同意拨付尾款。"),
    )


# --- progress reports -------------------------------------------------------------------------


def _half(value: Decimal) -> str:
    return text((value / 2).quantize(CENT, ROUND_HALF_UP))


async def _content(
    session: AsyncSession, contract: Contract, half: int, problems: str | None
) -> ReportContent:
    """One half-year's report: counts by target group and county, hours, each target's
    progress and half of each cost line spent."""
    assert contract.period_start is not None  # a signed contract has its period
    year = contract.period_start.year
    month = 1 + 6 * (half - 1)
    counties = COUNTIES[contract.tenant_id]
    served = [
        ServedIn(group, county, 20 + 7 * i + 5 * j + 3 * half)
        for i, group in enumerate(contract.target_groups)
        for j, county in enumerate(counties)
    ]
    progress = []
    for index, target in enumerate(contract.targets, start=1):
        goal = Decimal(str(target.get("target_value") or target.get("value") or "0"))
        # Half-way at the first report; met at the second.
        reached = goal if half == 2 else (goal / 2).quantize(CENT, ROUND_HALF_UP)
        progress.append(ProgressIn(index, f"{reached:f}", "按计划推进" if half == 1 else "已达成"))
    lines = await planning.cost_lines(session, contract.tenant_id, contract.project_id)
    return ReportContent(
        activities=[
            ActivityIn(date(year, month + 1, 15), "照护者喘息小组（第一期）", 12),
            ActivityIn(date(year, month + 3, 20), "社区互助网络共建活动", 45),
        ],
        served=served,
        hours=[
            HoursIn(StaffLevel.social_worker, "480"),
            HoursIn(StaffLevel.assistant_social_worker, "620.5"),
            HoursIn(StaffLevel.volunteer, "210"),
        ],
        progress=progress,
        funds=[FundsIn(c.line_no, _half(c.amount)) for c in lines],
        problems=problems,
    )


async def _reports(
    session: AsyncSession, contract: Contract, officer: Actor, supplier: Actor
) -> None:
    """Two half-years; the second report returned once for a missing explanation."""
    assert contract.period_end is not None and contract.period_start is not None
    brief = await _brief(session, contract)
    await report_schedule.replace(
        session,
        officer,
        brief,
        ScheduleIn(
            kind=ScheduleKind.milestones,
            due_days=10,
            milestones=[
                MilestoneIn("上半年", date(contract.period_start.year, 6, 30)),
                MilestoneIn("下半年", contract.period_end),
            ],
        ),
    )
    city = contract.tenant_id
    for half in (1, 2):
        await bind_tenant(session, city, supplier.provider_id)  # as in the provider's request
        _, report = await reports.draft(
            session,
            supplier,
            contract.id,
            ReportIn(period_seq=half, content=await _content(session, contract, half, None)),
        )
        await reports.submit(session, supplier, report.id)
        await bind_tenant(session, city)
        if half == 2:
            await reports.review(
                session,
                officer,
                report.id,
                ReportStatus.returned,
                ReviewIn(comment="请补充说明下半年服务对象人数变化的原因。"),
            )
            await bind_tenant(session, city, supplier.provider_id)
            content = await _content(
                session,
                contract,
                half,
                "下半年新增转介个案较多，服务人数较上半年增加，均已纳入个案管理。",
            )
            await reports.revise(session, supplier, report.id, content)
            await reports.submit(session, supplier, report.id)
            await bind_tenant(session, city)
        await reports.review(
            session,
            officer,
            report.id,
            ReportStatus.accepted,
            AcceptIn(comment="报告内容完整，数据与台账一致。"),
        )


async def _brief(session: AsyncSession, contract: Contract) -> contracts.ContractBrief:
    found = await contracts.contract_brief(session, contract.tenant_id, contract.id)
    assert found is not None
    return found


# --- inspection and rectification --------------------------------------------------------------


async def _inspected(
    session: AsyncSession, contract: Contract, officer: Actor, supplier: Actor
) -> None:
    """An announced inspection today (the day of signing: none may be earlier); its finding
    orders the records put right within ten days; the provider answers; civil affairs closes
    it."""
    today = workdays.local_date(datetime.now(UTC))
    city = contract.tenant_id
    inspection = await inspections.record_inspection(
        session,
        officer,
        contract.id,
        InspectionIn(
            manner=Manner.announced,
            inspected_on=today,
            place="项目服务站（社区党群服务中心二楼）",
            inspectors=["民政局社会工作科 检查组"],
            scope=[Scope.service_delivery, Scope.task_completion, Scope.use_of_funds],
            findings=[
                InspectionFindingIn(
                    "部分小组活动签到表缺少督导签字，个案记录未按月归档。",
                    Severity.minor,
                    OrderIn(
                        "补齐督导签字，按月整理个案记录并建立归档目录。",
                        today + timedelta(days=10),
                    ),
                ),
                InspectionFindingIn(
                    "服务台账与进度报告数据一致，经费支出凭证齐全。", Severity.minor
                ),
            ],
            notes="检查组抽查个案记录12份、活动记录8份。",
        ),
        Bureau.civil_affairs,
    )
    ordered = await rectifications.of_contract(
        session,
        city,
        contract.id,
        source_kind=rectifications.SourceKind.inspection,
        source_id=inspection.id,
    )
    await bind_tenant(session, city, supplier.provider_id)  # as in the provider's request
    for rectification in ordered:
        await rectifications.answer(
            session,
            supplier,
            rectification.id,
            "已补齐全部签到表的督导签字，个案记录按月归档并建立目录，督导每月核查。",
        )
    await bind_tenant(session, city)
    for rectification in ordered:
        await rectifications.close(
            session, officer, rectification.id, "复查确认整改到位，予以销号。"
        )


# --- third-party evaluation -------------------------------------------------------------------

# 8 + 8.5 + 12 + 17 + 8.5 + 8 + 12.5 + 8 = 82.5: 良好 (80 ≤ total < 90).
SCORES = ScoreSheet(
    management_process="8",
    management_outcome="8.5",
    effect_process="12",
    effect_outcome="17",
    funds_process="8.5",
    funds_outcome="8",
    social_benefit="12.5",
    economic_benefit="8",
)


async def _evaluated(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    stored: list[upload.UploadPlan],
    contract: Contract,
    officer: Actor,
    approver: Actor,
    evaluator: Actor,
) -> None:
    """Civil affairs engages the demo evaluation organisation; it scores, attaches its
    report and submits; civil affairs' approver confirms the grade."""
    city = contract.tenant_id
    evaluation = await evaluations.engage(
        session, officer, EngageIn(contract_id=contract.id, evaluator_id=_evaluator_id(evaluator))
    )
    await bind_tenant(session, city, evaluator.provider_id)  # as in the evaluator's request
    title = "第三方评估报告"
    report = await upload_document(
        session,
        settings,
        storage,
        stored,
        evaluator,
        (ObjectType.evaluation, evaluation.id),
        contract_pdf(
            title,
            [
                f"项目名称：{contract.title}",
                f"服务机构：{contract.provider_name}",
                "评估方式：文献审阅、服务对象抽样访谈、实地观察与财务凭证核查。",
                "评估结论：项目管理规范，服务成效明显，资金使用合规，总分82.5分，等级良好。",
                "改进建议：加强个案记录的及时归档与督导留痕。",
            ],
        ),
        title,
    )
    await evaluations.save_scores(
        session,
        evaluator,
        evaluation.id,
        ScoresIn(
            scores=SCORES,
            comments="项目管理规范，服务成效明显；个案记录归档及时性有待加强。",
            report_document_id=report.document_id,
        ),
    )
    await evaluations.submit(session, evaluator, evaluation.id)
    await bind_tenant(session, city)
    await evaluations.confirm(session, approver, evaluation.id, "评估程序规范，同意评估结论。")


def _evaluator_id(evaluator: Actor) -> uuid.UUID:
    assert evaluator.provider_id is not None
    return evaluator.provider_id


# --- acceptance -------------------------------------------------------------------------------


async def _accepted(
    session: AsyncSession,
    settings: Settings,
    storage: Storage,
    stored: list[upload.UploadPlan],
    contract: Contract,
    officer: Actor,
    approver: Actor,
    supplier: Actor,
    password: str,
) -> None:
    """Planned for today; the panel seated and every member's opinion recorded; a pass; the
    report (验收书) signed by civil affairs' approver and the provider's administrator, which
    publishes it and completes the project."""
    city = contract.tenant_id
    today = workdays.local_date(datetime.now(UTC))
    acceptance = await acceptances.plan(
        session,
        officer,
        contract.id,
        PlanIn(
            method="查阅服务档案与台账、服务对象座谈、实地查看服务站点，对照合同绩效目标逐项评定。",
            planned_on=today,
        ),
    )
    await acceptance_panel.add_member(
        session,
        settings,
        officer,
        acceptance.id,
        MemberIn(kind=MemberKind.buyer, login=f"civil-affairs-officer@{SLUGS[city]}.demo.gov.cn"),
    )
    members = [officer]
    for kind, login, display_name in PANEL:
        # Opened here with the demo password, so that the account can be tried; the panel
        # then seats the existing account (no one-time password).
        user = await identity.create_user(
            session, settings, officer, login=login, display_name=display_name, password=password
        )
        await acceptance_panel.add_member(
            session,
            settings,
            officer,
            acceptance.id,
            MemberIn(kind=kind, login=login, display_name=display_name),
        )
        members.append(Actor(user.id, city, "demo-seed"))
    seqs = [int(s["seq"]) for s in acceptance.standards]
    for member in members:
        await acceptance_panel.record_opinion(
            session,
            member,
            acceptance.id,
            OpinionIn(
                opinion="服务内容、数量与质量达到合同约定，同意通过验收。",
                scores=[ScoreIn(seq, True, 88, "达到合同约定") for seq in seqs],
            ),
        )
    await acceptance_conclusion.conclude(
        session,
        officer,
        acceptance.id,
        ConclusionIn(
            findings=[FindingIn(seq, True, "验收小组一致认定达到合同约定") for seq in seqs],
            summary="项目按合同约定完成全部服务内容，绩效目标全部达成，验收合格。",
        ),
    )
    title = "项目验收书"
    paragraphs = [
        f"合同编号：{contract.ocid}",
        f"项目名称：{contract.title}",
        f"采购人：{contract.buyer_name}",
        f"服务机构：{contract.provider_name}（统一社会信用代码 {contract.provider_uscc}）",
        f"验收日期：{today}",
        "验收方式：查阅服务档案与台账、服务对象座谈、实地查看服务站点。",
        "验收小组：采购人代表、服务对象代表、第三方成员各一名。",
        "验收标准及结论：",
        *(
            f"\u3000\u3000{s['seq']}. {s['name']}（{s['requirement']}）：合格"
            for s in acceptance.standards
        ),
        "验收结论：合格。",
        "",
        "采购人（盖章）：\u3000\u3000\u3000\u3000\u3000\u3000\u3000\u3000服务机构（盖章）：",
    ]
    report = await upload_document(
        session,
        settings,
        storage,
        stored,
        officer,
        (ObjectType.acceptance, acceptance.id),
        contract_pdf(title, paragraphs),
        title,
    )
    signature = AcceptanceSignatureIn(document_id=report.document_id, sha256=report.sha256)
    await bind_tenant(session, city, supplier.provider_id)  # as in the provider's request
    await acceptance_signing.sign(session, supplier, acceptance.id, Party.provider, signature)
    await bind_tenant(session, city)
    await acceptance_signing.sign(session, approver, acceptance.id, Party.buyer, signature)


# --- the archive --------------------------------------------------------------------------------


async def _archive_asked(
    session: AsyncSession, city: str, project_id: uuid.UUID
) -> uuid.UUID | None:
    """The completed project's archive, asked for (idempotent per project state): its id
    while it is not ready, else None."""
    if await planning.project_status(session, city, project_id) != "completed":
        return None
    archive, _ = await request_archive(
        session, Actor(None, city, "demo-seed"), project_id, Trigger.completed
    )
    return None if archive.status == ArchiveStatus.ready else archive.id


async def _build(
    sessionmaker: async_sessionmaker[AsyncSession],
    settings: Settings,
    city: str,
    archive_id: uuid.UUID,
) -> None:
    """The build job the archive queued, run now as the worker runs it (claiming its message,
    so the worker started by ``make run`` skips it)."""
    async with transaction(sessionmaker, city) as session:
        event = await session.scalar(
            select(OutboxEvent)
            .where(
                OutboxEvent.tenant_id == city,
                OutboxEvent.actor_name == BUILD_JOB,
                OutboxEvent.payload["archive_id"].astext == str(archive_id),
            )
            .order_by(OutboxEvent.available_at.desc())
            .limit(1)
        )
        status = await session.scalar(
            select(ProjectArchive.status).where(
                ProjectArchive.tenant_id == city, ProjectArchive.id == archive_id
            )
        )
    if event is None or status == ArchiveStatus.ready:
        return
    use_settings(settings)
    await run_once(
        archive_tasks.build,
        BUILD_JOB,
        city,
        event.message_key,
        dict(event.payload),
        "demo-seed",
        sessionmaker,
    )
