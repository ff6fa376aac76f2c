"""Child processes of the bench (relay, workers): started in their own process group with
their output in a log file, always stopped with their whole group, and their CPU time read
from /proc (Linux; elsewhere the CPU figures are left out)."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

from services.entry.supervisor import term_with_parent

ROOT = Path(__file__).resolve().parents[1]


@dataclass
class Child:
    name: str
    process: subprocess.Popen[bytes]
    log_path: Path

    def alive(self) -> bool:
        return not exited(self.process)

    def log_tail(self, lines: int = 30) -> str:
        try:
            text = self.log_path.read_text(encoding="utf-8", errors="replace")
        except OSError:
            return ""
        return "\n".join(text.splitlines()[-lines:])

    def check(self) -> None:
        if not self.alive():
            raise RuntimeError(f"{self.name} exited early:\n{self.log_tail()}")

    def cpu_seconds(self) -> float | None:
        """User + system CPU of the process and its live descendants; None off Linux."""
        return tree_cpu_seconds(self.process.pid)


def child_env(**overrides: str) -> dict[str, str]:
    env = os.environ.copy()
    env.update(overrides)
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env


def start(name: str, args: Sequence[str], env: dict[str, str], log_dir: Path) -> Child:
    """``python <args>`` in a new session (so Ctrl-C reaches the bench, which stops it)."""
    log_path = log_dir / f"{name}.log"
    with log_path.open("wb") as log:
        process = subprocess.Popen(  # noqa: S603 - our own interpreter and modules
            [sys.executable, *args],
            cwd=ROOT,
            env=env,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            preexec_fn=term_with_parent,
        )
    return Child(name, process, log_path)


def exited(process: subprocess.Popen[bytes]) -> bool:
    """Whether the child has exited, without reaping it: while it is unreaped its pid, and
    so its process group's id, cannot be handed to anyone else."""
    if process.returncode is not None:
        return True
    try:
        return os.waitid(os.P_PID, process.pid, os.WEXITED | os.WNOHANG | os.WNOWAIT) is not None
    except ChildProcessError:
        return True


def stop_group(process: subprocess.Popen[bytes], timeout: float = 20) -> None:
    """SIGTERM to the child (dramatiq's and granian's main processes stop their own), wait,
    then SIGKILL to whatever is left of its process group (start_new_session made the child
    its leader), then reap it. The group is signalled only while the child is unreaped, so
    the group id is still this bench's."""
    if process.returncode is None:
        if not exited(process):
            with contextlib.suppress(ProcessLookupError):
                process.terminate()
            deadline = time.monotonic() + timeout
            while not exited(process) and time.monotonic() < deadline:
                time.sleep(0.05)
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.killpg(process.pid, signal.SIGKILL)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=timeout)
        # Until the killed members are gone (reaped by init), they still hold sockets.
        deadline = time.monotonic() + timeout
        while _group_alive(process.pid) and time.monotonic() < deadline:
            time.sleep(0.05)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=timeout)


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except (ProcessLookupError, PermissionError):
        return False
    return True


def stop(child: Child, timeout: float = 20) -> None:
    stop_group(child.process, timeout)


@contextlib.contextmanager
def running(name: str, args: Sequence[str], env: dict[str, str], log_dir: Path) -> Iterator[Child]:
    child = start(name, args, env, log_dir)
    try:
        yield child
    finally:
        stop(child)


def _proc_stats() -> dict[int, tuple[int, int]] | None:
    """pid -> (parent pid, CPU clock ticks) of every process visible in /proc."""
    proc = Path("/proc")
    if not (proc / "self" / "stat").exists():
        return None
    stats: dict[int, tuple[int, int]] = {}
    for entry in proc.iterdir():
        if not entry.name.isdigit():
            continue
        try:
            raw = (entry / "stat").read_text()
        except OSError:
            continue  # gone meanwhile
        fields = raw.rsplit(")", 1)[1].split()  # after "pid (comm)"; comm may hold spaces
        stats[int(entry.name)] = (int(fields[1]), int(fields[11]) + int(fields[12]))
    return stats


def tree_cpu_seconds(root: int) -> float | None:
    stats = _proc_stats()
    if stats is None or root not in stats:
        return None
    children: dict[int, list[int]] = {}
    for pid, (parent, _) in stats.items():
        children.setdefault(parent, []).append(pid)
    ticks, todo = 0, [root]
    while todo:
        pid = todo.pop()
        ticks += stats[pid][1]
        todo.extend(children.get(pid, ()))
    return ticks / os.sysconf("SC_CLK_TCK")
