"""Serving an original recording to the review page's player: verified, with HTTP Range.

The bytes served are the exhibit's object in the case's store, found by its SHA-256 (never by
a path a client sent). The object is re-hashed once per process before it is first served;
after that the verified fact is kept with the file's identity (device, inode, size, mtime and
ctime: ctime cannot be set back), and any change to those means hashing again.

One range per request (``bytes=a-b``, ``bytes=a-``, ``bytes=-n``) is answered 206 with
Content-Range; a range outside the file, or one that cannot be read, 416 with
``Content-Range: bytes */size``. The Content-Type comes from the media facts the custody log
recorded at intake (the container format), never from a file name.
"""

from __future__ import annotations

import os
import re
import threading
from collections.abc import Iterator
from pathlib import Path

from fastapi.responses import JSONResponse, Response, StreamingResponse

from earwitness.errors import EarwitnessError
from earwitness.jobs.recording import OriginalAltered, verified_original
from earwitness.vault.case import Case
from earwitness.vault.verified_log import exhibit_record

CHUNK = 256 * 1024
_RANGE = re.compile(r"bytes=(\d{0,18})-(\d{0,18})")
Stamp = tuple[int, int, int, int, int]
_VERIFIED: dict[tuple[str, str], Stamp] = {}
_TYPES: dict[tuple[str, str], str] = {}
_VERIFIED_LOCK = threading.Lock()

# FFmpeg's container names (media facts) → what a browser's <audio> is told.
CONTAINER_TYPES = {
    "wav": "audio/wav",
    "mp3": "audio/mpeg",
    "flac": "audio/flac",
    "ogg": "audio/ogg",
    "mov,mp4,m4a,3gp,3g2,mj2": "audio/mp4",
    "aac": "audio/aac",
    "amr": "audio/amr",
    "aiff": "audio/aiff",
    "matroska,webm": "audio/webm",
    "asf": "audio/x-ms-asf",
    "caf": "audio/x-caf",
}


class AudioUnavailable(EarwitnessError):
    """The original cannot be served: missing or altered in the store."""

    http_status = 500


class RangeNotSatisfiable(ValueError):
    pass


def _stamp(path: Path) -> Stamp:
    status = os.stat(path)
    return (
        status.st_dev,
        status.st_ino,
        status.st_size,
        status.st_mtime_ns,
        status.st_ctime_ns,
    )


def verified_path(case: Case, sha256: str) -> tuple[Path, int]:
    """The original's path and size, hashed once per process (again if the file changed)."""
    key = (str(case.paths.root), sha256)
    path = case.store.path_for(sha256)
    try:
        before = _stamp(path)
    except FileNotFoundError:
        raise AudioUnavailable(f"original {sha256[:12]}: missing from the case's store") from None
    with _VERIFIED_LOCK:
        known = _VERIFIED.get(key)
    if known != before:
        try:
            verified_original(case, sha256)
        except OriginalAltered as exc:
            raise AudioUnavailable(str(exc)) from None
        if _stamp(path) != before:  # changed while it was being hashed: trust nothing
            raise AudioUnavailable(f"original {sha256[:12]}: changed while being verified")
        with _VERIFIED_LOCK:
            _VERIFIED[key] = before
    return path, before[2]


def content_type(case: Case, sha256: str) -> str:
    media = exhibit_record(case, sha256).media or {}
    container = media.get("container")
    return (
        CONTAINER_TYPES.get(container, "application/octet-stream")
        if isinstance(container, str)
        else "application/octet-stream"
    )


def parse_range(header: str, size: int) -> tuple[int, int]:
    """The first and last byte (inclusive) of a single-range header; RangeNotSatisfiable for
    a malformed one, several ranges, or one outside the file."""
    match = _RANGE.fullmatch(header.strip())
    if match is None:
        raise RangeNotSatisfiable("only one range of the form bytes=first-last is served")
    first, last = match.group(1), match.group(2)
    if size == 0 or (not first and not last):
        raise RangeNotSatisfiable("empty range")
    if not first:  # the last n bytes
        count = int(last)
        if count == 0:
            raise RangeNotSatisfiable("a suffix range of zero bytes")
        return max(0, size - count), size - 1
    start = int(first)
    end = size - 1 if not last else min(int(last), size - 1)
    if start >= size or (last and int(last) < start):
        raise RangeNotSatisfiable(f"bytes {start}-{last} are not in a file of {size} bytes")
    return start, end


def _read(path: Path, start: int, length: int) -> Iterator[bytes]:
    with open(path, "rb") as handle:
        handle.seek(start)
        left = length
        while left > 0:
            data = handle.read(min(CHUNK, left))
            if not data:
                return
            left -= len(data)
            yield data


def audio_response(case: Case, sha256: str, range_header: str | None) -> Response:
    path, size = verified_path(case, sha256)
    return _ranged(path, size, content_type(case, sha256), range_header)


def object_response(
    case: Case, object_sha256: str, media_type: str, range_header: str | None
) -> Response:
    """A stored artefact's object (just made or verified by the stage engine), with Range."""
    path = case.store.path_for(object_sha256)
    try:
        size = path.stat().st_size
    except FileNotFoundError:
        raise AudioUnavailable(f"object {object_sha256[:12]}: missing from the store") from None
    return _ranged(path, size, media_type, range_header)


def _ranged(path: Path, size: int, media_type: str, range_header: str | None) -> Response:
    headers = {"Accept-Ranges": "bytes", "Content-Disposition": "inline"}
    if range_header is None:
        headers["Content-Length"] = str(size)
        return StreamingResponse(_read(path, 0, size), media_type=media_type, headers=headers)
    try:
        start, end = parse_range(range_header, size)
    except RangeNotSatisfiable as exc:
        return JSONResponse(
            {"error": f"range {range_header[:60]!r}: {exc}"},
            status_code=416,
            headers={"Content-Range": f"bytes */{size}", "Accept-Ranges": "bytes"},
        )
    length = end - start + 1
    headers["Content-Length"] = str(length)
    headers["Content-Range"] = f"bytes {start}-{end}/{size}"
    return StreamingResponse(
        _read(path, start, length), status_code=206, media_type=media_type, headers=headers
    )
