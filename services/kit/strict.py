"""Strict request input, applied to every route at once.

* A route that takes a JSON body accepts ``application/json`` only (parameters such as
  ``charset=utf-8`` allowed): anything else is 415 ``unsupported_media_type``. Multipart and
  form routes keep their own media type.
* The body is decoded strictly against the handler's type: ``"12"`` is not an integer, ``1`` is
  not ``true``. Litestar converts bodies with ``strict=False`` (which query strings need, since
  they are all text), so the body is decoded here first and handed on already typed.

Both run in a ``before_request`` hook: before any dependency opens a transaction, so a refused
request writes nothing.
"""

from __future__ import annotations

from typing import Any

import msgspec
from litestar import Litestar, Request
from litestar.enums import RequestEncodingType
from litestar.exceptions import HTTPException, ValidationException
from litestar.handlers import HTTPRouteHandler
from litestar.params import BodyKwarg
from litestar.status_codes import HTTP_415_UNSUPPORTED_MEDIA_TYPE
from litestar.typing import FieldDefinition
from litestar.utils.scope.state import ScopeState

JSON = "application/json"
_OWN_MEDIA_TYPES = {
    RequestEncodingType.MULTI_PART,
    RequestEncodingType.URL_ENCODED,
    RequestEncodingType.MESSAGEPACK,
}


def _json_body(handler: HTTPRouteHandler) -> FieldDefinition | None:
    """The handler's ``data`` parameter when it is read as JSON."""
    field = handler.parsed_fn_signature.parameters.get("data")
    if field is None:
        return None
    kwarg = field.kwarg_definition
    if isinstance(kwarg, BodyKwarg) and kwarg.media_type in _OWN_MEDIA_TYPES:
        return None
    return field


def _well_formed(body: bytes) -> bool:
    try:
        msgspec.json.decode(body)
    except msgspec.DecodeError:
        return False
    return True


async def strict_json_body(request: Request[Any, Any, Any]) -> None:
    field = _json_body(request.route_handler)
    if field is None:
        return
    body = await request.body()
    if not body and "content-type" not in request.headers:
        return  # no body at all: the handler's own default (or a missing-body 422) applies
    media_type, _ = request.content_type
    if media_type.lower() != JSON:
        raise HTTPException(
            status_code=HTTP_415_UNSUPPORTED_MEDIA_TYPE,
            detail=f"This route takes a JSON body: send Content-Type: {JSON}.",
        )
    if not body:
        return
    try:
        value = msgspec.json.decode(body, type=field.annotation, strict=True)
    except msgspec.ValidationError as exc:
        if not _well_formed(body):  # typed decoding may stop at a wrong type before a syntax error
            return
        raise ValidationException(
            detail=str(exc), extra=[{"message": str(exc), "source": "body"}]
        ) from exc
    except msgspec.DecodeError:
        return  # not JSON at all: Litestar's own decoding answers 400 malformed_body
    # Request.json() reads this cache, so the handler gets the strictly decoded value.
    ScopeState.from_scope(request.scope).json = value


def detach_signature_fields(app: Litestar) -> None:
    """Give each handler's signature model its own list of fields.

    Litestar's OpenAPI generator adds the path parameters a handler does not take (the
    ``{tenant}`` of the router prefix) to the handler's parsed signature, a dict the signature
    model shares. On any validation error the model then looks each of them up among the
    handler's arguments and reports the ``KeyError('tenant')`` as one more wrong field.
    """
    for route in app.routes:
        for handler in getattr(route, "route_handlers", ()):
            if not isinstance(handler, HTTPRouteHandler):
                continue
            model = handler.signature_model
            model._fields = {
                name: field
                for name, field in model._fields.items()
                if name in model.__struct_fields__
            }
