"""The table of calls: one per route, with input valid enough to pass the handler, and what an
allowed role gets back. The modules of ``calls`` fill it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from tests.api.authz.world import World
from tests.support.client import Headers

Call = Callable[[World, Headers], Awaitable[httpx.Response]]


@dataclass(frozen=True)
class Cell:
    call: Call
    # What an allowed role gets from the handler. Not 2xx only where no valid input exists
    # for the demo user (e.g. 阳光 is registered in 广州 already).
    ok: frozenset[int] = frozenset({200})


CALLS: dict[str, Cell] = {}


def calls(route: str, *ok: int) -> Callable[[Call], Call]:
    def register(call: Call) -> Call:
        CALLS[route] = Cell(call, frozenset(ok or {200}))
        return call

    return register
