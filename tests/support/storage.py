"""The document store as the suite reaches it: its address and keys, and a client of its own."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import boto3
from botocore.config import Config

from services.kit.settings import Settings

if TYPE_CHECKING:
    from mypy_boto3_s3 import S3Client


@dataclass(frozen=True)
class S3:
    endpoint_url: str
    access_key: str
    secret_key: str
    bucket: str


def store_client(settings: Settings, secret_key: str | None = None, **config: Any) -> S3Client:
    """The store as someone holding its keys sees it: no API in between. ``secret_key``
    replaces the configured one (a wrong key); ``config`` adds to botocore's."""
    return boto3.client(
        "s3",
        endpoint_url=settings.s3_endpoint_url,
        aws_access_key_id=settings.s3_access_key,
        aws_secret_access_key=settings.s3_secret_key if secret_key is None else secret_key,
        region_name=settings.s3_region,
        config=Config(s3={"addressing_style": "path"}, **config),
    )
