"""Calls of the approving region's method-approval routes: 广州 has no county of the world's
asking, so one request id nobody filed is what an allowed role finds missing (404); the
approval itself is tests/tendering/test_method_approval_authority.py's."""

from __future__ import annotations

import uuid

from tests.api.authz.expected import T
from tests.api.authz.registry import plain

UNFILED = str(uuid.UUID(int=38))

plain(f"GET {T}/method-approvals")
plain(f"GET {T}/method-approvals/{{request_id}}", 404, request_id=lambda w: UNFILED)
plain(
    f"POST {T}/method-approvals/{{request_id}}/decision",
    404,
    body={"approve": True},
    request_id=lambda w: UNFILED,
)
