"""What other contexts may read of the open data: the published records, compiled. Everything
here is already public, so it reads every region's releases without lifting RLS."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from services.opendata import compiling
from services.opendata.models import Release

__all__ = ["PublishedRecord", "published_records", "record_path"]


@dataclass(frozen=True)
class PublishedRecord:
    tenant: str
    procurement_id: uuid.UUID
    ocid: str
    compiled: dict[str, Any]


def record_path(tenant: str, ocid: str) -> str:
    """Where anyone reads one procurement's record (the region's records, by ocid)."""
    return f"/v1/open-data/{tenant}/records?ocid={ocid}"


async def published_records(session: AsyncSession, prefix: str = "") -> list[PublishedRecord]:
    """The compiled release of every procurement published by a region whose division code
    starts with ``prefix`` ("" for the nation), in ocid order."""
    statement = select(Release.tenant_id, Release.procurement_id, Release.ocid, Release.release)
    if prefix:
        statement = statement.where(Release.tenant_id.startswith(prefix, autoescape=True))
    rows = await session.execute(
        statement.order_by(Release.ocid, Release.date, Release.published_at, Release.id)
    )
    grouped: dict[str, tuple[str, uuid.UUID, list[dict[str, Any]]]] = {}
    for tenant, procurement_id, ocid, release in rows.all():
        grouped.setdefault(ocid, (tenant, procurement_id, []))[2].append(release)
    return [
        PublishedRecord(tenant, pid, ocid, compiling.record(ocid, releases)["compiledRelease"])
        for ocid, (tenant, pid, releases) in grouped.items()
    ]
