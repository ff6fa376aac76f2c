"""Contracts through the API: drafted from a fresh award, terms set, the contract document
uploaded and signed by both sides."""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import asyncpg

from services.contracts import tasks as contract_tasks
from services.kit import workdays
from services.kit.db import PLATFORM_TENANT, transaction
from services.kit.jobs import JobContext, run_once
from services.tendering import service as tendering
from tests.support.client import Client, json_of
from tests.support.database import Sessions
from tests.support.documents import pdf, sha, upload
from tests.support.tendering import Bidder, Tenderer


def schedule(price: str) -> list[dict[str, Any]]:
    """Three instalments of 30 %, 50 % and the rest (the final one) of ``price``."""
    total = Decimal(price)
    first = (total * Decimal("0.3")).quantize(Decimal("0.01"))
    second = (total * Decimal("0.5")).quantize(Decimal("0.01"))
    return [
        {"milestone": "合同签订后首期", "amount": f"{first}", "due_on": "2027-01-31"},
        {"milestone": "中期评估通过", "amount": f"{second}", "due_on": "2027-07-31"},
        {
            "milestone": "结项验收合格",
            "amount": f"{total - first - second}",
            "due_on": "2028-01-31",
            "final": True,
        },
    ]


def terms(**changes: Any) -> dict[str, Any]:
    """Lawful terms for a 300,000.00 award: three instalments, the last one final."""
    body: dict[str, Any] = {
        "scope": "为辖区流动儿童提供课后托管、学业辅导与家庭支持服务。",
        "quality_requirements": "服务对象满意度不低于90%，按月提交服务进度报告。",
        "breach_liability": "未按合同约定提供服务的，按未履行部分金额的10%支付违约金。",
        "period_start": "2027-01-01",
        "period_end": "2027-12-31",
        "instalments": [
            {"milestone": "合同签订后首期", "amount": "90000.00", "due_on": "2027-01-31"},
            {"milestone": "中期评估通过", "amount": "150000.00", "due_on": "2027-07-31"},
            {
                "milestone": "结项验收合格",
                "amount": "60000.00",
                "due_on": "2028-01-31",
                "final": True,
            },
        ],
        "performance_security": "15000.00",
    }
    body.update(changes)
    return body


async def run_award_notified(
    admin_db: asyncpg.Connection, sessionmaker: Sessions, pid: str, tenant: str
) -> bool:
    """Run the newest award-notified job tendering put in the outbox, as the worker would."""
    row = await admin_db.fetchrow(
        "SELECT payload, message_key FROM outbox WHERE tenant_id = $1 AND actor_name = $2"
        " AND payload->>'procurement_id' = $3 ORDER BY created_at DESC LIMIT 1",
        tenant,
        tendering.AWARD_NOTIFIED,
        pid,
    )
    assert row is not None, "tendering told nobody of the award notice"
    payload = json.loads(row["payload"]) if isinstance(row["payload"], str) else row["payload"]
    return await run_once(
        contract_tasks.draft_from_award,
        tendering.AWARD_NOTIFIED,
        tenant,
        row["message_key"],
        payload,
        None,
        sessionmaker,
    )


async def sweep(sessionmaker: Sessions) -> None:
    """The chronograph's contracts sweep, across every region, as one tick runs it."""
    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        await contract_tasks.sweep(
            JobContext(session, PLATFORM_TENANT, f"sweep-{uuid.uuid4()}", None), {}
        )


@dataclass
class Deal:
    """A contract drafted from a fresh award in one city, with its procurement and bidders."""

    gz: Tenderer
    contract: dict[str, Any]
    procurement_id: str
    winner: Bidder
    others: list[Bidder]

    @property
    def client(self) -> Client:
        return self.gz.client

    @property
    def path(self) -> str:
        return f"/v1/tenants/{self.gz.city}/contracts/{self.contract['id']}"

    async def read(self) -> dict[str, Any]:
        headers = await self.gz.as_("civil_affairs_officer")
        return json_of(await self.client.get(self.path, headers=headers))

    async def set_terms(self, **changes: Any) -> dict[str, Any]:
        headers = await self.gz.as_("civil_affairs_officer")
        changes.setdefault("instalments", schedule(self.contract["price"]))
        response = await self.client.put(
            f"{self.path}/terms", headers=headers, json=terms(**changes)
        )
        return json_of(response)

    async def upload_document(self, marker: bytes = b"v1") -> tuple[str, str]:
        """The buyer uploads the contract document: (its id, the SHA-256 both sides sign)."""
        body = pdf(b"contract " + marker)
        response = await upload(
            self.client,
            await self.gz.as_("civil_affairs_officer"),
            body,
            object_type="contract",
            object_id=self.contract["id"],
            filename="政府采购合同.pdf",
            tenant=self.gz.city,
        )
        return str(json_of(response, 201)["id"]), sha(body)

    async def sign(self, party: str, document_id: str, digest: str) -> Any:
        headers = (
            self.winner.headers
            if party == "provider"
            else await self.gz.as_("civil_affairs_approver")
        )
        return await self.client.post(
            f"{self.path}/signatures/{party}",
            headers=headers,
            json={"document_id": document_id, "sha256": digest},
        )

    async def signed(self) -> dict[str, Any]:
        """Terms set, the document uploaded, both sides signed."""
        await self.set_terms()
        document_id, digest = await self.upload_document()
        assert (await self.sign("provider", document_id, digest)).status_code == 200
        return json_of(await self.sign("buyer", document_id, digest))

    async def confirmed_first_instalment(self) -> str:
        """Under the treasury (the default): the provider asks for the first instalment with
        its delivery report and civil affairs confirms it, so it is owed. The payment's id."""
        return await self.confirmed_instalment(0, "首期服务报告.pdf")

    async def confirmed_instalment(self, index: int, report: str) -> str:
        """The provider asks for the instalment at ``index`` with its report (``report``, the
        file's name) and civil affairs confirms it: its last day to pay runs from now. The
        payment's id."""
        evidence = await upload(
            self.client,
            self.winner.headers,
            pdf(b"delivery report " + uuid.uuid4().bytes),
            object_type="contract",
            object_id=self.contract["id"],
            filename=report,
            tenant=self.gz.city,
        )
        instalment = (await self.read())["instalments"][index]
        asked = await self.client.post(
            f"{self.path}/payments",
            headers=self.winner.headers,
            json={
                "instalment_seq": instalment["seq"],
                "amount": instalment["amount"],
                "evidence_document_ids": [json_of(evidence, 201)["id"]],
            },
        )
        payment = str(json_of(asked, 201)["id"])
        officer = await self.gz.as_("civil_affairs_officer")
        confirmed = await self.client.post(
            f"{self.path}/payments/{payment}/confirmation", headers=officer, json={}
        )
        json_of(confirmed)
        return payment

    async def paid_first_instalment(self) -> dict[str, Any]:
        """The first instalment confirmed (``confirmed_first_instalment``) and recorded paid.
        The payment."""
        payment = await self.confirmed_first_instalment()
        officer = await self.gz.as_("civil_affairs_officer")
        today = workdays.local_date(datetime.now(UTC)).isoformat()
        paid = await self.client.post(
            f"{self.path}/payments/{payment}/paid",
            headers=officer,
            json={"paid_on": today, "voucher": "GK2027-000001"},
        )
        return json_of(paid)

    async def told(self, event_type: str) -> list[uuid.UUID]:
        """Who was told ``event_type`` about this contract."""
        rows = await self.gz.admin_db.fetch(
            "SELECT user_id FROM notifications WHERE event_type = $1 AND data->>'contract_id' = $2",
            event_type,
            self.contract["id"],
        )
        return [row["user_id"] for row in rows]

    async def moved(self, assignments: str) -> None:
        """As if time had passed: ``assignments`` set on the contract's recorded moments."""
        await self.gz.admin_db.execute(
            f"UPDATE contracts SET {assignments} WHERE tenant_id = $1 AND id = $2",
            self.gz.city,
            uuid.UUID(self.contract["id"]),
        )


async def drafted_deal(gz: Tenderer) -> Deal:
    """A fresh open tender taken to its award notice, and the contract drafted from it."""
    pid, bidders = await gz.with_result()
    assert await run_award_notified(gz.admin_db, gz.sessionmaker, pid, gz.city)
    officer = await gz.as_("civil_affairs_officer")
    listed = await gz.client.get(
        f"/v1/tenants/{gz.city}/contracts", headers=officer, params={"limit": 200}
    )
    [contract] = [c for c in json_of(listed)["items"] if c["procurement_id"] == pid]
    [winner] = [b for b in bidders if b.provider_id == contract["provider_id"]]
    others = [b for b in bidders if b is not winner]
    return Deal(gz, contract, pid, winner, others)


async def single_source_deal(gz: Tenderer, price: str = "336000") -> Deal:
    """A single source (below the threshold: no notice) taken through finance's approval and
    one final offer of ``price`` to its award notice, and the contract drafted from it; one
    other provider registered here stands by as someone the contract is not. Quicker than an
    open tender (no bid period to wait out), for what does not turn on the method."""
    only = await gz.bidder(f"独家精神康复社工服务中心{uuid.uuid4().hex[:6]}")
    procurement = await gz.single_source(only, "本市唯一具备精神康复社工服务资质的机构")
    pid = procurement["id"]
    approved = await gz.client.post(
        f"{gz.base}/{pid}/approval",
        headers=await gz.as_("finance_approver"),
        json={"approve": True},
    )
    json_of(approved)
    opened = await gz.client.post(
        f"{gz.base}/{pid}/rounds",
        headers=await gz.as_("civil_affairs_officer"),
        json={"final": True},
    )
    json_of(opened, 201)
    offered = await gz.client.post(
        f"{gz.base}/{pid}/offers", headers=only.headers, json={"price": price}
    )
    json_of(offered, 201)
    await gz.conclude(pid, f"经协商，成交价{price}元。")
    await gz.award_and_publish(pid)
    assert await run_award_notified(gz.admin_db, gz.sessionmaker, pid, gz.city)
    listed = await gz.client.get(
        f"/v1/tenants/{gz.city}/contracts",
        headers=await gz.as_("civil_affairs_officer"),
        params={"limit": 200},
    )
    [contract] = [c for c in json_of(listed)["items"] if c["procurement_id"] == pid]
    return Deal(gz, contract, pid, only, [await gz.bidder()])
