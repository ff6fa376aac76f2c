"""Acceptances through the API: the plan of a signed contract's acceptance, its panel (the
buyer's representative, a service-recipient representative and a third-party member, the
last two with accounts opened for this acceptance), their opinions, the conclusion and the
report both sides sign."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

import httpx

from services.kit import workdays
from tests.support.accounts import unique_email
from tests.support.client import Headers, json_of
from tests.support.contracts import Deal
from tests.support.demo import city_login
from tests.support.documents import pdf, sha, upload


def today() -> str:
    return workdays.local_date(datetime.now(UTC)).isoformat()


def plan_body(**changes: Any) -> dict[str, Any]:
    body: dict[str, Any] = {
        "method": "查阅服务档案、实地走访服务对象、召开验收会议",
        "planned_on": today(),
        "standards": [{"name": "服务档案完整", "requirement": "个案档案齐全、记录规范"}],
    }
    body.update(changes)
    return body


@dataclass
class Member:
    user_id: str
    login: str
    kind: str
    display_name: str
    password: str | None


@dataclass
class Round:
    """One acceptance round of a deal's contract, as the buyer made it."""

    deal: Deal
    body: dict[str, Any]
    members: list[Member] = field(default_factory=list)

    @property
    def id(self) -> str:
        return str(self.body["id"])

    @property
    def path(self) -> str:
        return f"/v1/tenants/{self.deal.gz.city}/acceptances/{self.id}"

    @property
    def seqs(self) -> list[int]:
        return [s["seq"] for s in self.body["standards"]]

    async def officer(self) -> Headers:
        return await self.deal.gz.as_("civil_affairs_officer")

    async def read(self, headers: Headers | None = None) -> dict[str, Any]:
        response = await self.deal.client.get(self.path, headers=headers or await self.officer())
        return json_of(response)

    async def seat(self, kind: str, login: str | None = None, name: str | None = None) -> Member:
        """Seats a member; a recipient or third party gets a fresh account unless named."""
        login = login or (
            city_login("civil_affairs_officer", self.deal.gz.city)
            if kind == "buyer"
            else unique_email(f"panel-{kind}")
        )
        body: dict[str, Any] = {"kind": kind, "login": login}
        if name is not None or kind != "buyer":
            body["display_name"] = name or f"{kind}代表{uuid.uuid4().hex[:4]}"
        response = await self.deal.client.post(
            f"{self.path}/panel", headers=await self.officer(), json=body
        )
        seated = json_of(response, 201)
        member = Member(
            str(seated["user_id"]),
            login,
            kind,
            seated["display_name"],
            seated["one_time_password"],
        )
        self.members.append(member)
        return member

    async def headers_of(self, member: Member) -> Headers:
        if member.password is None:
            return await self.deal.gz.login(member.login)
        return await self.deal.gz.login(member.login, member.password)

    async def opine(self, member: Member, passed: bool = True, **changes: Any) -> httpx.Response:
        body: dict[str, Any] = {
            "opinion": "服务基本达到合同约定" if passed else "部分服务未达到要求",
            "scores": [
                {"seq": seq, "passed": passed, "score": 90 if passed else 50, "comment": "见记录"}
                for seq in self.seqs
            ],
        }
        body.update(changes)
        return await self.deal.client.put(
            f"{self.path}/opinion", headers=await self.headers_of(member), json=body
        )

    async def full_panel(self, passed: bool = True) -> None:
        """The three kinds seated, each recorded."""
        for kind in ("buyer", "recipient", "third_party"):
            member = await self.seat(kind)
            json_of(await self.opine(member, passed))

    async def conclude(
        self, failed: tuple[int, ...] = (), days: int | None = None
    ) -> httpx.Response:
        body: dict[str, Any] = {
            "findings": [
                {
                    "seq": seq,
                    "passed": seq not in failed,
                    "reason": "未达到合同约定指标" if seq in failed else "达到合同约定",
                }
                for seq in self.seqs
            ],
            "summary": "验收小组意见一致。",
        }
        if days is not None:
            body["rectify_within_days"] = days
        return await self.deal.client.post(
            f"{self.path}/conclusion", headers=await self.officer(), json=body
        )

    async def report(self, marker: bytes = b"") -> tuple[str, str]:
        """The buyer uploads the report (验收书): (its id, the SHA-256 both sides sign)."""
        body = pdf(b"acceptance report " + self.id.encode() + marker)
        response = await upload(
            self.deal.client,
            await self.officer(),
            body,
            object_type="acceptance",
            object_id=self.id,
            filename="验收书.pdf",
            tenant=self.deal.gz.city,
        )
        return str(json_of(response, 201)["id"]), sha(body)

    async def sign(self, party: str, document_id: str, digest: str) -> httpx.Response:
        headers = (
            self.deal.winner.headers
            if party == "provider"
            else await self.deal.gz.as_("civil_affairs_approver")
        )
        return await self.deal.client.post(
            f"{self.path}/signatures/{party}",
            headers=headers,
            json={"document_id": document_id, "sha256": digest},
        )

    async def signed_by_both(self) -> dict[str, Any]:
        document_id, digest = await self.report()
        json_of(await self.sign("provider", document_id, digest))
        return json_of(await self.sign("buyer", document_id, digest))


async def plan(deal: Deal, **changes: Any) -> httpx.Response:
    return await deal.client.post(
        f"{deal.path}/acceptances",
        headers=await deal.gz.as_("civil_affairs_officer"),
        json=plan_body(**changes),
    )


async def new_round(deal: Deal, **changes: Any) -> Round:
    return Round(deal, json_of(await plan(deal, **changes), 201))
