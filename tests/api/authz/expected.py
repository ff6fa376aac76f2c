"""The expected matrix: for every route, the roles that may use it, written by hand from what
a real user of each role should be able to do — never read from policy.csv."""

from __future__ import annotations

PLATFORM_ADMIN = "platform_admin"
MINISTRY_VIEWER = "ministry_viewer"
PROVINCE_VIEWER = "province_viewer"
TENANT_ADMIN = "tenant_admin"
CIVIL_AFFAIRS_OFFICER = "civil_affairs_officer"
CIVIL_AFFAIRS_APPROVER = "civil_affairs_approver"
FINANCE_OFFICER = "finance_officer"
FINANCE_APPROVER = "finance_approver"
PARTNER_DEPARTMENT = "partner_department"
PROVIDER_ADMIN = "provider_admin"
PROVIDER_STAFF = "provider_staff"
EXPERT = "expert"
EVALUATOR = "evaluator"

ROLES = (
    PLATFORM_ADMIN,
    MINISTRY_VIEWER,
    PROVINCE_VIEWER,
    TENANT_ADMIN,
    CIVIL_AFFAIRS_OFFICER,
    CIVIL_AFFAIRS_APPROVER,
    FINANCE_OFFICER,
    FINANCE_APPROVER,
    PARTNER_DEPARTMENT,
    PROVIDER_ADMIN,
    PROVIDER_STAFF,
    EXPERT,
    EVALUATOR,
)
EVERYONE = frozenset(ROLES)
# The city's own bureaus: they work with the city's organisations day to day.
CITY_STAFF = frozenset(
    {
        TENANT_ADMIN,
        CIVIL_AFFAIRS_OFFICER,
        CIVIL_AFFAIRS_APPROVER,
        FINANCE_OFFICER,
        FINANCE_APPROVER,
        PARTNER_DEPARTMENT,
    }
)
# Who deals with provider registrations: civil affairs, the tenant admin, the providers.
REGISTRATION_READERS = frozenset(
    {TENANT_ADMIN, CIVIL_AFFAIRS_OFFICER, CIVIL_AFFAIRS_APPROVER, PROVIDER_ADMIN, PROVIDER_STAFF}
)
PLATFORM = frozenset({PLATFORM_ADMIN})
ACCOUNT_ADMINS = frozenset({PLATFORM_ADMIN, TENANT_ADMIN})

T = "/v1/tenants/{tenant}"
REG = f"{T}/provider-registrations/{{registration_id}}"
WH = f"{T}/webhooks/{{webhook_id}}"
DOCS = f"{T}/documents"
DOC = f"{DOCS}/{{document_id}}"
# Documents: those who prepare the procurement file upload; a city's staff read (tenant admin
# included); providers both, on their own objects only (a query filter, tested elsewhere).
DOCUMENT_UPLOADERS = frozenset(
    {
        CIVIL_AFFAIRS_OFFICER,
        CIVIL_AFFAIRS_APPROVER,
        FINANCE_OFFICER,
        PARTNER_DEPARTMENT,
        PROVIDER_ADMIN,
        PROVIDER_STAFF,
    }
)
DOCUMENT_READERS = CITY_STAFF | {PROVIDER_ADMIN, PROVIDER_STAFF}
ND = f"{T}/needs-declarations"
ND1 = f"{ND}/{{declaration_id}}"
PJ = f"{T}/projects"
PJ1 = f"{PJ}/{{project_id}}"
BG = f"{T}/budgets"
BG1 = f"{BG}/{{budget_id}}"
CIVIL_AFFAIRS = frozenset({CIVIL_AFFAIRS_OFFICER, CIVIL_AFFAIRS_APPROVER})
DECLARATION_READERS = CIVIL_AFFAIRS | {PARTNER_DEPARTMENT}
BUDGET_READERS = CIVIL_AFFAIRS | {FINANCE_OFFICER, FINANCE_APPROVER}
ARCHIVISTS = CIVIL_AFFAIRS | {TENANT_ADMIN}
# A department reads the projects its declarations feed (the cell's project is one of them).
PROJECT_READERS = BUDGET_READERS | {PARTNER_DEPARTMENT}
TR = f"{T}/tendering-rules"
# The region's legal rules: those who prepare and fund procurements read them, and the
# region's administrator; the administrator and civil affairs' approver tighten them.
RULES_READERS = BUDGET_READERS | {TENANT_ADMIN}
RULES_WRITERS = frozenset({TENANT_ADMIN, CIVIL_AFFAIRS_APPROVER})
# --- credit ---
DQ = f"{T}/disqualifications"
DQ1 = f"{DQ}/{{disqualification_id}}"
CREDIT_READERS = CIVIL_AFFAIRS | {TENANT_ADMIN}
PR = f"{T}/procurements"
PR1 = f"{PR}/{{procurement_id}}"
PROCUREMENT_READERS = BUDGET_READERS
BIDDERS = frozenset({PROVIDER_ADMIN, PROVIDER_STAFF})
# Delivery: progress reports.
RS = f"{T}/contracts/{{contract_id}}/report-schedule"
RPS = f"{T}/contracts/{{contract_id}}/reports"
RP1 = f"{T}/reports/{{report_id}}"
REPORT_READERS = PROCUREMENT_READERS | {PARTNER_DEPARTMENT} | BIDDERS
# Committee membership itself is checked by the query; these roles may sit on one.
SCORERS = CIVIL_AFFAIRS | {EXPERT}
FINANCE = frozenset({FINANCE_OFFICER, FINANCE_APPROVER})
AM = f"{T}/contracts/{{contract_id}}/amendments"
AM1 = f"{AM}/{{amendment_id}}"
# --- delivery: third-party evaluation ---
EV = f"{T}/evaluations"
EV1 = f"{EV}/{{evaluation_id}}"
# The evaluator's users (a provider's) read their own engagements only (a query filter).
EVALUATION_READERS = CIVIL_AFFAIRS | {FINANCE_OFFICER, FINANCE_APPROVER} | BIDDERS
# --- delivery: acceptance ---
ACS = f"{T}/contracts/{{contract_id}}/acceptances"
AC1 = f"{T}/acceptances/{{acceptance_id}}"
# Civil affairs, finance (the final instalment waits for it) and the contract's own provider
# (a query filter, tested in tests/delivery) read acceptances. The acceptance_member role is
# held on one acceptance only, which this world's demo users cannot hold: its cells are
# tests/delivery/test_acceptance.py's.
ACCEPTANCE_READERS = PROCUREMENT_READERS | BIDDERS

EXPECTED: dict[str, frozenset[str]] = {
    # The directory of regions (codes and names): every signed-in user, whichever region
    # their role is held in; a provider needs it to choose where to apply.
    "GET /v1/tenants": EVERYONE,
    "GET /v1/tenants/{tenant}": EVERYONE,
    # The platform's own business.
    "POST /v1/platform/tenants": PLATFORM,
    "POST /v1/platform/tenants/{code}/deactivate": PLATFORM,
    "POST /v1/platform/tenants/{code}/activate": PLATFORM,
    "POST /v1/platform/role-grants": PLATFORM,
    "DELETE /v1/platform/role-grants/{user_id}/{role}": PLATFORM,
    "GET /v1/platform/audit": PLATFORM,
    "GET /v1/platform/dead-letters": PLATFORM,
    "POST /v1/platform/dead-letters/{dead_letter_id}/replay": PLATFORM,
    # A city's organisations: its staff read them; admins change them.
    f"GET {T}/organisations": PLATFORM | CITY_STAFF,
    f"POST {T}/organisations": ACCOUNT_ADMINS,
    f"GET {T}/organisations/{{organisation_id}}": PLATFORM | CITY_STAFF,
    f"PATCH {T}/organisations/{{organisation_id}}": ACCOUNT_ADMINS,
    # Accounts and roles. The platform admin opens a new city: it must be able to create
    # the city's first account, not only grant roles to existing ones.
    f"GET {T}/memberships": ACCOUNT_ADMINS,
    f"POST {T}/memberships": ACCOUNT_ADMINS,
    f"DELETE {T}/memberships/{{membership_id}}": ACCOUNT_ADMINS,
    f"POST {T}/users": ACCOUNT_ADMINS,
    f"GET {T}/audit": frozenset({TENANT_ADMIN}),
    # Providers ask to work in the city; civil affairs decides.
    f"GET {T}/provider-registrations": REGISTRATION_READERS,
    f"POST {T}/provider-registrations": frozenset({PROVIDER_ADMIN}),
    f"GET {REG}": REGISTRATION_READERS,
    f"POST {REG}/approve": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {REG}/reject": frozenset({CIVIL_AFFAIRS_APPROVER}),
    # A provider's own account, across regions.
    "GET /v1/me/registrations": frozenset({PROVIDER_ADMIN, PROVIDER_STAFF}),
    "POST /v1/me/provider/users": frozenset({PROVIDER_ADMIN}),
    # Anyone's own account.
    "GET /v1/me": EVERYONE,
    "POST /v1/me/password": EVERYONE,
    # Anyone's own inbox and notification preferences, across regions.
    "GET /v1/me/notifications": EVERYONE,
    "GET /v1/me/notifications/unread-count": EVERYONE,
    "POST /v1/me/notifications/{notification_id}/read": EVERYONE,
    "POST /v1/me/notifications/read-all": EVERYONE,
    "GET /v1/me/notification-preferences": EVERYONE,
    "PUT /v1/me/notification-preferences": EVERYONE,
    # A region's own systems receive its events: its administrator registers them.
    f"GET {T}/webhooks": frozenset({TENANT_ADMIN}),
    f"POST {T}/webhooks": frozenset({TENANT_ADMIN}),
    f"GET {WH}": frozenset({TENANT_ADMIN}),
    f"PATCH {WH}": frozenset({TENANT_ADMIN}),
    f"DELETE {WH}": frozenset({TENANT_ADMIN}),
    f"POST {WH}/rotate-secret": frozenset({TENANT_ADMIN}),
    f"GET {WH}/deliveries": frozenset({TENANT_ADMIN}),
    # Documents of the city's objects.
    f"POST {DOCS}": DOCUMENT_UPLOADERS,
    f"GET {DOCS}": DOCUMENT_READERS,
    f"GET {DOC}": DOCUMENT_READERS,
    f"GET {DOC}/download": DOCUMENT_READERS,
    f"POST {DOC}/versions": DOCUMENT_UPLOADERS,
    # Planning: departments declare needs, civil affairs reviews them and keeps the library and
    # the budget (its approver sends the budget to finance), finance decides the budget.
    f"POST {ND}": frozenset({PARTNER_DEPARTMENT}),
    f"GET {ND}": DECLARATION_READERS,
    f"GET {ND1}": DECLARATION_READERS,
    f"PUT {ND1}": frozenset({PARTNER_DEPARTMENT}),
    f"POST {ND1}/submit": frozenset({PARTNER_DEPARTMENT}),
    f"POST {ND1}/withdraw": frozenset({PARTNER_DEPARTMENT}),
    f"POST {ND1}/accept": CIVIL_AFFAIRS,
    f"POST {ND1}/return": CIVIL_AFFAIRS,
    f"POST {PJ}": CIVIL_AFFAIRS,
    f"GET {PJ}": PROJECT_READERS,
    f"GET {PJ1}": PROJECT_READERS,
    f"PATCH {PJ1}": CIVIL_AFFAIRS,
    f"PUT {PJ1}/assessment": CIVIL_AFFAIRS,
    f"PUT {PJ1}/cost-lines": CIVIL_AFFAIRS,
    f"PUT {PJ1}/targets": CIVIL_AFFAIRS,
    f"POST {PJ1}/withdraw": CIVIL_AFFAIRS,
    f"POST {BG}": CIVIL_AFFAIRS,
    f"GET {BG}": BUDGET_READERS,
    f"GET {BG1}": BUDGET_READERS,
    f"POST {BG1}/lines": CIVIL_AFFAIRS,
    f"PUT {BG1}/lines/{{line_id}}": CIVIL_AFFAIRS,
    f"DELETE {BG1}/lines/{{line_id}}": CIVIL_AFFAIRS,
    f"POST {BG1}/submit": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {BG1}/decision": frozenset({FINANCE_APPROVER}),
    f"GET {T}/budget-lines": BUDGET_READERS,
    f"GET {T}/budget-lines/{{line_id}}": BUDGET_READERS,
    # Tendering's legal rules, tightened per region.
    f"GET {TR}": RULES_READERS,
    f"PUT {TR}": RULES_WRITERS,
    # --- credit ---
    # Civil affairs records a provider's disqualification and another approver confirms,
    # rejects or revokes it; the region's administrator reads the records; a provider's users
    # read their own record, across regions.
    f"POST {DQ}": frozenset({CIVIL_AFFAIRS_OFFICER}),
    f"GET {DQ}": CREDIT_READERS,
    f"GET {DQ1}": CREDIT_READERS,
    f"POST {DQ1}/confirm": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {DQ1}/reject": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {DQ1}/revoke": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"GET {T}/provider-bars/{{provider_id}}": CREDIT_READERS,
    "GET /v1/me/disqualifications": frozenset({PROVIDER_ADMIN, PROVIDER_STAFF}),
    "GET /v1/me/contracts": frozenset({PROVIDER_ADMIN, PROVIDER_STAFF}),
    # Tendering: civil affairs runs procurements, finance approves methods, the approver
    # awards; providers ask, bid and challenge; committee members score.
    f"POST {PR}": CIVIL_AFFAIRS,
    f"GET {PR}": PROCUREMENT_READERS,
    f"GET {PR1}": PROCUREMENT_READERS,
    # The buyer changes its own draft (title, deadlines, art. 47 marks).
    f"PATCH {PR1}": CIVIL_AFFAIRS,
    f"POST {PR1}/submit-for-approval": CIVIL_AFFAIRS,
    f"POST {PR1}/single-source-notice": CIVIL_AFFAIRS,
    f"POST {PR1}/supplementary-justification": CIVIL_AFFAIRS,
    f"GET {PR1}/supplementary-justification": PROCUREMENT_READERS,
    f"POST {PR1}/approval": frozenset({FINANCE_APPROVER}),
    f"POST {PR1}/publish": CIVIL_AFFAIRS,
    f"POST {PR1}/cancel": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"GET {PR1}/bids": PROCUREMENT_READERS,
    f"POST {PR1}/committee": CIVIL_AFFAIRS,
    f"GET {PR1}/committee": PROCUREMENT_READERS,
    f"GET {PR1}/report": PROCUREMENT_READERS,
    f"POST {PR1}/award": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {PR1}/result": CIVIL_AFFAIRS,
    f"POST {PR1}/enquiries/{{enquiry_id}}/answer": CIVIL_AFFAIRS,
    f"POST {PR1}/challenges/{{challenge_id}}/answer": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {PR1}/enquiries": BIDDERS,
    f"POST {PR1}/bids": BIDDERS,
    f"PUT {PR1}/bids/{{bid_id}}": BIDDERS,
    f"POST {PR1}/bids/{{bid_id}}/withdraw": BIDDERS,
    f"GET {PR1}/my-bids": BIDDERS,
    f"POST {PR1}/challenges": BIDDERS,
    f"GET {PR1}/challenges": CIVIL_AFFAIRS | BIDDERS,
    # Every enquiry and objection, answered or not, is the buyer's to see and answer.
    f"GET {PR1}/enquiries/all": PROCUREMENT_READERS,
    # Bid securities owed back after the award notice: the buyer returns them, finance sees.
    f"GET {PR1}/bid-securities": PROCUREMENT_READERS,
    f"POST {PR1}/bid-securities/{{bid_id}}/return": CIVIL_AFFAIRS,
    f"POST {PR1}/rounds": CIVIL_AFFAIRS,
    f"GET {PR1}/negotiation": PROCUREMENT_READERS,
    f"POST {PR1}/conclude-negotiation": CIVIL_AFFAIRS,
    f"POST {PR1}/exclusions": CIVIL_AFFAIRS,
    f"POST {PR1}/offers": BIDDERS,
    f"GET {PR1}/my-offers": BIDDERS,
    f"POST {PR1}/scores": SCORERS,
    f"GET {PR1}/scores": SCORERS,
    # --- tendering: the review after opening. The buyer qualifies, the committee (membership
    # by the query) finds compliance; a bidder reads its own verdicts (a query filter).
    f"POST {PR1}/qualification-review": CIVIL_AFFAIRS,
    f"POST {PR1}/compliance-review": SCORERS,
    f"GET {PR1}/review": PROCUREMENT_READERS | {EXPERT} | BIDDERS,
    # --- tendering: credit. The buyer applies the documents' bars to the suppliers still in.
    f"POST {PR1}/credit-recheck": CIVIL_AFFAIRS,
    # --- tendering: the supplier selection. The buyer draws (or records a negotiation's
    # written recommendations); whoever reads the procurement reads the draw's record.
    f"POST {PR1}/supplier-selection": CIVIL_AFFAIRS,
    f"GET {PR1}/supplier-selection": PROCUREMENT_READERS,
    # An invited tender's prequalification: the buyer publishes and judges, providers answer.
    f"POST {PR1}/prequalification-notice": CIVIL_AFFAIRS,
    f"POST {PR1}/prequalification-applications": BIDDERS,
    f"POST {PR1}/prequalification-applications/{{provider_id}}/review": CIVIL_AFFAIRS,
    f"GET {PR1}/prequalification-applications": PROCUREMENT_READERS,
    # A failed open tender's continuation by negotiation (74号令 art. 27): the buyer asks it.
    f"POST {PR1}/continuation": CIVIL_AFFAIRS,
    # Contracts: civil affairs drafts from the award and sets the terms; finance reads.
    f"GET {T}/contracts": PROCUREMENT_READERS | {PARTNER_DEPARTMENT},
    f"GET {T}/contracts/{{contract_id}}": PROCUREMENT_READERS | {PARTNER_DEPARTMENT},
    f"PUT {T}/contracts/{{contract_id}}/terms": CIVIL_AFFAIRS,
    f"GET {T}/contracts/{{contract_id}}/signing": PROCUREMENT_READERS,
    f"POST {T}/contracts/{{contract_id}}/signatures/buyer": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {T}/contracts/{{contract_id}}/signatures/provider": frozenset({PROVIDER_ADMIN}),
    f"POST {T}/contracts/{{contract_id}}/refusal": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {T}/contracts/{{contract_id}}/voiding": frozenset({FINANCE_APPROVER}),
    f"POST {T}/contracts/{{contract_id}}/suspensions": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {T}/contracts/{{contract_id}}/suspensions/{{suspension_id}}/lift": frozenset(
        {CIVIL_AFFAIRS_APPROVER}
    ),
    f"POST {T}/contracts/{{contract_id}}/suspension-orders": frozenset({FINANCE_APPROVER}),
    f"POST {T}/contracts/{{contract_id}}/suspension-orders/{{suspension_id}}/lift": frozenset(
        {FINANCE_APPROVER}
    ),
    f"POST {T}/contracts/{{contract_id}}/publication": CIVIL_AFFAIRS,
    f"POST {T}/contracts/{{contract_id}}/performance-security": CIVIL_AFFAIRS,
    f"POST {T}/contracts/{{contract_id}}/performance-security/return": CIVIL_AFFAIRS,
    f"POST {T}/contracts/{{contract_id}}/filing": frozenset({FINANCE_OFFICER, FINANCE_APPROVER}),
    # Payments: finance's approver sets how the region pays, civil affairs and finance read
    # it; the provider's administrator asks; civil affairs confirms; finance approves; each
    # returns at its own step and records the payment in its own mode (a query decides which).
    f"GET {T}/payment-settings": PROCUREMENT_READERS,
    f"PUT {T}/payment-settings": frozenset({FINANCE_APPROVER}),
    f"GET {T}/contracts/{{contract_id}}/payments": PROCUREMENT_READERS | BIDDERS,
    f"POST {T}/contracts/{{contract_id}}/payments": frozenset({PROVIDER_ADMIN}),
    f"POST {T}/contracts/{{contract_id}}/payments/{{payment_id}}/confirmation": CIVIL_AFFAIRS,
    f"POST {T}/contracts/{{contract_id}}/payments/{{payment_id}}/return": PROCUREMENT_READERS,
    f"POST {T}/contracts/{{contract_id}}/payments/{{payment_id}}/approval": frozenset(
        {FINANCE_OFFICER, FINANCE_APPROVER}
    ),
    f"POST {T}/contracts/{{contract_id}}/payments/{{payment_id}}/paid": PROCUREMENT_READERS,
    # Amendments: civil affairs drafts, revises, withdraws; finance and the contract's own
    # provider read them too (another provider's contract is a 404, tested elsewhere); each
    # side signs as it signs the contract.
    f"GET {AM}": PROCUREMENT_READERS | BIDDERS,
    f"POST {AM}": CIVIL_AFFAIRS,
    f"GET {AM1}": PROCUREMENT_READERS | BIDDERS,
    f"PUT {AM1}": CIVIL_AFFAIRS,
    f"POST {AM1}/withdrawal": CIVIL_AFFAIRS,
    f"POST {AM1}/signatures/buyer": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {AM1}/signatures/provider": frozenset({PROVIDER_ADMIN}),
    # Delivery: inspections and rectification. Civil affairs and finance record inspections
    # (finance of the use of funds only: the handler refuses other scopes) and read them; the
    # contract's own provider reads its rectifications (another's is a 404, tested elsewhere)
    # and its administrator answers; either bureau may check, the one that ordered it does.
    f"POST {T}/contracts/{{contract_id}}/inspections": PROCUREMENT_READERS,
    f"GET {T}/contracts/{{contract_id}}/inspections": PROCUREMENT_READERS,
    f"GET {T}/inspections/{{inspection_id}}": PROCUREMENT_READERS,
    f"GET {T}/contracts/{{contract_id}}/rectifications": PROCUREMENT_READERS | BIDDERS,
    f"GET {T}/rectifications/{{rectification_id}}": PROCUREMENT_READERS | BIDDERS,
    f"POST {T}/rectifications/{{rectification_id}}/answer": frozenset({PROVIDER_ADMIN}),
    f"POST {T}/rectifications/{{rectification_id}}/close": PROCUREMENT_READERS,
    f"POST {T}/rectifications/{{rectification_id}}/reopen": PROCUREMENT_READERS,
    # --- delivery: progress reports ---
    # Civil affairs sets the schedule and reviews; the contract's provider drafts (staff too)
    # and submits (its administrator); the partner department of the project reads and remarks
    # (its projects only: a query filter), finance reads. Personal data in counts only, so the
    # region's administrator has no reason to read them.
    f"GET {RS}": REPORT_READERS,
    f"PUT {RS}": CIVIL_AFFAIRS,
    f"GET {RPS}": REPORT_READERS,
    f"POST {RPS}": BIDDERS,
    f"GET {RP1}": REPORT_READERS,
    f"PUT {RP1}": BIDDERS,
    f"POST {RP1}/submit": frozenset({PROVIDER_ADMIN}),
    f"POST {RP1}/accept": CIVIL_AFFAIRS,
    f"POST {RP1}/return": CIVIL_AFFAIRS,
    f"POST {RP1}/comments": CIVIL_AFFAIRS | {PARTNER_DEPARTMENT},
    # --- tendering: the province's expert library and committee draws ---
    # The library is kept by a province's finance bureau in the province's tenant: in 广州
    # finance passes the guard and finds no library (404); civil affairs never adds experts.
    # The buyer replaces an expert who declined, records an external draw, reads the draws.
    f"PUT {T}/experts/{{user_id}}": FINANCE,
    f"GET {T}/experts": FINANCE,
    f"GET {T}/expert-library": FINANCE,
    f"PUT {T}/expert-library": FINANCE,
    f"POST {PR1}/committee/replacements": CIVIL_AFFAIRS,
    f"POST {PR1}/committee/external": CIVIL_AFFAIRS,
    f"GET {PR1}/committee/draws": PROCUREMENT_READERS,
    # --- tendering: a county's method approved by its city ---
    # The city's finance reads the requests of the counties under it, its approver decides.
    f"GET {T}/method-approvals": FINANCE,
    f"GET {T}/method-approvals/{{request_id}}": FINANCE,
    f"POST {T}/method-approvals/{{request_id}}/decision": frozenset({FINANCE_APPROVER}),
    # --- tendering: the province's supplier library ---
    # Kept by a province's finance bureau: its approver writes, its staff read. In 广州 they
    # pass the guard and find no library (404).
    f"GET {T}/supplier-library": FINANCE,
    f"POST {T}/supplier-library": frozenset({FINANCE_APPROVER}),
    f"GET {T}/supplier-library/{{provider_id}}": FINANCE,
    f"PUT {T}/supplier-library/{{provider_id}}/status": frozenset({FINANCE_APPROVER}),
    # --- delivery: third-party evaluation ---
    # Civil affairs engages an evaluation organisation and returns its result, the approver
    # confirms it, finance reads; the evaluator's own users read and score, its administrator
    # submits. The platform administrator marks evaluation organisations; a provider's
    # administrator declares its affiliations and principal persons, its staff read them.
    f"POST {EV}": CIVIL_AFFAIRS,
    f"GET {EV}": EVALUATION_READERS,
    f"GET {EV1}": EVALUATION_READERS,
    f"PUT {EV1}/scores": BIDDERS,
    f"POST {EV1}/submission": frozenset({PROVIDER_ADMIN}),
    f"POST {EV1}/confirmation": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {EV1}/return": CIVIL_AFFAIRS,
    f"GET {T}/evaluation-organisations": CIVIL_AFFAIRS,
    "GET /v1/me/evaluations": BIDDERS,
    "PUT /v1/platform/providers/{provider_id}/evaluator": PLATFORM,
    "GET /v1/me/provider/ties": BIDDERS,
    "POST /v1/me/provider/affiliations": frozenset({PROVIDER_ADMIN}),
    "DELETE /v1/me/provider/affiliations/{affiliation_id}": frozenset({PROVIDER_ADMIN}),
    "POST /v1/me/provider/persons": frozenset({PROVIDER_ADMIN}),
    "DELETE /v1/me/provider/persons/{person_id}": frozenset({PROVIDER_ADMIN}),
    # --- credit facts ---
    # The region's civil affairs and administrator read its facts and, through the narrow
    # path, a provider's facts everywhere; providers read their own; the officer records a
    # disqualification prefilled from facts.
    f"GET {T}/credit-facts": CREDIT_READERS,
    f"GET {T}/provider-facts/{{provider_id}}": CREDIT_READERS,
    "GET /v1/me/credit-facts": BIDDERS,
    f"POST {DQ}/from-facts": frozenset({CIVIL_AFFAIRS_OFFICER}),
    # --- archive: the region's administrator and civil affairs, nobody else (the file holds
    # service recipients' personal information) ---
    f"POST {PJ1}/archives": ARCHIVISTS,
    f"GET {T}/archives": ARCHIVISTS,
    f"GET {T}/archives/{{archive_id}}": ARCHIVISTS,
    f"GET {T}/archives/{{archive_id}}/download": ARCHIVISTS,
    f"POST {T}/archives/{{archive_id}}/verify": ARCHIVISTS,
    # --- delivery: acceptance --- civil affairs plans, seats the panel (and reads it by name),
    # records opinions where it sits on the panel (a query filter) and concludes; each side
    # signs the report as it signs the contract.
    f"POST {ACS}": CIVIL_AFFAIRS,
    f"GET {ACS}": ACCEPTANCE_READERS,
    f"GET {AC1}": ACCEPTANCE_READERS,
    f"GET {AC1}/panel": CIVIL_AFFAIRS,
    f"POST {AC1}/panel": CIVIL_AFFAIRS,
    f"DELETE {AC1}/panel/{{user_id}}": CIVIL_AFFAIRS,
    f"PUT {AC1}/opinion": CIVIL_AFFAIRS,
    f"POST {AC1}/conclusion": CIVIL_AFFAIRS,
    f"POST {AC1}/signatures/buyer": frozenset({CIVIL_AFFAIRS_APPROVER}),
    f"POST {AC1}/signatures/provider": frozenset({PROVIDER_ADMIN}),
    # --- platform: the holiday calendar --- a platform administrator enters and reads years.
    "GET /v1/platform/holiday-calendars": PLATFORM,
    "PUT /v1/platform/holiday-calendars/{year}": PLATFORM,
    # --- statistics --- the nation's figures for the ministry; a region's for the viewers
    # above it and its own civil affairs and finance; the rows behind them for its own only.
    "GET /v1/statistics/national": frozenset({MINISTRY_VIEWER}),
    "GET /v1/statistics/{tenant}": BUDGET_READERS | {MINISTRY_VIEWER, PROVINCE_VIEWER},
    "GET /v1/statistics/{tenant}/rows": BUDGET_READERS,
    # Each as an .xlsx download, with the same permission and region rule.
    "GET /v1/statistics/national.xlsx": frozenset({MINISTRY_VIEWER}),
    "GET /v1/statistics/{tenant}/statistics.xlsx": BUDGET_READERS
    | {MINISTRY_VIEWER, PROVINCE_VIEWER},
    "GET /v1/statistics/{tenant}/rows.xlsx": BUDGET_READERS,
    # --- red flags --- every region's for the ministry; a region's for the viewers above it
    # and its own civil affairs and finance; each as JSON and as an .xlsx download.
    "GET /v1/red-flags": frozenset({MINISTRY_VIEWER}),
    "GET /v1/red-flags.xlsx": frozenset({MINISTRY_VIEWER}),
    "GET /v1/red-flags/{tenant}": BUDGET_READERS | {MINISTRY_VIEWER, PROVINCE_VIEWER},
    "GET /v1/red-flags/{tenant}/red-flags.xlsx": BUDGET_READERS
    | {MINISTRY_VIEWER, PROVINCE_VIEWER},
}

# Routes for anyone, signed in or not.
PUBLIC = {
    "GET /healthz",
    "GET /readyz",
    "POST /v1/auth/login",
    "POST /v1/auth/refresh",
    "POST /v1/auth/logout",
    "POST /v1/providers",
    # A signed, short-lived link is the credential (like a presigned S3 URL).
    f"GET {DOC}/versions/{{version}}/content",
    # Public notices and the answers to enquiries are for everyone.
    "GET /v1/notices",
    "GET /v1/notices/{notice_id}",
    f"GET {PR1}/enquiries",
    # Open data (OCDS 1.1): a region's feeds, its years, and the national feeds.
    "GET /v1/open-data/releases",
    "GET /v1/open-data/records",
    "GET /v1/open-data/{tenant}/releases",
    "GET /v1/open-data/{tenant}/records",
    "GET /v1/open-data/{tenant}/releases/{year}",
    # The dashboard's page and its scripts hold no data: the page calls the API with the
    # signed-in user's own token.
    "GET /dashboard",
    "GET /dashboard/static/{file_path}",
    "HEAD /dashboard/static/{file_path}",
}
