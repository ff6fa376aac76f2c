"""The Casbin check at scale: 3,000 tenants × 10 users, the real model.conf and policy.csv.

No database: the grouping rules are generated in the shape ``load_rules`` returns them, and
the real ``Authorizer`` is fed them through its own ``reload()`` (with ``load_rules`` swapped
for one that returns the generated rows). Every decision is checked against what the rules
say, so a fast wrong answer cannot pass for a fast right one.
"""

from __future__ import annotations

import asyncio
import statistics
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from types import TracebackType
from typing import Any, cast

import casbin
from sqlalchemy.ext.asyncio import AsyncSession

from services.kit.authz import enforcer as enforcer_module
from services.kit.authz.enforcer import (
    PLATFORM_DOMAIN,
    Authorizer,
    build_enforcer,
    read_policy,
    subject,
)
from services.kit.authz.roles import Role

TENANTS = 3_000
USERS_PER_TENANT = 10
# The ten users of a tenant, by role: an admin, the bureaus' staff, outside reviewers.
TENANT_STAFF = [
    Role.tenant_admin,
    Role.civil_affairs_officer,
    Role.civil_affairs_approver,
    Role.finance_officer,
    Role.finance_approver,
    Role.partner_department,
    Role.expert,
    Role.evaluator,
    Role.civil_affairs_officer,
    Role.finance_officer,
]
PLATFORM_GRANTS = [Role.platform_admin, Role.ministry_viewer]
PROVIDER_USERS = 20  # provider_admin / provider_staff, held in "*"
KEYS_PER_CASE = 500
CACHED_ROUNDS = 50
SCALING_TENANTS = (300, 1_000)
TARGET_US = 50.0


@dataclass(frozen=True)
class World:
    grouping: list[list[str]]
    tenants: dict[str, bool]
    users: list[tuple[uuid.UUID, Role, str]]  # (user, role, tenant) of tenant staff
    grants: dict[Role, frozenset[str]]  # role -> permissions from policy.csv


def tenant_code(index: int) -> str:
    """Distinct city-level GB/T 2260-shaped codes: PP CC 00, PP from 11, CC from 01."""
    return f"{11 + index // 99:02d}{1 + index % 99:02d}00"


def make_world(tenant_count: int = TENANTS) -> World:
    grouping: list[list[str]] = []
    users: list[tuple[uuid.UUID, Role, str]] = []
    tenants: dict[str, bool] = {}
    for t in range(tenant_count):
        code = tenant_code(t)
        tenants[code] = True
        for role in TENANT_STAFF[:USERS_PER_TENANT]:
            user = uuid.uuid4()
            users.append((user, role, code))
            grouping.append([subject(user), role.value, code])
    for role in PLATFORM_GRANTS:
        grouping.append([subject(uuid.uuid4()), role.value, PLATFORM_DOMAIN])
    for i in range(PROVIDER_USERS):
        role = Role.provider_admin if i % 2 == 0 else Role.provider_staff
        grouping.append([subject(uuid.uuid4()), role.value, PLATFORM_DOMAIN])
    grants: dict[Role, set[str]] = {}
    for role_name, permission in read_policy():
        grants.setdefault(Role(role_name), set()).add(permission)
    return World(grouping, tenants, users, {r: frozenset(p) for r, p in grants.items()})


class _NoSession:
    """Stands in for the sessionmaker: ``reload()`` opens a session and a transaction."""

    def __call__(self) -> _NoSession:
        return self

    def begin(self) -> _NoSession:
        return self

    async def __aenter__(self) -> _NoSession:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        return None


@contextmanager
def rules_from(world: World, build_ms: list[float]) -> Iterator[None]:
    """Make ``load_rules`` return the generated rows instead of reading PostgreSQL, and time
    each ``build_enforcer`` call that ``reload()`` makes (into ``build_ms``)."""

    async def load_rules(session: AsyncSession) -> tuple[list[list[str]], dict[str, bool]]:
        return [list(rule) for rule in world.grouping], dict(world.tenants)

    def timed_build(grouping: list[list[str]]) -> casbin.Enforcer:
        started = time.perf_counter()
        try:
            return build_enforcer(grouping)
        finally:
            build_ms.append((time.perf_counter() - started) * 1000)

    originals = enforcer_module.load_rules, enforcer_module.build_enforcer
    enforcer_module.load_rules = load_rules
    enforcer_module.build_enforcer = timed_build
    try:
        yield
    finally:
        enforcer_module.load_rules, enforcer_module.build_enforcer = originals


def _authorizer() -> Authorizer:
    return Authorizer(cast(Any, _NoSession()), "postgresql://unused.invalid/none")


def _keys(world: World, allow: bool, count: int, offset: int) -> list[tuple[uuid.UUID, str, str]]:
    """(user, domain, permission) cases with a known answer.

    Allow: a permission of the user's role, in the user's own tenant. Deny: alternately the
    same permission in a tenant where the user holds nothing, and a permission the role lacks
    in the user's own tenant.
    """
    all_permissions = sorted(set().union(*world.grants.values()))
    position = {code: i for i, code in enumerate(world.tenants)}
    keys: list[tuple[uuid.UUID, str, str]] = []
    step = max(1, len(world.users) // count)
    for n in range(count):
        user, role, tenant = world.users[(offset + n * step) % len(world.users)]
        granted = sorted(world.grants[role])
        if allow:
            keys.append((user, tenant, granted[n % len(granted)]))
        elif n % 2 == 0:
            other = tenant_code((position[tenant] + 1) % TENANTS)
            keys.append((user, other, granted[n % len(granted)]))
        else:
            lacking = [p for p in all_permissions if p not in world.grants[role]]
            keys.append((user, tenant, lacking[n % len(lacking)]))
    return keys


@dataclass(frozen=True)
class Timing:
    label: str
    checks: int
    mean_us: float
    p50_us: float
    p99_us: float


def _time_each(label: str, calls: list[Callable[[], bool]], expected: bool) -> Timing:
    samples: list[float] = []
    clock = time.perf_counter_ns
    for call in calls:
        started = clock()
        decision = call()
        samples.append((clock() - started) / 1000)
        if decision is not expected:
            raise AssertionError(f"{label}: got {decision}, the rules say {expected}")
    samples.sort()
    return Timing(
        label,
        len(samples),
        statistics.fmean(samples),
        samples[len(samples) // 2],
        samples[min(len(samples) - 1, int(len(samples) * 0.99))],
    )


def _time_loop(
    label: str, authorizer: Authorizer, keys: list[tuple[uuid.UUID, str, str]], expected: bool
) -> Timing:
    """Cached decisions cost well under a microsecond: time whole passes, not single calls."""
    allowed = authorizer.allowed
    for user, domain, permission in keys:
        if allowed(user, domain, permission) is not expected:
            raise AssertionError(f"{label}: wrong decision for {(user, domain, permission)}")
    passes: list[float] = []
    for _ in range(CACHED_ROUNDS):
        started = time.perf_counter_ns()
        for user, domain, permission in keys:
            allowed(user, domain, permission)
        passes.append((time.perf_counter_ns() - started) / 1000 / len(keys))
    passes.sort()
    return Timing(
        label,
        CACHED_ROUNDS * len(keys),
        statistics.fmean(passes),
        passes[len(passes) // 2],
        passes[-1],  # the slowest pass's per-check mean
    )


@dataclass(frozen=True)
class AuthzReport:
    rules: int
    policy_lines: int
    build_ms: float
    reload_ms: float
    growth: list[tuple[int, float]]
    timings: list[Timing]


def scaling(sizes: tuple[int, ...] = SCALING_TENANTS) -> list[tuple[int, float]]:
    """build_enforcer time at smaller sizes, to show how it grows with the rule count."""
    points: list[tuple[int, float]] = []
    for tenants in sizes:
        grouping = make_world(tenants).grouping
        started = time.perf_counter()
        build_enforcer(grouping)
        points.append((len(grouping), (time.perf_counter() - started) * 1000))
    return points


def run() -> AuthzReport:
    world = make_world()
    growth = scaling()
    # One build at full size, the one the real reload() makes (each takes tens of seconds).
    build_ms: list[float] = []
    authorizer = _authorizer()
    with rules_from(world, build_ms):
        started = time.perf_counter()
        asyncio.run(authorizer.reload())
        reload_ms = (time.perf_counter() - started) * 1000
    enforcer = authorizer._snapshot.enforcer  # the one reload() built, to call enforce() on

    allow_cold = _keys(world, True, KEYS_PER_CASE, 0)
    deny_cold = _keys(world, False, KEYS_PER_CASE, 0)
    allow_first = _keys(world, True, KEYS_PER_CASE, 5)
    deny_first = _keys(world, False, KEYS_PER_CASE, 5)

    def enforce_call(key: tuple[uuid.UUID, str, str]) -> Callable[[], bool]:
        sub, dom, obj = subject(key[0]), key[1], key[2]
        return lambda: bool(enforcer.enforce(sub, obj, dom))  # the model orders r = sub, obj, dom

    def allowed_call(key: tuple[uuid.UUID, str, str]) -> Callable[[], bool]:
        return lambda: authorizer.allowed(*key)

    timings = [
        _time_each(
            "first call, allow   Authorizer.allowed(), new key",
            [allowed_call(k) for k in allow_first],
            True,
        ),
        _time_each(
            "first call, deny    Authorizer.allowed(), new key",
            [allowed_call(k) for k in deny_first],
            False,
        ),
        _time_loop(
            "cached, allow       Authorizer.allowed(), seen key", authorizer, allow_first, True
        ),
        _time_loop(
            "cached, deny        Authorizer.allowed(), seen key", authorizer, deny_first, False
        ),
        _time_each(
            "uncached, allow     enforcer.enforce()", [enforce_call(k) for k in allow_cold], True
        ),
        _time_each(
            "uncached, deny      enforcer.enforce()", [enforce_call(k) for k in deny_cold], False
        ),
    ]
    return AuthzReport(
        rules=len(world.grouping),
        policy_lines=len(read_policy()),
        build_ms=build_ms[0],
        growth=growth,
        reload_ms=reload_ms,
        timings=timings,
    )
