"""Errors a user can cause and fix. The CLI prints them as one line and exits non-zero."""

from __future__ import annotations

from pathlib import Path


class EarwitnessError(Exception):
    """A problem with the user's input or case, worth one clear line rather than a traceback."""

    exit_code = 1


class CaseNotFound(EarwitnessError):
    """No case folder was found where one was expected."""


class CaseCorrupt(EarwitnessError):
    """The case folder exists but cannot be trusted for writing (verify says why)."""


class ExhibitNotFound(EarwitnessError):
    """An exhibit reference matched nothing in the case."""


class AmbiguousReference(EarwitnessError):
    """An exhibit reference matched more than one exhibit."""


class InputFileError(EarwitnessError):
    """A file given on the command line cannot be taken in; the message names the file."""

    def __init__(self, path: Path | str, problem: str) -> None:
        self.path = Path(path)
        self.problem = problem
        super().__init__(f"{path}: {problem}")


class PackageError(EarwitnessError):
    """An evidence package cannot be opened or is unsafe to open."""


class CaseNotWritable(EarwitnessError):
    """The case cannot be written to (a read-only or immutable custody log, a full disk)."""
