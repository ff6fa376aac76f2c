"""What exists: every context's tables, jobs and timed tasks, registered in one place.

Alembic and the tests read ``metadata``; the worker imports this module so that every job is
registered before the broker declares them; the chronograph calls ``schedule()``.
"""

from __future__ import annotations

from datetime import timedelta

from services.archive import models as archive_models
from services.archive import tasks as archive_tasks
from services.contracts import amendment_models as contracts_amendment_models
from services.contracts import models as contracts_models
from services.contracts import payment_models as contracts_payment_models
from services.contracts import tasks as contracts_tasks
from services.credit import models as credit_models
from services.credit import tasks as credit_tasks
from services.delivery import acceptance_models as delivery_acceptance_models
from services.delivery import evaluation_models as delivery_evaluation_models
from services.delivery import inspection_models as delivery_inspection_models
from services.delivery import rectification_models as delivery_rectification_models
from services.delivery import report_models as delivery_report_models
from services.delivery import tasks as delivery_tasks
from services.documents import models as documents_models
from services.documents import tasks as documents_tasks
from services.identity import models as identity_models
from services.identity import tasks as identity_tasks
from services.kit import audit, chronograph, jobs, outbox
from services.kit.chronograph import every
from services.kit.db import Base
from services.kit.settings import get_settings
from services.notifications import models as notifications_models
from services.notifications import tasks as notifications_tasks
from services.opendata import models as opendata_models
from services.opendata import recording as opendata_recording
from services.operations import tasks as operations_tasks
from services.planning import models as planning_models
from services.redflags import tasks as redflags_tasks
from services.statistics import tasks as statistics_tasks
from services.tenancy import holiday_models as tenancy_holiday_models
from services.tenancy import holiday_tasks as tenancy_holiday_tasks
from services.tenancy import models as tenancy_models
from services.tendering import credit_listener as tendering_credit_listener
from services.tendering import library_models as tendering_library_models
from services.tendering import method_approval_models as tendering_method_approval_models
from services.tendering import method_approval_tasks as tendering_method_approval_tasks
from services.tendering import models as tendering_models
from services.tendering import selection_models as tendering_selection_models
from services.tendering import supplier_library_models as tendering_supplier_library_models
from services.tendering import tasks as tendering_tasks
from services.tendering.scheduling import SWEEP as TENDERING_SWEEP

# --- tables ------------------------------------------------------------------------------------

metadata = Base.metadata
MODEL_MODULES = (
    audit,
    chronograph,
    jobs,
    outbox,
    identity_models,
    tenancy_models,
    # --- platform: the holiday calendar ---
    tenancy_holiday_models,
    notifications_models,
    documents_models,
    planning_models,
    credit_models,
    tendering_models,
    contracts_models,
    contracts_payment_models,
    contracts_amendment_models,
    delivery_rectification_models,
    delivery_inspection_models,
    # --- delivery: third-party evaluation ---
    delivery_evaluation_models,
    # --- archive ---
    archive_models,
    # --- open data ---
    opendata_models,
    # --- delivery ---
    delivery_report_models,
    # --- delivery: acceptance ---
    delivery_acceptance_models,
    # --- tendering: the province's expert library and committee draws ---
    tendering_library_models,
    # --- tendering: the supplier selection ---
    tendering_selection_models,
    # --- tendering: a county's method approved by its city ---
    tendering_method_approval_models,
    # --- tendering: the province's supplier library ---
    tendering_supplier_library_models,
)

# --- jobs (each module registers its jobs when imported) ---------------------------------------

JOB_MODULES = (
    identity_tasks,
    # --- tenancy: the recount after a year's holidays are entered (runs the listeners) ---
    tenancy_holiday_tasks,
    notifications_tasks,
    documents_tasks,
    credit_tasks,
    tendering_tasks,
    # --- tendering: credit's bar listener (runs inside credit.provider_bars_changed) ---
    tendering_credit_listener,
    # --- tendering: a county's method approved by its city ---
    tendering_method_approval_tasks,
    contracts_tasks,
    # --- delivery ---
    delivery_tasks,
    operations_tasks,
    # --- archive ---
    archive_tasks,
    # --- open data: records each public change's releases (a listener, not a job) ---
    opendata_recording,
    # --- statistics: the sweep of dirty region-years, and a region-year recomputed ---
    statistics_tasks,
    # --- red flags: the sweep of dirty regions, and a region measured ---
    redflags_tasks,
)

# --- timed tasks -------------------------------------------------------------------------------


def schedule() -> None:
    """What the chronograph runs, and how often."""
    every(identity_tasks.PURGE_LOGIN_FAILURES, timedelta(minutes=10))
    every(identity_tasks.PURGE_REFRESH_TOKENS, timedelta(days=1))
    # Each seal has its own delayed opening job; this catches any that went missing.
    every(documents_tasks.SWEEP_SEALS, timedelta(minutes=1))
    # Openings whose job went missing, awards past their challenge period, late buyers.
    every(TENDERING_SWEEP, timedelta(minutes=1))
    # Contracts to sign, publish and file in time.
    every(contracts_tasks.SWEEP, timedelta(minutes=5))
    # Delivery: rectifications whose last day passed unanswered.
    every(delivery_tasks.RECTIFICATIONS_SWEEP, timedelta(minutes=5))
    # Delivery: follow-up evaluations whose months have run.
    every(delivery_tasks.EVALUATION_SWEEP, timedelta(hours=1))
    # --- delivery ---
    # Progress reports due soon (the provider) and late (civil affairs).
    every(delivery_tasks.REPORTS_SWEEP, timedelta(minutes=5))
    # Delivered outbox rows and old processed keys (see services.operations.tasks).
    every(operations_tasks.PURGE_DELIVERED, timedelta(hours=1))
    # --- archive: the file of every project completed or procurement ended lately ---
    every(archive_tasks.SWEEP, timedelta(minutes=5))
    # --- statistics: a refresh for each region-year a change marked dirty ---
    every(statistics_tasks.SWEEP, timedelta(seconds=get_settings().statistics_sweep_seconds))
    # --- red flags: a measure for each region a change (or a passed due date) marked dirty ---
    every(redflags_tasks.SWEEP, timedelta(seconds=get_settings().red_flags_sweep_seconds))
