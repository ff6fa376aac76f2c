"""Operations commands: ``python -m services.entry.cli --help``."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Awaitable, Callable
from typing import TYPE_CHECKING

from services.kit.settings import get_settings

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker


def migrate(_: argparse.Namespace) -> int:
    from services.kit.migrate import upgrade

    upgrade(get_settings().database_url)
    return 0


async def seed_and_list_logins() -> None:
    from services.demo import seed
    from services.kit.db import make_engine, make_sessionmaker

    settings = get_settings()
    engine = make_engine(settings.app_database_url, settings)
    try:
        logins = await seed(make_sessionmaker(engine), settings)
    finally:
        await engine.dispose()
    from services.demo import DEMO_PASSWORD

    print(f"\nDemo logins (password for all: {DEMO_PASSWORD}):")
    for item in logins:
        print(f"  {item.login:<44} {item.role:<24} {item.domain}")


def seed_demo(_: argparse.Namespace) -> int:
    asyncio.run(seed_and_list_logins())
    return 0


async def _verify(tenants: list[str]) -> int:
    from sqlalchemy import text

    from services.kit.audit import verify_chain
    from services.kit.db import make_engine, make_sessionmaker, transaction

    settings = get_settings()
    engine = make_engine(settings.admin_database_url, settings)
    sessionmaker = make_sessionmaker(engine)
    broken = 0
    try:
        if not tenants:
            async with sessionmaker() as session:
                tenants = list(
                    await session.scalars(
                        text("SELECT tenant_id FROM audit_heads ORDER BY tenant_id")
                    )
                )
        for tenant in tenants:
            async with transaction(sessionmaker, tenant) as session:
                report = await verify_chain(session, tenant)
            if report.ok:
                print(f"{tenant}: ok, {report.entries} entries")
            else:
                broken += 1
                print(f"{tenant}: BROKEN at entry {report.first_broken_seq}: {report.reason}")
    finally:
        await engine.dispose()
    return 1 if broken else 0


def verify_audit(args: argparse.Namespace) -> int:
    return asyncio.run(_verify(args.tenant))


async def _verify_archive(archive_id: str) -> int:
    import uuid

    from sqlalchemy import text

    from services.archive import service as archives
    from services.kit.audit import Actor
    from services.kit.db import make_engine, make_sessionmaker, transaction
    from services.kit.errors import DomainError
    from services.kit.storage import storage_for

    settings = get_settings()
    engine = make_engine(settings.app_database_url, settings)
    sessionmaker = make_sessionmaker(engine)
    try:
        try:
            wanted = uuid.UUID(archive_id)
        except ValueError:
            print(f"{archive_id}: not an archive id")
            return 2
        async with sessionmaker() as session:
            # The archive's region by its id alone (a SECURITY DEFINER function, migration 0028).
            tenant = await session.scalar(text("SELECT archive_tenant(:id)"), {"id": wanted})
        if tenant is None:
            print(f"{archive_id}: no such archive")
            return 2
        async with transaction(sessionmaker, tenant) as session:
            try:
                report = await archives.verify_archive(
                    session, storage_for(settings), Actor(None, tenant), wanted
                )
            except DomainError as refusal:
                print(f"{archive_id}: {refusal.detail}")
                return 2
    finally:
        await engine.dispose()
    if report.ok:
        print(f"{archive_id}: ok, {report.files_checked} files match the manifest")
        return 0
    assert report.first_difference is not None
    print(
        f"{archive_id}: DIFFERS at {report.first_difference.path}: {report.first_difference.reason}"
    )
    return 1


def verify_archive(args: argparse.Namespace) -> int:
    return asyncio.run(_verify_archive(args.archive_id))


async def _rebuild(
    rebuild: Callable[[async_sessionmaker[AsyncSession], list[str]], Awaitable[int]],
    regions: list[str],
    unit: str,
) -> int:
    """Run a rebuild against the configured database; exit 1 when anything differed."""
    from services.kit.db import make_engine, make_sessionmaker

    settings = get_settings()
    engine = make_engine(settings.app_database_url, settings)
    try:
        differing = await rebuild(make_sessionmaker(engine), regions)
    finally:
        await engine.dispose()
    print(f"{differing} {unit} differed" if differing else "no difference")
    return 1 if differing else 0


def statistics_rebuild(args: argparse.Namespace) -> int:
    from services.statistics.rebuild import rebuild

    return asyncio.run(_rebuild(rebuild, args.region or [], "region-year(s)"))


def red_flags_rebuild(args: argparse.Namespace) -> int:
    from services.redflags.rebuild import rebuild

    return asyncio.run(_rebuild(rebuild, args.region or [], "region(s)"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="services.cli")
    commands = parser.add_subparsers(required=True)
    commands.add_parser(
        "migrate", help="create the database if needed; migrate to head"
    ).set_defaults(run=migrate)
    commands.add_parser(
        "seed-demo", help="load the demo tenants and users (idempotent)"
    ).set_defaults(run=seed_demo)
    verify = commands.add_parser("verify-audit", help="check audit hash chains")
    verify.add_argument("tenant", nargs="*", help="division codes (default: every chain)")
    verify.set_defaults(run=verify_audit)
    archive = commands.add_parser(
        "verify-archive", help="check a stored project archive against its manifest"
    )
    archive.add_argument("archive_id", help="the archive's id")
    archive.set_defaults(run=verify_archive)
    stats = commands.add_parser(
        "statistics-rebuild",
        help="recompute every statistics summary from the base tables; exit 1 on a difference",
    )
    stats.add_argument("--region", action="append", help="a division code (repeatable)")
    stats.set_defaults(run=statistics_rebuild)
    flags = commands.add_parser(
        "red-flags-rebuild",
        help="measure every region's red flags again; exit 1 on a difference from those stored",
    )
    flags.add_argument("--region", action="append", help="a division code (repeatable)")
    flags.set_defaults(run=red_flags_rebuild)
    args = parser.parse_args(argv)
    return int(args.run(args))


if __name__ == "__main__":
    sys.exit(main())
