"""What a project's file holds, section by section.

A section is a function ``(session, subject) -> list[Member]``: the files of one part of the
file, as JSON records (made now, small) and stored documents (streamed later, by reference).
Sections also add the objects they filed to ``subject.objects``; the audit section, which
comes last, files the tenant's audit entries about all of them. Sections only read, in the
build job's transaction, through the public faces of the contexts that own the records.

To file another stage, add its section to ``SECTIONS`` before ``audit_section``.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Awaitable, Callable
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from services.contracts import service as contracts
from services.delivery import service as delivery
from services.documents import service as documents
from services.documents.service import FiledVersion
from services.kit import audit
from services.kit.audit import ChainHead
from services.planning import service as planning
from services.tendering import service as tendering


@dataclass
class Subject:
    """The project being filed, where the audit chain stood, and what has been filed so far."""

    tenant: str
    project_id: uuid.UUID
    head: ChainHead
    objects: list[tuple[str, uuid.UUID]] = field(default_factory=list)


@dataclass(frozen=True)
class JsonMember:
    path: str
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class StoredMember:
    """A document's version, read from the store (decrypted if it was sealed and opened)."""

    path: str
    filed: FiledVersion

    @property
    def size(self) -> int:
        return self.filed.size


Member = JsonMember | StoredMember
Section = Callable[[AsyncSession, Subject], Awaitable[list[Member]]]


def as_json(value: Any) -> bytes:
    return json.dumps(value, ensure_ascii=False, indent=2, sort_keys=True, default=str).encode()


def records(folder: str, rows: dict[str, list[dict[str, Any]]]) -> list[Member]:
    return [JsonMember(f"{folder}/{name}.json", as_json(value)) for name, value in rows.items()]


_UNSAFE = re.compile(r"[^\w.\-]+", re.UNICODE)


def _safe(name: str) -> str:
    cleaned = _UNSAFE.sub("_", name).strip("._") or "file"
    return cleaned[:120]


async def filed_documents(
    session: AsyncSession, subject: Subject, folder: str, objects: list[tuple[str, uuid.UUID]]
) -> list[Member]:
    """The documents of ``objects``: each readable version as a file of its own under
    ``folder/documents/``, and ``folder/documents.json`` listing every version — a sealed one
    never opened (a withheld or unopened bid's) is listed there and nothing more."""
    subject.objects.extend(objects)
    versions = await documents.filed_versions(session, subject.tenant, objects)
    if not versions:
        return []
    members: list[Member] = []
    listing = []
    for v in versions:
        path = f"{folder}/documents/{v.document_id}-v{v.version}-{_safe(v.filename)}"
        listing.append(
            {
                "document_id": str(v.document_id),
                "version": v.version,
                "object_type": v.object_type,
                "object_id": str(v.object_id),
                "title": v.title,
                "filename": v.filename,
                "content_type": v.content_type,
                "size": v.size,
                "sha256": v.sha256,
                "uploaded_at": v.uploaded_at.isoformat(),
                "confidential": v.confidential,
                "path": path if v.readable else None,
                "withheld": None if v.readable else "sealed, never opened: not read",
            }
        )
        if v.readable:
            members.append(StoredMember(path, v))
    subject.objects.extend(("document", v.document_id) for v in versions)
    return [JsonMember(f"{folder}/documents.json", as_json(listing)), *members]


async def planning_section(session: AsyncSession, subject: Subject) -> list[Member]:
    """Declarations, needs assessment and costing, budget lines and decisions."""
    found = await planning.project_file(session, subject.tenant, subject.project_id)
    if found is None:  # the caller checked the project exists; kept safe for a race
        return []
    folder = "01-planning"
    return records(folder, found.records) + await filed_documents(
        session, subject, folder, found.objects
    )


async def procurement_section(session: AsyncSession, subject: Subject) -> list[Member]:
    """Each procurement: notices, enquiries, bids (opened ones with their documents, the
    others listed), committee and scores, result and challenges."""
    members: list[Member] = []
    for n, found in enumerate(
        await tendering.procurement_files(session, subject.tenant, subject.project_id), 1
    ):
        folder = f"02-procurements/{n:02d}-{found.id}"
        members += records(folder, found.records)
        members += await filed_documents(session, subject, folder, found.objects)
    return members


async def contract_section(session: AsyncSession, subject: Subject) -> list[Member]:
    """Each contract with its amendments and payments."""
    members: list[Member] = []
    for n, found in enumerate(
        await contracts.contract_files(session, subject.tenant, subject.project_id), 1
    ):
        folder = f"03-contracts/{n:02d}-{found.id}"
        members += records(folder, found.records)
        members += await filed_documents(session, subject, folder, found.objects)
    return members


async def delivery_section(session: AsyncSession, subject: Subject) -> list[Member]:
    """Each contract's delivery: the report schedule and the reports with their comments,
    inspections with their findings, rectifications with every step, acceptance rounds (plan,
    standards, panel with each member's opinion, conclusion, signatures) and evaluations with
    their points and grade, with the documents of each. Numbered as under 03-contracts."""
    members: list[Member] = []
    for n, deal in enumerate(
        await contracts.contracts_of_project(session, subject.tenant, subject.project_id), 1
    ):
        tenant, cid = subject.tenant, deal.id
        schedule = await delivery.report_schedule_of_contract(session, tenant, cid)
        # A report never submitted is the provider's draft, not yet part of the record.
        reports = [
            r for r in await delivery.reports_of_contract(session, tenant, cid) if r.submissions
        ]
        inspections = await delivery.inspections_of_contract(session, tenant, cid)
        rectifications = await delivery.rectifications_of_contract(session, tenant, cid)
        acceptances = await delivery.acceptance_records_of_contract(session, tenant, cid)
        evaluations = await delivery.evaluation_records_of_contract(session, tenant, cid)
        folder = f"04-delivery/{n:02d}-{cid}"
        members += records(
            folder,
            {
                "report_schedule": [asdict(schedule)] if schedule else [],
                "reports": [asdict(r) for r in reports],
                "inspections": [asdict(i) for i in inspections],
                "rectifications": [asdict(r) for r in rectifications],
                "acceptances": [asdict(a) for a in acceptances],
                "evaluations": [asdict(e) for e in evaluations],
            },
        )
        objects: list[tuple[str, uuid.UUID]] = [("report", r.id) for r in reports]
        objects += [("inspection", i.id) for i in inspections]
        objects += [("rectification", r.id) for r in rectifications]
        objects += [("acceptance", a.id) for a in acceptances]
        objects += [("evaluation", e.id) for e in evaluations]
        members += await filed_documents(session, subject, folder, objects)
    return members


async def audit_section(session: AsyncSession, subject: Subject) -> list[Member]:
    """The tenant's audit entries about every object filed above, up to the chain's head at
    the start of the build, each with its hash (checkable against the chain)."""
    ids = sorted({str(object_id) for _, object_id in subject.objects})
    trail = await audit.trail_of(session, subject.tenant, ids, subject.head.seq)
    return [JsonMember("99-audit/trail.json", as_json(trail))]


SECTIONS: list[Section] = [
    planning_section,
    procurement_section,
    contract_section,
    delivery_section,
    audit_section,
]


async def assemble(session: AsyncSession, subject: Subject) -> list[Member]:
    members: list[Member] = []
    for section in SECTIONS:
        members += await section(session, subject)
    return members
