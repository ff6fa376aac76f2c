"""A real webhook receiver: an HTTP server in a thread that checks every signature it gets."""

from __future__ import annotations

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@dataclass
class Hit:
    path: str
    headers: dict[str, str]
    body: bytes
    verified: bool

    @property
    def json(self) -> dict[str, Any]:
        parsed: dict[str, Any] = json.loads(self.body)
        return parsed


def receiver_verifies(secret: str, header: str, body: bytes) -> bool:
    """The receiver's own check, written from the documented scheme (not the platform's code):
    HMAC-SHA256 over "<t>." + body, hex, and a timestamp within five minutes."""
    fields = dict(part.split("=", 1) for part in header.split(",") if "=" in part)
    if "t" not in fields or "v1" not in fields or abs(time.time() - int(fields["t"])) > 300:
        return False
    expected = hmac.new(secret.encode(), f"{fields['t']}.".encode() + body, hashlib.sha256)
    return hmac.compare_digest(expected.hexdigest(), fields["v1"])


@dataclass
class Receiver:
    """POST /ok/<name> answers 200, /fail/<name> answers 500; every request is kept with
    whether its signature verified against the secret registered for its path."""

    base_url: str = ""
    secrets: dict[str, str] = field(default_factory=dict)
    hits: list[Hit] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    def at(self, path: str) -> list[Hit]:
        with self.lock:
            return [hit for hit in self.hits if hit.path == path]


@contextmanager
def serving_receiver() -> Iterator[Receiver]:
    """A receiver listening on a free local port for the length of the block."""
    state = Receiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            secret = state.secrets.get(self.path, "")
            signature = self.headers.get("X-SWS-Signature", "")
            hit = Hit(
                self.path,
                {k.lower(): v for k, v in self.headers.items()},
                body,
                bool(secret) and receiver_verifies(secret, signature, body),
            )
            with state.lock:
                state.hits.append(hit)
            status = 200 if self.path.startswith("/ok/") and hit.verified else 500
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    state.base_url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield state
    finally:
        server.shutdown()
        server.server_close()
