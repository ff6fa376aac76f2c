"""The evaluation: committees of the lawful size without conflicted experts, and the buyer warned
when it is late to confirm the result."""

from __future__ import annotations

import uuid

import pytest

from services.kit.db import transaction
from services.kit.jobs import JobContext
from services.tendering import tasks
from tests.support.client import Client, inbox
from tests.support.database import Sessions
from tests.support.demo import GZ
from tests.support.tendering import Tenderer, assert_rule_broken, sweep

pytestmark = pytest.mark.usefixtures("demo")


# Specialities of this run's own experts: other tests' experts never join these pools.
YOUTH_WORK = f"youth_work_{uuid.uuid4().hex[:6]}"


COMMUNITY_WORK = f"community_work_{uuid.uuid4().hex[:6]}"


async def test_a_committee_of_four_and_a_conflicted_expert_are_refused(
    client: Client, gz: Tenderer
) -> None:
    pid, _ = await gz.opened()
    for _ in range(5):
        await gz.expert(speciality=YOUTH_WORK)
    four = await gz.draw_committee(pid, 4, YOUTH_WORK)
    assert_rule_broken(four, "committee_min_members")
    # Even one the buyer may choose itself (a project it marked technically complex, with
    # consent: a committee of seven).
    complex_pid, complex_bidders = await gz.opened(technically_complex=True)
    tied, _ = await gz.expert(employer=complex_bidders[1].name, speciality=YOUTH_WORK)
    conflicted = await gz.draw_committee(
        complex_pid,
        7,
        YOUTH_WORK,
        appointed_expert_ids=[tied],
        consent={"by": "广州市民政局", "document_number": "穗民函〔2026〕1号"},
    )
    assert conflicted.status_code == 422 and conflicted.json()["code"] == "expert_conflicted"
    assert conflicted.json()["rule"] == "conflict_of_interest"


async def test_a_committee_of_five_for_a_twelve_million_budget_is_refused(
    client: Client, gz: Tenderer
) -> None:
    planner = gz.planner
    officer = await planner.as_("civil_affairs_officer")
    project = await planner.project(costed=False)
    costed = await client.put(
        f"{planner.base}/projects/{project['id']}/cost-lines",
        headers=officer,
        json={
            "lines": [
                {
                    "category": "staff",
                    "description": "全市社工站运营",
                    "staff_level": "social_worker",
                    "quantity": "1500",
                    "unit": "人·月",
                    "unit_cost": "8000.00",
                }
            ]
        },
    )
    assert costed.status_code == 200, costed.text
    budget = await client.post(
        f"{planner.base}/budgets",
        headers=officer,
        json={"fiscal_year": 2027, "title": "全市社工站建设预算"},
    )
    line = await client.post(
        f"{planner.base}/budgets/{budget.json()['id']}/lines",
        headers=officer,
        json={
            "project_id": project["id"],
            "amount": "12000000.00",
            "sources": [{"source": "general_budget", "amount": "12000000.00"}],
        },
    )
    assert line.status_code == 201, line.text
    await client.post(
        f"{planner.base}/budgets/{budget.json()['id']}/submit",
        headers=await planner.as_("civil_affairs_approver"),
    )
    await client.post(
        f"{planner.base}/budgets/{budget.json()['id']}/decision",
        headers=await planner.as_("finance_approver"),
        json={"outcome": "approved"},
    )
    pid, _ = await gz.opened(
        budget_line_id=line.json()["id"],
        budget_amount="12000000.00",
        ceiling_price="11800000.00",
        bid_security="0",
    )
    for _ in range(5):
        await gz.expert(speciality=COMMUNITY_WORK)
    five = await gz.draw_committee(pid, 5, COMMUNITY_WORK)
    assert_rule_broken(five, "committee_min_members_large")


async def test_a_buyer_late_to_confirm_is_warned_then_the_administrator_too(
    client: Client,
    gz: Tenderer,
    sessionmaker: Sessions,
) -> None:
    pid, _ = await gz.opened()
    await gz.scored_by_committee(pid)
    # The report came 20 days ago: the 5 working days to confirm are long gone.
    await gz.moved(pid, "report_at = now() - interval '20 days'")
    await sweep(sessionmaker)
    [(payload, key)] = await gz.overdue_warnings(pid)
    assert payload["escalate"] is True and payload["step"] == "确认中标人"
    for _ in range(2):  # a second delivery warns nobody again
        async with transaction(sessionmaker, GZ) as session:
            await tasks.warn_overdue(JobContext(session, GZ, key, None), payload)
    for role in ("civil_affairs_approver", "tenant_admin"):
        warned = await inbox(client, await gz.as_(role), "tendering.overdue")
        assert len([n for n in warned if n["data"]["procurement_id"] == pid]) == 1, role
    # Warned once: the next sweep enqueues nothing more for this step.
    await sweep(sessionmaker)
    assert len(await gz.overdue_warnings(pid)) == 1
