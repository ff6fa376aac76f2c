"""Public notices (公告): written in the procurement's region, readable by anyone in every
region (the ``public_notices`` policy of migration 0008), searchable across regions."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit import workdays
from services.kit.audit import Actor, record
from services.kit.jsonsafe import json_safe
from services.kit.money import text
from services.kit.publicity import PublicChange, announce
from services.tendering import repository
from services.tendering.models import Enquiry, Notice, Procurement
from services.tendering.schemas import Method, NoticeKind

LOCAL = ZoneInfo("Asia/Shanghai")
KIND_NAMES = {
    NoticeKind.tender: "采购公告",
    NoticeKind.correction: "更正公告",
    NoticeKind.result: "结果公告",
    NoticeKind.failure: "废标公告",
    NoticeKind.single_source: "单一来源采购公示",
    NoticeKind.contract: "合同公告",
    NoticeKind.amendment: "合同变更公告",
    NoticeKind.acceptance: "验收结果公告",
    NoticeKind.prequalification: "资格预审公告",
    NoticeKind.termination: "终止公告",
}
# An amendment's notice is named for what it does to the contract.
AMENDMENT_NAMES = {
    "supplementary_purchase": "补充合同公告",
    "change": "合同变更公告",
    "termination": "合同解除公告",
}
METHOD_NAMES = {
    Method.open_tender: "公开招标",
    Method.invited_tender: "邀请招标",
    Method.competitive_negotiation: "竞争性谈判",
    Method.single_source: "单一来源",
    Method.competitive_consultation: "竞争性磋商",
}


def _local(moment: datetime) -> str:
    return f"{moment.astimezone(LOCAL):%Y年%m月%d日 %H:%M}"


def local_time(moment: datetime | None) -> str:
    """A moment as a notice shows it; one in a year whose holidays nobody has entered is
    marked provisional (it was counted Monday–Friday and may move)."""
    if moment is None:
        return "无"
    if workdays.is_provisional_moment(moment):
        return f"{_local(moment)}（暂定：该年节假日安排尚未公布）"
    return _local(moment)


def tender_data(procurement: Procurement) -> dict[str, Any]:
    return {
        "method": procurement.method,
        "budget_amount": text(procurement.budget_amount),
        "ceiling_price": text(procurement.ceiling_price),
        "bid_security": text(procurement.bid_security),
        "requirements": procurement.requirements,
        "qualification_criteria": list(procurement.qualification_criteria),
        "criteria": procurement.criteria,
        "documents_issued_at": procurement.documents_issued_at,
        "enquiry_deadline": procurement.enquiry_deadline,
        "bid_deadline": procurement.bid_deadline,
        "opening_at": procurement.opening_at,
    }


def _body(procurement: Procurement, kind: NoticeKind, data: dict[str, Any]) -> str:
    lines = [
        f"项目名称：{procurement.title}",
        f"项目编号：{procurement.ocid}",
        f"采购方式：{METHOD_NAMES[Method(procurement.method)]}",
        f"预算金额：{text(procurement.budget_amount)}元",
    ]
    if kind in (NoticeKind.tender, NoticeKind.correction):
        lines += [
            f"最高限价：{text(procurement.ceiling_price)}元",
            f"投标截止时间：{local_time(procurement.bid_deadline)}",
            f"开标时间：{local_time(procurement.opening_at)}",
        ]
    if kind is NoticeKind.correction:
        lines.append(f"更正事项：{data.get('change', '')}")
    if kind is NoticeKind.single_source:
        lines += [
            f"拟定供应商：{data['proposed_provider']}（{data['proposed_provider_uscc']}）",
            f"采用单一来源方式的理由：{data.get('justification') or ''}",
            "公示期内如有异议，请通过平台提出。",
        ]
    if kind is NoticeKind.result:
        lines += [
            f"中标（成交）供应商：{data['winner']}",
            f"中标（成交）金额：{data['price']}元",
        ]
    if kind is NoticeKind.failure:
        lines.append(f"废标理由：{data['reason']}")
    if kind is NoticeKind.termination:
        lines.append(f"终止理由：{data['reason']}")
    if kind is NoticeKind.contract:
        lines += [
            f"供应商：{data['provider']}（统一社会信用代码 {data['provider_uscc']}）",
            f"合同金额：{data['price']}元",
            f"主要标的：{data['scope']}",
            f"服务期限：{data['period_start']}至{data['period_end']}",
            f"合同签订日期：{data['signed_on']}",
        ]
        lines += [f"不予公开：{w['part']}（{w['ground']}）" for w in data.get("withheld", [])]
    if kind is NoticeKind.amendment:
        lines += _amendment_lines(data)
    if kind is NoticeKind.acceptance:
        lines += _acceptance_lines(data)
    if kind is NoticeKind.prequalification:
        lines += [
            f"资格条件：{'；'.join(procurement.qualification_criteria)}",
            f"提交资格证明文件截止时间：{_local(data['applications_deadline'])}",
            "资格预审合格的供应商中随机抽取被邀请的供应商。",
        ]
    return "\n".join(lines)


def _acceptance_lines(data: dict[str, Any]) -> list[str]:
    """The project, the provider, the result and each standard: never a person's name."""
    verdict = {True: "合格", False: "不合格"}
    return [
        f"供应商：{data['provider']}（统一社会信用代码 {data['provider_uscc']}）",
        f"验收轮次：第{data['round']}次验收",
        f"验收结果：{'合格' if data['result'] == 'pass' else '不合格'}",
        f"验收书签署日期：{data['signed_on']}",
        *(
            f"验收标准{s['seq']}：{s['name']}（{s['requirement']}）——{verdict[s['passed']]}"
            for s in data["standards"]
        ),
    ]


def _amendment_lines(data: dict[str, Any]) -> list[str]:
    lines = [
        f"供应商：{data['provider']}（统一社会信用代码 {data['provider_uscc']}）",
        f"原合同金额：{data['price']}元",
        f"事项：{AMENDMENT_NAMES[data['amendment_kind']].removesuffix('公告')}",
    ]
    if data.get("amount"):
        lines += [f"补充合同金额：{data['amount']}元", f"合同总金额：{data['value']}元"]
    if data.get("ground_name"):
        lines.append(f"依据：{data['ground_name']}")
    return [
        *lines,
        f"理由：{data['reason']}",
        f"内容：{data['description']}",
        f"生效日期：{data['effective_on']}",
    ]


def _name(kind: NoticeKind, data: dict[str, Any]) -> str:
    if kind is NoticeKind.amendment:
        return AMENDMENT_NAMES[data["amendment_kind"]]
    return KIND_NAMES[kind]


async def publish(
    session: AsyncSession,
    actor: Actor,
    procurement: Procurement,
    kind: NoticeKind,
    data: dict[str, Any],
) -> Notice:
    notice = Notice(
        tenant_id=procurement.tenant_id,
        id=uuid.uuid4(),
        procurement_id=procurement.id,
        kind=kind.value,
        title=f"{procurement.title}{_name(kind, data)}",
        body=_body(procurement, kind, data),
        data=json_safe({"ocid": procurement.ocid, **data}),
        published_at=datetime.now(UTC),
    )
    session.add(notice)
    await session.flush()
    await record(
        session,
        actor,
        f"notice.{kind.value}",
        "notice",
        notice.id,
        after={"procurement_id": procurement.id, "title": notice.title},
    )
    await announce(
        session,
        PublicChange(notice.tenant_id, procurement.id, kind.value, notice.id, notice.published_at),
    )
    return notice


async def latest(
    session: AsyncSession, procurement: Procurement, kind: NoticeKind
) -> Notice | None:
    return await session.scalar(
        select(Notice)
        .where(repository.belongs_to(Notice, procurement), Notice.kind == kind.value)
        .order_by(Notice.published_at.desc())
        .limit(1)
    )


async def unanswered_enquiries(session: AsyncSession, procurement: Procurement) -> int:
    rows = await session.scalars(
        select(Enquiry.id).where(
            repository.belongs_to(Enquiry, procurement), Enquiry.answered_at.is_(None)
        )
    )
    return len(rows.all())


def _like(term: str) -> str:
    escaped = term.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search(
    session: AsyncSession,
    *,
    tenant: str | None,
    kind: NoticeKind | None,
    query: str | None,
    limit: int,
    offset: int,
) -> Sequence[Notice]:
    """Published notices of every region (or one), newest first."""
    statement = select(Notice)
    if tenant is not None:
        statement = statement.where(Notice.tenant_id == tenant)
    if kind is not None:
        statement = statement.where(Notice.kind == kind.value)
    if query:
        pattern = _like(query)
        statement = statement.where(
            or_(Notice.title.ilike(pattern, escape="\\"), Notice.body.ilike(pattern, escape="\\"))
        )
    statement = statement.order_by(Notice.published_at.desc(), Notice.id)
    return (await session.scalars(statement.limit(limit).offset(offset))).all()


async def get(session: AsyncSession, notice_id: uuid.UUID) -> Notice | None:
    return await session.scalar(select(Notice).where(Notice.id == notice_id))


async def of_procurement(session: AsyncSession, procurement: Procurement) -> Sequence[Notice]:
    return await repository.parts(session, Notice, procurement, Notice.published_at)
