"""One OCDS 1.1 release per public change, built from what is already public: the
procurement's published terms and notices, a paid payment's split by funding source. A bid's
price, a person's name, an internal document never enter; bid counts only after the opening."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from services.contracts.service import OpenPayment
from services.opendata import mapping
from services.tendering.service import NoticeKind, OpenFacts, PublicNotice

BIDS_EXTENSION = (
    "https://raw.githubusercontent.com/open-contracting-extensions/ocds_bid_extension/"
    "v1.1.5/extension.json"
)


@dataclass(frozen=True)
class Region:
    code: str
    buyer_name: str  # the civil affairs bureau (采购人)
    finance_name: str  # the finance bureau (财政部门): the review body


@dataclass(frozen=True)
class Line:
    """The approved budget line the procurement spends (planning)."""

    id: str
    project_id: str
    project_title: str
    amount: Decimal
    approved_at: datetime | None
    sources: list[tuple[str, Decimal]]


def money(amount: Decimal | str) -> dict[str, Any]:
    return {"amount": float(Decimal(amount)), "currency": "CNY"}


def moment(value: datetime) -> str:
    return value.isoformat()


def day(value: date | str) -> str:
    """A day as OCDS's date-time: its start in Asia/Shanghai."""
    return f"{value}T00:00:00+08:00"


def buyer(region: Region) -> dict[str, str]:
    return {"id": f"buyer-{region.code}", "name": region.buyer_name}


def _reviewer(region: Region) -> dict[str, str]:
    return {"id": f"finance-{region.code}", "name": region.finance_name}


def _parties(region: Region, *more: dict[str, Any]) -> list[dict[str, Any]]:
    return [
        {**buyer(region), "roles": ["buyer", "procuringEntity"]},
        {**_reviewer(region), "roles": ["reviewBody"]},
        *more,
    ]


def supplier(name: str, uscc: str, *roles: str) -> dict[str, Any]:
    return {
        "id": f"CN-USCI-{uscc}",
        "name": name,
        "identifier": {"scheme": "CN-USCI", "id": uscc, "legalName": name},
        "roles": list(roles),
    }


def _funder(source: str) -> dict[str, Any]:
    return {
        "id": f"funder-{source}",
        "name": mapping.FUNDING_SOURCE_NAMES.get(source, source),
        "roles": ["funder", "payer"],
    }


def _release(facts: OpenFacts, rid: str, at: datetime, tag: list[str]) -> dict[str, Any]:
    return {
        "ocid": facts.ocid,
        "id": f"{facts.ocid}-{rid}",
        "date": moment(at),
        "tag": tag,
        "initiationType": "tender",
        "language": "zh",
    }


def planning(facts: OpenFacts, region: Region, line: Line, at: datetime) -> dict[str, Any]:
    """The approved budget line (预算批复) the procurement spends: published with the
    procurement's first public change, since the ocid exists only from then on."""
    return {
        **_release(facts, "planning", line.approved_at or at, ["planning"]),
        "parties": _parties(region, *(_funder(s) for s, _ in line.sources)),
        "buyer": buyer(region),
        "planning": {
            "budget": {
                "id": line.id,
                "description": line.project_title,
                "amount": money(line.amount),
                "project": line.project_title,
                "projectID": line.project_id,
            }
        },
    }


def _tender(facts: OpenFacts, region: Region, status: str) -> dict[str, Any]:
    method, details = mapping.procurement_method(facts.method, facts.selection_source)
    criteria, criteria_details = mapping.award_criteria(facts.criteria)
    tender: dict[str, Any] = {
        "id": str(facts.id),
        "title": facts.title,
        "description": facts.requirements,
        "status": status,
        "procuringEntity": buyer(region),
        "value": money(facts.budget_amount),
        "procurementMethod": method,
        "procurementMethodDetails": details,
        "mainProcurementCategory": "services",
        "awardCriteria": criteria,
        "awardCriteriaDetails": criteria_details,
        "submissionMethod": ["electronicSubmission"],
        "tenderPeriod": {
            **(
                {"startDate": moment(facts.documents_issued_at)}
                if facts.documents_issued_at
                else {}
            ),
            "endDate": moment(facts.bid_deadline),
        },
    }
    why = mapping.rationale(facts.method_reason, facts.method_justification)
    if why:
        tender["procurementMethodRationale"] = why
    if facts.enquiry_deadline is not None:
        tender["enquiryPeriod"] = {"endDate": moment(facts.enquiry_deadline)}
    return tender


def _bids(facts: OpenFacts) -> dict[str, Any]:
    """The bids extension's statistics, only once the bids were opened."""
    if facts.bid_counts is None:
        return {}
    received, valid = facts.bid_counts
    return {
        "bids": {
            "statistics": [
                {"id": "bids", "measure": "bids", "value": received},
                {"id": "validBids", "measure": "validBids", "value": valid},
            ]
        }
    }


TENDER_TAGS = {
    NoticeKind.tender: (["tender"], "active"),
    NoticeKind.prequalification: (["tender"], "active"),
    NoticeKind.single_source: (["tender"], "planned"),
    NoticeKind.correction: (["tenderUpdate"], "active"),
    NoticeKind.failure: (["tenderUpdate"], "unsuccessful"),
    # 终止公告: a single source whose notice's objections were upheld (74号令 art. 40).
    NoticeKind.termination: (["tenderUpdate"], "cancelled"),
}


def _results(facts: OpenFacts, until: datetime) -> list[PublicNotice]:
    return [n for n in facts.notices if n.kind is NoticeKind.result and n.published_at <= until]


def _noticed_before(facts: OpenFacts, until: datetime) -> bool:
    return any(n.kind in TENDER_TAGS and n.published_at < until for n in facts.notices)


def _award_id(facts: OpenFacts, until: datetime) -> str | None:
    results = _results(facts, until)
    return str(results[-1].id) if results else None


def from_notice(
    facts: OpenFacts, region: Region, notice: PublicNotice, notice_url: str | None = None
) -> dict[str, Any] | None:
    """The release of a published notice; None for notices OCDS has no section for.
    ``notice_url``: where the public reads the notice, when the platform knows its address."""
    rid = f"{notice.kind.value}-{notice.id}"
    at = notice.published_at
    if notice.kind in TENDER_TAGS:
        tag, status = TENDER_TAGS[notice.kind]
        return {
            **_release(facts, rid, at, tag),
            "parties": _parties(region),
            "buyer": buyer(region),
            "tender": _tender(facts, region, status),
            **(_bids(facts) if notice.kind is NoticeKind.failure else {}),
        }
    if notice.kind is NoticeKind.result:
        return _award(facts, region, notice, rid)
    if notice.kind in (NoticeKind.contract, NoticeKind.amendment):
        return _contract(facts, region, notice, rid)
    if notice.kind is NoticeKind.acceptance:
        return _acceptance(facts, region, notice, rid, notice_url)
    return None


def _award(facts: OpenFacts, region: Region, notice: PublicNotice, rid: str) -> dict[str, Any]:
    """The result (结果公告): this award active, any earlier one (a winner who refused to sign,
    实施条例 art. 49) cancelled."""
    awards, suppliers = [], {}
    for result in _results(facts, notice.published_at):
        party = supplier(result.data["winner"], result.data["winner_uscc"], "supplier")
        suppliers[party["id"]] = party
        awards.append(
            {
                "id": str(result.id),
                "title": facts.title,
                "status": "active" if result.id == notice.id else "cancelled",
                "date": moment(result.published_at),
                "value": money(result.data["price"]),
                "suppliers": [{"id": party["id"], "name": party["name"]}],
            }
        )
    return {
        **_release(facts, rid, notice.published_at, ["award"]),
        "parties": _parties(region, *suppliers.values()),
        "buyer": buyer(region),
        # A purchase with no notice before its result (a single source below the threshold,
        # 74号令 art. 38) first shows its tender here, method and rationale included.
        "tender": (
            {"id": str(facts.id), "status": "complete"}
            if _noticed_before(facts, notice.published_at)
            else _tender(facts, region, "complete")
        ),
        "awards": awards,
        **_bids(facts),
    }


def _contract(facts: OpenFacts, region: Region, notice: PublicNotice, rid: str) -> dict[str, Any]:
    data = notice.data
    contract: dict[str, Any] = {
        "id": data["contract_id"],
        "awardID": _award_id(facts, notice.published_at),
        "title": facts.title,
        "status": "active",
        "value": money(data.get("value") or data["price"]),
    }
    if contract["awardID"] is None:
        del contract["awardID"]
    tag = ["contract"]
    if notice.kind is NoticeKind.contract:
        contract["dateSigned"] = day(data["signed_on"])
        contract["period"] = {
            "startDate": day(data["period_start"]),
            "endDate": day(data["period_end"]),
        }
        contract["description"] = data["scope"]
    else:
        tag = ["contractAmendment"]
        if data["amendment_kind"] == "termination":
            contract["status"] = "terminated"
        contract["amendments"] = [
            {
                "id": f"{data['amendment_id']}-{data['version']}",
                "date": day(data["effective_on"]),
                "rationale": data["reason"],
                "description": data["description"],
            }
        ]
    party = supplier(data["provider"], data["provider_uscc"], "supplier")
    return {
        **_release(facts, rid, notice.published_at, tag),
        "parties": _parties(region, party),
        "buyer": buyer(region),
        "contracts": [contract],
    }


def _acceptance(
    facts: OpenFacts, region: Region, notice: PublicNotice, rid: str, url: str | None
) -> dict[str, Any]:
    """The acceptance's result (验收结果公告, 实施条例 art. 45) as the contract's delivery
    milestone, one per round: ``met`` on the day the report took effect for a pass, ``notMet``
    as of that day for a fail. Only what the notice published: the round, the result, the
    standards that failed; never a panel member."""
    data = notice.data
    passed = data["result"] == "pass"
    signed_on = day(data["signed_on"])
    failed = [s["name"] for s in data.get("standards", []) if not s["passed"]]
    description = f"第{data['round']}次验收：" + (
        "合格" if passed else "不合格，未达到的标准：" + "、".join(failed)
    )
    milestone: dict[str, Any] = {
        "id": f"acceptance-{data['acceptance_id']}",
        "title": "履约验收",
        "type": "delivery",
        "description": description,
        "status": "met" if passed else "notMet",
        "dateModified": signed_on,
    }
    if passed:
        milestone["dateMet"] = signed_on
    implementation: dict[str, Any] = {"milestones": [milestone]}
    if url is not None:
        implementation["documents"] = [
            {
                "id": f"acceptance-notice-{notice.id}",
                # A pass certifies the services were completed as the contract asked; a fail
                # reports where they fell short.
                "documentType": "completionCertificate" if passed else "physicalProgressReport",
                "title": "验收结果公告",
                "description": description,
                "url": url,
                "datePublished": moment(notice.published_at),
                "format": "application/json",
                "language": "zh",
            }
        ]
    contract: dict[str, Any] = {"id": data["contract_id"], "implementation": implementation}
    award_id = _award_id(facts, notice.published_at)
    if award_id is not None:
        contract["awardID"] = award_id
    if passed:
        # A pass is the final acceptance (结项验收): the contract was performed to its end.
        # OCDS 1.1's contractStatus names that `terminated` ("signed and in force, and has now
        # come to a close ... due to the successful completion of the contract"); a final
        # instalment paid afterwards is still a transaction of the closed contract.
        contract["status"] = "terminated"
    party = supplier(data["provider"], data["provider_uscc"], "supplier")
    return {
        **_release(facts, rid, notice.published_at, ["implementation"]),
        "parties": _parties(region, party),
        "buyer": buyer(region),
        "contracts": [contract],
    }


def from_payment(
    facts: OpenFacts, region: Region, payment: OpenPayment, at: datetime
) -> dict[str, Any]:
    """A paid payment: one transaction per funding source it came from, and the contract's
    instalments as milestones (met once paid in full)."""
    payee = supplier(payment.provider_name or "", payment.provider_uscc or "", "supplier", "payee")
    payee_ref = {"id": payee["id"], "name": payee["name"]}
    funders = [_funder(source) for source, _ in payment.sources]
    transactions = [
        {
            "id": f"{payment.id}-{source}",
            "date": day(payment.paid_on),
            "value": money(amount),
            "payer": {"id": funder["id"], "name": funder["name"]},
            "payee": payee_ref,
        }
        for (source, amount), funder in zip(payment.sources, funders, strict=True)
    ]
    milestones = [
        {
            "id": f"instalment-{i.seq}",
            "title": i.milestone,
            "type": "payment",
            "dueDate": day(i.due_on),
            "status": "met" if i.paid >= i.amount else "scheduled",
        }
        for i in payment.instalments
    ]
    award_id = _award_id(facts, at)
    return {
        **_release(facts, f"payment-{payment.id}", at, ["implementation"]),
        "parties": _parties(region, payee, *funders),
        "buyer": buyer(region),
        "contracts": [
            {
                "id": str(payment.contract_id),
                **({"awardID": award_id} if award_id else {}),
                "implementation": {"transactions": transactions, "milestones": milestones},
            }
        ],
    }
