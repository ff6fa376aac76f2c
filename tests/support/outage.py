"""Faults of the services around the platform, made real: a TCP proxy the test can cut.

``DatabaseProxy`` listens on a free local port and forwards every byte to PostgreSQL. ``cut()``
stops listening (a new connection is refused, as when the server is down) and drops every
connection open through it (as a server restart does); ``restore()`` listens again on the
same port. It runs its own event loop in a thread, so the API's loop, a test's loop and a
dramatiq worker's loop can all go through it.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import Iterator
from concurrent.futures import Future
from typing import Any
from urllib.parse import parse_qs, urlencode, urlsplit, urlunsplit

from tests.support.network import free_port


class DatabaseProxy:
    def __init__(self, upstream_host: str, upstream_port: int) -> None:
        """A host name, or a Unix socket directory (the embedded server's ``?host=/dir``)."""
        self.host = "127.0.0.1"
        self.port = free_port()
        self._upstream = (upstream_host, upstream_port)
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._server: asyncio.Server | None = None
        self._writers: set[asyncio.StreamWriter] = set()
        self.connections = 0  # accepted so far: shows the app really went through the proxy

    def _call(self, coroutine: Any) -> Any:
        future: Future[Any] = asyncio.run_coroutine_threadsafe(coroutine, self._loop)
        return future.result(timeout=10)

    def start(self) -> None:
        self._thread.start()
        self.restore()

    def stop(self) -> None:
        self.cut()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(timeout=5)

    def restore(self) -> None:
        self._call(self._listen())

    def cut(self) -> None:
        self._call(self._cut())

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(
                self._serve, self.host, self.port, reuse_address=True
            )

    async def _cut(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
            self._server = None
        for writer in list(self._writers):
            writer.transport.abort()  # a reset, not a polite close: the server "died"
        self._writers.clear()

    async def _serve(
        self, client_in: asyncio.StreamReader, client_out: asyncio.StreamWriter
    ) -> None:
        self.connections += 1
        try:
            host, port = self._upstream
            if host.startswith("/"):
                server_in, server_out = await asyncio.open_unix_connection(
                    f"{host}/.s.PGSQL.{port}"
                )
            else:
                server_in, server_out = await asyncio.open_connection(host, port)
        except OSError:
            client_out.transport.abort()
            return
        self._writers.update((client_out, server_out))
        await asyncio.gather(self._pipe(client_in, server_out), self._pipe(server_in, client_out))

    async def _pipe(self, source: asyncio.StreamReader, sink: asyncio.StreamWriter) -> None:
        try:
            while chunk := await source.read(65536):
                sink.write(chunk)
                await sink.drain()
        except (ConnectionError, OSError):
            pass
        finally:
            self._writers.discard(sink)
            with contextlib.suppress(Exception):
                sink.transport.abort()

    def url(self, url: str) -> str:
        """``url`` (any user and database) reaching the server through this proxy."""
        parts = urlsplit(url)
        credentials = parts.netloc.rpartition("@")[0]
        address = f"{self.host}:{self.port}"
        query = {k: v for k, v in parse_qs(parts.query).items() if k != "host"}
        return urlunsplit(
            parts._replace(
                netloc=f"{credentials}@{address}" if credentials else address,
                query=urlencode(query, doseq=True),
            )
        )


@contextlib.contextmanager
def database_proxy(database_url: str) -> Iterator[DatabaseProxy]:
    """A proxy in front of the server ``database_url`` names, for the length of the block."""
    parts = urlsplit(database_url)
    socket_dir = parse_qs(parts.query).get("host", [""])[0]
    proxy = DatabaseProxy(socket_dir or parts.hostname or "127.0.0.1", parts.port or 5432)
    proxy.start()
    try:
        yield proxy
    finally:
        proxy.stop()
