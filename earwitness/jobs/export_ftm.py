"""``earwitness export --format ftm``: the case's exhibits as FollowTheMoney JSON lines.

Each exhibit becomes one entity carrying its newest transcript and examination summary: the
stored artefacts, each verified before it is read (never recomputed here), and the exhibit's
facts as the custody log records them. The export is logged in custody like a bag export.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from earwitness.errors import EarwitnessError, InputFileError
from earwitness.jobs.examine import EXAMINATION
from earwitness.jobs.recording import exhibit_facts, verified_original
from earwitness.jobs.reviewed import newest_shown
from earwitness.vault.artefacts import list_artefacts, read_verified
from earwitness.vault.case import Case
from earwitness.vault.custody import ensure_appendable
from earwitness.vault.verified_log import verified_events


def _newest(case: Case, sha256: str, stage: str) -> dict[str, Any] | None:
    found = [a for a in list_artefacts(case, sha256) if a.stage == stage]
    if not found:
        return None
    return json.loads(read_verified(case, found[-1]))


def _shown_transcript(case: Case, sha256: str) -> dict[str, Any] | None:
    """The newest transcript as the outputs show it: the reviewed version, redactions
    applied, once the workbench edited it."""
    shown = newest_shown(case, sha256)
    return None if shown is None else shown.to_dict()


def _sha1(path: Path) -> str:
    digest = hashlib.sha1(usedforsecurity=False)
    with open(path, "rb") as handle:
        while block := handle.read(4 * 1024 * 1024):
            digest.update(block)
    return digest.hexdigest()


def logged_exhibits(case: Case) -> list[str]:
    """The case's exhibits in the order they were first received, as the log records them."""
    seen: dict[str, None] = {}
    for event in verified_events(case):
        if event.action == "ingest" and event.exhibit:
            seen.setdefault(event.exhibit, None)
    return list(seen)


def _complete_temporary(case: Case, destination: Path, text: str) -> Path:
    """``text`` written and fsynced to a hidden file beside ``destination``, after checking
    that the destination can be written and the export logged."""
    if destination.is_dir():
        raise InputFileError(destination, "is a folder; give the name of a file to write")
    ensure_appendable(case.paths.custody)
    try:
        destination.parent.mkdir(parents=True, exist_ok=True)
        handle, name = tempfile.mkstemp(dir=destination.parent, prefix=".earwitness-ftm-")
    except OSError as exc:
        raise InputFileError(destination, f"cannot write here ({exc.strerror or exc})") from None
    temporary = Path(name)
    try:
        with os.fdopen(handle, "w", encoding="utf-8") as out:
            out.write(text)
            out.flush()
            os.fsync(out.fileno())
    except OSError as exc:
        temporary.unlink(missing_ok=True)
        raise InputFileError(destination, f"cannot write ({exc.strerror or exc})") from None
    return temporary


def export_ftm(case: Case, exhibits: list[str] | None, destination: Path) -> int:
    """Write one FtM entity per exhibit to ``destination`` (JSON lines); returns the count."""
    from earwitness.formats.ftm import exhibit_entity

    chosen = [s for s in logged_exhibits(case) if exhibits is None or s in exhibits]
    if not chosen:
        raise EarwitnessError("nothing to export: the case holds no exhibits")
    lines = []
    for sha256 in chosen:
        facts = exhibit_facts(case, sha256)
        exhibit = {
            "sha256": sha256,
            "filename": facts.filename,
            "size_bytes": facts.size_bytes,
            "media": facts.media,
        }
        entity = exhibit_entity(
            exhibit,
            sha1=_sha1(verified_original(case, sha256)),
            transcript=_shown_transcript(case, sha256),
            examination=_newest(case, sha256, EXAMINATION.name),
        )
        lines.append(json.dumps(entity, ensure_ascii=False, sort_keys=True))
    temporary = _complete_temporary(case, destination, "\n".join(lines) + "\n")
    try:
        with case.writing():
            # The export is logged only once the file is in place, whole; if logging fails
            # the file goes, so the log and the folder never disagree.
            os.replace(temporary, destination)
            try:
                case.record(
                    "export",
                    None,
                    # only the name: the log travels in packages, and a path can name its owner
                    {"exhibits": chosen, "destination": destination.name, "format": "ftm"},
                )
            except BaseException:
                destination.unlink(missing_ok=True)
                raise
    except OSError as exc:
        raise InputFileError(
            destination, f"cannot write ({exc.strerror or exc}); nothing was exported or logged"
        ) from None
    finally:
        temporary.unlink(missing_ok=True)
    return len(lines)
