"""The custody log as a source of facts, checked before anything is taken from it.

The catalog answers "where is it?" fast; this module answers "what does the signed record say?"
``verified_events`` checks the whole chain (numbering, hashes, signatures, keys registered in
the case) once per process and then only what was appended since, so a run of many stages pays
for the check once. Facts read from here cannot have been changed by editing the catalog.
"""

from __future__ import annotations

import hashlib
import os
import threading
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from earwitness.errors import EarwitnessError, ExhibitNotFound
from earwitness.vault import case_keys, custody
from earwitness.vault.case import Case
from earwitness.vault.projection import EventNotProjectable, Projection
from earwitness.vault.verify import KeyAuthority, LogCheck, check_lines, check_log


class CustodyLogInvalid(EarwitnessError):
    """The custody log does not verify, so nothing may be taken from it (verify says why)."""


@dataclass(frozen=True)
class ExhibitRecord:
    """An exhibit's facts as its first intake recorded them in the signed custody log."""

    sha256: str
    md5: str
    size_bytes: int
    media: dict[str, Any] | None
    probe_error: str | None
    first_seq: int
    original_name: str
    original_path: str
    received_at: str
    file_times: dict[str, Any]
    actor: str
    source: str | None
    note: str | None


@dataclass
class _Checked:
    """What was verified of one log file, and how to tell whether the file changed since."""

    # device, inode, size, mtime and ctime (ns; ctime cannot be set back), taken before reading
    stamp: tuple[int, int, int, int, int]
    keys: frozenset[str]
    verified_bytes: int
    prefix_sha256: str
    events: list[custody.Event] = field(default_factory=list)
    projection: Projection = field(default_factory=Projection)
    authority: KeyAuthority = field(default_factory=KeyAuthority)


_CHECKED: dict[Path, _Checked] = {}
_CHECKED_LOCK = threading.Lock()


def verified_events(case: Case) -> list[custody.Event]:
    """Every committed event of the case's log, after checking the chain, each hash, each
    signature, that each signer's key is registered in the case and is the key the log's own
    history authorises (``verify.KeyAuthority``), and that the log still holds the last event
    this machine signed for the case.

    Raises CustodyLogInvalid (one line) when the log does not verify.
    """
    return list(_checked(case).events)


def verified_projection(case: Case) -> Projection:
    """The catalog the verified log implies (a copy: the caller may keep or change it)."""
    return _copy(_checked(case).projection)


def _copy(projection: Projection) -> Projection:
    return Projection(
        events=dict(projection.events),
        exhibits=dict(projection.exhibits),
        intakes=dict(projection.intakes),
        artefacts=dict(projection.artefacts),
    )


def exhibit_record(case: Case, sha256: str) -> ExhibitRecord:
    """The exhibit as the verified log records it (its first intake); ExhibitNotFound if absent."""
    projection = _checked(case).projection
    exhibit = projection.exhibits.get(sha256)
    intakes = projection.intakes_of(sha256)
    if exhibit is None or not intakes:
        raise ExhibitNotFound(f"{sha256}: no such exhibit in the custody log of this case")
    first = intakes[0]
    return ExhibitRecord(
        sha256=exhibit.sha256,
        md5=exhibit.md5,
        size_bytes=exhibit.size_bytes,
        media=exhibit.media,
        probe_error=exhibit.probe_error,
        first_seq=exhibit.first_seq,
        original_name=first.original_name,
        original_path=first.original_path,
        received_at=first.received_at,
        file_times=first.file_times,
        actor=first.actor,
        source=first.source,
        note=first.note,
    )


def _checked(case: Case) -> _Checked:
    path = case.paths.custody.resolve()
    keys = frozenset(case.registered_keys())
    try:
        status = os.stat(path)
    except FileNotFoundError:
        raise CustodyLogInvalid(f"{path}: the custody log is missing") from None
    stamp = (status.st_dev, status.st_ino, status.st_size, status.st_mtime_ns, status.st_ctime_ns)
    with _CHECKED_LOCK:
        known = _CHECKED.get(path)
        if known is not None and known.stamp == stamp and known.keys == keys:
            return known
        data = path.read_bytes()
        complete = data[: data.rfind(b"\n") + 1]
        checked = _extend(path, known, stamp, keys, complete) or _check_all(
            path, stamp, keys, complete
        )
        _CHECKED[path] = checked
        return checked


def _extend(
    path: Path,
    known: _Checked | None,
    stamp: tuple[int, int, int, int, int],
    keys: frozenset[str],
    complete: bytes,
) -> _Checked | None:
    """Check only what was appended since ``known``, if the file only grew (else None)."""
    if (
        known is None
        or not known.events
        or known.stamp[:2] != stamp[:2]
        or not known.keys <= keys  # a key taken away may invalidate events already checked
        or len(complete) < known.verified_bytes
        or hashlib.sha256(complete[: known.verified_bytes]).hexdigest() != known.prefix_sha256
    ):
        return None
    appended = complete[known.verified_bytes :].split(b"\n")[:-1]
    log = check_lines(appended, keys, previous=known.events[-1], authority=known.authority.copy())
    _refuse_if_invalid(log, str(path))
    events = [*known.events, *log.events]
    _refuse_if_rolled_back(log.authority, events, path)
    projection = _copy(known.projection)  # the cached one stays whole if this raises
    _project(projection, log.events)
    return _Checked(
        stamp=stamp,
        keys=keys,
        verified_bytes=len(complete),
        prefix_sha256=hashlib.sha256(complete).hexdigest(),
        events=events,
        projection=projection,
        authority=log.authority,
    )


def _check_all(
    path: Path, stamp: tuple[int, int, int, int, int], keys: frozenset[str], complete: bytes
) -> _Checked:
    log = check_lines(complete.split(b"\n")[:-1], keys)
    if not log.events and not log.problems:
        log = check_log(path, keys)  # let it name an empty log
    _refuse_if_invalid(log, str(path))
    _refuse_if_rolled_back(log.authority, log.events, path)
    projection = Projection()
    _project(projection, log.events)
    return _Checked(
        stamp=stamp,
        keys=keys,
        verified_bytes=len(complete),
        prefix_sha256=hashlib.sha256(complete).hexdigest(),
        events=log.events,
        projection=projection,
        authority=log.authority,
    )


def _refuse_if_rolled_back(
    authority: KeyAuthority, events: list[custody.Event], path: Path
) -> None:
    """The log must still hold the last event this machine signed for the case."""
    if authority.case_id is not None:
        problem = case_keys.rollback_problem(authority.case_id, events)
        if problem:
            raise CustodyLogInvalid(f"{path}: {problem}; run 'earwitness verify'")


def _project(projection: Projection, events: list[custody.Event]) -> None:
    for committed in events:
        try:
            projection.add(committed)
        except EventNotProjectable as exc:
            raise CustodyLogInvalid(f"custody log {exc}; run 'earwitness verify'") from None


def _refuse_if_invalid(log: LogCheck, where: str) -> None:
    if log.problems:
        more = f" (and {len(log.problems) - 1} more)" if len(log.problems) > 1 else ""
        raise CustodyLogInvalid(
            f"{where}: the custody log does not verify: {log.problems[0].message}{more}; "
            "run 'earwitness verify'"
        )
