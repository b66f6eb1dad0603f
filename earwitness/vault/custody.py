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


class MalformedLine(ValueError):
    def __init__(self, line_number: int, reason: str) -> None:
        self.line_number = line_number
        super().__init__(f"line {line_number}: {reason}")


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
        yield parse_line(line, number)


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
                return parse_line(lines[-1], line_number=-1)
            window *= 4


def append_event(path: Path, event: Event) -> None:
    """Append one line with a single write, then fsync: the event is committed when this returns."""
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
    try:
        line = event.to_line()
        written = os.write(fd, line)
        if written != len(line):
            raise OSError(f"{path}: short write to custody log")
        os.fsync(fd)
    finally:
        os.close(fd)


def drop_torn_tail(path: Path) -> bool:
    """Cut an incomplete last line (a write interrupted by a crash); it was never committed."""
    contents = read_lines(path)
    if not contents.torn_tail:
        return False
    keep = sum(len(line) + 1 for line in contents.lines)
    with open(path, "r+b") as handle:
        handle.truncate(keep)
        os.fsync(handle.fileno())
    return True
