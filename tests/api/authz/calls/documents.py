"""Calls of the documents routes, on the documents the world keeps on 阳光's registration."""

from __future__ import annotations

import httpx

from tests.api.authz.expected import DOC, DOCS
from tests.api.authz.registry import calls
from tests.api.authz.world import World, upload_pdf
from tests.support.client import Headers
from tests.support.demo import GZ
from tests.support.documents import pdf


@calls(f"POST {DOCS}", 201)
async def _upload_document(w: World, h: Headers) -> httpx.Response:
    return await upload_pdf(w.client, h, w.sunshine_gz_registration_id)


@calls(f"GET {DOCS}")
async def _list_documents(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/documents", headers=h)


@calls(f"GET {DOC}")
async def _get_document(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(f"/v1/tenants/{GZ}/documents/{w.government_document_id}", headers=h)


@calls(f"GET {DOC}/download")
async def _download_document(w: World, h: Headers) -> httpx.Response:
    return await w.client.get(
        f"/v1/tenants/{GZ}/documents/{w.government_document_id}/download", headers=h
    )


@calls(f"POST {DOC}/versions", 201)
async def _add_document_version(w: World, h: Headers) -> httpx.Response:
    """Each side versions the documents it keeps: a provider's users their provider's."""
    me = await w.client.get("/v1/me", headers=h)
    provider = me.json()["user"]["provider_id"]
    document = w.provider_document_id if provider else w.government_document_id
    return await w.client.post(
        f"/v1/tenants/{GZ}/documents/{document}/versions",
        headers=h,
        params={"filename": "材料-修订.pdf"},
        content=pdf(),
    )
