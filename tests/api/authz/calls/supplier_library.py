"""Calls of the province's supplier library routes: in 广州 those who may call them find no
library (the handler's 404)."""

from __future__ import annotations

import uuid

from tests.api.authz.expected import T
from tests.api.authz.registry import plain

ENTRY = {
    "provider_id": str(uuid.uuid4()),
    "categories": ["special_groups"],
    "admitted_on": "2026-12-01",
    "valid_until": "2099-12-31",
}

plain(f"GET {T}/supplier-library", 404)
plain(f"POST {T}/supplier-library", 404, body=ENTRY)
plain(f"GET {T}/supplier-library/{{provider_id}}", 404, provider_id=lambda _: str(uuid.uuid4()))
plain(
    f"PUT {T}/supplier-library/{{provider_id}}/status",
    404,
    body={"status": "suspended", "reason": "年检未通过"},
    provider_id=lambda _: str(uuid.uuid4()),
)
