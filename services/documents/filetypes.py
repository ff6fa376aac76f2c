"""What a file is, by its content: never by its name or the client's Content-Type.

The first bytes decide the family (puremagic's signatures, confirmed by the exact magic
numbers): PDF, PNG, JPEG or a ZIP archive. A ZIP is then told apart by the names in its
central directory, which sits at the end of the file: OFD (an ``OFD.xml`` at the root), DOCX
(``[Content_Types].xml`` and ``word/``), XLSX (``[Content_Types].xml`` and ``xl/``), or a
plain ZIP. The upload keeps the last megabyte of the content in memory, which holds the
central directory of any ordinary archive; for a larger one the missing range is read back
from the store, so the whole file is never in memory.
"""

from __future__ import annotations

import io
import zipfile
from collections.abc import Callable, Iterable
from pathlib import PurePosixPath

import puremagic

from services.documents.schemas import FileKind

SNIFF_BYTES = 8192  # enough for every signature we accept
TAIL_BYTES = 1024 * 1024  # kept from the end of an upload, for the ZIP central directory
MAX_DIRECTORY_READ = 8 * 1024 * 1024  # a central directory larger than this is refused

CONTENT_TYPES: dict[FileKind, str] = {
    FileKind.pdf: "application/pdf",
    FileKind.docx: "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    FileKind.xlsx: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    FileKind.jpg: "image/jpeg",
    FileKind.png: "image/png",
    FileKind.zip: "application/zip",
    FileKind.ofd: "application/ofd",
}
EXTENSIONS: dict[FileKind, tuple[str, ...]] = {
    FileKind.pdf: (".pdf",),
    FileKind.docx: (".docx",),
    FileKind.xlsx: (".xlsx",),
    FileKind.jpg: (".jpg", ".jpeg"),
    FileKind.png: (".png",),
    FileKind.zip: (".zip",),
    FileKind.ofd: (".ofd",),
}
_MAGIC: dict[FileKind, Callable[[bytes], bool]] = {
    FileKind.pdf: lambda head: b"%PDF-" in head[:1024],
    FileKind.png: lambda head: head.startswith(b"\x89PNG\r\n\x1a\n"),
    FileKind.jpg: lambda head: head.startswith(b"\xff\xd8\xff"),
}
_BY_MIME = {"application/pdf": FileKind.pdf, "image/png": FileKind.png, "image/jpeg": FileKind.jpg}
ZIP_SIGNATURES = (b"PK\x03\x04", b"PK\x05\x06")  # an archive, or an empty one


def sniff(head: bytes) -> FileKind | None:
    """The family of a file from its first bytes: pdf, png, jpg or zip; None if none of them.
    A zip is refined by ``zip_kind`` once its central directory is known."""
    if head.startswith(ZIP_SIGNATURES):
        return FileKind.zip
    try:
        matches = puremagic.magic_string(head)
    except puremagic.PureError:
        return None
    if not matches:
        return None
    best = max(match.confidence for match in matches)
    for match in matches:
        kind = _BY_MIME.get(match.mime_type)
        if match.confidence == best and kind is not None and _MAGIC[kind](head):
            return kind
    return None


def zip_kind(names: Iterable[str]) -> FileKind:
    entries = set(names)
    if "OFD.xml" in entries:
        return FileKind.ofd
    if "[Content_Types].xml" in entries:
        # Macro-carrying workbooks and documents are kept as plain archives, not as Office files.
        if any(name.startswith("word/") for name in entries) and "word/vbaProject.bin" not in (
            entries
        ):
            return FileKind.docx
        if any(name.startswith("xl/") for name in entries) and "xl/vbaProject.bin" not in entries:
            return FileKind.xlsx
    return FileKind.zip


class OutsideTail(Exception):
    """The central directory starts before the kept tail: read it from the store."""


class DirectoryTooLarge(Exception):
    pass


class _TailFile(io.RawIOBase):
    """A read-only view of a file of ``size`` bytes of which only the tail is in memory;
    ranges before it come from ``fetch(start, end)`` (None: raise OutsideTail)."""

    def __init__(
        self, size: int, tail: bytes, fetch: Callable[[int, int], bytes] | None = None
    ) -> None:
        super().__init__()
        self._size = size
        self._tail = tail
        self._tail_start = size - len(tail)
        self._fetch = fetch
        self._pos = 0

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

    def readinto(self, buffer: bytearray | memoryview) -> int:  # type: ignore[override]
        end = min(self._pos + len(buffer), self._size)
        if end <= self._pos:
            return 0
        start = self._pos
        if start >= self._tail_start:
            data = self._tail[start - self._tail_start : end - self._tail_start]
        else:
            if self._fetch is None:
                raise OutsideTail
            if end - start > MAX_DIRECTORY_READ:
                raise DirectoryTooLarge
            head = self._fetch(start, min(end, self._tail_start))
            data = head + self._tail[: max(0, end - self._tail_start)]
        buffer[: len(data)] = data
        self._pos += len(data)
        return len(data)


def zip_names(
    size: int, tail: bytes, fetch: Callable[[int, int], bytes] | None = None
) -> list[str]:
    """The entry names of a ZIP of ``size`` bytes, from its central directory only.

    Raises OutsideTail (when ``fetch`` is None and the tail does not hold the directory),
    DirectoryTooLarge, or zipfile.BadZipFile for a damaged archive.
    """
    with zipfile.ZipFile(_TailFile(size, tail, fetch)) as archive:
        return archive.namelist()


def download_name(filename: str, kind: FileKind) -> str:
    """The name to save as: the uploaded one, with the extension of what the file really is."""
    path = PurePosixPath(filename)
    if path.suffix.lower() in EXTENSIONS[kind]:
        return filename
    stem = path.stem if path.suffix and len(path.suffix) <= 6 else filename
    return stem + EXTENSIONS[kind][0]


def clean_filename(raw: str) -> str:
    """The last path segment, without control characters; '' when nothing is left."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(ch for ch in name if ch.isprintable()).strip()
    return "" if name in {".", ".."} else name
