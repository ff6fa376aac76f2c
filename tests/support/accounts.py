"""Accounts of the suite's own, so that no test changes a demo user."""

from __future__ import annotations

import random


def unique_email(prefix: str = "user") -> str:
    """A login nobody has used yet."""
    return f"{prefix}.{random.randrange(10**9)}@test.gov.cn"
