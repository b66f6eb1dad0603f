"""Intake: take files into a case as exhibits, one small named step at a time.

``expand_inputs`` → ``preserve`` → ``probe_preserved`` → ``record_intake``. Only the last step
holds the case lock, so several intakes can hash and copy in parallel and still never interleave
events. A file that cannot be decoded is still preserved: evidence is evidence.
"""

from __future__ import annotations

import os
import stat
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from datetime import UTC, datetime
from enum import Enum
from pathlib import Path
from typing import Any

from earwitness.media.probe import ProbeError, probe
from earwitness.vault.case import CASE_DIR_NAME, Case
from earwitness.vault.catalog import Exhibit
from earwitness.vault.hashing import Digests
from earwitness.vault.store import ObjectStore


class Status(Enum):
    INGESTED = "ingested"
    WARNING = "warning"
    ERROR = "error"
    NOTE = "note"


@dataclass(frozen=True)
class Outcome:
    """What happened to one input; ``message`` is one line, naming the file."""

    path: Path
    status: Status
    message: str
    sha256: str | None = None
    new_exhibit: bool = False
    is_media: bool = False


@dataclass(frozen=True)
class Preserved:
    path: Path
    digests: Digests
    file_times: dict[str, str]


@dataclass
class Probed:
    media: dict[str, Any] | None
    error: str | None
    warnings: list[str] = field(default_factory=list)

    @property
    def is_audio_or_video(self) -> bool:
        if not self.media:
            return False
        return any(s["type"] in ("audio", "video") for s in self.media["streams"])


class IntakeProblem(Exception):
    def __init__(self, path: Path, problem: str) -> None:
        self.path = path
        super().__init__(f"{path}: {problem}")


def _iso(timestamp: float) -> str:
    return datetime.fromtimestamp(timestamp, UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def expand_inputs(paths: Iterable[Path]) -> tuple[list[Path], list[Outcome]]:
    """Files to take in (directories walked recursively, each file once) and problems found."""
    files: list[Path] = []
    problems: list[Outcome] = []
    seen: set[Path] = set()

    def add(path: Path) -> None:
        resolved = path.resolve()
        if resolved in seen:
            problems.append(Outcome(path, Status.NOTE, f"{path}: given more than once; taken once"))
            return
        seen.add(resolved)
        files.append(path)

    for given in paths:
        path = Path(given)
        if path.is_symlink() and not path.exists():
            problems.append(Outcome(path, Status.ERROR, f"{path}: broken symbolic link"))
        elif not path.exists():
            problems.append(Outcome(path, Status.ERROR, f"{path}: no such file or directory"))
        elif path.is_dir():
            found = list(_walk(path))
            if not found:
                problems.append(Outcome(path, Status.ERROR, f"{path}: directory holds no files"))
            for file in found:
                add(file)
        else:
            add(path)
    return files, problems


def _walk(directory: Path) -> Iterator[Path]:
    for root, dirs, names in os.walk(directory):
        # Never take a case (ours or another) in as evidence of itself.
        dirs[:] = sorted(d for d in dirs if d != CASE_DIR_NAME)
        for name in sorted(names):
            path = Path(root) / name
            if not path.is_symlink():
                yield path


def preserve(
    store: ObjectStore, path: Path, on_progress: Callable[[int], None] | None = None
) -> Preserved:
    """Hash and copy ``path`` into the store in one pass, refusing what is not a stable file."""
    try:
        before = path.stat()
    except OSError as exc:
        raise IntakeProblem(path, f"cannot read ({exc.strerror or exc})") from None
    if not stat.S_ISREG(before.st_mode):
        raise IntakeProblem(path, "not a regular file")
    if before.st_size == 0:
        raise IntakeProblem(path, "empty file (0 bytes); nothing to preserve")
    try:
        with open(path, "rb") as source:
            digests = store.put_stream(source, on_progress)
    except OSError as exc:
        raise IntakeProblem(path, f"cannot read ({exc.strerror or exc})") from None
    after = path.stat()
    if (after.st_size, after.st_mtime_ns) != (before.st_size, before.st_mtime_ns) or (
        digests.size != before.st_size
    ):
        raise IntakeProblem(path, "file changed while it was being read; not recorded, try again")
    times = {"modified": _iso(before.st_mtime), "accessed": _iso(before.st_atime)}
    times["changed"] = _iso(before.st_ctime)
    return Preserved(path=path, digests=digests, file_times=times)


def probe_preserved(store: ObjectStore, sha256: str, original: Path) -> Probed:
    """Probe the stored copy (exactly what was preserved); judge its extension by the original."""
    try:
        info = probe(store.path_for(sha256), original_name=original.name)
    except ProbeError as exc:
        return Probed(media=None, error=str(exc))
    return Probed(media=info.to_dict(), error=None, warnings=list(info.warnings))


def record_intake(
    case: Case,
    preserved: Preserved,
    probed: Probed | None,
    source: str | None,
    note: str | None,
) -> tuple[bool, Any]:
    """Log the intake and catalog it; returns (whether the exhibit is new, the event)."""
    sha256 = preserved.digests.sha256
    with case.writing():
        with case.session() as session:
            is_new = session.get(Exhibit, sha256) is None
        details: dict[str, Any] = {
            "original_name": preserved.path.name,
            "original_path": str(preserved.path.absolute()),
            "file_times": preserved.file_times,
            "size_bytes": preserved.digests.size,
            "md5": preserved.digests.md5,
            "source": source,
            "note": note,
        }
        if is_new and probed is not None:
            details["media"] = probed.media
            details["probe_error"] = probed.error
        committed = case.record("ingest", sha256, details)
    return is_new, committed


def _describe_media(media: dict[str, Any] | None) -> str:
    if not media:
        return ""
    parts = [media["codec"] if media["codec"] != "none" else media["container"]]
    if media.get("sample_rate"):
        parts.append(f"{media['sample_rate']} Hz")
    if media.get("channels"):
        parts.append(f"{media['channels']} ch")
    if media.get("duration_s") is not None:
        parts.append(f"{media['duration_s']:.1f} s")
    return ", ".join(parts)


def ingest_paths(
    case: Case,
    paths: Iterable[Path],
    source: str | None = None,
    note: str | None = None,
    on_bytes: Callable[[int], None] | None = None,
    on_outcome: Callable[[Outcome], None] | None = None,
) -> list[Outcome]:
    """Take every file under ``paths`` into ``case``; one bad file never stops the batch."""
    files, outcomes = expand_inputs(paths)
    for outcome in outcomes:
        if on_outcome:
            on_outcome(outcome)
    for path in files:
        outcome = _ingest_one(case, path, source, note, on_bytes)
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    for problem in _directories_without_media(paths, outcomes):
        outcomes.append(problem)
        if on_outcome:
            on_outcome(problem)
    return outcomes


def _directories_without_media(paths: Iterable[Path], outcomes: list[Outcome]) -> list[Outcome]:
    problems = []
    for given in map(Path, paths):
        if not given.is_dir():
            continue
        root = given.resolve()
        inside = [o for o in outcomes if o.sha256 and o.path.resolve().is_relative_to(root)]
        if inside and not any(o.is_media for o in inside):
            problems.append(
                Outcome(
                    given,
                    Status.WARNING,
                    f"{given}: no audio or video among its {len(inside)} file(s)",
                )
            )
    return problems


def _ingest_one(
    case: Case,
    path: Path,
    source: str | None,
    note: str | None,
    on_bytes: Callable[[int], None] | None,
) -> Outcome:
    try:
        preserved = preserve(case.store, path, on_bytes)
    except IntakeProblem as problem:
        return Outcome(path, Status.ERROR, str(problem))
    sha256 = preserved.digests.sha256
    with case.session() as session:
        known = session.get(Exhibit, sha256)
        known_media = known.media if known else None
    probed = None if known else probe_preserved(case.store, sha256, path)
    is_new, _ = record_intake(case, preserved, probed, source, note)
    short = sha256[:12]
    if not is_new or probed is None:
        return Outcome(
            path,
            Status.INGESTED,
            f"{path}: same content as exhibit {short}; second intake recorded",
            sha256,
            is_media=Probed(known_media, None).is_audio_or_video,
        )
    problems = list(probed.warnings)
    if probed.error:
        problems.insert(0, probed.error)
    elif not probed.is_audio_or_video:
        problems.insert(0, "it holds no audio or video")
    status = Status.WARNING if problems else Status.INGESTED
    message = (
        f"preserved as {short}, but {'; '.join(problems)}"
        if problems
        else f"ingested as {short} ({_describe_media(probed.media)})"
    )
    return Outcome(path, status, f"{path}: {message}", sha256, True, probed.is_audio_or_video)
