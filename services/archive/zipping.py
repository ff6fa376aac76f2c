"""A zip written straight into a multipart upload, part by part.

``zipfile`` writes into ``PartSink``, which is not seekable, so each member gets a data
descriptor after its content (no going back to patch the header). The sink cuts what it is
given into parts of the store's part size; the builder sends each part as soon as it is full.
So the process holds at most a part being filled plus the parts in flight, however large the
archive: memory stays flat with its size.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
from collections import deque

from services.kit.storage import PART_BYTES

# Document contents are mostly compressed already (PDF, images, office zips): stored as they
# are, which also keeps the build as fast as the store. JSON records are deflated.
STORED = zipfile.ZIP_STORED
DEFLATED = zipfile.ZIP_DEFLATED
# Beyond this a member needs ZIP64 fields; known in advance for stored documents.
ZIP64_LIMIT = zipfile.ZIP64_LIMIT


class PartSink(io.RawIOBase):
    """Bytes written become full parts (``take``), and the rest at the end (``rest``); the
    SHA-256 and size of the whole zip are kept as it goes."""

    def __init__(self, part_bytes: int = PART_BYTES) -> None:
        super().__init__()
        self._part_bytes = part_bytes
        self._buffer = bytearray()
        self._parts: deque[bytes] = deque()
        self._written = 0
        self.digest = hashlib.sha256()

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def tell(self) -> int:
        return self._written

    def write(self, data: bytes | bytearray | memoryview) -> int:  # type: ignore[override]
        view = bytes(data)
        self._buffer += view
        self._written += len(view)
        self.digest.update(view)
        while len(self._buffer) >= self._part_bytes:
            self._parts.append(bytes(self._buffer[: self._part_bytes]))
            del self._buffer[: self._part_bytes]
        return len(view)

    def take(self) -> bytes | None:
        """The next full part, if one is ready."""
        return self._parts.popleft() if self._parts else None

    def rest(self) -> bytes:
        """What is left after the last full part (call once, after the zip is closed)."""
        rest, self._buffer = bytes(self._buffer), bytearray()
        return rest

    @property
    def size(self) -> int:
        return self._written


def member_info(path: str, size: int, compress: int) -> zipfile.ZipInfo:
    info = zipfile.ZipInfo(path, date_time=(2026, 1, 1, 0, 0, 0))
    info.compress_type = compress
    info.file_size = size  # lets zipfile choose ZIP64 fields up front for large members
    info.external_attr = 0o644 << 16
    return info
