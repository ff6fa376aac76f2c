"""Litestar application factory: mounts every context's controllers behind one guard."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from litestar import Litestar
from litestar.datastructures import State
from litestar.di import Provide
from litestar.types import ControllerRouterHandler

from services.archive.controllers import ArchiveController, ProjectArchiveController
from services.contracts.amendment_controllers import AmendmentController
from services.contracts.controllers import ContractController, MyContractsController
from services.contracts.payment_controllers import (
    ContractPaymentController,
    PaymentSettingController,
)
from services.credit.controllers import (
    DisqualificationController,
    MyDisqualificationsController,
    ProviderBarsController,
)
from services.credit.fact_controllers import CreditFactController, MyCreditFactsController
from services.dashboard.routes import dashboard_page, static_files
from services.delivery.acceptance_controllers import (
    AcceptanceController,
    ContractAcceptanceController,
)
from services.delivery.evaluation_controllers import (
    EvaluationController,
    EvaluationOrganisationController,
    MyEvaluationsController,
)
from services.delivery.inspection_controllers import (
    ContractInspectionController,
    InspectionController,
)
from services.delivery.rectification_controllers import (
    ContractRectificationController,
    RectificationController,
)
from services.delivery.report_controllers import ContractReportController, ReportController
from services.documents.controllers import DocumentController
from services.identity.controllers import AuthController, MeController
from services.kit.apidocs import openapi_config
from services.kit.authz.enforcer import Authorizer
from services.kit.db import make_engine, make_sessionmaker
from services.kit.errors import exception_handlers
from services.kit.guard import guard, provide_actor, provide_session
from services.kit.health import healthz, readyz
from services.kit.logging import configure_logging, request_logging_middleware
from services.kit.openapi import document_errors
from services.kit.outage import outage_handlers, watch
from services.kit.proxy import forwarded_client_middleware
from services.kit.settings import Settings, get_settings
from services.kit.strict import detach_signature_fields, strict_json_body
from services.kit.unread_body import unread_body_middleware
from services.notifications.controllers import InboxController, WebhookController
from services.opendata.controllers import OpenDataController
from services.operations.controllers import DeadLetterController
from services.planning.controllers import (
    BudgetController,
    BudgetLineController,
    DeclarationController,
    ProjectController,
)
from services.redflags.controllers import RedFlagController
from services.statistics.controllers import StatisticsController
from services.tenancy.controllers import (
    MembershipController,
    OrganisationController,
    PlatformController,
    ProviderController,
    RegistrationController,
    TenantController,
)
from services.tenancy.holiday_controllers import HolidayCalendarController
from services.tenancy.tie_controllers import EvaluatorFlagController, ProviderTiesController
from services.tendering.continuation_controllers import ContinuationController
from services.tendering.controllers import (
    NoticeController,
    ProcurementController,
    TenderingRulesController,
)
from services.tendering.credit_controllers import CreditRecheckController
from services.tendering.library_controllers import (
    CommitteeDrawController,
    ExpertController,
    ExpertLibraryController,
)
from services.tendering.method_approval_controllers import MethodApprovalController
from services.tendering.review_controllers import ReviewController
from services.tendering.selection_controllers import (
    PrequalificationController,
    SupplierSelectionController,
)
from services.tendering.single_source_controllers import SingleSourceController
from services.tendering.supplier_library_controllers import SupplierLibraryController

ROUTERS: list[ControllerRouterHandler] = [
    healthz,
    readyz,
    AuthController,
    MeController,
    TenantController,
    PlatformController,
    # --- platform: the holiday calendar ---
    HolidayCalendarController,
    OrganisationController,
    MembershipController,
    RegistrationController,
    ProviderController,
    DeadLetterController,
    InboxController,
    WebhookController,
    DocumentController,
    DeclarationController,
    ProjectController,
    BudgetController,
    BudgetLineController,
    TenderingRulesController,
    # --- credit ---
    DisqualificationController,
    ProviderBarsController,
    MyDisqualificationsController,
    ProcurementController,
    # --- tendering: a county's method approved by its city ---
    MethodApprovalController,
    # --- tendering: the review after opening ---
    ReviewController,
    # --- tendering: a single-source notice's objections and their justification ---
    SingleSourceController,
    # --- tendering: the province's expert library and committee draws ---
    CreditRecheckController,
    SupplierSelectionController,
    PrequalificationController,
    # --- tendering: a failed open tender going on by negotiation (74号令 art. 27) ---
    ContinuationController,
    ExpertController,
    ExpertLibraryController,
    CommitteeDrawController,
    # --- tendering: the province's supplier library ---
    SupplierLibraryController,
    NoticeController,
    ContractController,
    AmendmentController,
    MyContractsController,
    ContractPaymentController,
    PaymentSettingController,
    # --- delivery: inspections and rectification ---
    ContractInspectionController,
    InspectionController,
    ContractRectificationController,
    RectificationController,
    # --- delivery: third-party evaluation, evaluation organisations and ties, credit facts ---
    EvaluationController,
    EvaluationOrganisationController,
    MyEvaluationsController,
    EvaluatorFlagController,
    ProviderTiesController,
    CreditFactController,
    MyCreditFactsController,
    # --- statistics ---
    StatisticsController,
    # --- archive ---
    ProjectArchiveController,
    ArchiveController,
    # --- open data (OCDS 1.1) ---
    OpenDataController,
    # --- red flags for supervisors, over the open data ---
    RedFlagController,
    # --- the dashboard: a static page over the statistics and red flags ---
    dashboard_page,
    static_files,
    # --- delivery: progress reports ---
    ContractReportController,
    ReportController,
    # --- delivery: acceptance ---
    ContractAcceptanceController,
    AcceptanceController,
]


def create_app(settings: Settings | None = None) -> Litestar:
    settings = settings or get_settings()
    settings.check()
    configure_logging(settings)
    engine = make_engine(settings.app_database_url, settings)
    sessionmaker = make_sessionmaker(engine)
    listen_dsn = settings.app_database_url.replace("postgresql+asyncpg://", "postgresql://")
    authorizer = Authorizer(sessionmaker, listen_dsn)

    @asynccontextmanager
    async def lifespan(app: Litestar) -> AsyncIterator[None]:
        await authorizer.start()
        try:
            yield
        finally:
            await authorizer.stop()
            await engine.dispose()

    app = Litestar(
        route_handlers=ROUTERS,
        guards=[guard],
        before_request=strict_json_body,
        dependencies={
            "session": Provide(provide_session),
            "actor": Provide(provide_actor, sync_to_thread=False),
        },
        exception_handlers={**exception_handlers, **outage_handlers},
        middleware=[
            # Outermost: it sees every response, refusals by the guard included.
            unread_body_middleware(settings.max_request_body_bytes),
            forwarded_client_middleware(settings.trusted_proxies),
            request_logging_middleware,
        ],
        lifespan=[lifespan],
        request_max_body_size=settings.max_request_body_bytes,
        state=State(
            {
                "settings": settings,
                "sessionmaker": sessionmaker,
                "authorizer": authorizer,
                "database_outage": watch(engine),
            }
        ),
        openapi_config=openapi_config("Social work services procurement platform", "0.1.0"),
        logging_config=None,
    )
    detach_signature_fields(app)
    document_errors(app)
    return app
