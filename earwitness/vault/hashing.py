"""Streaming hashes: read a file once, hash it and (optionally) copy it in the same pass."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import BinaryIO

CHUNK_BYTES = 4 * 1024 * 1024


@dataclass(frozen=True)
class Digests:
    """What we know about a byte stream after one pass over it."""

    sha256: str
    md5: str
    size: int


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path, chunk_bytes: int = CHUNK_BYTES) -> str:
    """SHA-256 of a file, read in chunks so memory stays flat on multi-gigabyte recordings."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_bytes):
            digest.update(chunk)
    return digest.hexdigest()


def hash_and_copy(
    source: BinaryIO,
    sink: BinaryIO | None = None,
    on_progress: Callable[[int], None] | None = None,
    chunk_bytes: int = CHUNK_BYTES,
) -> Digests:
    """Read ``source`` once; compute SHA-256 and MD5 and write every byte to ``sink``.

    MD5 runs on a second thread (hashlib releases the GIL on large buffers), so on two
    cores the pass costs about as much as SHA-256 alone. MD5 is kept only so our listings
    can be matched against other forensic tools'; SHA-256 is the identity of an object.
    """
    sha256 = hashlib.sha256()
    md5 = hashlib.md5(usedforsecurity=False)
    size = 0
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="md5") as md5_thread:
        pending = None
        while chunk := source.read(chunk_bytes):
            if pending is not None:
                pending.result()
            pending = md5_thread.submit(md5.update, chunk)
            sha256.update(chunk)
            if sink is not None:
                sink.write(chunk)
            size += len(chunk)
            if on_progress is not None:
                on_progress(len(chunk))
        if pending is not None:
            pending.result()
    return Digests(sha256=sha256.hexdigest(), md5=md5.hexdigest(), size=size)
