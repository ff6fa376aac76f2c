"""Bench-only jobs, both sides of part 3.

The target: ``bench.claim_only``, a job registered with ``services.kit.jobs.job`` that does
nothing of its own, so what it costs is the machinery's: ``run_once``'s tenant-bound
transaction and its idempotency claim in ``processed_messages``. The real worker loads it
with ``WORKER_EXTRA_MODULES=bench.jobs``; importing this module declares nothing on a broker.

The baseline: ``bench.bare_noop``, a plain dramatiq actor (no transaction, no claim) with the
same arguments, declared by ``bench.bare_worker`` on a broker built the same way. Its only
effect is one byte appended to ``BENCH_COUNT_FILE``, so the bench can count completions
across worker processes and threads for the cost of one ``write`` system call.
"""

from __future__ import annotations

import functools
import os
from typing import Any

import dramatiq

from services.kit.jobs import JobContext, job

CLAIM_JOB = "bench.claim_only"
CLAIM_QUEUE = "bench_jobs"
BARE_ACTOR = "bench.bare_noop"
BARE_QUEUE = "bench_bare"
COUNT_FILE_ENV = "BENCH_COUNT_FILE"


@job(CLAIM_JOB, queue_name=CLAIM_QUEUE)
async def claim_only(ctx: JobContext, payload: dict[str, Any]) -> None:
    """Nothing beyond what every job does: the claim, committed in the job's transaction."""


@functools.cache
def _count_fd(pid: int) -> int:
    """This process's descriptor on the count file (per pid: worker processes are forked)."""
    return os.open(os.environ[COUNT_FILE_ENV], os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)


def bare_noop(
    tenant: str, message_key: str, payload: dict[str, Any], request_id: str | None = None
) -> None:
    """No work at all; one appended byte says it ran (O_APPEND: atomic across processes)."""
    os.write(_count_fd(os.getpid()), b".")


def declare_bare(broker: dramatiq.Broker, queue_prefix: str) -> dramatiq.Actor[Any, Any]:
    declare = dramatiq.actor(
        actor_name=BARE_ACTOR, queue_name=queue_prefix + BARE_QUEUE, broker=broker
    )
    actor: dramatiq.Actor[Any, Any] = declare(bare_noop)
    return actor
