"""Walking the API's OpenAPI document, for checks that cover every route there is."""

from __future__ import annotations

from typing import Any

METHODS = {"get", "post", "put", "patch", "delete"}


def operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    """Every operation of the document: (METHOD, path template, the operation)."""
    return [
        (method.upper(), path, operation)
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    ]
