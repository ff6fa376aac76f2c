"""Calls of the documents routes, on the documents the world keeps on 阳光's registration."""

from __future__ import annotations

import httpx

from tests.api.authz.expected import DOC, DOCS
from tests.api.authz.registry import calls, plain
from tests.api.authz.world import World, upload_pdf
from tests.support.client import Headers
from tests.support.demo import GZ
from tests.support.documents import pdf


@calls(f"POST {DOCS}", 201)
async def _upload_document(w: World, h: Headers) -> httpx.Response:
    return await upload_pdf(w.client, h, w.sunshine_gz_registration_id)


plain(f"GET {DOCS}")
plain(f"GET {DOC}", document_id=lambda w: w.government_document_id)
plain(f"GET {DOC}/download", document_id=lambda w: w.government_document_id)


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
