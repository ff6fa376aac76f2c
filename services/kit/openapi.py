"""The OpenAPI document tells the truth about errors.

Every error the API gives is RFC 9457 ``application/problem+json`` (see ``services.kit.errors``).
Litestar documents only a 400 in its own shape; this step replaces that, once for every
operation, with the errors the route can really give, judged from the route's metadata:
the guard's ``opt`` (public, authenticated, permission), its path parameters, whether it takes
a body, its method — and, for what metadata cannot tell, the short table ``ALSO_REFUSES``.
"""

from __future__ import annotations

from uuid import UUID

from litestar import Litestar
from litestar.enums import HttpMethod, ParamType
from litestar.handlers import HTTPRouteHandler
from litestar.openapi.spec import (
    OpenAPI,
    OpenAPIFormat,
    OpenAPIHeader,
    OpenAPIMediaType,
    OpenAPIResponse,
    OpenAPIType,
    Operation,
    Parameter,
    PathItem,
    Reference,
    RequestBody,
    Schema,
)
from litestar.routes import HTTPRoute

from services.kit.errors import PROBLEM_JSON

PROBLEM = "ProblemDetails"

PROBLEM_REF = Reference(f"#/components/schemas/{PROBLEM}")
PROBLEM_SCHEMA = Schema(
    type=OpenAPIType.OBJECT,
    description="RFC 9457 problem details; `code` is stable, `errors` names each bad field.",
    required=["type", "title", "status", "detail", "code"],
    properties={
        "type": Schema(type=OpenAPIType.STRING, description="a URI naming the code"),
        "title": Schema(type=OpenAPIType.STRING),
        "status": Schema(type=OpenAPIType.INTEGER, minimum=400, maximum=599),
        "detail": Schema(type=OpenAPIType.STRING),
        "code": Schema(type=OpenAPIType.STRING, description="stable, machine-readable reason"),
        "instance": Schema(type=OpenAPIType.STRING, description="the request's path"),
        "request_id": Schema(type=OpenAPIType.STRING, description="quote it when reporting"),
        "errors": Schema(
            type=OpenAPIType.ARRAY,
            items=Schema(
                type=OpenAPIType.OBJECT,
                required=["field", "message"],
                properties={
                    "field": Schema(type=OpenAPIType.STRING),
                    "message": Schema(type=OpenAPIType.STRING),
                },
            ),
        ),
    },
)

DESCRIPTIONS = {
    400: "Malformed body: not valid JSON or not UTF-8 (`malformed_body`).",
    401: "Not signed in, or the access token is invalid or expired (`unauthorized`).",
    403: "Signed in, but not allowed this here (`forbidden`, `tenant_inactive`, or the route's "
    "own refusal).",
    404: "No such object in this tenant, or no such tenant (`not_found`); another tenant's "
    "object answers the same.",
    409: "The object's state does not allow this now; `code` names why.",
    413: "The body is larger than the server takes (`body_too_large`).",
    415: "The body is not of the media type the operation takes (`unsupported_media_type`).",
    422: "A parameter or field is invalid (`validation_failed` or the rule's own code); "
    "`errors` names each field.",
    429: "Too many failed sign-ins (`too_many_requests`); `Retry-After` says when to try again.",
    503: "A service the platform needs cannot be reached for now: the database "
    "(`database_unavailable`) or, for documents, the store (`storage_unavailable`); "
    "`Retry-After` says when to try again.",
}

WRITES = {HttpMethod.POST, HttpMethod.PUT, HttpMethod.PATCH, HttpMethod.DELETE}

# What the metadata cannot tell: public routes that still refuse, and reads that can conflict.
_DOCUMENT = "/v1/tenants/{tenant}/documents/{document_id}"
_PROCUREMENT = "/v1/tenants/{tenant}/procurements/{procurement_id}"
ALSO_REFUSES: dict[tuple[str, str], frozenset[int]] = {
    ("POST", "/v1/auth/login"): frozenset({401, 429}),
    ("POST", "/v1/auth/refresh"): frozenset({401}),
    ("GET", f"{_DOCUMENT}/versions/{{version}}/content"): frozenset({403, 409}),
    ("GET", f"{_DOCUMENT}/download"): frozenset({409}),
    ("GET", f"{_PROCUREMENT}/bids"): frozenset({409}),
    ("GET", f"{_PROCUREMENT}/scores"): frozenset({409}),
}
# Sign-in routes change no object: nothing there can conflict.
NEVER_CONFLICTS = {"/v1/auth/login", "/v1/auth/refresh", "/v1/auth/logout"}


def _streams_a_file(handler: HTTPRouteHandler) -> bool:
    """Uploads read the raw body as a stream, with Litestar's body limit switched off."""
    return handler.request_max_body_size is None


def error_statuses(
    handler: HTTPRouteHandler, method: str, route: HTTPRoute, operation: Operation
) -> set[int]:
    # Every documented route reads the database (the guard reads the tenant and the rules).
    statuses: set[int] = {503}
    if not handler.opt.get("public"):
        statuses |= {401, 403}
    if route.path_parameters:
        statuses.add(404)
    # A malformed UUID in the path matches no route (404); other path parameters (a region's
    # code, a role, a version) and query parameters are validated (422).
    if any(p.type is not UUID for p in route.path_parameters.values()):
        statuses.add(422)
    parameters = operation.parameters or []
    if any(isinstance(p, Parameter) and p.param_in is not ParamType.PATH for p in parameters):
        statuses.add(422)
    if operation.request_body is not None:
        statuses |= {400, 413, 415, 422}
    if _streams_a_file(handler):
        statuses |= {413, 422}
    if method in WRITES and route.path_format not in NEVER_CONFLICTS:
        statuses.add(409)
    statuses |= ALSO_REFUSES.get((method, route.path_format), frozenset())
    return statuses


def _problem_response(status: int) -> OpenAPIResponse:
    headers: dict[str, OpenAPIHeader | Reference] | None = None
    if status in (429, 503):
        headers = {
            "Retry-After": OpenAPIHeader(
                schema=Schema(type=OpenAPIType.INTEGER), description="seconds to wait"
            )
        }
    return OpenAPIResponse(
        description=DESCRIPTIONS[status],
        headers=headers,
        content={PROBLEM_JSON: OpenAPIMediaType(schema=PROBLEM_REF)},
    )


def _describe(
    operation: Operation, handler: HTTPRouteHandler, method: str, route: HTTPRoute
) -> None:
    statuses = error_statuses(handler, method, route, operation)
    # Litestar's default 400 has another shape and media type: it never happens here.
    responses = operation.responses or {}
    kept = {code: r for code, r in responses.items() if not code.startswith(("4", "5"))}
    for status in sorted(statuses):
        kept[str(status)] = _problem_response(status)
    operation.responses = kept
    if _streams_a_file(handler) and operation.request_body is None:
        operation.request_body = RequestBody(
            required=True,
            description="the file itself, as the raw body",
            content={
                "application/octet-stream": OpenAPIMediaType(
                    schema=Schema(type=OpenAPIType.STRING, format=OpenAPIFormat.BINARY)
                )
            },
        )
    if handler.opt.get("public"):
        operation.security = []  # no sign-in: overrides the document-wide bearer requirement


def document_errors(app: Litestar) -> OpenAPI:
    """Rewrite the app's OpenAPI document in place (Litestar builds it once and caches it)."""
    openapi = app.openapi_schema
    assert openapi.components is not None and openapi.paths is not None
    schemas = openapi.components.schemas if openapi.components.schemas is not None else {}
    schemas[PROBLEM] = PROBLEM_SCHEMA
    openapi.components.schemas = schemas
    for route in app.routes:
        if not isinstance(route, HTTPRoute):
            continue
        path_item: PathItem | None = openapi.paths.get(route.path_format or "/")
        if path_item is None:
            continue
        for handler in route.route_handlers:
            for method in handler.http_methods:
                operation = getattr(path_item, method.lower(), None)
                if isinstance(operation, Operation):
                    _describe(operation, handler, method, route)
    return openapi
