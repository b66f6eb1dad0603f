"""A BagIt bag (RFC 8493) validated while it is streamed, each file read once.

The ``bagit`` library needs the bag on disk and reads its manifests whole; this reads members
through a :class:`~earwitness.vault.package_source.PackageSource` instead. On opening it
checks ``bagit.txt``, reads both payload manifests and both tag manifests line by line (a
checksum per path, as bytes), and reads and checks every tag file (``bag-info.txt``,
``README.txt``, the payload manifests, anything else beside ``data/``). Payload files are then
read by the caller, in the order it needs them (:meth:`StreamingBag.read`,
:meth:`StreamingBag.lines`), or by :meth:`StreamingBag.read_rest`; each is hashed with both
algorithms as it streams and checked against both manifests at once, so nothing per file is
kept but the SHA-256 of the files the caller asked to remember. :meth:`StreamingBag.finish`
reports what the manifests list but the bag lacks, and checks ``Payload-Oxum``.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from earwitness.errors import PackageError
from earwitness.vault.bag_format import (
    ALGORITHMS,
    BAG_INFO,
    BAGIT_TXT,
    FETCH,
    PAYLOAD_PREFIX,
    SUPPORTED_VERSIONS,
    BadManifestLine,
    Digests,
    is_tagmanifest,
    manifest_name,
    parse_manifest_line,
    payload_oxum,
    tag_fields,
    tagmanifest_name,
)
from earwitness.vault.package_source import (
    LineReader,
    PackageLimits,
    PackageSource,
    is_unsafe_member,
)

Report = Callable[[str, str], None]  # (kind, message) of a problem


class _Manifests:
    """What a pair of manifests (one per algorithm) expects, consumed as files are checked."""

    def __init__(self, names: dict[str, str]) -> None:
        self.names = names  # algorithm -> manifest file name
        self.present: list[str] = []  # algorithms whose manifest exists
        self.expected: dict[str, list[bytes | None]] = {}  # path -> checksum per algorithm

    def check(self, name: str, digests: Digests, report: Report) -> None:
        expected = self.expected.pop(name, [None] * len(ALGORITHMS))
        actual = digests.hexdigests()
        for index, algorithm in enumerate(ALGORITHMS):
            if algorithm not in self.present:
                continue
            manifest = self.names[algorithm]
            listed = expected[index]
            if listed is None:
                report(
                    "bag_invalid",
                    f"{name}: not listed in {manifest}; it was added after the bag was made",
                )
            elif listed != bytes.fromhex(actual[algorithm]):
                report(
                    "bag_invalid",
                    f"{name}: does not match its {algorithm} checksum in {manifest}; "
                    "it was changed",
                )

    def report_missing(self, report: Report) -> None:
        for name, listed in sorted(self.expected.items()):
            for index, algorithm in enumerate(ALGORITHMS):
                if listed[index] is not None:
                    report("bag_invalid", f"{self.names[algorithm]} lists {name}, which is missing")
        self.expected.clear()


class StreamingBag:
    """A bag being validated; problems go to ``report``, unsafe input raises PackageError."""

    def __init__(self, source: PackageSource, limits: PackageLimits, report: Report) -> None:
        self.source = source
        self.limits = limits
        self.report = report
        self.payload = _Manifests({a: manifest_name(a) for a in ALGORITHMS})
        self.tags = _Manifests({a: tagmanifest_name(a) for a in ALGORITHMS})
        self.remember: set[str] = set()  # members whose SHA-256 the caller wants kept
        self.sha256: dict[str, str] = {}
        self._read: set[str] = set()
        self._payload_bytes = 0
        self._oxum: str | None = None

    # -- opening: declaration, manifests, tag files ---------------------------------------------

    def open(self) -> None:
        where, members = self.source.where, self.source.members
        if FETCH in members:
            raise PackageError(
                f"{where}: refused, fetch.txt: the bag asks to fetch content from elsewhere"
            )
        if BAGIT_TXT not in members:
            raise PackageError(f"{where}: not a valid bag ({BAGIT_TXT} is missing)")
        for algorithm in ALGORITHMS:
            self._read_manifest(self.tags, algorithm)
        declaration = dict(self._tag_fields(BAGIT_TXT))
        version = declaration.get("BagIt-Version")
        if version not in SUPPORTED_VERSIONS:
            raise PackageError(f"{where}: not a valid bag ({BAGIT_TXT}: BagIt-Version {version!r})")
        if declaration.get("Tag-File-Character-Encoding", "").upper() != "UTF-8":
            self.report("bag_invalid", f"{BAGIT_TXT}: tag files are not declared UTF-8")
        for algorithm in ALGORITHMS:
            self._read_manifest(self.payload, algorithm)
        if BAG_INFO in members:
            self._oxum = dict(self._tag_fields(BAG_INFO)).get("Payload-Oxum")
            if self._oxum is None:
                self.report("bag_invalid", f"{BAG_INFO}: no Payload-Oxum")
        else:
            self.report("bag_invalid", f"{BAG_INFO} is missing")
        for name in sorted(members):  # README.txt, and any tag file no manifest expects
            tag = not name.startswith(PAYLOAD_PREFIX) and not is_tagmanifest(name)
            if tag and name not in self._read:
                self.read(name, self.limits.max_tag_file_bytes)
        self.tags.report_missing(self.report)

    def _tag_fields(self, name: str) -> list[tuple[str, str]]:
        text = self.read(name, self.limits.max_tag_file_bytes)
        return tag_fields(text.decode("utf-8", errors="replace"))

    def _read_manifest(self, manifests: _Manifests, algorithm: str) -> None:
        name = manifests.names[algorithm]
        if name not in self.source.members:
            protects = (
                "the payload"
                if manifests is self.payload
                else "tag files (bag-info.txt, README.txt, manifests)"
            )
            self.report("bag_invalid", f"{name} is missing: {protects} cannot be checked")
            return
        manifests.present.append(algorithm)
        line_limit = self.limits.max_manifest_line_bytes
        with self.lines(name, (self.limits.max_members + 1) * line_limit, line_limit) as lines:
            for number, line in enumerate(lines, start=1):
                self._manifest_entry(manifests, algorithm, number, line)
            tail = lines.torn_tail
        if tail:  # a last line without its newline is still a line
            self._manifest_entry(manifests, algorithm, lines.line_count + 1, tail)

    def _manifest_entry(
        self, manifests: _Manifests, algorithm: str, number: int, line: bytes
    ) -> None:
        manifest = manifests.names[algorithm]
        try:
            parsed = parse_manifest_line(line, algorithm)
        except BadManifestLine as exc:
            self.report("bag_invalid", f"{manifest}: line {number}: {exc}")
            return
        if parsed is None:
            return
        digest, path = parsed
        path = sys.intern(path)  # one string per path for the member list and both manifests
        if is_unsafe_member(path):
            raise PackageError(f"{self.source.where}: refused, unsafe path in {manifest}: {path!r}")
        index = ALGORITHMS.index(algorithm)
        listed = manifests.expected.get(path)
        if listed is None:
            if len(manifests.expected) >= self.limits.max_members:
                raise PackageError(
                    f"{self.source.where}: refused, {manifest} lists more than "
                    f"{self.limits.max_members} files"
                )
            listed = manifests.expected[path] = [None] * len(ALGORITHMS)
        if listed[index] is not None:
            self.report("bag_invalid", f"{manifest}: {path} is listed twice")
        listed[index] = bytes.fromhex(digest)

    # -- reading members -------------------------------------------------------------------------

    def read(self, name: str, limit: int | None = None) -> bytes:
        """Read member ``name`` once, checking it against its manifests; its bytes when a
        ``limit`` is given (a small file to parse), else nothing (a payload file of any size)."""
        digests = Digests()
        kept: list[bytes] = []
        with self.source.open_member(name, limit) as stream:
            for chunk in stream.chunks():
                digests.update(chunk)
                if limit is not None:
                    kept.append(chunk)
        self._checked(name, digests)
        return b"".join(kept)

    @contextlib.contextmanager
    def lines(
        self, name: str, limit: int | None, line_limit: int, reason: str = ""
    ) -> Iterator[LineReader]:
        """The complete lines of member ``name``, streamed; checked once all are read."""
        digests = Digests()
        with self.source.open_member(name, limit, reason) as stream:
            reader = LineReader(stream, f"{self.source.where}: {name}", line_limit, digests.update)
            yield reader
            for _ in reader:  # whatever the caller left unread still counts
                pass
        self._checked(name, digests)

    def read_rest(self) -> None:
        """Read and check every payload file not read yet."""
        for name in sorted(self.source.members):
            if name.startswith(PAYLOAD_PREFIX) and name not in self._read:
                self.read(name)

    def finish(self) -> None:
        """What the payload manifests list but the bag lacks; Payload-Oxum."""
        self.payload.report_missing(self.report)
        count = sum(1 for name in self.source.members if name.startswith(PAYLOAD_PREFIX))
        found = payload_oxum(self._payload_bytes, count)
        if self._oxum is not None and self._oxum != found:
            self.report(
                "bag_invalid",
                f"{BAG_INFO}: Payload-Oxum {self._oxum} does not match the payload ({found})",
            )

    def _checked(self, name: str, digests: Digests) -> None:
        self._read.add(name)
        if name in self.remember:
            self.sha256[name] = digests.hexdigests()["sha256"]
        if name.startswith(PAYLOAD_PREFIX):
            self._payload_bytes += digests.size
            self.payload.check(name, digests, self.report)
        elif not is_tagmanifest(name):
            self.tags.check(name, digests, self.report)
