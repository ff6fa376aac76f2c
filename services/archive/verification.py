"""Verifying a stored archive: read the zip back from the store and check every file against
the manifest recorded when it was built, naming the first that differs.

The zip is read through ranged GETs behind a buffer (``RangeFile``), so verification, like
building, holds a few MiB whatever the archive's size. Any damage counts as a difference of
the file it falls in: a changed byte (its SHA-256, or zip's own CRC, which ``zipfile`` checks at
the end of the member), a member missing, or a member the manifest does not list.
"""

from __future__ import annotations

import hashlib
import io
import zipfile
import zlib
from dataclasses import dataclass
from typing import Any

from services.archive import manifest as manifests
from services.kit.storage import READ_CHUNK, ObjectMissing, Storage


@dataclass(frozen=True)
class Difference:
    path: str
    reason: str


@dataclass(frozen=True)
class Report:
    files_checked: int
    first_difference: Difference | None

    @property
    def ok(self) -> bool:
        return self.first_difference is None


class RangeFile(io.RawIOBase):
    """A stored object as a seekable, readable file: each read is one ranged GET."""

    def __init__(self, storage: Storage, key: str, size: int) -> None:
        super().__init__()
        self._storage, self._key, self._size, self._pos = storage, key, size, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self._pos

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self._pos, io.SEEK_END: self._size}[whence]
        self._pos = max(0, base + offset)
        return self._pos

    def readinto(self, buffer: Any) -> int:
        view = memoryview(buffer).cast("B")
        end = min(self._pos + len(view), self._size)
        data = self._storage.read_range_sync(self._key, self._pos, end)
        view[: len(data)] = data
        self._pos += len(data)
        return len(data)


def verify_sync(storage: Storage, key: str, manifest: dict[str, Any], archive_name: str) -> Report:
    """Check the zip at ``key`` against ``manifest``; run in a worker thread (boto3 blocks)."""
    expected = manifests.entries(manifest)
    try:
        size = storage.run(lambda c: c.head_object(Bucket=storage.bucket, Key=key))["ContentLength"]
        raw = io.BufferedReader(RangeFile(storage, key, size), buffer_size=READ_CHUNK)
        zf = zipfile.ZipFile(raw)
    except (ObjectMissing, zipfile.BadZipFile, OSError) as exc:
        return Report(0, Difference(archive_name, f"the stored zip cannot be read: {exc}"))
    with zf:
        names = set(zf.namelist())
        checked = 0
        for entry in expected:
            if entry.path not in names:
                return Report(checked, Difference(entry.path, "missing from the stored zip"))
            reason = _differs(zf, entry)
            checked += 1
            if reason:
                return Report(checked, Difference(entry.path, reason))
        listed = {e.path for e in expected} | {manifests.PATH}
        for extra in sorted(names - listed):
            return Report(checked, Difference(extra, "in the stored zip but not in the manifest"))
        if manifests.PATH not in names:
            return Report(checked, Difference(manifests.PATH, "missing from the stored zip"))
        try:
            inside = zf.read(manifests.PATH)
        except (zipfile.BadZipFile, zlib.error, EOFError) as exc:
            return Report(checked, Difference(manifests.PATH, f"damaged: {exc}"))
        if inside != manifests.encode(manifest):
            return Report(checked, Difference(manifests.PATH, "differs from the recorded one"))
        return Report(checked, None)


def _differs(zf: zipfile.ZipFile, entry: manifests.Entry) -> str | None:
    digest = hashlib.sha256()
    size = 0
    try:
        with zf.open(entry.path) as member:
            while chunk := member.read(READ_CHUNK):
                digest.update(chunk)
                size += len(chunk)
    except (zipfile.BadZipFile, zlib.error, EOFError, OSError) as exc:
        return f"content differs from the manifest ({exc})"
    if size != entry.size:
        return f"size {size} differs from the manifest's {entry.size}"
    if digest.hexdigest() != entry.sha256:
        return "SHA-256 differs from the manifest"
    return None
