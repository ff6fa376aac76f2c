"""HTTP routes of progress reports (服务进度报告): a contract's reporting schedule and reports
under ``/v1/tenants/{tenant}/contracts/{contract_id}/…``, one report at
``/v1/tenants/{tenant}/reports/{report_id}``.

Civil affairs sets the schedule and accepts or returns reports; the contract's provider drafts
(its staff and administrators) and submits (its administrators) in each region through that
region's path; the partner department whose declarations fed the project remarks on them;
finance reads. Another provider's, or another region's, contract or report is a 404.
"""

from __future__ import annotations

import uuid
from typing import Any

from litestar import Controller, Request, get, post, put
from litestar.params import FromPath, JSONBody

from services.delivery import report_attachments as _attachments  # noqa: F401  (registers `report`)
from services.delivery import report_repository as repository
from services.delivery import report_schedule, report_views, reports
from services.delivery.report_schemas import (
    AcceptIn,
    ReportContent,
    ReportIn,
    ReportOut,
    ReportStatus,
    ReportSummaryOut,
    ReviewIn,
    ScheduleIn,
    ScheduleOut,
)
from services.kit.audit import Actor
from services.kit.authz.enforcer import Authorizer
from services.kit.guard import TENANT_PATH, CurrentActor, Session
from services.planning import service as planning


async def _reader(
    request: Request[Any, Any, Any], session: Session, actor: Actor
) -> reports.Reader:
    """Civil affairs and finance read every contract's reports here, a provider its own; a
    partner department those of the projects its declarations fed."""
    if actor.provider_id is not None:
        return reports.Reader(actor)
    authorizer: Authorizer = request.app.state.authorizer
    if authorizer.allowed(actor.user_id, actor.tenant, "delivery_report:read_all"):
        return reports.Reader(actor)
    return reports.Reader(actor, await planning.declared_projects(session, actor))


class ContractReportController(Controller):
    path = f"{TENANT_PATH}/contracts/{{contract_id:uuid}}"
    tags = ["delivery"]

    @get("/report-schedule", opt={"permission": "delivery_report:read"})
    async def read_schedule(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
    ) -> ScheduleOut:
        """The periods the provider reports on, each with its due moment and its report."""
        reader = await _reader(request, session, actor)
        contract = await repository.contract_for(session, actor, contract_id, reader.projects)
        return await report_schedule.view(session, contract)

    @put("/report-schedule", opt={"permission": "delivery_report:schedule"})
    async def set_schedule(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[ScheduleIn],
    ) -> ScheduleOut:
        """Civil affairs sets how a signed contract is reported on: monthly, quarterly or at
        milestones within the service period, each report due ``due_days`` days (10 unless
        set) after its period ends, to 24:00 Asia/Shanghai. It may change while no period
        that would change has a report."""
        contract = await repository.contract_for(session, actor, contract_id)
        await report_schedule.replace(session, actor, contract, data)
        return await report_schedule.view(session, contract)

    @get("/reports", opt={"permission": "delivery_report:read"})
    async def list_reports(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
    ) -> list[ReportSummaryOut]:
        """The contract's reports by period, without their bodies. Government users see the
        ones submitted at least once; the provider its drafts too."""
        reader = await _reader(request, session, actor)
        contract = await repository.contract_for(session, actor, contract_id, reader.projects)
        return await report_views.of_contract(session, contract, government=reader.government)

    @post("/reports", opt={"permission": "delivery_report:write"}, status_code=201)
    async def draft(
        self,
        session: Session,
        actor: CurrentActor,
        contract_id: FromPath[uuid.UUID],
        data: JSONBody[ReportIn],
    ) -> ReportOut:
        """The provider drafts its report on one period: activities, people served by target
        group and place (counts, never names), hours by staff level, progress against each
        target, spending by cost line, problems."""
        contract, made = await reports.draft(session, actor, contract_id, data)
        return await report_views.full(session, contract, made)


class ReportController(Controller):
    path = f"{TENANT_PATH}/reports/{{report_id:uuid}}"
    tags = ["delivery"]

    @get("/", opt={"permission": "delivery_report:read"})
    async def read(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        report_id: FromPath[uuid.UUID],
    ) -> ReportOut:
        """One report in full, with the comments on it. A government user's read is recorded
        in the region's audit chain."""
        reader = await _reader(request, session, actor)
        contract, found = await reports.read(session, reader, report_id)
        return await report_views.full(session, contract, found)

    @put("/", opt={"permission": "delivery_report:write"})
    async def revise(
        self,
        session: Session,
        actor: CurrentActor,
        report_id: FromPath[uuid.UUID],
        data: JSONBody[ReportContent],
    ) -> ReportOut:
        """The provider revises its draft, or a report civil affairs returned."""
        contract, found = await reports.revise(session, actor, report_id, data)
        return await report_views.full(session, contract, found)

    @post("/submit", opt={"permission": "delivery_report:submit"}, status_code=200)
    async def submit(
        self, session: Session, actor: CurrentActor, report_id: FromPath[uuid.UUID]
    ) -> ReportOut:
        """The provider's administrator submits the report (again, once returned). After the
        due moment it is taken and marked late."""
        contract, found = await reports.submit(session, actor, report_id)
        return await report_views.full(session, contract, found)

    @post("/accept", opt={"permission": "delivery_report:review"}, status_code=200)
    async def accept(
        self,
        session: Session,
        actor: CurrentActor,
        report_id: FromPath[uuid.UUID],
        data: JSONBody[AcceptIn],
    ) -> ReportOut:
        """Civil affairs accepts a submitted report, with a comment if it has one."""
        contract, found = await reports.review(
            session, actor, report_id, ReportStatus.accepted, data
        )
        return await report_views.full(session, contract, found)

    @post("/return", opt={"permission": "delivery_report:review"}, status_code=200)
    async def give_back(
        self,
        session: Session,
        actor: CurrentActor,
        report_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewIn],
    ) -> ReportOut:
        """Civil affairs returns a submitted report with what to put right."""
        contract, found = await reports.review(
            session, actor, report_id, ReportStatus.returned, data
        )
        return await report_views.full(session, contract, found)

    @post("/comments", opt={"permission": "delivery_report:comment"}, status_code=201)
    async def comment(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        actor: CurrentActor,
        report_id: FromPath[uuid.UUID],
        data: JSONBody[ReviewIn],
    ) -> ReportOut:
        """A remark on a submitted report: the partner department whose declaration the
        project answers, or civil affairs. The report stays where it is."""
        reader = await _reader(request, session, actor)
        contract, found = await reports.remark(session, reader, report_id, data)
        return await report_views.full(session, contract, found)
