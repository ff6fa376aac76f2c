"""``red-flags-rebuild``: every region's flags measured again, and what differed.

Each region is measured as the job would, compared with what was stored, and put right. A
difference means a change was missed (or a row was changed by hand): it is printed, and the
command ends with 1.
"""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from services.kit.db import transaction
from services.redflags.measure import Key, Row, kept, measure


def differences(before: dict[Key, Row], after: dict[Key, Row]) -> list[str]:
    found = []
    for key in sorted(set(before) | set(after)):
        was, now = before.get(key), after.get(key)
        if was != now:
            ocid, indicator, n = key
            found.append(f"{indicator} {ocid} #{n}: stored {was}, measured {now}")
    return found


async def rebuild(
    sessionmaker: async_sessionmaker[AsyncSession],
    regions: list[str],
    say: Callable[[str], None] = print,
) -> int:
    """Measure ``regions`` again (every region when empty); the number that differed."""
    if not regions:
        async with sessionmaker() as session:
            regions = list(await session.scalars(text("SELECT code FROM tenants ORDER BY code")))
    differing = 0
    for region in regions:
        async with transaction(sessionmaker, region) as session:
            before = await kept(session, region)
            after = await measure(session, region)
        found = differences(before, after)
        if found:
            differing += 1
            say(f"{region}: {len(found)} difference(s)")
            for line in found:
                say(f"  {line}")
        else:
            say(f"{region}: ok ({len(after)} flag(s))")
    return differing
