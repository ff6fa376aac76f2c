"""Load generators: ``wrk`` when the machine has it, otherwise a small asyncio HTTP/1.1 client.

Both hold a fixed number of keep-alive connections, each sending its next request as soon as
the previous response is complete (closed loop), for a bounded time and a bounded number of
requests, and only ever to 127.0.0.1.
"""

from __future__ import annotations

import asyncio
import math
import re
import shutil
import subprocess
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import cast

HOST = "127.0.0.1"
# Hard caps on top of the duration, whatever the caller asks for.
MAX_SECONDS = 60.0
MAX_REQUESTS = 2_000_000
MAX_CONCURRENCY = 512


@dataclass
class LoadResult:
    generator: str
    path: str
    concurrency: int
    seconds: float
    requests: int
    ok: int
    non_2xx: int
    errors: int
    p50_ms: float
    p99_ms: float
    statuses: dict[int, int] = field(default_factory=dict)
    timeouts: int = 0  # of the errors, requests wrk gave up on after its --timeout

    @property
    def rps(self) -> float:
        return self.requests / self.seconds if self.seconds > 0 else 0.0


def _bounded(concurrency: int, seconds: float) -> tuple[int, float]:
    if not 1 <= concurrency <= MAX_CONCURRENCY:
        raise ValueError(f"concurrency must be 1..{MAX_CONCURRENCY}")
    if not 0 < seconds <= MAX_SECONDS:
        raise ValueError(f"duration must be in (0, {MAX_SECONDS}] seconds")
    return concurrency, seconds


def percentile(sorted_values: list[float], q: float) -> float:
    """Nearest-rank percentile of an already sorted list."""
    if not sorted_values:
        return math.nan
    rank = max(1, math.ceil(q / 100 * len(sorted_values)))
    return sorted_values[min(rank, len(sorted_values)) - 1]


# --- the asyncio client ------------------------------------------------------------------


def _chunked_length(buf: bytearray) -> int:
    """Bytes a complete chunked body takes at the start of ``buf``; -1 when incomplete."""
    pos = 0
    while True:
        eol = buf.find(b"\r\n", pos)
        if eol < 0:
            return -1
        size = int(bytes(buf[pos:eol]).split(b";", 1)[0].strip() or b"0", 16)
        pos = eol + 2
        if size == 0:
            end = buf.find(b"\r\n\r\n", pos - 2)  # no trailers: the CRLF right after "0\r\n"
            return -1 if end < 0 else end + 4
        if len(buf) < pos + size + 2:
            return -1
        pos += size + 2


class _Run:
    """Shared bookkeeping of one measurement: the deadline, the caps, what came back."""

    def __init__(self, request: bytes, seconds: float) -> None:
        self.request = request
        self.started = time.perf_counter()
        self.deadline = self.started + seconds
        self.sent = 0
        self.latencies: list[float] = []
        self.statuses: dict[int, int] = {}
        self.errors = 0

    def may_send(self) -> bool:
        return self.sent < MAX_REQUESTS and time.perf_counter() < self.deadline


class _Connection(asyncio.Protocol):
    def __init__(self, run: _Run, done: asyncio.Future[None]) -> None:
        self.run = run
        self.done = done
        self.transport: asyncio.Transport | None = None
        self.buf = bytearray()
        self.sent_at = 0.0
        self.status = 0
        self.length = -1  # body bytes still expected; -2: chunked; -1: reading headers
        self.keep_alive = True

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports do not subclass asyncio.Transport, but have its methods.
        self.transport = cast(asyncio.Transport, transport)
        self._next()

    def _next(self) -> None:
        assert self.transport is not None
        if not self.keep_alive or not self.run.may_send():
            self.transport.close()
            return
        self.run.sent += 1
        self.sent_at = time.perf_counter()
        self.transport.write(self.run.request)

    def data_received(self, data: bytes) -> None:
        self.buf += data
        while True:
            if self.length == -1:
                end = self.buf.find(b"\r\n\r\n")
                if end < 0:
                    return
                head = bytes(self.buf[:end]).decode("latin-1").split("\r\n")
                del self.buf[: end + 4]
                self.status = int(head[0].split(" ", 2)[1])
                headers = {
                    name.strip().lower(): value.strip()
                    for name, _, value in (line.partition(":") for line in head[1:])
                }
                self.keep_alive = headers.get("connection", "").lower() != "close"
                if headers.get("transfer-encoding", "").lower() == "chunked":
                    self.length = -2
                else:
                    self.length = int(headers.get("content-length", "0"))
            if self.length == -2:
                used = _chunked_length(self.buf)
                if used < 0:
                    return
            else:
                if len(self.buf) < self.length:
                    return
                used = self.length
            del self.buf[:used]
            self.length = -1
            self.run.latencies.append(time.perf_counter() - self.sent_at)
            self.run.statuses[self.status] = self.run.statuses.get(self.status, 0) + 1
            self._next()
            if not self.buf:
                return

    def connection_lost(self, exc: Exception | None) -> None:
        if self.length != -1 or exc is not None:
            self.run.errors += 1
        if not self.done.done():
            self.done.set_result(None)


async def _asyncio_load(port: int, path: str, headers: dict[str, str], c: int, s: float) -> _Run:
    lines = [f"GET {path} HTTP/1.1", f"Host: {HOST}:{port}", "Accept: application/json"]
    lines += [f"{name}: {value}" for name, value in headers.items()]
    run = _Run(("\r\n".join(lines) + "\r\n\r\n").encode("latin-1"), s)
    loop = asyncio.get_running_loop()
    transports: list[asyncio.BaseTransport] = []
    waits: list[asyncio.Future[None]] = []
    for _ in range(c):
        done: asyncio.Future[None] = loop.create_future()
        try:
            transport, _protocol = await loop.create_connection(
                lambda done=done: _Connection(run, done),  # type: ignore[misc]
                HOST,
                port,
            )
        except OSError:
            run.errors += 1
            continue
        transports.append(transport)
        waits.append(done)
    try:
        if waits:
            _, pending = await asyncio.wait(waits, timeout=s + 30)
            run.errors += len(pending)  # connections still open long after the deadline
    finally:
        for opened in transports:
            opened.close()
    run.deadline = time.perf_counter()  # the end of the run: the last response is in
    return run


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:
        return None
    return uvloop.new_event_loop


def asyncio_generator_name() -> str:
    return "asyncio (raw HTTP/1.1 keep-alive, " + (
        "uvloop)" if _loop_factory() is not None else "default event loop)"
    )


def run_asyncio(
    port: int, path: str, headers: dict[str, str], concurrency: int, seconds: float
) -> LoadResult:
    concurrency, seconds = _bounded(concurrency, seconds)
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        run = runner.run(_asyncio_load(port, path, headers, concurrency, seconds))
    latencies = sorted(run.latencies)
    ok = sum(n for status, n in run.statuses.items() if 200 <= status < 300)
    return LoadResult(
        generator=asyncio_generator_name(),
        path=path,
        concurrency=concurrency,
        seconds=run.deadline - run.started,
        requests=len(latencies),
        ok=ok,
        non_2xx=len(latencies) - ok,
        errors=run.errors,
        p50_ms=percentile(latencies, 50) * 1000,
        p99_ms=percentile(latencies, 99) * 1000,
        statuses=dict(run.statuses),
    )


# --- wrk -----------------------------------------------------------------------------------


def wrk_path() -> str | None:
    return shutil.which("wrk")


_UNITS = {"us": 1e-3, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _ms(value: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", value)
    if match is None:
        raise ValueError(f"unexpected wrk latency {value!r}")
    return float(match[1]) * _UNITS[match[2]]


def parse_wrk(output: str, path: str, concurrency: int) -> LoadResult:
    done = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", output)
    p50 = re.search(r"^\s*50(?:\.000)?%\s+(\S+)", output, re.MULTILINE)
    p99 = re.search(r"^\s*99(?:\.000)?%\s+(\S+)", output, re.MULTILINE)
    if done is None or p50 is None or p99 is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}")
    requests = int(done[1])
    seconds = _ms(done[2] + done[3]) / 1000
    non_2xx_match = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    non_2xx = int(non_2xx_match[1]) if non_2xx_match else 0
    socket = re.search(
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output
    )
    errors = sum(int(n) for n in socket.groups()) if socket else 0
    timeouts = int(socket[4]) if socket else 0
    return LoadResult(
        generator="wrk",
        path=path,
        concurrency=concurrency,
        seconds=seconds,
        requests=requests,
        ok=requests - non_2xx,
        non_2xx=non_2xx,
        errors=errors,
        p50_ms=_ms(p50[1]),
        p99_ms=_ms(p99[1]),
        timeouts=timeouts,
    )


def run_wrk(
    wrk: str,
    port: int,
    path: str,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    *,
    timeout_seconds: int = 10,
    script: Path | None = None,
    script_args: Sequence[str] = (),
) -> LoadResult:
    """wrk against one path, or with ``script`` (a Lua file given ``script_args``) choosing
    each request; a request unanswered after ``timeout_seconds`` counts as a timeout."""
    concurrency, seconds = _bounded(concurrency, seconds)
    whole_seconds = max(1, round(seconds))
    command = [
        wrk,
        "-t2",
        f"-c{concurrency}",
        f"-d{whole_seconds}s",
        "--latency",
        f"--timeout={timeout_seconds}s",
    ]
    for name, value in headers.items():
        command += ["-H", f"{name}: {value}"]
    if script is not None:
        command += ["-s", str(script)]
    command.append(f"http://{HOST}:{port}{path}")
    if script_args:
        command += ["--", *script_args]
    completed = subprocess.run(  # noqa: S603 - wrk found on PATH, fixed local URL
        command, capture_output=True, text=True, timeout=whole_seconds + 60, check=False
    )
    if completed.returncode != 0:
        raise RuntimeError(f"wrk failed ({completed.returncode}): {completed.stderr.strip()}")
    return parse_wrk(completed.stdout, path, concurrency)


def run_load(
    port: int,
    path: str,
    headers: dict[str, str],
    concurrency: int,
    seconds: float,
    *,
    use_wrk: bool,
) -> LoadResult:
    wrk = wrk_path() if use_wrk else None
    if wrk is not None:
        return run_wrk(wrk, port, path, headers, concurrency, seconds)
    return run_asyncio(port, path, headers, concurrency, seconds)
