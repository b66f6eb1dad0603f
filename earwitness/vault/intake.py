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
from earwitness.text import recordable
from earwitness.vault import custody
from earwitness.vault.case import CASE_DIR_NAME, Case
from earwitness.vault.catalog import Exhibit
from earwitness.vault.hashing import Digests
from earwitness.vault.private_fields import seal_private_details
from earwitness.vault.store import ObjectStore


class Status(Enum):
    INGESTED = "ingested"
    WARNING = "warning"
    ERROR = "error"
    NOTE = "note"
    # An entry found in a folder and not taken in (a symbolic link, something unreadable, not
    # a regular file): the rest of the folder is ingested; the CLI exits 3, never silently 0.
    SKIPPED = "skipped"


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
    """A file refused. ``unreadable`` when it could not be opened or is not a regular file:
    found inside a folder that is reported and skipped; named on the command line, an error."""

    def __init__(self, path: Path, problem: str, *, unreadable: bool = False) -> None:
        self.path = path
        self.unreadable = unreadable
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
            skipped: list[Outcome] = []
            found = list(_walk(path, skipped))
            problems.extend(skipped)
            if not found:
                what = "no regular file that could be read" if skipped else "no files"
                problems.append(Outcome(path, Status.ERROR, f"{path}: directory holds {what}"))
            for file in found:
                add(file)
        else:
            add(path)
    return files, problems


def _walk(directory: Path, skipped: list[Outcome]) -> Iterator[Path]:
    """Regular files under ``directory``; every other entry is added to ``skipped``, one line
    each (symbolic links are not followed, unreadable folders and special files not read)."""

    def unreadable_folder(error: OSError) -> None:
        where = Path(error.filename) if error.filename else directory
        reason = error.strerror or str(error)
        skipped.append(
            Outcome(where, Status.SKIPPED, f"{where}: folder cannot be read ({reason}); skipped")
        )

    for root, dirs, names in os.walk(directory, onerror=unreadable_folder):
        # Never take a case (ours or another) in as evidence of itself.
        kept = []
        for name in sorted(dirs):
            if name == CASE_DIR_NAME:
                continue
            if (Path(root) / name).is_symlink():
                skipped.append(_skipped_link(Path(root) / name))
            else:
                kept.append(name)
        dirs[:] = kept
        for name in sorted(names):
            path = Path(root) / name
            problem = _not_a_file(path)
            if problem is None:
                yield path
            else:
                skipped.append(Outcome(path, Status.SKIPPED, f"{path}: {problem}; skipped"))


def _skipped_link(path: Path) -> Outcome:
    target = os.readlink(path)
    return Outcome(
        path,
        Status.SKIPPED,
        f"{path}: symbolic link to {target}, not followed; skipped (name its target to ingest it)",
    )


def _not_a_file(path: Path) -> str | None:
    """Why ``path``, found in a folder, is not taken in; None for a regular file."""
    try:
        mode = path.lstat().st_mode
    except OSError as exc:
        return f"cannot be read ({exc.strerror or exc})"
    if stat.S_ISLNK(mode):
        return f"symbolic link to {os.readlink(path)}, not followed (name its target to ingest it)"
    if not stat.S_ISREG(mode):
        return f"not a regular file ({_kind(mode)})"
    return None


def _kind(mode: int) -> str:
    kinds = {
        stat.S_ISFIFO: "a named pipe",
        stat.S_ISSOCK: "a socket",
        stat.S_ISCHR: "a character device",
        stat.S_ISBLK: "a block device",
        stat.S_ISDIR: "a folder",
    }
    return next((name for test, name in kinds.items() if test(mode)), "a special file")


def preserve(
    store: ObjectStore, path: Path, on_progress: Callable[[int], None] | None = None
) -> Preserved:
    """Hash and copy ``path`` into the store in one pass, refusing what is not a stable file.

    Stable means: the same file (device and inode), of the same size, with the same
    modification *and* change times, before the read, on the open handle after it, and at
    its path after it. Rewriting a file in place and restoring its mtime changes its ctime,
    which no one can set back.
    """
    try:
        before = path.stat()
    except OSError as exc:
        raise IntakeProblem(path, f"cannot read ({exc.strerror or exc})", unreadable=True) from None
    if not stat.S_ISREG(before.st_mode):
        raise IntakeProblem(path, f"not a regular file ({_kind(before.st_mode)})", unreadable=True)
    if before.st_size == 0:
        raise IntakeProblem(path, "empty file (0 bytes); nothing to preserve")
    try:
        source = open(path, "rb")  # noqa: SIM115 - closed below, after its fstat
    except OSError as exc:
        raise IntakeProblem(path, f"cannot read ({exc.strerror or exc})", unreadable=True) from None

    def unchanged(digests: Digests) -> None:
        """Refuse, before the copy enters the store, a file that changed while it was read."""
        changed = _what_changed(before, [opened, os.fstat(source.fileno()), path.stat()])
        if changed is None and digests.size != before.st_size:
            changed = f"{digests.size} bytes read, {before.st_size} expected"
        if changed is not None:
            raise IntakeProblem(
                path, f"file changed while it was being read ({changed}); not recorded, try again"
            )

    try:
        with source:
            opened = os.fstat(source.fileno())
            digests = store.put_stream(source, on_progress, before_commit=unchanged)
    except OSError as exc:
        raise IntakeProblem(path, f"cannot read ({exc.strerror or exc})") from None
    times = {"modified": _iso(before.st_mtime), "accessed": _iso(before.st_atime)}
    times["changed"] = _iso(before.st_ctime)
    return Preserved(path=path, digests=digests, file_times=times)


_IDENTITY = (
    ("st_dev", "device"),
    ("st_ino", "inode"),
    ("st_size", "size"),
    ("st_mtime_ns", "modification time"),
    ("st_ctime_ns", "change time"),
)


def _what_changed(before: os.stat_result, later: list[os.stat_result]) -> str | None:
    """Which of a file's identity fields differ between ``before`` and any later stat."""
    differ = [
        label
        for field_name, label in _IDENTITY
        if any(getattr(seen, field_name) != getattr(before, field_name) for seen in later)
    ]
    return ", ".join(differ) if differ else None


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
        # Path, source and note can name a person: the log gets salted commitments, the
        # values go to the case's encrypted side table (vault.private_fields).
        # Names are kept as they are; only bytes that are no UTF-8 (a CP1251 zip unpacked
        # here) are written as \xNN, since a JSON log cannot hold them raw.
        private = {
            "original_path": recordable(str(preserved.path.absolute())),
            "source": None if source is None else recordable(source),
            "note": None if note is None else recordable(note),
        }
        details: dict[str, Any] = {
            "original_name": recordable(preserved.path.name),
            "file_times": preserved.file_times,
            "size_bytes": preserved.digests.size,
            "md5": preserved.digests.md5,
            **seal_private_details(case, private),
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
    given = [Path(path) for path in paths]
    # Take the lock once before any copying: it repairs a torn log tail, and a corrupt catalog
    # or a log that cannot be written refuses the whole intake before anything is stored.
    with case.writing():
        custody.ensure_appendable(case.paths.custody)
    named = set(given)
    files, outcomes = expand_inputs(given)
    for outcome in outcomes:
        if on_outcome:
            on_outcome(outcome)
    for path in files:
        outcome = _ingest_one(case, path, source, note, on_bytes, found_in_folder=path not in named)
        outcomes.append(outcome)
        if on_outcome:
            on_outcome(outcome)
    for problem in _directories_without_media(given, outcomes):
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
    *,
    found_in_folder: bool = False,
) -> Outcome:
    try:
        preserved = preserve(case.store, path, on_bytes)
    except IntakeProblem as problem:
        if problem.unreadable and found_in_folder:
            return Outcome(path, Status.SKIPPED, f"{problem}; skipped")
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
