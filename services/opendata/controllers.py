"""OCDS 1.1 open data for anyone, signed in or not: a region's release and record packages,
the national feed of every region, and a region's year as one streamed file."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from litestar import Controller, Request, get
from litestar.params import FromPath, PathParameter, QueryParameter
from litestar.response import Response, Stream
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.db import bind_tenant
from services.kit.guard import Session
from services.kit.pagination import DEFAULT_LIMIT, Limit
from services.kit.types import ONE_LINE
from services.opendata import compiling, reading
from services.opendata.building import BIDS_EXTENSION
from services.tenancy import service as tenancy

PUBLISHER = {"name": "政府购买社会工作服务平台"}
SinceQuery = Annotated[
    str | None,
    QueryParameter(
        name="since",
        max_length=200,
        description="the opaque cursor of a page's `next` link: only later releases",
    ),
]
OcidQuery = Annotated[
    str | None,
    QueryParameter(
        name="ocid", pattern=ONE_LINE, max_length=100, description="only this procurement's record"
    ),
]
YearPath = Annotated[int, PathParameter(ge=2000, le=2100, description="the year, Asia/Shanghai")]


def _package(request: Request[Any, Any, Any]) -> dict[str, Any]:
    return {
        "uri": str(request.url),
        "version": "1.1",
        "extensions": [BIDS_EXTENSION],
        "publishedDate": datetime.now(UTC).isoformat(),
        "publisher": PUBLISHER,
    }


def _paged(
    request: Request[Any, Any, Any], body: dict[str, Any], last: reading.Cursor | None
) -> Response[dict[str, Any]]:
    """A page with its ``next`` link whenever it holds anything: at the end of the feed, the
    link is where to ask for the changes still to come (an empty page has none)."""
    headers = {}
    if last is not None:
        query = {**request.query_params.dict(), "since": [reading.encode(last)]}
        following = str(request.url.with_replacements(query=urlencode(query, doseq=True)))
        body["links"] = {"next": following}
        headers["Link"] = f'<{following}>; rel="next"'
    return Response(body, headers=headers, media_type="application/json")


async def _releases(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    tenant: str | None,
    since: str | None,
    limit: int,
) -> Response[dict[str, Any]]:
    if tenant is not None:
        await tenancy.get_tenant(session, tenant)  # no such region: 404
    found, last = await reading.releases(session, tenant, reading.decode(since), limit)
    body = {**_package(request), "releases": found}
    return _paged(request, body, last)


async def _records(
    request: Request[Any, Any, Any],
    session: AsyncSession,
    tenant: str | None,
    since: str | None,
    limit: int,
    ocid: str | None = None,
) -> Response[dict[str, Any]]:
    if tenant is not None:
        await tenancy.get_tenant(session, tenant)
    if ocid is not None:
        # One procurement's record (what a red flag links to): no paging.
        ocids, last = await reading.published_ocid(session, tenant, ocid), None
    else:
        ocids, last = await reading.changed_ocids(session, tenant, reading.decode(since), limit)
    found = await reading.of_ocids(session, ocids)
    body = {
        **_package(request),
        "records": [compiling.record(ocid, found[ocid]) for ocid in ocids],
    }
    return _paged(request, body, last)


class OpenDataController(Controller):
    """Release and record packages (OCDS 1.1, with the bids extension), one release per public
    change; paged by a changes-since cursor (``since``) in a stable order."""

    path = "/v1/open-data"
    tags = ["open data"]

    @get("/releases", opt={"public": True})
    async def national_releases(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        since: SinceQuery = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[dict[str, Any]]:
        """The releases of every region, oldest change first."""
        return await _releases(request, session, None, since, limit)

    @get("/records", opt={"public": True})
    async def national_records(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        since: SinceQuery = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[dict[str, Any]]:
        """The records of every region: each changed procurement's releases and compiled
        release, in the order of their latest change."""
        return await _records(request, session, None, since, limit)

    @get("/{tenant:str}/releases", opt={"public": True})
    async def releases(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        tenant: FromPath[str],
        since: SinceQuery = None,
        limit: Limit = DEFAULT_LIMIT,
    ) -> Response[dict[str, Any]]:
        """The region's releases, oldest change first."""
        return await _releases(request, session, tenant, since, limit)

    @get("/{tenant:str}/records", opt={"public": True})
    async def records(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        tenant: FromPath[str],
        since: SinceQuery = None,
        limit: Limit = DEFAULT_LIMIT,
        ocid: OcidQuery = None,
    ) -> Response[dict[str, Any]]:
        """The region's records, in the order of their latest change; with ``ocid``, that
        procurement's record alone (none when the region published no such ocid)."""
        return await _records(request, session, tenant, since, limit, ocid)

    @get("/{tenant:str}/releases/{year:int}", opt={"public": True})
    async def year(
        self,
        request: Request[Any, Any, Any],
        session: Session,
        tenant: FromPath[str],
        year: YearPath,
    ) -> Stream:
        """The region's releases of one year (Asia/Shanghai) as one release package file,
        streamed as it is read."""
        await tenancy.get_tenant(session, tenant)
        sessionmaker: async_sessionmaker[AsyncSession] = request.app.state.sessionmaker
        head = json.dumps({**_package(request), "releases": []}, ensure_ascii=False)[:-2]

        async def chunks() -> AsyncIterator[bytes]:
            # A transaction of its own: the request's closes before the body is sent.
            async with sessionmaker() as session, session.begin():
                await bind_tenant(session, tenant)
                yield head.encode()
                sep = ""
                async for release in reading.year(session, tenant, year):
                    yield (sep + json.dumps(release, ensure_ascii=False)).encode()
                    sep = ","
                yield b"]}"

        return Stream(
            chunks(),
            media_type="application/json",
            headers={
                "Content-Disposition": f'attachment; filename="{tenant}-{year}-releases.json"'
            },
        )
