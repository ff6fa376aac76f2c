"""Records: each ocid's releases merged into its compiled release by ``ocdsmerge``, with the
OCDS 1.1.5 release schema kept beside this module (Apache-2.0, from the standard's release), so
compiling never downloads anything."""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

import ocdsmerge

SCHEMA = Path(__file__).parent / "schema" / "release-schema.json"


@cache
def _merger() -> ocdsmerge.Merger:
    return ocdsmerge.Merger(schema=json.loads(SCHEMA.read_text(encoding="utf-8")))


def record(ocid: str, releases: list[dict[str, Any]]) -> dict[str, Any]:
    compiled: dict[str, Any] = _merger().create_compiled_release(releases)
    return {"ocid": ocid, "releases": releases, "compiledRelease": compiled}
