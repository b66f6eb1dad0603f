"""The custody log: an append-only, hash-chained, signed JSON-lines file.

One line per event. The rule, also given in README.md so anyone can check a log by hand:

* ``body`` is the event without ``hash`` and ``sig``: the keys ``seq, time, actor, action,
  exhibit, details, prev, signer``;
* ``hash = sha256(canonical(body))`` in lower-case hex, where ``canonical`` is JSON with sorted
  keys, no spaces (``separators=(",", ":")``), non-ASCII kept as UTF-8;
* ``prev`` is the previous event's ``hash`` (64 zeros for the first event), ``seq`` counts from 1;
* ``sig`` is base64 of the Ed25519 signature, by the key ``signer`` (base64 raw public key), over
  the 32 raw bytes of ``hash``.

An event is committed once its whole line, newline included, is on disk.
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidSignature

from earwitness.errors import CaseCorrupt, CaseNotWritable
from earwitness.vault.keys import Signer, decode_public_key

GENESIS_PREV = "0" * 64
BODY_KEYS = ("seq", "time", "actor", "action", "exhibit", "details", "prev", "signer")


def canonical_json(value: Any) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode(
        "utf-8"
    )


def utc_now() -> str:
    return datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


@dataclass(frozen=True)
class Event:
    seq: int
    time: str
    actor: str
    action: str
    exhibit: str | None
    details: dict[str, Any]
    prev: str
    signer: str
    hash: str
    sig: str

    def body(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in BODY_KEYS}

    def to_line(self) -> bytes:
        return canonical_json(asdict(self)) + b"\n"

    def computed_hash(self) -> str:
        return hashlib.sha256(canonical_json(self.body())).hexdigest()

    def signature_valid(self) -> bool:
        try:
            key = decode_public_key(self.signer)
            key.verify(base64.b64decode(self.sig, validate=True), bytes.fromhex(self.hash))
        except (InvalidSignature, ValueError, TypeError):
            return False
        return True


def make_event(
    signer: Signer,
    action: str,
    exhibit: str | None,
    details: dict[str, Any],
    previous: Event | None,
    time: str | None = None,
) -> Event:
    body = {
        "seq": previous.seq + 1 if previous else 1,
        "time": time or utc_now(),
        "actor": signer.actor,
        "action": action,
        "exhibit": exhibit,
        "details": details,
        "prev": previous.hash if previous else GENESIS_PREV,
        "signer": signer.public_key_b64,
    }
    # Round-trip through JSON so the hashed body is exactly what a reader will parse back.
    body = json.loads(canonical_json(body))
    digest = hashlib.sha256(canonical_json(body)).hexdigest()
    return Event(**body, hash=digest, sig=signer.sign(bytes.fromhex(digest)))


class MalformedLine(CaseCorrupt, ValueError):
    """A complete log line that is not a custody event. Once ``path`` is known (``iter_events``,
    ``last_event``) the message names the file, so it reaches the user as one line."""

    def __init__(self, line_number: int, reason: str, path: Path | None = None) -> None:
        self.line_number = line_number
        self.reason = reason
        self.path = path
        if path is None:
            super().__init__(f"line {line_number}: {reason}")
        else:
            super().__init__(
                f"{path}: line {line_number}: {reason}; the custody log is damaged, "
                "nothing was changed ('earwitness verify' lists every problem)"
            )

    def in_file(self, path: Path, line_number: int | None = None) -> MalformedLine:
        return MalformedLine(line_number or self.line_number, self.reason, path)


def parse_line(line: bytes, line_number: int) -> Event:
    try:
        record = json.loads(line)
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise MalformedLine(line_number, f"not valid JSON ({exc.__class__.__name__})") from None
    expected = {*BODY_KEYS, "hash", "sig"}
    if not isinstance(record, dict) or set(record) != expected:
        raise MalformedLine(line_number, "not a custody event (wrong fields)")
    if not isinstance(record["seq"], int) or not isinstance(record["details"], dict):
        raise MalformedLine(line_number, "not a custody event (wrong field types)")
    return Event(**record)


@dataclass(frozen=True)
class LogContents:
    """What a log file holds: its complete lines and whether a torn last line follows them."""

    lines: list[bytes]
    torn_tail: bytes


def read_lines(path: Path) -> LogContents:
    data = path.read_bytes() if path.exists() else b""
    *lines, tail = data.split(b"\n")
    return LogContents(lines=lines, torn_tail=tail)


def iter_events(path: Path) -> Iterator[Event]:
    """Parse every complete line; raises MalformedLine on the first bad one."""
    for number, line in enumerate(read_lines(path).lines, start=1):
        try:
            yield parse_line(line, number)
        except MalformedLine as exc:
            raise exc.in_file(path) from None


def last_event(path: Path) -> Event | None:
    """The last committed event, read from the file's tail (cheap on long logs)."""
    if not path.exists():
        return None
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        end = handle.tell()
        window = 4096
        while True:
            start = max(0, end - window)
            handle.seek(start)
            data = handle.read(end - start)
            complete = data[: data.rfind(b"\n") + 1] if b"\n" in data else b""
            lines = complete.rstrip(b"\n").split(b"\n")
            if len(lines) >= 2 or start == 0:
                if not complete:
                    return None
                try:
                    return parse_line(lines[-1], line_number=-1)
                except MalformedLine as exc:
                    raise exc.in_file(path, _count_lines(path)) from None
            window *= 4


def _count_lines(path: Path) -> int:
    """How many complete lines the log holds (read only to name a bad last line)."""
    count = 0
    with open(path, "rb") as handle:
        while block := handle.read(1 << 20):
            count += block.count(b"\n")
    return count


def append_event(path: Path, event: Event) -> None:
    """Append one line with a single write, then fsync: the event is committed when this returns."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    except OSError as exc:
        raise _not_writable(path, exc) from None
    try:
        line = event.to_line()
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(f"{path}: short write to custody log")
        os.fsync(fd)
    except OSError as exc:
        raise _not_writable(path, exc) from None
    finally:
        os.close(fd)


def ensure_appendable(path: Path) -> None:
    """Refuse now, before any work, if the log cannot be appended to (read-only, immutable)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_APPEND)
    except OSError as exc:
        raise _not_writable(path, exc) from None
    os.close(fd)


def _not_writable(path: Path, exc: OSError) -> CaseNotWritable:
    return CaseNotWritable(
        f"{path}: the custody log cannot be written ({exc.strerror or exc}); nothing was recorded"
    )


# --- A torn tail: bytes after the last newline -------------------------------------------------
#
# A crash in the middle of ``append_event`` leaves part of a line; so does anyone who strips the
# last newline. What is left may be a whole, validly signed event, so it is never deleted: it is
# either restored (only its newline was missing) or moved aside into a quarantine file, and the
# caller logs the repair (``LOG_REPAIR``) so the log itself says what happened.

LOG_REPAIR = "log_repair"


@dataclass(frozen=True)
class TornTail:
    """The bytes after a log's last newline, and what they are."""

    data: bytes
    offset: int  # where they start in the file: the length the log is cut back to
    event: Event | None  # set when the bytes are a whole, validly signed event chaining on

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.data).hexdigest()


@dataclass(frozen=True)
class TailRepair:
    """What ``repair_torn_tail`` did; ``details()`` is what the ``log_repair`` event records."""

    byte_count: int
    sha256: str
    complete_signed_event: bool
    restored: bool  # only the newline was missing: appended, the event kept in the log
    quarantine_file: Path | None  # where the bytes were moved when not restored

    def details(self) -> dict[str, Any]:
        return {
            "torn_tail_bytes": self.byte_count,
            "torn_tail_sha256": self.sha256,
            "complete_signed_event": self.complete_signed_event,
            "restored": self.restored,
            "quarantine_file": self.quarantine_file.name if self.quarantine_file else None,
        }

    def describe(self) -> str:
        if self.restored:
            return "the last event lacked its newline; the newline was restored"
        return (
            f"an incomplete last line ({self.byte_count} bytes) was moved to {self.quarantine_file}"
        )


def find_torn_tail(path: Path) -> TornTail | None:
    """The torn tail of the log at ``path``, if it has one (cheap when it has none)."""
    if not path.is_file():
        return None
    with open(path, "rb") as handle:
        handle.seek(0, os.SEEK_END)
        size = handle.tell()
        if size == 0:
            return None
        handle.seek(size - 1)
        if handle.read(1) == b"\n":
            return None
    contents = read_lines(path)
    offset = size - len(contents.torn_tail)
    previous = None
    if contents.lines:
        try:
            previous = parse_line(contents.lines[-1], len(contents.lines))
        except MalformedLine:
            previous = None  # the tail cannot be shown to chain on; it is quarantined
    whole = _whole_event(contents.torn_tail, previous, bool(contents.lines))
    return TornTail(data=contents.torn_tail, offset=offset, event=whole)


def _whole_event(data: bytes, previous: Event | None, has_lines: bool) -> Event | None:
    """``data`` parsed as an event, if it is one that is sound and follows ``previous``."""
    try:
        candidate = parse_line(data, 0)
    except MalformedLine:
        return None
    if has_lines and previous is None:
        return None
    expected_seq = previous.seq + 1 if previous else 1
    expected_prev = previous.hash if previous else GENESIS_PREV
    sound = candidate.computed_hash() == candidate.hash and candidate.signature_valid()
    if sound and candidate.seq == expected_seq and candidate.prev == expected_prev:
        return candidate
    return None


def repair_torn_tail(path: Path, quarantine_dir: Path) -> TailRepair | None:
    """Make the log end in a newline again without losing a byte; None when it already does.

    A tail that is a whole event, signed and chaining on the last line, only lost its newline:
    the newline is appended. Anything else is written to ``quarantine_dir`` (and fsynced)
    before the log is cut back to its last newline. The caller logs the returned repair.
    """
    tail = find_torn_tail(path)
    if tail is None:
        return None
    if tail.event is not None:
        try:
            with open(path, "ab") as handle:
                handle.write(b"\n")
                handle.flush()
                os.fsync(handle.fileno())
        except OSError as exc:
            raise _not_writable(path, exc) from None
        return TailRepair(len(tail.data), tail.sha256, True, True, None)
    try:
        kept = _quarantine(tail, quarantine_dir)
        with open(path, "r+b") as handle:
            handle.truncate(tail.offset)
            os.fsync(handle.fileno())
    except OSError as exc:
        raise _not_writable(path, exc) from None
    return TailRepair(len(tail.data), tail.sha256, False, False, kept)


def _quarantine(tail: TornTail, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S%fZ")
    target = folder / f"custody-tail-{stamp}-{tail.sha256[:16]}.bin"
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o444)
    try:
        view = memoryview(tail.data)
        while view:
            view = view[os.write(fd, view) :]
        os.fsync(fd)
    finally:
        os.close(fd)
    directory = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(directory)
    finally:
        os.close(directory)
    return target


def describe_torn_tail(path: Path) -> str:
    """One line for ``verify`` about a torn tail it found and did not count."""
    tail = find_torn_tail(path)
    if tail is None:
        return f"{path.name}: ends in a newline"
    what = (
        f"a whole signed event {tail.event.seq} that follows the log, only its newline lost"
        if tail.event is not None
        else "not a whole event that follows the log (an interrupted write?)"
    )
    return (
        f"{path.name}: last line has no newline ({len(tail.data)} bytes, sha256 "
        f"{tail.sha256[:16]}…): {what}; not counted here, and the next write to the case "
        + ("restores it" if tail.event is not None else "moves it into .earwitness/quarantine/")
    )
