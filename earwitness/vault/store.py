"""Content-addressed object store: every object is kept once, named by its SHA-256, read-only.

Layout is git's: ``objects/ab/cdef…`` (two-character fan-out so no directory grows huge).
Writes go to a private temporary file, are fsynced, then renamed into place, so a crash at
any moment leaves either no object or a whole one — never a half-written file under a hash name.
"""

from __future__ import annotations

import contextlib
import os
import re
import stat
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO

from earwitness.vault.hashing import Digests, hash_and_copy, sha256_file

_HEX64 = re.compile(r"^[0-9a-f]{64}$")
_READ_ONLY = stat.S_IRUSR | stat.S_IRGRP | stat.S_IROTH


def fsync_dir(path: Path) -> None:
    """Make a rename or a new file in ``path`` durable (the folder's entry, not the file)."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@dataclass(frozen=True)
class ObjectStore:
    """Objects under ``root``; temporaries under ``tmp`` (same filesystem, so rename is atomic)."""

    root: Path
    tmp: Path

    def path_for(self, sha256: str) -> Path:
        if not _HEX64.match(sha256):
            raise ValueError(f"not a SHA-256 hex digest: {sha256!r}")
        return self.root / sha256[:2] / sha256[2:]

    def has(self, sha256: str) -> bool:
        return self.path_for(sha256).is_file()

    def put_stream(
        self,
        source: BinaryIO,
        on_progress: Callable[[int], None] | None = None,
        before_commit: Callable[[Digests], None] | None = None,
    ) -> Digests:
        """Copy ``source`` into the store while hashing it; returns its digests.

        ``before_commit`` sees the digests once every byte is copied, before the object enters
        the store; if it raises, the copy is discarded and nothing is stored.
        """
        self.tmp.mkdir(parents=True, exist_ok=True)
        # The pid in the name lets a later writer tell our leftovers from a live writer's.
        fd, tmp_name = _mkstemp(self.tmp, prefix=f"{os.getpid()}.")
        tmp_path = Path(tmp_name)
        try:
            with os.fdopen(fd, "wb") as sink:
                digests = hash_and_copy(source, sink, on_progress)
                sink.flush()
                os.fsync(sink.fileno())
            if before_commit is not None:
                before_commit(digests)
            final = self.path_for(digests.sha256)
            if final.is_file():
                tmp_path.unlink()
                return digests
            final.parent.mkdir(parents=True, exist_ok=True)
            os.chmod(tmp_path, _READ_ONLY)
            os.replace(tmp_path, final)
            fsync_dir(final.parent)
            return digests
        except BaseException:
            with contextlib.suppress(FileNotFoundError):
                tmp_path.unlink()
            raise

    def put_file(self, path: Path, on_progress: Callable[[int], None] | None = None) -> Digests:
        with open(path, "rb") as source:
            return self.put_stream(source, on_progress)

    def put_bytes(self, data: bytes) -> Digests:
        import io

        return self.put_stream(io.BytesIO(data))

    def read_bytes(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()

    def rehash(self, sha256: str) -> str:
        """Hash the stored object again, as it is on disk now."""
        return sha256_file(self.path_for(sha256))

    def iter_hashes(self) -> Iterator[str]:
        """Every object name in the store (whatever its content is now)."""
        if not self.root.is_dir():
            return
        for fan in sorted(self.root.iterdir()):
            if not fan.is_dir() or len(fan.name) != 2:
                continue
            for entry in sorted(fan.iterdir()):
                name = fan.name + entry.name
                if _HEX64.match(name):
                    yield name

    def remove_stale_temporaries(self) -> int:
        """Delete temporary files left by writers that no longer run (e.g. killed by SIGKILL)."""
        removed = 0
        if not self.tmp.is_dir():
            return 0
        for entry in self.tmp.iterdir():
            pid_text = entry.name.split(".", 1)[0]
            if pid_text.isdigit() and process_alive(int(pid_text)):
                continue
            with contextlib.suppress(FileNotFoundError):
                entry.unlink()
                removed += 1
        return removed


def _mkstemp(directory: Path, prefix: str) -> tuple[int, str]:
    import tempfile

    return tempfile.mkstemp(dir=directory, prefix=prefix, suffix=".part")


def process_alive(pid: int) -> bool:
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True
