"""Calls of the archive routes. The guard runs before the handler, so a random id shows who
may call: the allowed get the handler's 404; the list answers 200."""

from __future__ import annotations

import uuid

import httpx

from tests.api.authz.expected import PJ1, T
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ

plain(f"GET {T}/archives")


@calls(f"POST {PJ1}/archives", 404)
async def _ask(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(f"/v1/tenants/{GZ}/projects/{uuid.uuid4()}/archives", headers=h)


@calls(f"GET {T}/archives/{{archive_id}}", 404)
async def _read(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/archives/{uuid.uuid4()}", headers=h)


@calls(f"GET {T}/archives/{{archive_id}}/download", 404)
async def _download(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/archives/{uuid.uuid4()}/download", headers=h)


@calls(f"POST {T}/archives/{{archive_id}}/verify", 404)
async def _verify(w: World, h: Headers) -> httpx.Response:
    return await w.client.post(f"/v1/tenants/{GZ}/archives/{uuid.uuid4()}/verify", headers=h)
