"""Bodies of the platform operations API."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import msgspec


class DeadLetterOut(msgspec.Struct):
    id: str
    tenant: str
    job: str
    queue: str
    message_key: str
    payload: dict[str, Any]
    request_id: str | None
    error: str
    retries: int
    failed_at: datetime
    replayed_at: datetime | None
