"""Constrained types every request shares: text PostgreSQL can store, integers its columns hold.

Request schemas build their fields from these (``Annotated[Line, Meta(max_length=200)]``), so
a NUL character or an out-of-range number is a 422 naming the field, never a database error,
and the limits appear in the OpenAPI document.

Query and path parameters use the ``QueryParameter``/``PathParameter`` forms below: Litestar
reads a parameter's constraints only from the outermost annotation, so an optional parameter is
``Annotated[int | None, QueryParameter(...)]``, never ``FromQuery[Bounded | None]`` (which
silently drops the bounds).
"""

from __future__ import annotations

from typing import Annotated

import msgspec
from litestar.params import PathParameter, QueryParameter

# PostgreSQL text cannot hold NUL, and no field of ours wants the other C0 controls or DEL.
# Python's `$` also matches before a final newline; `(?!\n)` refuses that, and reads the same
# to the ECMA-262 regexes of OpenAPI clients.
ONE_LINE = r"^[^\x00-\x1F\x7F]*$(?!\n)"
# Multi-line prose may carry tab, line feed and carriage return.
MULTI_LINE = r"^[^\x00-\x08\x0B\x0C\x0E-\x1F\x7F]*$"

INT4_MAX = 2**31 - 1  # PostgreSQL integer
INT8_MAX = 2**63 - 1  # PostgreSQL bigint

Line = Annotated[str, msgspec.Meta(pattern=ONE_LINE, description="one line, no control characters")]
Text = Annotated[
    str, msgspec.Meta(pattern=MULTI_LINE, description="text; tab and line breaks allowed")
]
# A division code (GB/T 2260), in a body.
DivisionCode = Annotated[str, msgspec.Meta(pattern=r"^\d{6}$", description="GB/T 2260 code")]

# --- query and path parameters -----------------------------------------------------------------

SearchQuery = Annotated[
    str | None,
    QueryParameter(pattern=ONE_LINE, min_length=1, max_length=200, description="words to look for"),
]
TenantQuery = Annotated[
    str | None, QueryParameter(pattern=r"^\d{6}$", description="a region's division code")
]
FiscalYearQuery = Annotated[
    int | None, QueryParameter(ge=2000, le=2100, description="fiscal year (2000–2100)")
]
VersionQuery = Annotated[
    int | None, QueryParameter(ge=1, le=INT4_MAX, description="a version number")
]
CodePath = Annotated[str, PathParameter(pattern=r"^\d{6}$", description="a region's division code")]
# A name or key in the path (a role, a dead letter's id): one short line.
NamePath = Annotated[str, PathParameter(pattern=ONE_LINE, min_length=1, max_length=200)]
VersionPath = Annotated[int, PathParameter(ge=1, le=INT4_MAX, description="a version number")]
# Seconds since the epoch: a bigint is plenty, and keeps datetime arithmetic in range.
EpochSecondsQuery = Annotated[int, QueryParameter(ge=0, le=INT8_MAX)]
# A token-like query value (ids, signatures of a link): one short line, possibly empty.
TokenQuery = Annotated[str, QueryParameter(pattern=ONE_LINE, max_length=200)]
