"""A small process supervisor for ``make run``: it watches every child, restarts one that
exits unexpectedly with exponential backoff, and gives up (stops everything, exit code 1) when
a child keeps failing.

Each child runs in a session of its own, so Ctrl-C reaches only this process, which then asks
every child once to stop (a second signal makes some of them skip their clean shutdown). A
child that exits takes its process group with it: the workers granian or dramatiq had started
would otherwise hold the port or the queue after their parent is gone.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import structlog

log = structlog.get_logger(__name__)

_PR_SET_PDEATHSIG = 1
try:  # loaded here, not in the child between fork and exec
    _LIBC: ctypes.CDLL | None = ctypes.CDLL(None, use_errno=True)
except OSError:  # pragma: no cover - not Linux
    _LIBC = None


def term_with_parent() -> None:  # pragma: no cover - runs in the child before exec
    """Linux: SIGTERM to the child if its parent is killed (kill -9 included)."""
    if _LIBC is not None and sys.platform.startswith("linux"):
        _LIBC.prctl(_PR_SET_PDEATHSIG, signal.SIGTERM)


@dataclass(frozen=True)
class Policy:
    """When to restart and when to give up."""

    first_backoff: float = 1.0  # seconds before the first restart
    max_backoff: float = 30.0  # the doubling stops here
    healthy_after: float = 60.0  # a run this long resets the backoff
    max_restarts: int = 5  # this many restarts ...
    restart_window: float = 60.0  # ... within this many seconds: give up
    stop_grace: float = 15.0  # after SIGTERM, before SIGKILL
    poll_interval: float = 0.2


@dataclass
class _Child:
    name: str
    argv: Sequence[str]
    process: subprocess.Popen[bytes] | None = None
    started_at: float = 0.0
    restart_at: float | None = None  # set while waiting out the backoff
    backoff: float = 0.0
    restarts: deque[float] = field(default_factory=deque)


class Supervisor:
    """Runs ``programs`` (name -> argv) until ``stop()`` is called or one keeps failing."""

    def __init__(
        self,
        programs: Mapping[str, Sequence[str]],
        *,
        env: Mapping[str, str] | None = None,
        policy: Policy | None = None,
    ) -> None:
        self.policy = policy or Policy()
        self.env = dict(env if env is not None else os.environ)
        self.children = [_Child(name, list(argv)) for name, argv in programs.items()]
        self._stop_requested = False
        self.log: Any = log

    def stop(self, *_: object) -> None:
        """Ask the run loop to stop every child and return; safe in a signal handler."""
        self._stop_requested = True

    def pids(self) -> dict[str, int]:
        """The pid of each child running now."""
        return {
            c.name: c.process.pid
            for c in self.children
            if c.process is not None and c.process.returncode is None
        }

    def run(self) -> int:
        """Start every child and watch them all: 0 after ``stop()``, 1 after giving up."""
        for child in self.children:
            self._start(child)
        code = 0
        while not self._stop_requested:
            for child in self.children:
                if not self._watch(child):
                    code = 1
                    break
            else:
                time.sleep(self.policy.poll_interval)
                continue
            break
        self._stop_all()
        return code

    def _start(self, child: _Child) -> None:
        child.process = subprocess.Popen(  # noqa: S603 - argv comes from our own caller
            child.argv,
            env=self.env,
            start_new_session=True,
            preexec_fn=term_with_parent,
        )
        child.started_at = time.monotonic()
        child.restart_at = None

    def _watch(self, child: _Child) -> bool:
        """One look at a child: reap and schedule a restart, or restart it when due.
        False when it has failed too often and the supervisor should give up."""
        now = time.monotonic()
        if child.restart_at is not None:
            if now >= child.restart_at:
                self._start(child)
                assert child.process is not None
                self.log.warning("process_restarted", process=child.name, pid=child.process.pid)
            return True
        assert child.process is not None
        if not _exited(child.process):
            return True
        pid = child.process.pid
        _kill_group(pid)  # what it leaves behind, while the group id is still ours
        code = child.process.wait()
        ran = now - child.started_at
        window_start = now - self.policy.restart_window
        while child.restarts and child.restarts[0] < window_start:
            child.restarts.popleft()
        if len(child.restarts) >= self.policy.max_restarts:
            self.log.error(
                "process_gave_up",
                process=child.name,
                pid=pid,
                exit_code=code,
                restarts=len(child.restarts),
                within_seconds=self.policy.restart_window,
            )
            return False
        if ran >= self.policy.healthy_after or child.backoff == 0:
            child.backoff = self.policy.first_backoff
        else:
            child.backoff = min(child.backoff * 2, self.policy.max_backoff)
        child.restarts.append(now)
        child.restart_at = now + child.backoff
        self.log.error(
            "process_exited",
            process=child.name,
            pid=pid,
            exit_code=code,
            ran_seconds=round(ran, 1),
            restart_in_seconds=child.backoff,
        )
        return True

    def _stop_all(self) -> None:
        """SIGTERM to every child (each stops its own workers), SIGKILL to what lingers."""
        running = [c.process for c in self.children if c.process and c.process.returncode is None]
        for process in running:
            if not _exited(process):
                with contextlib.suppress(ProcessLookupError):
                    process.terminate()
        deadline = time.monotonic() + self.policy.stop_grace
        for process in running:
            while not _exited(process) and time.monotonic() < deadline:
                time.sleep(0.05)
            _kill_group(process.pid)
            process.wait()


def _exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the child has exited, without reaping it: until it is reaped its pid, and so
    its process group's id, cannot be given to another process."""
    if process.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)
