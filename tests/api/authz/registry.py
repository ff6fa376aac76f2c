"""The table of calls: one per route, with input valid enough to pass the handler, and what an
allowed role gets back. The modules of ``calls`` fill it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import httpx

from tests.api.authz.world import World
from tests.support.client import Headers
from tests.support.demo import GZ

Call = Callable[[World, Headers], Awaitable[httpx.Response]]
# How a plain call finds an id its path names: an object the world keeps or makes.
IdOf = Callable[[World], str | Awaitable[str]]


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


def plain(route: str, *ok: int, body: object = None, **ids: IdOf) -> None:
    """Registers the call that sends the route's method, with ``body`` if any, to its path in
    广州, each other id in the path filled in by the world: for routes that need nothing more."""
    method, path = route.split(" ", 1)

    async def call(w: World, h: Headers) -> httpx.Response:
        filled = {name: await _found(id_of(w)) for name, id_of in ids.items()}
        url = path.format(tenant=GZ, **filled)
        return await w.client.request(method, url, headers=h, json=body)

    calls(route, *ok)(call)


async def _found(id_: str | Awaitable[str]) -> str:
    return id_ if isinstance(id_, str) else await id_
