"""Limit/offset paging with bounds every list route shares."""

from __future__ import annotations

from typing import Annotated, Generic, TypeVar

import msgspec
from litestar.params import QueryParameter

from services.kit.types import INT8_MAX

T = TypeVar("T")

Limit = Annotated[int, QueryParameter(ge=1, le=200, description="page size (1–200)")]
Offset = Annotated[int, QueryParameter(ge=0, le=1_000_000, description="rows to skip")]
# A bigint sequence: anything larger could never match, and would not reach PostgreSQL.
AfterSeq = Annotated[
    int, QueryParameter(ge=0, le=INT8_MAX, description="entries after this sequence number")
]
DEFAULT_LIMIT = 50


class Page(msgspec.Struct, Generic[T]):
    items: list[T]
    limit: int
    offset: int
