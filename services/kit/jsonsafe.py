"""JSON-safe copies of values: what is stored in JSONB is exactly what was hashed or sent."""

from __future__ import annotations

import json
from typing import Any


def json_safe(value: Any) -> Any:
    """A copy with ids, decimals and times turned into strings; None stays None."""
    if value is None:
        return None
    return json.loads(json.dumps(value, default=str, ensure_ascii=False))
