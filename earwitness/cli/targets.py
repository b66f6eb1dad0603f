"""What a command acts on: an exhibit of the case, or a loose file outside any case."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from earwitness.cli.terminal import echo
from earwitness.errors import CaseNotFound, ExhibitNotFound, InputFileError
from earwitness.vault.case import Case
from earwitness.vault.refs import resolve_exhibit


@dataclass(frozen=True)
class Target:
    case: Case | None  # None: a file handled directly, nothing recorded
    sha256: str | None
    path: Path | None


def resolve_target(reference: str, case_dir: Path | None, verb: str) -> Target:
    """The exhibit ``reference`` names in the case; else, if it is a file, that file alone.

    A file that is not in the case is still handled (``verb`` says how, in the note), but
    nothing about it is stored or logged: only ingested files are evidence.
    """
    try:
        case = Case.open(case_dir)
    except CaseNotFound:
        if case_dir is not None or not Path(reference).is_file():
            raise
        return Target(None, None, Path(reference))
    try:
        return Target(case, resolve_exhibit(case, reference), None)
    except ExhibitNotFound:
        if not Path(reference).is_file():
            raise
    echo(
        f"earwitness: note: {reference} is not in the case; {verb} directly, nothing recorded "
        "(ingest it first to keep the result)",
        err=True,
    )
    return Target(None, None, Path(reference))


@contextlib.contextmanager
def named_as(reference: str) -> Iterator[None]:
    """A recording that cannot be decoded, reported under the name the user gave it.

    ``DecodeError`` names the file it opened, which for an exhibit is an object in the case's
    store; the user typed a name or a hash prefix, so the message starts with that.
    """
    # media.decode brings PyAV and NumPy: imported when a command is about to decode anyway.
    from earwitness.media.decode import DecodeError

    try:
        yield
    except DecodeError as exc:
        if str(exc).startswith(reference):
            raise
        raise InputFileError(reference, str(exc)) from None
