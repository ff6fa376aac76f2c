"""Reading the feeds: releases after a changes-since cursor, in a stable order
(published_at, id), of one region or of all; the ocids changed since a cursor; a year."""

from __future__ import annotations

import base64
import binascii
from collections.abc import AsyncIterator, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, tuple_
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.errors import InvalidField
from services.opendata.models import Release

Cursor = tuple[datetime, str]


def encode(position: Cursor) -> str:
    raw = f"{position[0].isoformat()}|{position[1]}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str | None) -> Cursor | None:
    """The position an opaque cursor holds; a cursor we never gave is the caller's error."""
    if not cursor:
        return None
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, rid = raw.split("|", 1)
        at = datetime.fromisoformat(moment)
    except (ValueError, binascii.Error, UnicodeDecodeError) as exc:
        raise InvalidField("not a cursor this feed gave", field="since") from exc
    if at.tzinfo is None or not rid:
        raise InvalidField("not a cursor this feed gave", field="since")
    return at, rid


async def releases(
    session: AsyncSession, tenant: str | None, since: Cursor | None, limit: int
) -> tuple[list[dict[str, Any]], Cursor | None]:
    """Up to ``limit`` releases after ``since``, and the cursor of the last one."""
    statement = select(Release.release, Release.published_at, Release.id)
    if tenant is not None:
        statement = statement.where(Release.tenant_id == tenant)
    if since is not None:
        statement = statement.where(tuple_(Release.published_at, Release.id) > since)
    rows = (
        await session.execute(statement.order_by(Release.published_at, Release.id).limit(limit))
    ).all()
    last = (rows[-1][1], rows[-1][2]) if rows else None
    return [r[0] for r in rows], last


async def changed_ocids(
    session: AsyncSession, tenant: str | None, since: Cursor | None, limit: int
) -> tuple[list[str], Cursor | None]:
    """Up to ``limit`` ocids whose latest release came after ``since``, in the order of that
    release, and the cursor of the last one."""
    latest = func.max(Release.published_at).label("latest")
    statement = select(Release.ocid, latest).group_by(Release.ocid)
    if tenant is not None:
        statement = statement.where(Release.tenant_id == tenant)
    if since is not None:
        statement = statement.having(tuple_(latest, Release.ocid) > since)
    rows = (await session.execute(statement.order_by(latest, Release.ocid).limit(limit))).all()
    last = (rows[-1][1], rows[-1][0]) if rows else None
    return [r[0] for r in rows], last


async def published_ocid(session: AsyncSession, tenant: str | None, ocid: str) -> list[str]:
    """``[ocid]`` when the region (or any, for None) published it, else ``[]``."""
    statement = select(Release.ocid).where(Release.ocid == ocid)
    if tenant is not None:
        statement = statement.where(Release.tenant_id == tenant)
    return [ocid] if (await session.execute(statement.limit(1))).first() else []


async def of_ocids(session: AsyncSession, ocids: Sequence[str]) -> dict[str, list[dict[str, Any]]]:
    """Every release of each ocid, oldest first."""
    found: dict[str, list[dict[str, Any]]] = {o: [] for o in ocids}
    rows = await session.execute(
        select(Release.ocid, Release.release)
        .where(Release.ocid.in_(ocids))
        .order_by(Release.date, Release.published_at, Release.id)
    )
    for ocid, release in rows.all():
        found[ocid].append(release)
    return found


async def year(
    session: AsyncSession, tenant: str, of_year: int, batch: int = 500
) -> AsyncIterator[dict[str, Any]]:
    """A region's releases of one year (Asia/Shanghai), in feed order, read in batches."""
    position: Cursor | None = None
    while True:
        statement = select(Release.release, Release.published_at, Release.id).where(
            Release.tenant_id == tenant, Release.year == of_year
        )
        if position is not None:
            statement = statement.where(tuple_(Release.published_at, Release.id) > position)
        rows = (
            await session.execute(statement.order_by(Release.published_at, Release.id).limit(batch))
        ).all()
        for row in rows:
            yield row[0]
        if len(rows) < batch:
            return
        position = (rows[-1][1], rows[-1][2])
