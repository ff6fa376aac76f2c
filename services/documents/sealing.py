"""Sealed content: envelope encryption with AES-256-GCM, in chunks, while streaming.

Each procedure — ``(tenant, object_type, object_id)``, a bid say — has its own random data
key. The key is stored only wrapped (AES-GCM) by the master key ``DOCUMENT_MASTER_KEY``,
with the procedure named in the wrapping's associated data, so a wrapped key copied to
another procedure does not unwrap. Content is cut into 1 MiB chunks; each is stored as
``nonce (12) || ciphertext || tag (16)``, with a fresh random nonce, and authenticated
together with the object's storage key, the chunk's index and whether it is the last — so
chunks cannot be reordered, moved to another object, or dropped from the end unnoticed.

Nothing here decides *when* a key may be used: the documents service unwraps a procedure's
key for reading only once its seal is opened, and the database refuses to open a seal
before its time (see ``DocumentSeal``).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import os
from collections.abc import AsyncIterator, Callable

from cryptography.hazmat.primitives.ciphers.aead import AESGCM

CHUNK = 1024 * 1024
NONCE = 12
TAG = 16
FRAME = CHUNK + NONCE + TAG


def frame_count(size: int) -> int:
    """Frames that hold ``size`` bytes of content (an empty content is one empty frame)."""
    return max(1, -(-size // CHUNK))


def sealed_size(size: int) -> int:
    return size + frame_count(size) * (NONCE + TAG)


def _aad(context: bytes, index: int, final: bool) -> bytes:
    return context + b"|" + index.to_bytes(8, "big") + (b"|last" if final else b"|more")


def new_data_key() -> bytes:
    return AESGCM.generate_key(bit_length=256)


def master_key_id(master: bytes) -> str:
    """Names the master key a seal was wrapped with, so a wrong key is named, not guessed."""
    return hashlib.sha256(b"sws-master-key-id|" + master).hexdigest()[:16]


def wrap_key(master: bytes, data_key: bytes, procedure: str) -> bytes:
    nonce = os.urandom(NONCE)
    aad = b"sws-seal|" + procedure.encode()
    return nonce + AESGCM(master).encrypt(nonce, data_key, aad)


def unwrap_key(master: bytes, wrapped: bytes, procedure: str) -> bytes:
    aad = b"sws-seal|" + procedure.encode()
    return AESGCM(master).decrypt(wrapped[:NONCE], wrapped[NONCE:], aad)


class Sealer:
    """Encrypts a stream: feed content as it comes, take the frames that are ready.

    One chunk stays pending until more content arrives or ``finish`` is called, because the
    last chunk is marked as such.
    """

    def __init__(self, data_key: bytes, context: str) -> None:
        self._aead = AESGCM(data_key)
        self._context = context.encode()
        self._pending = bytearray()
        self._index = 0

    def _frame(self, chunk: bytes, final: bool) -> bytes:
        nonce = os.urandom(NONCE)
        sealed = self._aead.encrypt(nonce, chunk, _aad(self._context, self._index, final))
        self._index += 1
        return nonce + sealed

    def feed(self, data: bytes) -> bytes:
        self._pending += data
        frames: list[bytes] = []
        while len(self._pending) > CHUNK:
            frames.append(self._frame(bytes(self._pending[:CHUNK]), final=False))
            del self._pending[:CHUNK]
        return b"".join(frames)

    def finish(self) -> bytes:
        frame = self._frame(bytes(self._pending), final=True)
        self._pending.clear()
        return frame


class Opener:
    """Decrypts what a Sealer made, whole or by ranges of the content."""

    def __init__(self, data_key: bytes, context: str, size: int) -> None:
        self._aead = AESGCM(data_key)
        self._context = context.encode()
        self.size = size
        self.frames = frame_count(size)

    def open_frame(self, index: int, frame: bytes) -> bytes:
        if not 0 <= index < self.frames:
            raise ValueError(f"frame {index} of {self.frames}")
        final = index == self.frames - 1
        nonce, sealed = frame[:NONCE], frame[NONCE:]
        return self._aead.decrypt(nonce, sealed, _aad(self._context, index, final))

    async def stream(self, frames: AsyncIterator[bytes]) -> AsyncIterator[bytes]:
        """Content from an iterator of whole frames (``FRAME`` bytes each, the last shorter);
        raises when a frame is altered, missing or extra."""
        index = 0
        async for frame in frames:
            yield self.open_frame(index, frame)
            index += 1
        if index != self.frames:
            raise ValueError(f"sealed object has {index} frames, expected {self.frames}")

    def read_range(self, start: int, end: int, fetch: Callable[[int, int], bytes]) -> bytes:
        """Content bytes [start, end), reading only the frames that hold them."""
        if end <= start:
            return b""
        first, last = start // CHUNK, (end - 1) // CHUNK
        stored = fetch(first * FRAME, min((last + 1) * FRAME, sealed_size(self.size)))
        content = b"".join(
            self.open_frame(index, stored[(index - first) * FRAME : (index - first + 1) * FRAME])
            for index in range(first, last + 1)
        )
        offset = first * CHUNK
        return content[start - offset : end - offset]


# --- links that stand in for presigned URLs when content is decrypted by the API -------------


def _link_key(master: bytes) -> bytes:
    return hmac.new(master, b"sws-document-content-link", hashlib.sha256).digest()


def sign_link(master: bytes, *parts: str) -> str:
    message = "|".join(parts).encode()
    digest = hmac.new(_link_key(master), message, hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def link_signature_ok(master: bytes, signature: str, *parts: str) -> bool:
    # As bytes: compare_digest refuses str with non-ASCII characters (a tampered link).
    return hmac.compare_digest(sign_link(master, *parts).encode(), signature.encode())
