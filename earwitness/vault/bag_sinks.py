"""Where a bag's bytes go while it is written: a hidden folder or a ``.part-*`` zip beside the
destination, fsynced and renamed into place only when complete, and removed on any failure.

Each sink hashes what it writes (``bag_format.Digests``), so the manifests describe the bytes
that reached the disk, not the bytes the exporter meant to send.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import tempfile
import time
import zipfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import BinaryIO, Protocol

from earwitness.vault.bag_format import Digests
from earwitness.vault.store import fsync_dir

LARGE_MEMBER_BYTES = 1 << 30  # zip members this big get ZIP64 headers from the start


class Sink(Protocol):
    def write(
        self, name: str, chunks: Iterable[bytes], *, stored: bool, size: int | None
    ) -> Digests:
        """Write one file of the bag (``name`` relative to its root), hashing what is written."""
        ...

    def commit(self) -> None:
        """Make the finished bag durable and move it to the destination."""
        ...


class _FolderSink:
    def __init__(self, root: Path, destination: Path) -> None:
        self.root = root
        self.destination = destination

    def write(
        self, name: str, chunks: Iterable[bytes], *, stored: bool, size: int | None
    ) -> Digests:
        target = self.root / name
        target.parent.mkdir(parents=True, exist_ok=True)
        digests = Digests()
        with open(target, "xb") as sink:
            for chunk in chunks:
                digests.update(chunk)
                sink.write(chunk)
            sink.flush()
            os.fsync(sink.fileno())
        return digests

    def commit(self) -> None:
        for folder, _, _ in os.walk(self.root):
            fsync_dir(Path(folder))
        os.replace(self.root, self.destination)  # onto an empty folder too
        fsync_dir(self.destination.parent)


class _ZipSink:
    def __init__(self, handle: BinaryIO, partial: Path, destination: Path) -> None:
        self.partial = partial
        self.destination = destination
        self._handle = handle
        self._archive = zipfile.ZipFile(handle, "w", allowZip64=True)
        self._top = destination.stem
        self._when = time.localtime()[:6]

    def write(
        self, name: str, chunks: Iterable[bytes], *, stored: bool, size: int | None
    ) -> Digests:
        info = zipfile.ZipInfo(f"{self._top}/{name}", date_time=self._when)
        info.compress_type = zipfile.ZIP_STORED if stored else zipfile.ZIP_DEFLATED
        info.external_attr = 0o644 << 16
        large = size is not None and size >= LARGE_MEMBER_BYTES
        digests = Digests()
        with self._archive.open(info, "w", force_zip64=large) as member:
            for chunk in chunks:
                digests.update(chunk)
                member.write(chunk)
        return digests

    def commit(self) -> None:
        self._archive.close()
        self._handle.flush()
        os.fsync(self._handle.fileno())
        self._handle.close()
        os.replace(self.partial, self.destination)
        fsync_dir(self.destination.parent)

    def abandon(self) -> None:
        """Close without caring what fails: the partial file is removed next."""
        with contextlib.suppress(Exception):
            self._archive.close()
        with contextlib.suppress(Exception):
            self._handle.close()


@contextlib.contextmanager
def partial_output(destination: Path, as_zip: bool) -> Iterator[Sink]:
    """A sink writing beside ``destination``; whatever it wrote is removed unless committed."""
    parent = destination.parent
    if as_zip:
        fd, name = tempfile.mkstemp(dir=parent, prefix=f"{destination.name}.part-")
        partial = Path(name)
        zip_sink = _ZipSink(os.fdopen(fd, "wb"), partial, destination)
        try:
            os.fchmod(fd, 0o666 & ~_umask())  # mkstemp's 0600 would outlive the rename
            yield zip_sink
        except BaseException:
            zip_sink.abandon()
            partial.unlink(missing_ok=True)
            raise
        return
    folder = Path(tempfile.mkdtemp(dir=parent, prefix=f".{destination.name}.part-"))
    try:
        os.chmod(folder, 0o777 & ~_umask())  # mkdtemp's 0700 would outlive the rename
        yield _FolderSink(folder, destination)
    except BaseException:
        shutil.rmtree(folder, ignore_errors=True)
        raise


def remove_output(destination: Path, as_zip: bool) -> None:
    """The bag is in place but its event did not reach the log: take the bag back."""
    if as_zip:
        destination.unlink(missing_ok=True)
    else:
        shutil.rmtree(destination, ignore_errors=True)


def _umask() -> int:
    current = os.umask(0o022)
    os.umask(current)
    return current


def missing_folders(folder: Path) -> list[Path]:
    """``folder`` and its ancestors that do not exist yet, deepest first."""
    missing = []
    while not folder.exists() and folder != folder.parent:
        missing.append(folder)
        folder = folder.parent
    return missing


def remove_empty(folders: list[Path]) -> None:
    """Remove the folders an export created, deepest first, unless something else is in them."""
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            return
