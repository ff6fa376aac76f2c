"""Webhook signing, signing secrets at rest, and which URLs may receive a region's events.

A delivery is ``POST <url>`` with a JSON body and these headers:

- ``X-SWS-Event-Id``: the event's id, the same on every attempt and for every endpoint:
  receivers dedupe on it (a retry after a lost response sends the event again).
- ``X-SWS-Event-Type``: e.g. ``provider_registration.approved``.
- ``X-SWS-Delivery-Id``: this endpoint's delivery of the event.
- ``X-SWS-Signature: t=<unix seconds>,v1=<hex>`` where ``<hex>`` is
  ``HMAC-SHA256(secret, "<t>." + body)`` over the raw body bytes. Receivers recompute it with
  the secret they were shown once, compare in constant time, and refuse a ``t`` more than five
  minutes away from their clock (a replayed old request).

The secret is stored encrypted (Fernet, keys from ``WEBHOOK_SECRET_KEY``) and is shown in clear
only when the endpoint is created or its secret rotated.
"""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
import time
from typing import Any
from urllib.parse import urlsplit

from cryptography.fernet import Fernet, InvalidToken, MultiFernet

from services.kit.settings import Settings
from services.notifications.errors import WebhookUrlRefused

SIGNATURE_HEADER = "X-SWS-Signature"
EVENT_ID_HEADER = "X-SWS-Event-Id"
EVENT_TYPE_HEADER = "X-SWS-Event-Type"
DELIVERY_ID_HEADER = "X-SWS-Delivery-Id"
TOLERANCE_SECONDS = 300
SECRET_PREFIX = "whsec_"
LOOPBACK_NAMES = frozenset({"localhost", "127.0.0.1", "::1", "[::1]"})


def new_secret() -> str:
    return SECRET_PREFIX + secrets.token_urlsafe(32)


def body_bytes(payload: dict[str, Any]) -> bytes:
    """The exact bytes POSTed (and signed): compact, keys sorted, UTF-8."""
    return json.dumps(payload, ensure_ascii=False, separators=(",", ":"), sort_keys=True).encode()


def signature(secret: str, body: bytes, timestamp: int) -> str:
    mac = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256)
    return f"t={timestamp},v1={mac.hexdigest()}"


def verify(
    secret: str,
    header: str,
    body: bytes,
    *,
    now: float | None = None,
    tolerance: int = TOLERANCE_SECONDS,
) -> bool:
    """What a receiver does: recompute, compare in constant time, check the timestamp."""
    parts: dict[str, list[str]] = {}
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        parts.setdefault(key, []).append(value)
    try:
        timestamp = int(parts["t"][0])
    except (KeyError, ValueError):
        return False
    if abs((now if now is not None else time.time()) - timestamp) > tolerance:
        return False
    expected = signature(secret, body, timestamp).split("v1=", 1)[1]
    return any(hmac.compare_digest(expected, given) for given in parts.get("v1", []))


# --- secrets at rest -------------------------------------------------------------------------


def _fernet_key(material: str) -> bytes:
    digest = hashlib.sha256(b"sws-webhook-secrets:" + material.encode()).digest()
    return base64.urlsafe_b64encode(digest)


def _keyring(settings: Settings) -> MultiFernet:
    materials = [k.strip() for k in settings.webhook_secret_key.split(",") if k.strip()]
    if not materials:
        materials = [settings.jwt_secret]
    return MultiFernet([Fernet(_fernet_key(m)) for m in materials])


def encrypt_secret(settings: Settings, secret: str) -> str:
    return _keyring(settings).encrypt(secret.encode()).decode()


def decrypt_secret(settings: Settings, token: str) -> str:
    try:
        return _keyring(settings).decrypt(token.encode()).decode()
    except InvalidToken:
        raise RuntimeError(
            "a webhook secret cannot be decrypted: WEBHOOK_SECRET_KEY no longer holds its key"
        ) from None


# --- where events may go ---------------------------------------------------------------------


def _host_address(host: str) -> ipaddress.IPv4Address | ipaddress.IPv6Address | None:
    try:
        return ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return None


def check_url(url: str, *, production: bool, field: str = "url") -> str:
    """https:// to a public host; outside production also http:// to this machine (tests,
    local development). The URL may carry no user name or password."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port  # raises on a malformed port
    except ValueError:
        raise WebhookUrlRefused("is not a valid URL", field=field) from None
    host = (parts.hostname or "").lower()
    if not host:
        raise WebhookUrlRefused("must name a host", field=field)
    if parts.username or parts.password:
        raise WebhookUrlRefused("must not carry a user name or password", field=field)
    if parts.fragment:
        raise WebhookUrlRefused("must not have a #fragment", field=field)
    if port == 0:
        raise WebhookUrlRefused("must not use port 0", field=field)
    loopback = host in LOOPBACK_NAMES or (
        (address := _host_address(host)) is not None and address.is_loopback
    )
    if parts.scheme == "https":
        if production:
            address = _host_address(host)
            if loopback or (address is not None and not address.is_global):
                raise WebhookUrlRefused("must be a public address in production", field=field)
        return url.strip()
    if parts.scheme == "http" and loopback and not production:
        return url.strip()
    if production:
        raise WebhookUrlRefused("must be an https:// URL", field=field)
    raise WebhookUrlRefused(
        "must be an https:// URL (http:// only to 127.0.0.1 outside production)", field=field
    )


async def check_destination(url: str) -> None:
    """In production, refuse a host name that resolves to a private or loopback address (a
    webhook must not reach into the platform's own network)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    infos = await asyncio.get_running_loop().getaddrinfo(host, parts.port or 443)
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise PermissionError(f"{host} resolves to a non-public address ({address})")
