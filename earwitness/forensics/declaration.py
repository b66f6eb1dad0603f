"""How an examination declares itself: one value at the bottom of its module, listed once in
``earwitness.forensics.registry``. Everything else (the order of checks, their titles, the
labels of finding kinds, the kinds allowed) is derived from those declarations."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from earwitness.forensics.findings import CheckResult
from earwitness.forensics.options import ExamOptions
from earwitness.forensics.recording import Recording

RunCheck = Callable[[Recording, ExamOptions], CheckResult]


@dataclass(frozen=True)
class Declaration:
    """One examination.

    ``name`` is the ``checks[].name`` and ``findings[].check`` of the report; ``title`` the
    words reports use for it; ``kinds`` maps each finding kind the check may emit (a value of
    the schema's enum) to the label reports print for it; ``run`` examines one recording.
    """

    name: str
    title: str
    kinds: Mapping[str, str]
    run: RunCheck
