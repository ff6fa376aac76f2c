"""Request parameters and response bodies of the documents API."""

from __future__ import annotations

import uuid
from datetime import datetime
from enum import StrEnum
from typing import Annotated

import msgspec
from litestar.params import QueryParameter

from services.kit.objects import ObjectType
from services.kit.types import ONE_LINE


class FileKind(StrEnum):
    """The allow-list, decided by content."""

    pdf = "pdf"
    docx = "docx"
    xlsx = "xlsx"
    jpg = "jpg"
    png = "png"
    zip = "zip"
    ofd = "ofd"  # 版式文档, GB/T 33190


class Verification(StrEnum):
    pending = "pending"
    verified = "verified"
    failed = "failed"


Filename = Annotated[
    str,
    QueryParameter(
        pattern=ONE_LINE, min_length=1, max_length=255, description="the file's name, for people"
    ),
]
Title = Annotated[str | None, QueryParameter(pattern=ONE_LINE, min_length=1, max_length=200)]


class VersionOut(msgspec.Struct):
    version: int
    filename: str
    kind: FileKind
    content_type: str
    size: int
    sha256: str
    uploaded_by: uuid.UUID | None
    uploaded_at: datetime
    verification: Verification
    verified_at: datetime | None


class DocumentOut(msgspec.Struct):
    id: uuid.UUID
    tenant_id: str
    object_type: ObjectType
    object_id: uuid.UUID
    title: str
    confidential: bool
    sealed: bool
    # For sealed documents: when the procedure opens, and when it did.
    sealed_until: datetime | None
    opened_at: datetime | None
    created_by: uuid.UUID | None
    created_at: datetime
    updated_at: datetime
    current_version: int
    versions: list[VersionOut]


class DownloadLink(msgspec.Struct):
    # A presigned URL of the store; for an opened sealed document, a signed link on this API
    # (a path, relative to the API's address), which decrypts on the way out.
    url: str
    expires_at: datetime
    version: int
    filename: str
    content_type: str
    size: int
    sha256: str
