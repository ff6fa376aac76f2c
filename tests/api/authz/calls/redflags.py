"""Calls of the red-flag routes: the nation's list, 广州's, and each as a workbook."""

from __future__ import annotations

from tests.api.authz.registry import plain

plain("GET /v1/red-flags")
plain("GET /v1/red-flags.xlsx")
plain("GET /v1/red-flags/{tenant}")
plain("GET /v1/red-flags/{tenant}/red-flags.xlsx")
