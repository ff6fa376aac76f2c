"""Casbin decisions, kept current across API processes.

The model and the role → permission policy are files in the repository; who holds which role
where is read from PostgreSQL. A trigger on every table that feeds the rules sends a NOTIFY on
``authz_changed``; each process listens and rebuilds its enforcer, so a grant or a revoke is in
force everywhere well within a second. Decisions are cached per (roles held in the domain,
permission), so the cache is shared by users and outlives rebuilds.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import asyncpg
import casbin
import structlog
from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

HERE = Path(__file__).parent
MODEL_PATH = HERE / "model.conf"
POLICY_PATH = HERE / "policy.csv"
CHANNEL = "authz_changed"
PLATFORM_DOMAIN = "*"

log = structlog.get_logger(__name__)


def subject(user_id: object) -> str:
    return f"u:{user_id}"


def object_domain(tenant: str, kind: str, object_id: object) -> str:
    """The Casbin domain of one object: where a role granted on that object alone is held."""
    return f"{tenant}/{kind}/{object_id}"


def read_policy(path: Path = POLICY_PATH) -> list[tuple[str, str]]:
    rules: list[tuple[str, str]] = []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        kind, role, permission = (part.strip() for part in line.split(","))
        if kind != "p":
            raise ValueError(f"policy.csv holds only p lines, got {line!r}")
        rules.append((role, permission))
    return rules


@functools.cache
def roles_granting(permission: str) -> frozenset[str]:
    """The roles the policy file grants a permission to (the file does not change while
    running)."""
    return frozenset(role for role, granted in read_policy() if granted == permission)


class RulesAdapter(casbin.persist.Adapter):  # type: ignore[misc]
    """Hands Casbin rules already in memory. Loading through an adapter appends them in one
    pass; ``add_grouping_policies`` checks each rule against all before it (quadratic)."""

    def __init__(self, policy: list[tuple[str, str]], grouping: list[list[str]]) -> None:
        self._policy = policy
        self._grouping = grouping

    def load_policy(self, model: Any) -> None:
        for role, permission in self._policy:
            model.model["p"]["p"].policy.append([role, permission])
        model.model["g"]["g"].policy.extend(self._grouping)


def build_enforcer(grouping: list[list[str]]) -> casbin.Enforcer:
    return casbin.FastEnforcer(
        str(MODEL_PATH), RulesAdapter(read_policy(), grouping), cache_key_order=[1]
    )


# Cross-tenant read of role assignments: runs as the narrow sws_authz role, whose RLS policy
# lets it SELECT memberships of every tenant and nothing else.
GROUPING_SQL = text(
    """
    SELECT 'u:' || m.user_id, m.role, m.tenant_id
      FROM memberships m JOIN users u ON u.id = m.user_id
     WHERE u.active
    UNION ALL
    SELECT 'u:' || g.user_id, g.role, '*'
      FROM platform_role_grants g JOIN users u ON u.id = g.user_id
     WHERE u.active
    UNION ALL
    SELECT 'u:' || u.id, u.provider_role, '*'
      FROM users u
     WHERE u.active AND u.provider_role IS NOT NULL
    UNION ALL
    SELECT 'u:' || o.user_id, o.role, o.tenant_id || '/' || o.object_kind || '/' || o.object_id
      FROM object_grants o JOIN users u ON u.id = o.user_id
     WHERE u.active
    """
)


async def load_rules(session: AsyncSession) -> tuple[list[list[str]], dict[str, bool]]:
    await session.execute(text("SET LOCAL ROLE sws_authz"))
    grouping = [list(row) for row in (await session.execute(GROUPING_SQL)).all()]
    tenants = {
        code: active
        for code, active in (await session.execute(text("SELECT code, active FROM tenants")))
    }
    return grouping, tenants


@dataclass
class Snapshot:
    enforcer: casbin.Enforcer
    tenants: dict[str, bool]
    roles_by_subject: dict[str, list[tuple[str, str]]] = field(default_factory=dict)
    # Wall-clock time the rules were read; tokens issued later may hold roles it lacks.
    read_at: float = 0.0
    # The roles a subject holds in a domain, counting those held in "*".
    roles_in: dict[tuple[str, str], frozenset[str]] = field(default_factory=dict)

    def roles(self, sub: str, domain: str) -> frozenset[str]:
        key = (sub, domain)
        held = self.roles_in.get(key)
        if held is None:
            held = frozenset(
                role
                for role, where in self.roles_by_subject.get(sub, ())
                if where == domain or where == PLATFORM_DOMAIN
            )
            self.roles_in[key] = held
        return held


def index_roles(grouping: list[list[str]]) -> dict[str, list[tuple[str, str]]]:
    by_subject: dict[str, list[tuple[str, str]]] = {}
    for sub, role, domain in grouping:
        by_subject.setdefault(sub, []).append((role, domain))
    return by_subject


class Authorizer:
    """Holds the current snapshot; swaps in a new one when the rules change."""

    def __init__(self, sessionmaker: async_sessionmaker[AsyncSession], listen_dsn: str) -> None:
        self._sessionmaker = sessionmaker
        self._listen_dsn = listen_dsn
        self._snapshot = Snapshot(build_enforcer([]), {})
        self._decisions: dict[tuple[frozenset[str], str], bool] = {}
        self._dirty = asyncio.Event()
        self._reload_lock = asyncio.Lock()
        self._tasks: list[asyncio.Task[None]] = []
        self.reloads = 0

    def allowed(self, user_id: object, domain: str, permission: str) -> bool:
        """Casbin's answer, cached by (roles held here, permission): it depends on nothing
        else, and few users differ in that, so the cache stays warm across users and across
        reloads of the role assignments (the policy file does not change while running)."""
        snapshot = self._snapshot
        sub = subject(user_id)
        roles = snapshot.roles(sub, domain)
        if not roles:
            return False
        key = (roles, permission)
        decision = self._decisions.get(key)
        if decision is None:
            decision = bool(snapshot.enforcer.enforce(sub, permission, domain))
            self._decisions[key] = decision
        return decision

    def roles_of(self, user_id: object) -> list[tuple[str, str]]:
        """(role, domain) pairs in force for a user, as the enforcer sees them."""
        return sorted(self._snapshot.roles_by_subject.get(subject(user_id), []))

    def tenant_active(self, code: str) -> bool | None:
        """True or False for a known tenant, None when this process has not seen it."""
        return self._snapshot.tenants.get(code)

    async def allowed_for_token(
        self, user_id: object, domain: str, permission: str, issued_at: float
    ) -> bool:
        """Like allowed(); a denial for a token newer than the rules rereads them once, so a
        provider that has just signed up, or a user just granted a role, is not turned away
        while the change notice is still on its way."""
        if self.allowed(user_id, domain, permission):
            return True
        # JWT times are whole seconds: the token was issued at most one second after "iat".
        issued_by = issued_at + 1
        if self._snapshot.read_at > issued_by:
            return False
        await self.reload(unless_read_after=issued_by)
        return self.allowed(user_id, domain, permission)

    async def reload(self, unless_read_after: float | None = None) -> None:
        async with self._reload_lock:
            if unless_read_after is not None and self._snapshot.read_at > unless_read_after:
                return  # someone reloaded while we waited for the lock
            read_at = time.time()
            async with self._sessionmaker() as session, session.begin():
                grouping, tenants = await load_rules(session)
            # Building the enforcer is CPU work; keep it off the event loop.
            enforcer = await asyncio.to_thread(build_enforcer, grouping)
            self._snapshot = Snapshot(enforcer, tenants, index_roles(grouping), read_at)
        self.reloads += 1
        log.info("authz_reloaded", rules=len(grouping), tenants=len(tenants))

    async def start(self) -> None:
        await self.reload()
        self._tasks = [
            asyncio.create_task(self._listen(), name="authz-listen"),
            asyncio.create_task(self._reload_when_dirty(), name="authz-reload"),
        ]

    async def stop(self) -> None:
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _listen(self) -> None:
        """Keep one LISTEN connection; after any reconnect, reload in case we missed news."""
        while True:
            connection: Any = None
            try:
                connection = await asyncpg.connect(self._listen_dsn)
                closed = asyncio.Event()
                connection.add_termination_listener(lambda *_, done=closed: done.set())
                await connection.add_listener(CHANNEL, lambda *_: self._dirty.set())
                self._dirty.set()
                await closed.wait()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("authz_listener_down", error=str(exc))
            finally:
                if connection is not None and not connection.is_closed():
                    await connection.close()
            await asyncio.sleep(1)

    async def _reload_when_dirty(self) -> None:
        while True:
            await self._dirty.wait()
            await asyncio.sleep(0.05)  # coalesce a burst of changes into one rebuild
            self._dirty.clear()
            try:
                await self.reload()
            except asyncio.CancelledError:
                raise
            except Exception as exc:
                log.warning("authz_reload_failed", error=str(exc))
                await asyncio.sleep(1)
                self._dirty.set()
