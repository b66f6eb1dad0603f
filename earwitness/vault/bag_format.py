"""BagIt (RFC 8493) as Earwitness writes and reads it: names, manifest lines, tag files.

Pure functions over bytes and text, shared by the export (``package_export``) and the reader
(``package_read``), so that what one writes is exactly what the other expects. Both checksum
algorithms are kept: SHA-256 is what the custody log names; SHA-512 is for readers whose
tools or rules ask for it.
"""

from __future__ import annotations

import hashlib
import re
import threading
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

ALGORITHMS = ("sha256", "sha512")
HEX_LENGTH = {"sha256": 64, "sha512": 128}
PAYLOAD_PREFIX = "data/"
BAGIT_TXT = "bagit.txt"
BAG_INFO = "bag-info.txt"
README = "README.txt"
FETCH = "fetch.txt"
BAGIT_DECLARATION = b"BagIt-Version: 1.0\nTag-File-Character-Encoding: UTF-8\n"
SUPPORTED_VERSIONS = ("0.97", "1.0")


def manifest_name(algorithm: str) -> str:
    return f"manifest-{algorithm}.txt"


def tagmanifest_name(algorithm: str) -> str:
    return f"tagmanifest-{algorithm}.txt"


def is_tagmanifest(name: str) -> bool:
    return name.startswith("tagmanifest-") and "/" not in name


# hashlib releases the GIL while it hashes a large buffer, so SHA-512 of a chunk runs on this
# thread while SHA-256 of the same chunk runs on the caller's: one read of a file costs about
# what the slower of the two costs alone. Small chunks are not worth the hand-over.
_THREADED_CHUNK_BYTES = 64 << 10
_worker: ThreadPoolExecutor | None = None
_worker_lock = threading.Lock()


def _second_thread() -> ThreadPoolExecutor:
    global _worker
    with _worker_lock:
        if _worker is None:
            _worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="sha512")
        return _worker


class Digests:
    """SHA-256 and SHA-512 of one stream, fed chunk by chunk (one read for both)."""

    def __init__(self) -> None:
        self._sha256 = hashlib.sha256()
        self._sha512 = hashlib.sha512()
        self._pending: Future[None] | None = None
        self.size = 0

    def update(self, chunk: bytes) -> None:
        self._wait()
        if len(chunk) >= _THREADED_CHUNK_BYTES:
            self._pending = _second_thread().submit(self._sha512.update, chunk)
        else:
            self._sha512.update(chunk)
        self._sha256.update(chunk)
        self.size += len(chunk)

    def _wait(self) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None

    def hexdigests(self) -> dict[str, str]:
        self._wait()
        return {"sha256": self._sha256.hexdigest(), "sha512": self._sha512.hexdigest()}


def encode_path(name: str) -> str:
    """A file path as a manifest writes it: ``%``, CR and LF percent-encoded (RFC 8493 2.1.3)."""
    return name.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")


def decode_path(text: str) -> str:
    replacements = {"%0a": "\n", "%0d": "\r", "%25": "%"}
    return re.sub(r"%(0[aAdD]|25)", lambda m: replacements[m.group(0).lower()], text)


def manifest_line(digest: str, name: str) -> bytes:
    return f"{digest}  {encode_path(name)}\n".encode()


class BadManifestLine(ValueError):
    pass


def parse_manifest_line(line: bytes, algorithm: str) -> tuple[str, str] | None:
    """``(digest, path)`` of one manifest line, ``None`` for a blank one; BadManifestLine else."""
    try:
        text = line.decode("utf-8").strip()
    except UnicodeDecodeError:
        raise BadManifestLine("not UTF-8") from None
    if not text:
        return None
    parts = text.split(None, 1)
    if len(parts) != 2:
        raise BadManifestLine("not 'checksum path'")
    digest, name = parts[0].lower(), decode_path(parts[1])
    if len(digest) != HEX_LENGTH[algorithm] or not re.fullmatch(r"[0-9a-f]+", digest):
        raise BadManifestLine(f"not a {algorithm} checksum")
    return digest, name


def tag_fields(text: str) -> list[tuple[str, str]]:
    """``Label: value`` lines of a tag file (bagit.txt, bag-info.txt), continuations joined."""
    fields: list[tuple[str, str]] = []
    for line in text.splitlines():
        if line[:1] in (" ", "\t") and fields:
            label, value = fields[-1]
            fields[-1] = (label, f"{value} {line.strip()}")
        elif ":" in line:
            label, _, value = line.partition(":")
            fields.append((label.strip(), value.strip()))
    return fields


def tag_file(fields: list[tuple[str, str]]) -> bytes:
    return "".join(f"{label}: {value}\n" for label, value in fields).encode()


def payload_oxum(total_bytes: int, file_count: int) -> str:
    return f"{total_bytes}.{file_count}"


@dataclass
class ManifestSet:
    """Expected checksums by path, per algorithm, as read from a bag's manifests."""

    entries: dict[str, dict[str, str]] = field(default_factory=dict)  # path -> algorithm -> hex
    missing: list[str] = field(default_factory=list)  # manifest files that do not exist

    def add(self, algorithm: str, name: str, digest: str) -> bool:
        """Record a checksum; False when the manifest already named this path."""
        by_algorithm = self.entries.setdefault(name, {})
        if algorithm in by_algorithm:
            return False
        by_algorithm[algorithm] = digest
        return True
