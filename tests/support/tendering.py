"""Tendering through the API, by the roles that do it; and the clock, moved in the database.

Legal periods run for weeks. Tests create procurements with lawful dates, then move the
recorded moments back in time with the schema owner's connection (``admin_db``) — the
same as if the weeks had passed — so that deadlines fall seconds away.
"""

from __future__ import annotations

import asyncio
import json
import random
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx

from services.kit.audit import Actor
from services.kit.db import PLATFORM_TENANT, transaction
from services.kit.jobs import JobContext
from services.kit.settings import Settings
from services.tendering import opening, tasks
from tests.support.accounts import grant, open_account
from tests.support.client import Client, Login, json_of
from tests.support.database import Sessions
from tests.support.demo import GD, GZ, city_login
from tests.support.planning import Planner
from tests.support.providers import apply_to, decide_registration, sign_up

PASSWORD = "Tender2026pass"
# The province's administrator and finance bureau: the expert library is theirs.
PROVINCE_ADMIN = "admin@gd.demo.gov.cn"
PROVINCE_FINANCE = "finance-officer@gd.demo.gov.cn"
CRITERIA = [
    {"name": "服务方案", "weight": 50},
    {"name": "团队与经验", "weight": 20},
    {"name": "价格", "weight": 30, "price": True},
]


# A written recommendation's scan, as the buyer uploads it.
RECOMMENDATION_PDF = (
    b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj <<>> endobj\n% recommendation\ntrailer <<>>\n%%EOF\n"
)


def assert_rule_broken(response: httpx.Response, rule: str) -> None:
    """A 422 that names the legal rule the request broke."""
    assert response.status_code == 422, response.text
    body = response.json()
    assert body["code"] == "legal_rule_broken", body
    assert body["rule"] == rule, body


async def sweep(sessionmaker: Sessions) -> None:
    """The chronograph's tendering sweep, across every region, as one tick runs it."""
    async with transaction(sessionmaker, PLATFORM_TENANT) as session:
        await tasks.sweep(JobContext(session, PLATFORM_TENANT, f"sweep-{uuid.uuid4()}", None), {})


async def passed(moment: datetime) -> None:
    """Wait until ``moment`` is past, by the machine's clock, which the database shares."""
    await asyncio.sleep(max((moment - datetime.now(UTC)).total_seconds(), 0) + 0.1)


def later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def procurement_body(line_id: str, **changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "budget_line_id": line_id,
        "title": f"流动儿童关爱服务采购{uuid.uuid4().hex[:6]}",
        "requirements": "为辖区流动儿童提供课后托管、学业辅导与家庭支持服务，服务期12个月。",
        "budget_amount": "360000.00",
        "ceiling_price": "350000.00",
        "bid_security": "7000.00",
        "criteria": CRITERIA,
        "bid_deadline": later(days=25),
        "qualification_criteria": ["具有独立承担民事责任的能力", "近三年无重大违法记录"],
    }
    body.update(changes)
    return body


@dataclass
class Bidder:
    provider_id: str
    headers: dict[str, str]
    name: str


@dataclass
class Tenderer:
    """One city's buyer, finance, providers and experts, acting through the API."""

    client: Client
    login: Login
    admin_db: asyncpg.Connection
    # What opens the bids at the opening time, as the chronograph's job would.
    sessionmaker: Sessions
    settings: Settings
    city: str = GZ
    planner: Planner = field(init=False)
    # The library experts this tenderer made: id → (login, headers).
    expert_logins: dict[str, tuple[str, dict[str, str]]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.planner = Planner(self.client, self.login, self.city)

    @property
    def base(self) -> str:
        return f"/v1/tenants/{self.city}/procurements"

    async def as_(self, role: str) -> dict[str, str]:
        return await self.login(city_login(role, self.city))

    async def line(self) -> str:
        budget = await self.planner.approved_budget()
        return str(budget["lines"][0]["id"])

    async def create(self, **changes: Any) -> dict[str, Any]:
        line = changes.pop("budget_line_id", None) or await self.line()
        response = await self.client.post(
            self.base,
            headers=await self.as_("civil_affairs_officer"),
            json=procurement_body(line, **changes),
        )
        return json_of(response, 201)

    async def single_source(
        self, provider: Bidder, justification: str, notice: bool = False
    ) -> dict[str, Any]:
        """A single-source procurement proposing the only provider able to serve, sent to
        finance (below the open-tender threshold no notice is due) or, with ``notice`` (inside
        :meth:`threshold_lowered`), its notice published: the procurement as that left it."""
        procurement = await self.create(
            method="single_source",
            method_reason="only_one_supplier",
            method_justification=justification,
            proposed_provider_id=provider.provider_id,
        )
        step = "single-source-notice" if notice else "submit-for-approval"
        sent = await self.client.post(
            f"{self.base}/{procurement['id']}/{step}",
            headers=await self.as_("civil_affairs_officer"),
        )
        return json_of(sent)

    @asynccontextmanager
    async def threshold_lowered(self, yuan: str = "300000") -> AsyncIterator[None]:
        """The region's open-tender threshold lowered (a region may), so that a test budget
        line reaches it; the region's own rules are put back afterwards."""
        url = f"/v1/tenants/{self.city}/tendering-rules"
        approver = await self.as_("civil_affairs_approver")
        before = json_of(await self.client.get(url, headers=approver))["overrides"]
        lowered = await self.client.put(
            url, headers=approver, json={**before, "open_tender_threshold_yuan": yuan}
        )
        json_of(lowered)
        try:
            yield
        finally:
            json_of(await self.client.put(url, headers=approver, json=before))

    async def notice_ran(self, procurement_id: str) -> None:
        """As if the notice period had passed: the procurement's notice went out 14 days ago."""
        await self.admin_db.execute(
            "UPDATE notices SET published_at = now() - interval '14 days'"
            " WHERE tenant_id = $1 AND procurement_id = $2",
            self.city,
            uuid.UUID(procurement_id),
        )

    async def user_id(self, role: str) -> str:
        me = await self.client.get("/v1/me", headers=await self.as_(role))
        return str(json_of(me)["user"]["id"])

    async def written(self, procurement_id: str) -> str:
        """A written recommendation, uploaded to the procurement's documents: its id."""
        uploaded = await self.client.post(
            f"/v1/tenants/{self.city}/documents",
            headers=await self.as_("civil_affairs_officer"),
            params={
                "object_type": "tender",
                "object_id": procurement_id,
                "filename": "推荐意见.pdf",
            },
            content=RECOMMENDATION_PDF,
        )
        return str(json_of(uploaded, 201)["id"])

    def recommendation(
        self, supplier: Bidder, by: str, document_id: str, recommender: str = "推荐人"
    ) -> dict[str, Any]:
        return {
            "provider_id": supplier.provider_id,
            "by": by,
            "recommender": recommender,
            "reason": f"{supplier.name}具备同类服务经验",
            "document_ids": [document_id],
        }

    async def select(self, procurement_id: str, body: dict[str, Any]) -> httpx.Response:
        """The buyer's supplier selection (a draw, or a negotiation's recommendations)."""
        return await self.client.post(
            f"{self.base}/{procurement_id}/supplier-selection",
            headers=await self.as_("civil_affairs_officer"),
            json=body,
        )

    async def witnesses(self) -> list[str]:
        """Two of the buyer's staff: the officer who draws and the approver."""
        return [
            await self.user_id("civil_affairs_officer"),
            await self.user_id("civil_affairs_approver"),
        ]

    async def drawn(
        self, procurement_id: str, pool: list[Bidder], draw: int
    ) -> tuple[dict[str, Any], list[Bidder]]:
        """Invitees drawn at random from the buyer's written recommendations of ``pool``
        before two witnesses: the draw's record and the drawn bidders."""
        document_id = await self.written(procurement_id)
        made = await self.select(
            procurement_id,
            {
                "source": "recommendations",
                "draw": draw,
                "witness_ids": await self.witnesses(),
                "recommendations": [
                    self.recommendation(supplier, "buyer", document_id) for supplier in pool
                ],
            },
        )
        record = json_of(made, 201)
        by_id = {supplier.provider_id: supplier for supplier in pool}
        return record, [by_id[provider_id] for provider_id in record["invited"]]

    async def recommended(self, procurement_id: str, suppliers: list[Bidder]) -> dict[str, Any]:
        """A negotiation's suppliers from written recommendations, all invited: the first the
        buyer's, the others the experts' (the buyer's share at most half)."""
        document_id = await self.written(procurement_id)
        made = await self.select(
            procurement_id,
            {
                "source": "recommendations",
                "recommendations": [
                    self.recommendation(supplier, "buyer" if i == 0 else "expert", document_id)
                    for i, supplier in enumerate(suppliers)
                ],
            },
        )
        return json_of(made, 201)

    async def negotiation(self, suppliers: list[Bidder], **changes: Any) -> dict[str, Any]:
        """A draft competitive negotiation inviting ``suppliers`` on written recommendations."""
        procurement = await self.create(
            method="competitive_negotiation",
            method_reason="technically_complex",
            method_justification="服务内容需与供应商逐项谈判确定",
            bid_deadline=later(days=10),
            **changes,
        )
        await self.recommended(str(procurement["id"]), suppliers)
        return procurement

    async def published(self, **changes: Any) -> dict[str, Any]:
        procurement = await self.create(**changes)
        response = await self.client.post(
            f"{self.base}/{procurement['id']}/publish",
            headers=await self.as_("civil_affairs_officer"),
            json={},
        )
        return json_of(response)

    async def closing_in(self, procurement_id: str, seconds: float) -> datetime:
        """As if the weeks had passed: the documents went out 25 days ago and bids close in
        ``seconds`` (the opening at the same moment). Make the bidders first: only the bids
        themselves should have to fit in those seconds, on a loaded machine too. To bid and
        then open, ``closed`` is quicker: it waits out no seconds."""
        deadline = datetime.now(UTC) + timedelta(seconds=seconds)
        await self.admin_db.execute(
            "UPDATE procurements SET bid_deadline = $3::timestamptz, opening_at = $3::timestamptz,"
            " documents_issued_at = $3::timestamptz - interval '25 days'"
            " WHERE tenant_id = $1 AND id = $2",
            self.city,
            uuid.UUID(procurement_id),
            deadline,
        )
        return deadline

    async def closed(self, procurement_id: str) -> datetime:
        """As if the bid period had run out, the bids made while it ran: the deadline and the
        opening moved to a blink ahead (the documents issued 25 days before), and so the
        bids' seals, which open at the opening. The database refuses to move a seal's time
        into the past, whoever asks, so the moment is just ahead rather than gone; the
        moment is returned for ``open_now`` to wait out. Quicker than bidding against a
        deadline seconds away, and with no race against a loaded machine."""
        async with self.admin_db.transaction():
            deadline: datetime = await self.admin_db.fetchval(
                "UPDATE procurements SET bid_deadline = now() + interval '50 milliseconds',"
                " opening_at = now() + interval '50 milliseconds',"
                " documents_issued_at = now() + interval '50 milliseconds' - interval '25 days'"
                " WHERE tenant_id = $1 AND id = $2 RETURNING opening_at",
                self.city,
                uuid.UUID(procurement_id),
            )
            await self.admin_db.execute(
                "UPDATE document_seals SET sealed_until = $3"
                " WHERE tenant_id = $1 AND object_type = 'bid' AND object_id IN"
                " (SELECT id FROM bids WHERE tenant_id = $1 AND procurement_id = $2)",
                self.city,
                uuid.UUID(procurement_id),
                deadline,
            )
        return deadline

    async def moved(self, procurement_id: str, assignments: str) -> None:
        """As if time had passed: ``assignments`` (SQL, such as ``report_at = now() - interval
        '20 days'``) set on the procurement's recorded moments."""
        await self.admin_db.execute(
            f"UPDATE procurements SET {assignments} WHERE tenant_id = $1 AND id = $2",
            self.city,
            uuid.UUID(procurement_id),
        )

    async def overdue_warnings(self, procurement_id: str) -> list[tuple[dict[str, Any], str]]:
        """The warnings of a missed legal time the sweep has queued for the procurement: each
        job's payload and message key."""
        rows = await self.admin_db.fetch(
            "SELECT payload, message_key FROM outbox WHERE tenant_id = $1"
            " AND actor_name = 'tendering.warn_overdue' AND payload->>'procurement_id' = $2",
            self.city,
            procurement_id,
        )
        return [
            (json.loads(p) if isinstance(p := row["payload"], str) else p, row["message_key"])
            for row in rows
        ]

    async def bidder(self, name: str | None = None) -> Bidder:
        """A new provider, registered and approved here."""
        provider = await sign_up(
            self.client,
            self.login,
            PASSWORD,
            name=name or f"测试社工服务中心{uuid.uuid4().hex[:6]}",
            admin_name="投标管理员",
            prefix="bidder",
            city=self.city,
            kind=random.choice("12"),
        )
        bidder = Bidder(provider.id, provider.admin, provider.name)
        await self.register(bidder)
        return bidder

    async def register(self, bidder: Bidder) -> None:
        """Register a provider (of this or another region) here."""
        registration_id = await apply_to(self.client, bidder.headers, self.city)
        approver = await self.as_("civil_affairs_approver")
        await decide_registration(
            self.client, approver, self.city, registration_id, note="准予登记"
        )

    async def bid(self, procurement_id: str, bidder: Bidder, price: str) -> dict[str, Any]:
        response = await self.client.post(
            f"{self.base}/{procurement_id}/bids", headers=bidder.headers, json={"price": price}
        )
        return json_of(response, 201)

    async def available(self, line_id: str) -> str:
        """What a budget line has left, as finance reads it."""
        response = await self.client.get(
            f"/v1/tenants/{self.city}/budget-lines/{line_id}",
            headers=await self.as_("finance_officer"),
        )
        return str(response.json()["available_amount"])

    async def attach(
        self, headers: dict[str, str], bid_id: str, content: bytes, **params: str
    ) -> httpx.Response:
        """A bidder's document upload on its bid."""
        return await self.client.post(
            f"/v1/tenants/{self.city}/documents",
            headers=headers,
            params={
                "object_type": "bid",
                "object_id": bid_id,
                "filename": "投标文件.pdf",
                **params,
            },
            content=content,
        )

    async def open_now(self, procurement_id: str, deadline: datetime) -> None:
        """What the chronograph's job does at the opening time."""
        await passed(deadline)
        async with transaction(self.sessionmaker, self.city) as session:
            actor = Actor(None, self.city, "test-opening")
            acted = await opening.open_bids(
                session, self.settings, actor, uuid.UUID(procurement_id)
            )
        assert acted

    async def expert(
        self,
        employer: str = "某某大学社会工作系",
        affiliated: list[str] | None = None,
        speciality: str = "social_work",
        **more: Any,
    ) -> tuple[str, dict[str, str]]:
        """A new expert account in the province's library (the province's administrator opens
        it, its finance bureau puts it in the library): (its id, its headers). ``more`` adds
        to the library entry (affiliated_usccs, unavailable_from/to, avoidances)."""
        admin = await self.login(PROVINCE_ADMIN)
        user_id, login = await open_account(
            self.client, admin, PASSWORD, tenant=GD, prefix="expert", display_name="评审专家"
        )
        await grant(self.client, admin, GD, login)
        pooled = await self.client.put(
            f"/v1/tenants/{GD}/experts/{user_id}",
            headers=await self.login(PROVINCE_FINANCE),
            json={
                "user_id": user_id,
                "specialities": [speciality],
                "employer": employer,
                "affiliated_provider_ids": affiliated or [],
                **more,
            },
        )
        assert pooled.status_code == 200, pooled.text
        # Headers of its own: a seat on a committee refreshes them in place (see seated).
        headers = dict(await self.login(login, PASSWORD))
        self.expert_logins[user_id] = (login, headers)
        return user_id, headers

    async def seated(self, committee: httpx.Response) -> None:
        """A seat is a role held on the procurement from the draw on: the seated experts sign
        in again, so their tokens are newer than the grant (the headers change in place)."""
        if committee.status_code != 201:
            return
        for member in committee.json()["members"]:
            known = self.expert_logins.get(member["user_id"])
            if known is None:
                continue
            login, headers = known
            response = await self.client.post(
                "/v1/auth/login", json={"login": login, "password": PASSWORD}
            )
            assert response.status_code == 200, response.text
            headers.clear()
            headers["Authorization"] = f"Bearer {response.json()['access_token']}"

    async def opened(self, **changes: Any) -> tuple[str, list[Bidder]]:
        """A published open tender with three bids, opened, every bid qualified by the buyer:
        (its id, the bidders). The committee's compliance review comes next."""
        procurement = await self.published(**changes)
        pid = procurement["id"]
        bidders = [await self.bidder() for _ in range(3)]
        for bidder, price in zip(bidders, ("300000", "310000", "320000"), strict=True):
            await self.bid(pid, bidder, price)
        await self.open_now(pid, await self.closed(pid))
        await self.qualified(pid)
        return pid, bidders

    async def review_of(self, procurement_id: str, headers: dict[str, str]) -> dict[str, Any]:
        response = await self.client.get(f"{self.base}/{procurement_id}/review", headers=headers)
        return json_of(response)

    async def review(
        self,
        procurement_id: str,
        stage: str,
        headers: dict[str, str],
        invalid: dict[str, str] | None = None,
    ) -> httpx.Response:
        """A verdict on every bid under review (``stage``: qualification or compliance): valid,
        but those in ``invalid`` (bid id → reason)."""
        invalid = invalid or {}
        pending = await self.review_of(procurement_id, await self.as_("civil_affairs_officer"))
        field = "qualified" if stage == "qualification" else "compliant"
        verdicts = [
            {"bid_id": v["bid_id"], "valid": False, "reason": invalid[v["bid_id"]]}
            if v["bid_id"] in invalid
            else {"bid_id": v["bid_id"], "valid": True}
            for v in pending["verdicts"]
            if v[field] is None and v["qualified"] is not False
        ]
        return await self.client.post(
            f"{self.base}/{procurement_id}/{stage}-review",
            headers=headers,
            json={"verdicts": verdicts},
        )

    async def qualified(self, procurement_id: str) -> None:
        """The buyer finds every opened bid qualified."""
        officer = await self.as_("civil_affairs_officer")
        json_of(await self.review(procurement_id, "qualification", officer))

    async def compliant(self, procurement_id: str, member: dict[str, str]) -> None:
        """The committee finds every qualified bid compliant (``member`` records it)."""
        json_of(await self.review(procurement_id, "compliance", member))

    async def score(self, procurement_id: str, headers: dict[str, str], bid_ids: list[str]) -> None:
        """One committee member's scores: the same on every bid, for the criteria but price."""
        scores = [
            {"bid_id": b, "criterion": name, "score": value}
            for b in bid_ids
            for name, value in (("服务方案", "40"), ("团队与经验", "15"))
        ]
        response = await self.client.post(
            f"{self.base}/{procurement_id}/scores", headers=headers, json={"scores": scores}
        )
        assert response.status_code == 200, response.text

    async def draw_committee(
        self, procurement_id: str, experts: int, speciality: str, **more: Any
    ) -> httpx.Response:
        """The buyer asks for a committee drawn from the province's library: the answer,
        refused or not."""
        response = await self.client.post(
            f"{self.base}/{procurement_id}/committee",
            headers=await self.as_("civil_affairs_officer"),
            json={"experts": experts, "speciality": speciality, **more},
        )
        await self.seated(response)
        return response

    async def scored_by_committee(self, procurement_id: str) -> None:
        """A committee of five experts from the province's library, drawn; it finds every
        qualified bid compliant (the buyer qualifies them first if it has not), and every member
        scores the valid bids."""
        officer = await self.as_("civil_affairs_officer")
        if (await self.review_of(procurement_id, officer))["status"] == "qualification_review":
            await self.qualified(procurement_id)
        speciality = f"committee_{uuid.uuid4().hex[:6]}"
        experts = [await self.expert(speciality=speciality) for _ in range(5)]
        drawn = await self.draw_committee(procurement_id, 5, speciality)
        assert drawn.status_code == 201, drawn.text
        await self.compliant(procurement_id, experts[0][1])
        bids = await self.client.get(f"{self.base}/{procurement_id}/bids", headers=officer)
        bid_ids = [b["id"] for b in bids.json() if b["status"] == "submitted"]
        for _, headers in experts:
            await self.score(procurement_id, headers, bid_ids)

    async def conclude(self, procurement_id: str, minutes: str) -> dict[str, Any]:
        """The buyer concludes the negotiation, its minutes recorded."""
        response = await self.client.post(
            f"{self.base}/{procurement_id}/conclude-negotiation",
            headers=await self.as_("civil_affairs_officer"),
            json={"minutes": minutes},
        )
        return json_of(response)

    async def award_and_publish(self, procurement_id: str) -> dict[str, Any]:
        """The approver awards the recommended bid, and the officer publishes the result."""
        awarded = await self.client.post(
            f"{self.base}/{procurement_id}/award", headers=await self.as_("civil_affairs_approver")
        )
        assert awarded.status_code == 200, awarded.text
        result = await self.client.post(
            f"{self.base}/{procurement_id}/result", headers=await self.as_("civil_affairs_officer")
        )
        return json_of(result)

    async def with_result(self) -> tuple[str, list[Bidder]]:
        """An open tender taken to its published result, by a committee of library experts."""
        pid, bidders = await self.opened()
        await self.scored_by_committee(pid)
        await self.award_and_publish(pid)
        return pid, bidders
