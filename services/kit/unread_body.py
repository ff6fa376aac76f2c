"""Answering before the request body is read (the guard refuses first) without breaking the
client's keep-alive connection.

HTTP/1.1 lets a server answer before it has read the whole request, but then it must either
read and discard the rest or close the connection, and should say which (RFC 9110 §15,
"Status Codes"; RFC 9112 §9.6). Unread bytes are the start of the "next request" to the
server: granian cannot reuse the connection and drops it, without ``Connection: close``, and
a client sending its next request on it gets nothing back. Closing is the weaker choice:
closing a socket with unread data in it makes the TCP stack send a reset, which can discard
the response before the client reads it (RFC 9112 §9.6), and every refusal costs a new
connection. So the rest of the body is read and discarded before the response starts, up to
MAX_REQUEST_BODY_BYTES (what the app would have read anyway); a body larger than that, or one
the client waits to send (``Expect: 100-continue``, where reading would invite it), is not
read, and the response says ``Connection: close``.
"""

from __future__ import annotations

from collections.abc import Callable

from litestar.enums import ScopeType
from litestar.types import ASGIApp, Message, Receive, ReceiveMessage, Scope, Send


def _request_body(scope: Scope) -> tuple[bool, int | None, bool]:
    """(does the request have a body, its Content-Length if given, does it expect 100)."""
    headers = dict(scope["headers"])
    chunked = b"transfer-encoding" in headers
    raw_length = headers.get(b"content-length", b"").strip()
    length = int(raw_length) if raw_length.isdigit() else None
    expects = headers.get(b"expect", b"").lower() == b"100-continue"
    return chunked or bool(length), length, expects


def unread_body_middleware(max_drain_bytes: int) -> Callable[[ASGIApp], ASGIApp]:
    def factory(app: ASGIApp) -> ASGIApp:
        async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != ScopeType.HTTP:
                await app(scope, receive, send)
                return
            has_body, length, expects_continue = _request_body(scope)
            if not has_body:
                await app(scope, receive, send)
                return
            received = 0
            finished = False

            async def tracking_receive() -> ReceiveMessage:
                nonlocal received, finished
                message = await receive()
                if message["type"] == "http.request":
                    received += len(message.get("body", b""))
                    finished = not message.get("more_body", False)
                else:  # http.disconnect: nothing more will come
                    finished = True
                return message

            async def drained() -> bool:
                """Read the rest of the body, if it is small enough; True when all is read."""
                if length is not None and length - received > max_drain_bytes:
                    return False
                if expects_continue and received == 0:
                    return False
                budget = received + max_drain_bytes
                while not finished:
                    if received > budget:
                        return False
                    await tracking_receive()
                return True

            async def settling_send(message: Message) -> None:
                if message["type"] == "http.response.start" and not finished:
                    if not await drained():
                        headers = [
                            (name, value)
                            for name, value in message.get("headers", [])
                            if name.lower() != b"connection"
                        ]
                        message = {**message, "headers": [*headers, (b"connection", b"close")]}
                await send(message)

            await app(scope, tracking_receive, settling_send)

        return middleware

    return factory
