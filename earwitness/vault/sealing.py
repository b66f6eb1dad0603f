"""Sealed files: a file encrypted and authenticated in chunks, so any size fits in bounded memory.

The format (all integers big-endian)::

    magic      b"EWSEAL1\\n"                                 8 bytes
    prefix     random, chosen per file                       8 bytes
    chunks     AES-256-GCM(key, nonce=prefix || index:u32, plaintext chunk, aad) ...

Each plaintext chunk is ``CHUNK_BYTES`` long except the last, which may be shorter (or empty,
for an empty file). The associated data of a chunk is ``magic || prefix || index:u32 ||
final:u8``, so chunks cannot be reordered, dropped, moved to another file, or the file cut
short at a chunk boundary without the open failing: a reader accepts a file only when it
ends with a chunk marked final.

The key is the case's data key (see ``vault.lock``). A random 64-bit prefix per file and a
32-bit chunk counter keep every nonce unique under one key for any plausible number of files.
"""

from __future__ import annotations

import os
import struct
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from earwitness.errors import EarwitnessError

MAGIC = b"EWSEAL1\n"
PREFIX_BYTES = 8
CHUNK_BYTES = 1024 * 1024
TAG_BYTES = 16
KEY_BYTES = 32


class SealBroken(EarwitnessError):
    """A sealed file does not open with this key: wrong key, altered, cut short or not sealed."""


def _nonce(prefix: bytes, index: int) -> bytes:
    return prefix + struct.pack(">I", index)


def _aad(prefix: bytes, index: int, final: bool) -> bytes:
    return MAGIC + prefix + struct.pack(">IB", index, 1 if final else 0)


def _read_full(source: BinaryIO, size: int) -> bytes:
    """Up to ``size`` bytes, fewer only at the end of the stream."""
    parts = []
    wanted = size
    while wanted > 0:
        part = source.read(wanted)
        if not part:
            break
        parts.append(part)
        wanted -= len(part)
    return b"".join(parts)


def seal_stream(key: bytes, source: BinaryIO, sink: BinaryIO) -> int:
    """Encrypt everything ``source`` holds into ``sink``; returns the plaintext byte count."""
    aead = AESGCM(key)
    prefix = os.urandom(PREFIX_BYTES)
    sink.write(MAGIC + prefix)
    index = total = 0
    chunk = _read_full(source, CHUNK_BYTES)
    while True:
        following = _read_full(source, CHUNK_BYTES) if len(chunk) == CHUNK_BYTES else b""
        final = not following
        sink.write(aead.encrypt(_nonce(prefix, index), chunk, _aad(prefix, index, final)))
        total += len(chunk)
        if final:
            return total
        index += 1
        chunk = following


def open_stream(key: bytes, source: BinaryIO, name: str) -> Iterator[bytes]:
    """The plaintext chunks of a sealed stream, each authenticated before it is yielded.

    Raises SealBroken (naming ``name``) on a wrong key, an altered or reordered chunk, or a
    stream that ends before its final chunk. A caller that acts on chunks before the end must
    be ready to undo what it did when the error comes.
    """
    aead = AESGCM(key)
    header = _read_full(source, len(MAGIC) + PREFIX_BYTES)
    if len(header) != len(MAGIC) + PREFIX_BYTES or not header.startswith(MAGIC):
        raise SealBroken(f"{name}: not a sealed Earwitness file")
    prefix = header[len(MAGIC) :]
    index = 0
    sealed = _read_full(source, CHUNK_BYTES + TAG_BYTES)
    while True:
        following = _read_full(source, CHUNK_BYTES + TAG_BYTES)
        final = not following
        try:
            plain = aead.decrypt(_nonce(prefix, index), sealed, _aad(prefix, index, final))
        except InvalidTag:
            raise SealBroken(
                f"{name}: chunk {index} does not open (wrong passphrase, or the file was "
                "altered or cut short)"
            ) from None
        yield plain
        if final:
            return
        index += 1
        sealed = following


def seal_file(key: bytes, plain: Path, sealed: Path) -> None:
    """Write ``sealed`` from ``plain`` via a fsynced temporary: it appears whole or not at all."""
    partial = sealed.with_name(sealed.name + ".part")
    try:
        with open(plain, "rb") as source, open(partial, "wb") as sink:
            seal_stream(key, source, sink)
            sink.flush()
            os.fsync(sink.fileno())
        os.replace(partial, sealed)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def open_file(key: bytes, sealed: Path, plain: Path, mode: int = 0o600) -> None:
    """Write ``plain`` from ``sealed`` via a fsynced temporary; nothing is left if it fails."""
    partial = plain.with_name(plain.name + ".part")
    try:
        fd = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with open(sealed, "rb") as source, os.fdopen(fd, "wb") as sink:
            for chunk in open_stream(key, source, str(sealed)):
                sink.write(chunk)
            sink.flush()
            os.fsync(sink.fileno())
        os.chmod(partial, mode)
        os.replace(partial, plain)
    except BaseException:
        partial.unlink(missing_ok=True)
        raise


def seal_bytes(key: bytes, data: bytes) -> bytes:
    import io

    sink = io.BytesIO()
    seal_stream(key, io.BytesIO(data), sink)
    return sink.getvalue()


def open_bytes(key: bytes, sealed: bytes, name: str) -> bytes:
    import io

    return b"".join(open_stream(key, io.BytesIO(sealed), name))
