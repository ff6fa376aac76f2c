"""RFC 9457 problem details: every error the API returns, with a stable ``code``."""

from __future__ import annotations

import re
from typing import Any

import msgspec
import structlog
from litestar import Request, Response
from litestar.exceptions import (
    HTTPException,
    NotAuthorizedException,
    NotFoundException,
    PermissionDeniedException,
    SerializationException,
    ValidationException,
)
from litestar.status_codes import HTTP_500_INTERNAL_SERVER_ERROR

from services.kit.types import MULTI_LINE, ONE_LINE

PROBLEM_JSON = "application/problem+json"
log = structlog.get_logger(__name__)


class DomainError(Exception):
    """A refusal the user can act on. Subclasses fix the status and the code."""

    status = 400
    code = "bad_request"
    title = "Bad request"

    def __init__(self, detail: str, *, field: str | None = None, **extra: Any) -> None:
        super().__init__(detail)
        self.detail = detail
        self.field = field
        self.extra = extra


class NotFound(DomainError):
    status = 404
    code = "not_found"
    title = "Not found"

    def __init__(self, detail: str = "The resource does not exist.") -> None:
        super().__init__(detail)


class Forbidden(DomainError):
    status = 403
    code = "forbidden"
    title = "Forbidden"


class Unauthorized(DomainError):
    status = 401
    code = "unauthorized"
    title = "Authentication required"


class Conflict(DomainError):
    status = 409
    code = "conflict"
    title = "Conflict"


class InvalidField(DomainError):
    status = 422
    code = "validation_failed"
    title = "Invalid request"


class TooManyRequests(DomainError):
    status = 429
    code = "too_many_requests"
    title = "Too many requests"


def problem(
    status: int,
    code: str,
    title: str,
    detail: str,
    request: Request[Any, Any, Any] | None = None,
    headers: dict[str, str] | None = None,
    **extra: Any,
) -> Response[dict[str, Any]]:
    body: dict[str, Any] = {
        "type": f"https://errors.sws.gov.cn/{code}",
        "title": title,
        "status": status,
        "detail": detail,
        "code": code,
    }
    if request is not None:
        body["instance"] = request.url.path
        request_id = request.scope.get("state", {}).get("request_id")
        if request_id:
            body["request_id"] = request_id
    body.update(extra)
    return Response(body, status_code=status, media_type=PROBLEM_JSON, headers=headers)


def _domain_error(request: Request[Any, Any, Any], exc: DomainError) -> Response[dict[str, Any]]:
    extra = dict(exc.extra)
    headers = extra.pop("headers", None)
    if exc.field is not None:
        extra["errors"] = [{"field": exc.field, "message": exc.detail}]
    return problem(exc.status, exc.code, exc.title, exc.detail, request, headers, **extra)


_NAMED_FIELD = re.compile(r"(?:missing required|contains unknown) field `([^`]+)`")
_MSGSPEC_PATH = re.compile(r" - at `\$(?P<path>[^`]*)`")
_MISSING_PARAMETER = re.compile(r"^Missing required (?P<kind>\w+) parameter '(?P<name>[^']+)'")
# The text types of services.kit.types, said in words rather than as their regex.
_PATTERN_WORDS = {
    ONE_LINE: "must be one line without control characters (such as NUL)",
    MULTI_LINE: "must not contain control characters (such as NUL)",
}


def _plain(message: str) -> str:
    for pattern, words in _PATTERN_WORDS.items():
        if repr(pattern) in message:
            return words
    return message


def _field_errors(exc: ValidationException) -> list[dict[str, str]]:
    """Litestar reports msgspec errors as ``message - at `$.field```: name the field plainly."""
    errors: list[dict[str, str]] = []
    for item in exc.extra if isinstance(exc.extra, list) else []:
        message = str(item.get("message", ""))
        key = item.get("key")
        match = _MSGSPEC_PATH.search(message)
        if match:
            message = message[: match.start()]
            key = match.group("path").lstrip(".") or key
        named = _NAMED_FIELD.search(message)
        if named:  # "Object missing required field `kind`" is about `kind`, not the body
            prefix = match.group("path").lstrip(".") if match else ""
            key = f"{prefix}.{named.group(1)}" if prefix else named.group(1)
        if key == "data" and message == "'data'":  # Litestar's KeyError: no body was sent
            key, message = "body", "a request body is required"
        errors.append(
            {"field": str(key or item.get("source") or "body"), "message": _plain(message)}
        )
    if not errors:
        missing = _MISSING_PARAMETER.search(exc.detail)
        if missing:
            message = f"the {missing.group('kind')} parameter is required"
            return [{"field": missing.group("name"), "message": message}]
        match = _MSGSPEC_PATH.search(exc.detail)
        field = match.group("path").lstrip(".") if match else "body"
        errors.append({"field": field or "body", "message": _plain(exc.detail)})
    return errors


def _validation_error(
    request: Request[Any, Any, Any], exc: ValidationException
) -> Response[dict[str, Any]]:
    errors = _field_errors(exc)
    if any("JSON" in e["message"] or "malformed" in e["message"].lower() for e in errors):
        return problem(
            400,
            "malformed_body",
            "Malformed request body",
            "The request body is not valid JSON.",
            request,
        )
    detail = "; ".join(f"{e['field']}: {e['message']}" for e in errors)
    return problem(422, "validation_failed", "Invalid request", detail, request, errors=errors)


_HTTP_CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "body_too_large",
    415: "unsupported_media_type",
    429: "too_many_requests",
}


def _caused_by_bad_encoding(exc: BaseException) -> bool:
    """Litestar wraps msgspec's decode error (bad JSON, bad UTF-8) in a plain 400."""
    seen: BaseException | None = exc
    while seen is not None:
        if isinstance(seen, SerializationException | msgspec.DecodeError | UnicodeDecodeError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _http_error(request: Request[Any, Any, Any], exc: HTTPException) -> Response[dict[str, Any]]:
    status = exc.status_code
    code = _HTTP_CODES.get(status, "http_error")
    detail = exc.detail if isinstance(exc.detail, str) else str(exc.detail)
    if _caused_by_bad_encoding(exc):
        status, code = 400, "malformed_body"
        return problem(
            status, code, "Malformed request body", "The request body is not valid JSON.", request
        )
    titles: dict[type[HTTPException], str] = {
        NotFoundException: "Not found",
        PermissionDeniedException: "Forbidden",
        NotAuthorizedException: "Authentication required",
    }
    title = titles.get(type(exc), detail)
    return problem(status, code, title, detail, request, exc.headers)


def _unexpected(request: Request[Any, Any, Any], exc: Exception) -> Response[dict[str, Any]]:
    log.exception("unhandled_error", error_type=type(exc).__name__)
    return problem(
        HTTP_500_INTERNAL_SERVER_ERROR,
        "internal_error",
        "Internal server error",
        "Something went wrong on our side; quote the request id when reporting it.",
        request,
    )


def _unicode_error(
    request: Request[Any, Any, Any], exc: UnicodeDecodeError
) -> Response[dict[str, Any]]:
    return problem(
        400, "malformed_body", "Malformed request body", "The request is not valid UTF-8.", request
    )


exception_handlers: dict[type[Exception] | int, Any] = {
    DomainError: _domain_error,
    ValidationException: _validation_error,
    HTTPException: _http_error,
    UnicodeDecodeError: _unicode_error,
    Exception: _unexpected,
}

__all__ = [
    "PROBLEM_JSON",
    "Conflict",
    "DomainError",
    "Forbidden",
    "InvalidField",
    "NotFound",
    "TooManyRequests",
    "Unauthorized",
    "exception_handlers",
    "problem",
]
