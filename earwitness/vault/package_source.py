"""Reading an evidence package as hostile input: a bag folder or a zip, one member at a time.

A package may come from anyone, so nothing in it is believed before it is counted: a zip is
never unpacked to disk, its central directory is counted before ``zipfile`` parses it, and every
member is streamed through a :class:`LimitedReader` that counts the bytes it really yields
(declared sizes are lies) and stops at the limits of :class:`PackageLimits`. A folder bag is
walked without following links; a symbolic link, device, pipe or socket is refused, so a
manifest naming ``/dev/zero`` cannot make a reader run forever.

Members are named relative to the bag's root (``data/...``, ``bagit.txt``), with ``/``.
"""

from __future__ import annotations

import contextlib
import lzma
import os
import re
import stat
import struct
import sys
import zipfile
import zlib
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import BinaryIO, Protocol

from earwitness.errors import PackageError

CHUNK_BYTES = 1 << 20


@dataclass(frozen=True)
class PackageLimits:
    """How much a package may hold before reading it is refused. The defaults are far above
    what an export of a real case produces and low enough that memory stays bounded."""

    # Each member costs about 2 kB while a package is read (zipfile's own index included):
    # 50 000 members stay well within 200 MB.
    max_members: int = 50_000
    max_member_bytes: int = 1 << 40  # one recording; streamed, so only time is at stake
    max_total_bytes: int = 4 << 40
    # Uncompressed bytes per compressed byte; members smaller than ``ratio_floor_bytes`` are
    # exempt (a tiny JSON file compresses well and costs nothing to read).
    max_compression_ratio: int = 200
    ratio_floor_bytes: int = 1 << 20
    max_log_line_bytes: int = 1 << 20
    max_log_bytes: int = 16 << 30
    max_manifest_line_bytes: int = 8 << 10
    max_tag_file_bytes: int = 1 << 20  # bagit.txt, bag-info.txt, README.txt, a key file
    max_catalog_bytes: int = 16 << 20  # catalog.json is parsed whole
    max_signers: int = 10_000
    max_problems: int = 1_000  # reported one by one; past this only counted


DEFAULT_LIMITS = PackageLimits()


@dataclass(frozen=True, slots=True)
class Member:
    """A regular file of the package. Sizes a zip declares are not kept: only bytes read count."""

    name: str
    compressed_size: int | None  # for the compression ratio; None for a folder bag


def is_unsafe_member(name: str) -> bool:
    """True for a path that could land outside the folder it is unpacked in."""
    if not name or "\x00" in name or name.startswith(("/", "\\")) or re.match(r"^[A-Za-z]:", name):
        return True
    parts = re.split(r"[\\/]+", name)
    return any(part == ".." for part in parts) or name.startswith("~")


class LimitedReader:
    """A binary stream that counts what it yields and raises PackageError past a limit."""

    def __init__(
        self,
        raw: BinaryIO,
        label: str,
        limit: int,
        limit_reason: str,
        compressed_size: int | None,
        limits: PackageLimits,
        on_bytes: _ByteCounter | None = None,
    ) -> None:
        self._raw = raw
        self._label = label
        self._limit = limit
        self._limit_reason = limit_reason
        self._limits = limits
        self._ratio_cap = (
            max(limits.ratio_floor_bytes, compressed_size * limits.max_compression_ratio)
            if compressed_size is not None
            else None
        )
        self._on_bytes = on_bytes
        self.count = 0

    def read(self, size: int = CHUNK_BYTES) -> bytes:
        try:
            data = self._raw.read(size)
        except (
            zipfile.BadZipFile,
            EOFError,
            OSError,
            ValueError,
            zlib.error,
            lzma.LZMAError,
        ) as exc:
            raise PackageError(f"{self._label}: cannot be read ({exc})") from None
        self.count += len(data)
        if self.count > self._limit:
            raise PackageError(f"{self._label}: refused, {self._limit_reason}")
        if self._ratio_cap is not None and self.count > self._ratio_cap:
            raise PackageError(
                f"{self._label}: refused, expands more than "
                f"{self._limits.max_compression_ratio} times its compressed size (a zip bomb?)"
            )
        if self._on_bytes is not None and data:
            self._on_bytes.add(len(data), self._label)
        return data

    def chunks(self) -> Iterator[bytes]:
        while chunk := self.read(CHUNK_BYTES):
            yield chunk

    def close(self) -> None:
        self._raw.close()

    def __enter__(self) -> LimitedReader:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


class _ByteCounter:
    """Bytes read from the whole package, against ``max_total_bytes``."""

    def __init__(self, limit: int) -> None:
        self.limit = limit
        self.total = 0

    def add(self, count: int, label: str) -> None:
        self.total += count
        if self.total > self.limit:
            raise PackageError(f"{label}: refused, the package holds more than {self.limit} bytes")


class PackageSource(Protocol):
    """The members of a bag, each readable as a bounded stream."""

    where: str
    members: dict[str, Member]

    def open_member(self, name: str, limit: int | None = None, reason: str = "") -> LimitedReader:
        """Stream member ``name``; ``limit`` lowers the per-member byte limit."""
        ...


class _SourceBase:
    where: str
    members: dict[str, Member]
    limits: PackageLimits
    _counter: _ByteCounter

    def _limited(
        self, raw: BinaryIO, member: Member, limit: int | None, reason: str
    ) -> LimitedReader:
        cap = self.limits.max_member_bytes if limit is None else limit
        return LimitedReader(
            raw,
            f"{self.where}: {member.name}",
            cap,
            reason or f"larger than {cap} bytes",
            member.compressed_size,
            self.limits,
            self._counter,
        )


class FolderSource(_SourceBase):
    """A bag folder, walked without following links; only regular files are members."""

    def __init__(self, root: Path, limits: PackageLimits) -> None:
        self.root = root
        self.where = str(root)
        self.limits = limits
        self._counter = _ByteCounter(limits.max_total_bytes)
        self.members = {}
        self._entries = 0
        self._walk(root, "")

    def _walk(self, folder: Path, prefix: str) -> None:
        # Entries are taken as the directory yields them, never listed whole: a folder of a
        # million entries costs time here, not memory.
        try:
            with os.scandir(folder) as entries:
                for entry in entries:
                    self._add(entry, prefix + entry.name)
        except OSError as exc:
            raise PackageError(f"{folder}: cannot be read ({exc.strerror})") from None

    def _add(self, entry: os.DirEntry[str], name: str) -> None:
        self._entries += 1
        if self._entries > 4 * self.limits.max_members:  # folders count too, more loosely
            raise PackageError(f"{self.root}: refused, more than {self._entries - 1} entries")
        mode = entry.stat(follow_symlinks=False).st_mode
        if stat.S_ISDIR(mode):
            self._walk(Path(entry.path), name + "/")
        elif stat.S_ISREG(mode):
            if len(self.members) >= self.limits.max_members:
                raise PackageError(
                    f"{self.root}: refused, more than {self.limits.max_members} files"
                )
            name = sys.intern(name)  # shared with the manifests' keys
            self.members[name] = Member(name, None)
        else:
            kind = "a symbolic link" if stat.S_ISLNK(mode) else "not a regular file"
            raise PackageError(f"{self.root}: refused, {name!r} is {kind}")

    def open_member(self, name: str, limit: int | None = None, reason: str = "") -> LimitedReader:
        member = self.members[name]
        path = self.root / name
        try:
            fd = os.open(path, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
        except OSError as exc:
            raise PackageError(f"{path}: cannot be read ({exc.strerror})") from None
        if not stat.S_ISREG(os.fstat(fd).st_mode):  # swapped since the walk
            os.close(fd)
            raise PackageError(f"{path}: refused, not a regular file")
        return self._limited(os.fdopen(fd, "rb", buffering=0), member, limit, reason)


class ZipSource(_SourceBase):
    """A zipped bag, read in place; members under one top folder are named without it."""

    def __init__(self, path: Path, archive: zipfile.ZipFile, limits: PackageLimits) -> None:
        self.where = str(path)
        self.limits = limits
        self._archive = archive
        self._counter = _ByteCounter(limits.max_total_bytes)
        infos = [info for info in archive.infolist() if not info.is_dir()]
        for info in archive.infolist():
            if is_unsafe_member(info.filename):
                raise PackageError(f"{path}: refused, member {info.filename!r} points outside")
            kind = (info.external_attr >> 16) & 0o170000
            if kind == 0o120000:
                raise PackageError(f"{path}: refused, member {info.filename!r} is a symbolic link")
            if kind not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise PackageError(f"{path}: refused, member {info.filename!r} is a special file")
        tops = {info.filename.split("/", 1)[0] for info in archive.infolist()}
        self._top = ""
        if len(tops) == 1 and all("/" in info.filename for info in archive.infolist()):
            self._top = tops.pop() + "/"
        self.members = {}
        for info in infos:
            name = sys.intern(info.filename[len(self._top) :])  # shared with the manifests' keys
            if name in self.members:
                raise PackageError(f"{path}: refused, member {info.filename!r} appears twice")
            self.members[name] = Member(name, info.compress_size)

    def open_member(self, name: str, limit: int | None = None, reason: str = "") -> LimitedReader:
        member = self.members[name]
        try:
            raw = self._archive.open(self._archive.getinfo(self._top + name))
        except (zipfile.BadZipFile, NotImplementedError, RuntimeError, OSError) as exc:
            raise PackageError(f"{self.where}: {name}: cannot be read ({exc})") from None
        return self._limited(raw, member, limit, reason)  # type: ignore[arg-type]


@contextlib.contextmanager
def open_source(path: Path, limits: PackageLimits = DEFAULT_LIMITS) -> Iterator[PackageSource]:
    """The package at ``path`` (a bag folder or a zip), its members listed and checked."""
    if path.is_dir():  # the path given may be a link; links inside the bag are refused
        yield FolderSource(path, limits)
        return
    if not path.exists():
        raise PackageError(f"{path}: no such file or directory")
    if not path.is_file():
        raise PackageError(f"{path}: refused, neither a bag folder nor a zip file")
    try:
        with open(path, "rb") as handle:
            _check_central_directory(handle, path, limits)
            with zipfile.ZipFile(handle) as archive:
                yield ZipSource(path, archive, limits)
    except zipfile.BadZipFile as exc:
        raise PackageError(f"{path}: not a readable zip file ({exc})") from None


_EOCD = struct.Struct("<4s4H2LH")
_ZIP64_LOCATOR = struct.Struct("<4sLQL")
_ZIP64_EOCD = struct.Struct("<4sQ2H2L4Q")
_CENTRAL_ENTRY = struct.Struct("<4s4B4HL2L5H2L")


def _check_central_directory(handle: BinaryIO, path: Path, limits: PackageLimits) -> None:
    """Count the zip's entries before ``zipfile`` builds an object for each of them."""
    handle.seek(0, os.SEEK_END)
    size = handle.tell()
    window = min(size, _EOCD.size + 0xFFFF)
    handle.seek(size - window)
    tail = handle.read(window)
    at = tail.rfind(b"PK\x05\x06")
    if at < 0 or len(tail) - at < _EOCD.size:
        raise PackageError(f"{path}: neither a bag folder nor a zip file")
    eocd_offset = size - window + at
    fields = _EOCD.unpack_from(tail, at)
    cd_size, record_offset = fields[5], eocd_offset
    locator_at = at - _ZIP64_LOCATOR.size
    if locator_at >= 0 and tail[locator_at : locator_at + 4] == b"PK\x06\x07":
        record_offset = eocd_offset - _ZIP64_LOCATOR.size - _ZIP64_EOCD.size
        handle.seek(max(record_offset, 0))
        record = handle.read(_ZIP64_EOCD.size)
        if len(record) == _ZIP64_EOCD.size and record[:4] == b"PK\x06\x06":
            cd_size = _ZIP64_EOCD.unpack(record)[8]
    # zipfile reads the directory that ends where the end record begins, entry by entry.
    start = record_offset - cd_size
    if start < 0:
        raise PackageError(f"{path}: not a readable zip file (bad central directory)")
    handle.seek(start)
    position, entries = 0, 0
    while position < cd_size:
        header = handle.read(_CENTRAL_ENTRY.size)
        if len(header) < _CENTRAL_ENTRY.size or header[:4] != b"PK\x01\x02":
            return  # let zipfile name the damage
        fields = _CENTRAL_ENTRY.unpack(header)
        variable = fields[12] + fields[13] + fields[14]
        handle.seek(variable, os.SEEK_CUR)
        position += _CENTRAL_ENTRY.size + variable
        entries += 1
        if entries > limits.max_members:
            raise PackageError(f"{path}: refused, more than {limits.max_members} members")
    handle.seek(0)


class LineReader:
    """The complete lines of a stream, without their newline; each at most ``max_line`` bytes.

    ``torn_tail`` is set, once the stream is read, when bytes follow the last newline."""

    def __init__(
        self,
        stream: LimitedReader,
        label: str,
        max_line: int,
        on_chunk: Callable[[bytes], None] | None = None,
    ) -> None:
        self._stream = stream
        self._label = label
        self._max_line = max_line
        self._on_chunk = on_chunk
        self._lines = self._generate()
        self.torn_tail = b""
        self.line_count = 0

    def __iter__(self) -> Iterator[bytes]:
        return self

    def __next__(self) -> bytes:
        return next(self._lines)

    def _generate(self) -> Iterator[bytes]:
        pending = b""
        for chunk in self._stream.chunks():
            if self._on_chunk is not None:
                self._on_chunk(chunk)
            pending += chunk
            *lines, pending = pending.split(b"\n")
            for line in lines:
                if len(line) > self._max_line:
                    raise self._too_long()
                self.line_count += 1
                yield line
            if len(pending) > self._max_line:
                raise self._too_long()
        self.torn_tail = pending

    def _too_long(self) -> PackageError:
        return PackageError(
            f"{self._label}: refused, line {self.line_count + 1} is longer than "
            f"{self._max_line} bytes"
        )
