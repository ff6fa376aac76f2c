"""Rows as plain JSON-safe dicts: what a context hands a later one that files its records
(the project archive) without exposing its ORM classes."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from typing import Any

from sqlalchemy import ColumnElement, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.jsonsafe import json_safe


def row_dict(row: object, *, omit: Collection[str] = ()) -> dict[str, Any]:
    """Every mapped column but ``omit``; bytes (ciphertext, wrapped keys) never leave."""
    mapper = inspect(row).mapper
    values = {
        attr.key: getattr(row, attr.key)
        for attr in mapper.column_attrs
        if attr.key not in omit and not isinstance(getattr(row, attr.key), bytes | memoryview)
    }
    return dict(json_safe(values))


async def rows_of(
    session: AsyncSession,
    model: type[Any],
    *where: ColumnElement[bool],
    order_by: Sequence[Any] = (),
    omit: Collection[str] = (),
) -> list[dict[str, Any]]:
    rows = await session.scalars(select(model).where(*where).order_by(*order_by))
    return [row_dict(row, omit=omit) for row in rows]
