"""Password hashing (Argon2) off the event loop, a bounded number at a time.

One Argon2 hash at the production cost takes a core for 100–200 ms. On the event loop it
would stall every other request of the worker meanwhile, so hashes run in worker threads
(argon2-cffi releases the GIL while it hashes). A pool of PASSWORD_HASH_CONCURRENCY threads
is the bound: a login storm queues for those threads — callers wait, nobody is refused — and
the event loop and the rest of the cores stay free for other requests.
"""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import TypeVar

from pwdlib import PasswordHash
from pwdlib.hashers.argon2 import Argon2Hasher

from services.kit.settings import Settings

T = TypeVar("T")


class Passwords:
    def __init__(self, time_cost: int, memory_kib: int, concurrency: int) -> None:
        self._hasher = PasswordHash((Argon2Hasher(time_cost=time_cost, memory_cost=memory_kib),))
        # Not tied to an event loop: the API, seeding and tests each run their own.
        self._pool = ThreadPoolExecutor(max_workers=concurrency, thread_name_prefix="argon2")

    async def _run(self, work: Callable[[], T]) -> T:
        # A caller that goes away before its turn takes its hash out of the queue with it.
        return await asyncio.get_running_loop().run_in_executor(self._pool, work)

    async def hash(self, password: str) -> str:
        return await self._run(functools.partial(self._hasher.hash, password))

    async def verify(self, password: str, stored_hash: str) -> bool:
        return await self._run(functools.partial(self._hasher.verify, password, stored_hash))

    async def verify_and_update(self, password: str, stored_hash: str) -> tuple[bool, str | None]:
        """Whether it matches, and a new hash when the stored one has an outdated cost."""
        return await self._run(
            functools.partial(self._hasher.verify_and_update, password, stored_hash)
        )

    async def spend_as_much_as_a_check(self, password: str) -> None:
        """The work of a real check, for an unknown login: timing does not reveal accounts."""
        await self.hash(password)


@functools.lru_cache(maxsize=8)
def _passwords(time_cost: int, memory_kib: int, concurrency: int) -> Passwords:
    return Passwords(time_cost, memory_kib, concurrency)


def passwords(settings: Settings) -> Passwords:
    """The process's hasher for these settings; one thread pool shared by every caller."""
    return _passwords(
        settings.argon2_time_cost, settings.argon2_memory_kib, settings.password_hash_concurrency
    )
