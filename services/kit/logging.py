"""structlog set-up and the request log line: JSON in production, readable on a terminal."""

from __future__ import annotations

import logging
import re
import sys
import time
import uuid
from collections.abc import MutableMapping
from typing import Any

import structlog
from litestar.types import ASGIApp, Message, Receive, Scope, Send

from services.kit.settings import Settings

_SECRET_KEYS = re.compile(r"pass(word)?|token|secret|authorization|cookie|jwt", re.IGNORECASE)
_REQUEST_ID = re.compile(r"^[A-Za-z0-9._:-]{1,128}$")


def _redact(_: Any, __: str, event: MutableMapping[str, Any]) -> MutableMapping[str, Any]:
    """Last line of defence: a key that names a secret never reaches a log sink."""
    for key in list(event):
        if _SECRET_KEYS.search(key):
            event[key] = "[redacted]"
    return event


class _StderrLogger:
    """Writes each line to the current sys.stderr, so a redirected stream still gets it."""

    def msg(self, message: str) -> None:
        print(message, file=sys.stderr, flush=True)

    debug = info = warning = warn = error = critical = exception = fatal = log = msg


def _stderr_logger(*_: Any) -> _StderrLogger:
    return _StderrLogger()


def configure_logging(settings: Settings) -> None:
    json_output = settings.log_format == "json" or (
        settings.log_format == "auto" and (settings.is_production or not sys.stderr.isatty())
    )
    renderer: Any = (
        structlog.processors.JSONRenderer(ensure_ascii=False)
        if json_output
        else structlog.dev.ConsoleRenderer()
    )
    level = logging.getLevelNamesMapping().get(settings.log_level.upper(), logging.INFO)
    structlog.configure(
        processors=[
            structlog.contextvars.merge_contextvars,
            structlog.processors.add_log_level,
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            _redact,
            structlog.processors.format_exc_info,
            renderer,
        ],
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=_stderr_logger,
        cache_logger_on_first_use=True,
    )


access_log = structlog.get_logger("access")


def request_logging_middleware(app: ASGIApp) -> ASGIApp:
    """Gives each request an id (``X-Request-ID`` in and out) and logs one line when it ends."""

    async def middleware(scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":  # type: ignore[comparison-overlap]
            await app(scope, receive, send)
            return
        incoming = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = incoming if _REQUEST_ID.match(incoming) else uuid.uuid4().hex
        scope.setdefault("state", {})["request_id"] = request_id
        structlog.contextvars.clear_contextvars()
        structlog.contextvars.bind_contextvars(request_id=request_id)
        started = time.perf_counter()
        status = 500

        async def send_wrapper(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                message = {**message, "headers": headers}
            await send(message)

        try:
            await app(scope, receive, send_wrapper)
        finally:
            state = scope.get("state", {})
            access_log.info(
                "request",
                method=scope.get("method"),
                route=state.get("route") or scope.get("path"),
                status=status,
                latency_ms=round((time.perf_counter() - started) * 1000, 2),
                tenant=state.get("tenant"),
                user=state.get("user_id"),
            )
            structlog.contextvars.clear_contextvars()

    return middleware
