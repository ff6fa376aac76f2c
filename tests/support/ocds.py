"""libcoveocds, offline: ``python -m tests.support.ocds --standard-zip ZIP -s 1.1 FILE``.

``--standard-zip`` serves the release schema and codelists from the vendored standard, but a
record package's schema names the versioned-release schema by its https URL, which jsonref
would download; here every such URL is read from the same zip instead, and any other URL fails
as it would offline. Extensions still come over HTTP (a loopback server in the tests).
"""

from __future__ import annotations

import json
import sys
import zipfile
from typing import Any

import jsonref
from libcoveocds.__main__ import main

STANDARD = "https://standard.open-contracting.org/schema/1__1__5/"


class _Answer:
    def __init__(self, body: bytes) -> None:
        self._body = body

    def raise_for_status(self) -> None:
        return None

    def json(self, **kwargs: Any) -> Any:
        return json.loads(self._body, **kwargs)


class _Standard:
    def __init__(self, path: str) -> None:
        self._zip = zipfile.ZipFile(path)
        self._root = next(n for n in self._zip.namelist() if n.endswith("/schema/"))

    def get(self, uri: str) -> _Answer:
        if not uri.startswith(STANDARD):
            raise ConnectionError(f"offline: {uri}")
        return _Answer(self._zip.read(self._root + uri.removeprefix(STANDARD)))


if __name__ == "__main__":
    jsonref.requests = _Standard(sys.argv[sys.argv.index("--standard-zip") + 1])
    main()
